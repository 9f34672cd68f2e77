//! Domain services: every state change Roster makes goes through here, for the
//! CLI and GraphQL alike. A service function opens one transaction, makes its
//! change, records its audit events and commits them together.

pub mod access;
pub mod audit;
pub mod passwords;
pub mod roles;
pub mod tokens;
pub mod users;

pub use access::{Actor, Principal};
pub use audit::AuditEvent;
