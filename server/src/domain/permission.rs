//! Permissions (SPEC §3): Roster's catalogue as a type. Strings from the
//! database, a token's scopes or a request are parsed once, at the edge of
//! the domain; inside, a [`Permission`] is always one Roster knows.

use std::fmt;

/// One permission, `resource:action`. Ordered by name, so that sets of
/// them (a user's permissions, a token's scopes) list and store
/// alphabetically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    UsersRead,
    UsersManage,
    RolesManage,
    OrgsRead,
    OrgsManage,
    AuditRead,
    TokensManage,
    SystemManage,
    SiteConfigsRead,
    SiteConfigsManage,
    CredentialsRead,
    CredentialsManage,
    BookmarksRead,
    BookmarksManage,
}

/// Why a string is not a permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionError {
    /// Not `resource:action` in lowercase letters, digits and `_`.
    Invalid(String),
    /// Well formed, but not in Roster's catalogue.
    Unknown(String),
}

impl fmt::Display for PermissionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(raw) => write!(f, "Invalid permission {raw:?}: expected resource:action"),
            Self::Unknown(name) => write!(f, "Unknown permission {name}"),
        }
    }
}

impl Permission {
    /// Every permission, in display order: Roster's own, then seed 002's
    /// application permissions.
    pub const ALL: [Permission; 14] = [
        Self::UsersRead,
        Self::UsersManage,
        Self::RolesManage,
        Self::OrgsRead,
        Self::OrgsManage,
        Self::AuditRead,
        Self::TokensManage,
        Self::SystemManage,
        Self::SiteConfigsRead,
        Self::SiteConfigsManage,
        Self::CredentialsRead,
        Self::CredentialsManage,
        Self::BookmarksRead,
        Self::BookmarksManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UsersRead => "users:read",
            Self::UsersManage => "users:manage",
            Self::RolesManage => "roles:manage",
            Self::OrgsRead => "orgs:read",
            Self::OrgsManage => "orgs:manage",
            Self::AuditRead => "audit:read",
            Self::TokensManage => "tokens:manage",
            Self::SystemManage => "system:manage",
            Self::SiteConfigsRead => "site_configs:read",
            Self::SiteConfigsManage => "site_configs:manage",
            Self::CredentialsRead => "credentials:read",
            Self::CredentialsManage => "credentials:manage",
            Self::BookmarksRead => "bookmarks:read",
            Self::BookmarksManage => "bookmarks:manage",
        }
    }

    /// Parses `raw` (surrounding spaces ignored) into a known permission.
    pub fn parse(raw: &str) -> Result<Self, PermissionError> {
        let value = raw.trim();
        let part_ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        match value.split_once(':') {
            Some((resource, action)) if part_ok(resource) && part_ok(action) => Self::ALL
                .into_iter()
                .find(|p| p.as_str() == value)
                .ok_or_else(|| PermissionError::Unknown(value.to_string())),
            _ => Err(PermissionError::Invalid(raw.to_string())),
        }
    }

    /// The permissions among `stored` that Roster knows; an unknown one (a
    /// row written by hand, a permission a newer version removed) grants
    /// nothing and is logged.
    pub fn from_stored<'a>(stored: impl IntoIterator<Item = &'a str>) -> Vec<Permission> {
        stored
            .into_iter()
            .filter_map(|raw| match Self::parse(raw) {
                Ok(p) => Some(p),
                Err(e) => {
                    tracing::warn!(permission = raw, "ignoring a stored permission: {e}");
                    None
                }
            })
            .collect()
    }
}

impl Ord for Permission {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Permission {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_round_trips_through_its_name() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Ok(p));
            assert_eq!(Permission::parse(&format!(" {p} ")), Ok(p));
        }
    }

    #[test]
    fn the_catalogue_is_what_the_migrations_seeded() {
        let seeded: Vec<&str> = roster_migration::seed::all_permissions().collect();
        let ours: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(seeded, ours);
    }

    #[test]
    fn malformed_and_unknown_permissions_are_told_apart() {
        assert_eq!(
            Permission::parse("events:publish"),
            Err(PermissionError::Unknown("events:publish".into()))
        );
        for bad in ["users", ":read", "users:", "Users:Read", "a:b:c"] {
            assert_eq!(
                Permission::parse(bad),
                Err(PermissionError::Invalid(bad.into())),
                "{bad:?}"
            );
        }
        assert_eq!(
            PermissionError::Unknown("x:y".into()).to_string(),
            "Unknown permission x:y"
        );
    }

    #[test]
    fn sets_of_permissions_are_in_alphabetical_order() {
        let set: std::collections::BTreeSet<_> = Permission::ALL.into_iter().collect();
        let names: Vec<&str> = set.iter().map(|p| p.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }

    #[test]
    fn stored_strings_that_are_not_permissions_grant_nothing() {
        assert_eq!(
            Permission::from_stored(["users:read", "nope", "events:publish"]),
            vec![Permission::UsersRead]
        );
    }
}
