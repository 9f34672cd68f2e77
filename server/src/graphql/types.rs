//! GraphQL view types, converted from service results.

use async_graphql::{Enum, ID, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain;
use crate::entity::session;
use crate::service::access_tokens::TokenView;
use crate::service::users::UserView;

/// A user's lifecycle state.
// The domain's enum; `remote` derives the conversions both ways.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::UserStatus")]
pub enum UserStatus {
    PendingInvitation,
    Active,
    Deactivated,
    Deleted,
}

/// A Roster account.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub struct User {
    /// ULID; never changes.
    pub id: ID,
    pub username: String,
    pub email: String,
    pub display_name: Option<String>,
    pub status: UserStatus,
    /// Role names, most powerful first.
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub last_active_at: Option<DateTime<Utc>>,
}

impl From<UserView> for User {
    fn from(v: UserView) -> Self {
        let status = v.user.status.into();
        Self {
            id: ID(v.user.id),
            username: v.user.username,
            email: v.user.email,
            display_name: v.user.display_name,
            status,
            roles: v.roles,
            created_at: v.user.created_at,
            updated_at: v.user.updated_at,
            last_login_at: v.user.last_login_at,
            last_active_at: v.user.last_active_at,
        }
    }
}

/// How the current request authenticated.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    Session,
    Token,
    /// The identity provider's access token (`Authorization: Bearer`).
    IdpToken,
}

/// The authenticated user of this request and what they may do.
#[derive(SimpleObject, Debug, Clone)]
pub struct Viewer {
    pub user: User,
    /// Effective permissions: the user's roles', narrowed by a token's scopes.
    pub permissions: Vec<String>,
    pub authentication: AuthMethod,
}

/// A login session.
#[derive(SimpleObject, Debug, Clone)]
pub struct Session {
    pub id: ID,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// When the session ends if unused.
    pub idle_expires_at: DateTime<Utc>,
    /// When the session ends regardless.
    pub expires_at: DateTime<Utc>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// True for the session making this request.
    pub current: bool,
}

impl Session {
    pub fn from_model(s: session::Model, current: Option<&str>) -> Self {
        Self {
            current: current == Some(s.id.as_str()),
            id: ID(s.id),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            idle_expires_at: s.idle_expires_at,
            expires_at: s.expires_at,
            ip_address: s.ip_address,
            user_agent: s.user_agent,
        }
    }
}

/// A personal access token; its secret is never shown after creation.
#[derive(SimpleObject, Debug, Clone)]
pub struct Token {
    pub id: ID,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<TokenView> for Token {
    fn from(t: TokenView) -> Self {
        Self {
            id: ID(t.token.id),
            name: t.token.name,
            scopes: t.scopes,
            created_at: t.token.created_at,
            expires_at: t.token.expires_at,
            last_used_at: t.token.last_used_at,
        }
    }
}

/// A new token with its secret, shown this once.
#[derive(SimpleObject, Debug, Clone)]
pub struct CreatedToken {
    pub token: Token,
    /// Starts with `roster_pat_`; send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// The result of a login.
#[derive(SimpleObject, Debug, Clone)]
pub struct LoginPayload {
    pub viewer: Viewer,
    pub session_expires_at: DateTime<Utc>,
    /// True when this is the user's first successful login.
    pub first_login: bool,
}
