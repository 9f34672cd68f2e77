//! The built-in roles (SPEC §3), owned by the server as typed permissions.
//! The migrations keep a frozen copy of what they seeded
//! (`roster_migration::seed`), which `roster ensure-defaults` restores; a
//! test holds the two equal, so a change here comes with a migration.

use crate::domain::Permission;

pub const SUPERUSER: &str = "superuser";
pub const ADMIN: &str = "admin";
pub const EDITOR: &str = "editor";
pub const VIEWER: &str = "viewer";

/// A role nobody may change.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinRole {
    pub name: &'static str,
    pub description: &'static str,
    pub permissions: &'static [Permission],
}

use Permission::*;

/// From most to least powerful.
pub const BUILTIN_ROLES: [BuiltinRole; 4] = [
    BuiltinRole {
        name: SUPERUSER,
        description: "Full system access",
        permissions: &Permission::ALL,
    },
    BuiltinRole {
        name: ADMIN,
        description: "Manages users, roles below superuser, organizations, tokens and audit, and every application resource",
        permissions: &[
            UsersRead,
            UsersManage,
            RolesManage,
            OrgsRead,
            OrgsManage,
            AuditRead,
            TokensManage,
            SiteConfigsRead,
            SiteConfigsManage,
            CredentialsRead,
            CredentialsManage,
            BookmarksRead,
            BookmarksManage,
        ],
    },
    BuiltinRole {
        name: EDITOR,
        description: "Creates and edits application content",
        permissions: &[
            OrgsRead,
            SiteConfigsRead,
            SiteConfigsManage,
            BookmarksRead,
            BookmarksManage,
            CredentialsRead,
        ],
    },
    BuiltinRole {
        name: VIEWER,
        description: "Read-only access",
        permissions: &[OrgsRead, SiteConfigsRead, BookmarksRead],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migrations_seeded_exactly_these_roles() {
        let seeded = roster_migration::seed::BUILTIN_ROLES;
        assert_eq!(seeded.len(), BUILTIN_ROLES.len());
        for (frozen, ours) in seeded.iter().zip(BUILTIN_ROLES) {
            assert_eq!(frozen.name, ours.name);
            assert_eq!(frozen.description, ours.description);
            let names: Vec<&str> = ours.permissions.iter().map(|p| p.as_str()).collect();
            assert_eq!(frozen.permission_list(), names, "{}", ours.name);
        }
    }
}
