//! sea-orm entities, one file per table of the `migration` crate.

pub mod audit_chain;
pub mod audit_event;
pub mod external_identity;
pub mod login_attempt;
pub mod oidc_login;
pub mod one_time_token;
pub mod organization;
pub mod organization_membership;
pub mod personal_access_token;
pub mod role;
pub mod role_permission;
pub mod session;
pub mod user;
pub mod user_quota;
pub mod user_role;
