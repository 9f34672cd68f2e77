//! Domain services: every state change Roster makes goes through here, for the
//! CLI and GraphQL alike. A service function works inside the caller's unit
//! of work ([`work::Work`]): its reads and writes go through the work's one
//! transaction and its audit events commit with them.

pub mod access_review;
pub mod access_tokens;
pub mod actor;
pub mod audit;
pub mod audit_chain;
pub mod audit_csv;
pub mod audit_lines;
pub mod audit_live;
pub mod audit_log;
pub mod auth;
pub mod changes;
pub mod credentials;
pub mod database;
pub mod defaults;
pub mod directory;
pub mod identities;
pub mod idp_roles;
pub mod idp_tokens;
pub mod invitations;
pub mod live_tokens;
pub mod mailer;
pub mod oidc;
pub mod oidc_accounts;
pub mod oidc_discovery;
pub mod organizations;
pub mod password_reset;
pub mod passwords;
pub mod policy;
pub mod quotas;
pub mod rls;
pub mod role_explanation;
pub mod roles;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;
pub mod work;

pub use actor::{Actor, Principal};
pub use audit::AuditEvent;
pub use work::{Mode, Work};
