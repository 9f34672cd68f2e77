//! User accounts: creation, credentials, roles and lifecycle (SPEC §2, §3).
//!
//! This file holds the types the user services take and return
//! ([`UserKey`], [`UserView`], [`NewUser`], [`Created`], [`UserChanges`]) and
//! re-exports the services, one file per capability:
//! - `lookup.rs`: finding a user ([`find`], [`get`]), who may act on one
//!   ([`require_manage_id`]), and whether an email or username is free;
//! - `create.rs`: new accounts ([`create()`], [`bootstrap_superuser`],
//!   [`needs_bootstrap`]), each joining the default organization;
//! - `assign.rs`: a user's roles ([`set_roles`]);
//! - `overrides.rs`: a user's role overrides (`overrides::{of_user, set,
//!   clear}`);
//! - `profile.rs`: username, email and display name ([`update`]);
//! - `password.rs`: setting and replacing passwords ([`set_password`]);
//! - `lifecycle.rs`: [`activate`], [`deactivate`], [`delete`],
//!   [`revoke_sessions`], and the status and last-superuser guards.

mod assign;
mod create;
mod lifecycle;
mod lookup;
pub mod overrides;
mod password;
mod profile;
pub mod view;

use std::fmt;

use crate::domain::{DisplayName, Email, RoleName, Username};
use crate::error::Result;
use crate::service::tokens::IssuedToken;

pub use assign::set_roles;
pub use create::{bootstrap_superuser, create, needs_bootstrap, needs_bootstrap_cached, provision};
pub use lifecycle::{activate, deactivate, delete, revoke_sessions};
pub(crate) use lifecycle::{ensure_not_last_superuser, require_status};
pub(crate) use lookup::find_for_admin;
pub use lookup::{DELETED_USER, find, find_including_deleted, get, names, require_manage_id};
pub(crate) use password::replace_password;
pub use password::{INVALID_RESET_TOKEN, set_password};
pub use profile::update;
pub use view::UserView;

/// How an operator names a user: email, username, or id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserKey {
    Email(Email),
    Username(String),
    Id(String),
}

impl UserKey {
    /// An email if it has an `@`, an id if it is a ULID, a username otherwise.
    pub fn parse(raw: &str) -> Result<Self> {
        let raw = raw.trim();
        if raw.contains('@') {
            Ok(Self::Email(Email::parse(raw)?))
        } else if raw.len() == 26 && ulid::Ulid::from_string(raw).is_ok() {
            Ok(Self::Id(raw.to_ascii_uppercase()))
        } else {
            Ok(Self::Username(raw.to_string()))
        }
    }
}

impl fmt::Display for UserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Email(e) => write!(f, "{e}"),
            Self::Username(u) | Self::Id(u) => f.write_str(u),
        }
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: Username,
    pub email: Email,
    pub display_name: Option<DisplayName>,
    /// Empty means the default role, `viewer`.
    pub roles: Vec<RoleName>,
    /// `None` creates a `pending_invitation` user and an invitation.
    pub password: Option<String>,
}

/// A created user, and the invitation to send when they have no password.
#[derive(Debug, Clone)]
pub struct Created {
    pub user: UserView,
    pub invitation: Option<IssuedToken>,
}

/// New values for a user's profile; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub username: Option<Username>,
    pub email: Option<Email>,
    /// `Some(None)` clears the display name.
    pub display_name: Option<Option<DisplayName>>,
}
