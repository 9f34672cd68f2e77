//! Domain types: input is parsed into these at the edge, so inside Roster a
//! value of one of these types is valid.

pub mod group_roles;
mod names;
pub mod password;
mod permission;
pub mod role_aliases;
pub mod role_overrides;

pub use group_roles::GroupRoleMap;
pub use names::{Description, DisplayName, Email, OrgName, RoleName, Slug, Username};
pub use password::{PasswordPolicy, PlainPassword};
pub use permission::{Permission, PermissionError};
pub use role_aliases::RoleAliases;
pub use role_overrides::RoleOverrides;

use std::fmt;
use std::str::FromStr;

use sea_orm::{DeriveActiveEnum, EnumIter};

/// A user's lifecycle state (SPEC §2), stored in `users.status` by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum UserStatus {
    #[sea_orm(string_value = "pending_invitation")]
    PendingInvitation,
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "deactivated")]
    Deactivated,
    #[sea_orm(string_value = "deleted")]
    Deleted,
}

impl UserStatus {
    pub const ALL: [UserStatus; 4] = [
        Self::PendingInvitation,
        Self::Active,
        Self::Deactivated,
        Self::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingInvitation => "pending_invitation",
            Self::Active => "active",
            Self::Deactivated => "deactivated",
            Self::Deleted => "deleted",
        }
    }

    /// Only active users may log in or act.
    pub fn can_log_in(self) -> bool {
        self == Self::Active
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UserStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown status {s:?}; expected one of {}",
                    Self::ALL.map(|s| s.as_str()).join(", ")
                )
            })
    }
}

/// Where a role assignment came from (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleSource {
    Manual,
    Idp,
}

impl RoleSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Idp => "idp",
        }
    }
}

/// Through which door an action came in; recorded on every audit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Api,
    Cli,
    Oidc,
    System,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Cli => "cli",
            Self::Oidc => "oidc",
            Self::System => "system",
        }
    }
}

/// Creates a new ULID, the id of every row Roster creates.
pub fn new_id() -> String {
    ulid::Ulid::new().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in UserStatus::ALL {
            assert_eq!(status.as_str().parse::<UserStatus>(), Ok(status));
        }
        assert!("inactive".parse::<UserStatus>().is_err());
    }

    #[test]
    fn only_active_users_can_log_in() {
        let can: Vec<_> = UserStatus::ALL
            .into_iter()
            .filter(|s| s.can_log_in())
            .collect();
        assert_eq!(can, vec![UserStatus::Active]);
    }
}
