//! What the app's operations return, as the API names it.

use serde::Deserialize;

use crate::api::ops::QuotaResource;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub id: String,
    pub username: String,
    pub email: String,
    pub display_name: Option<String>,
    pub roles: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Viewer {
    pub user: Me,
    pub permissions: Vec<String>,
}

impl Viewer {
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PasswordRules {
    pub min_length: usize,
    pub max_length: usize,
    pub character_classes: bool,
}

impl Default for PasswordRules {
    fn default() -> Self {
        Self {
            min_length: 12,
            max_length: 256,
            character_classes: true,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Flags {
    pub ui: bool,
    pub core: bool,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    pub version: String,
    pub database_backend: String,
    pub flags: Flags,
    pub password_rules: PasswordRules,
    pub needs_bootstrap: bool,
    /// Where "Sign in with SSO" starts, when OIDC login is configured.
    pub sso_login_path: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Boot {
    pub server_info: ServerInfo,
    pub viewer: Option<Viewer>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginPayload {
    pub first_login: bool,
    pub viewer: Viewer,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub email: String,
    pub display_name: Option<String>,
    pub roles: Vec<String>,
    pub status: String,
    pub created_at: String,
    pub last_active_at: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserPage {
    pub total_count: i64,
    pub page_info: PageInfo,
    pub nodes: Vec<UserRow>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Role {
    pub name: String,
    pub description: String,
    pub builtin: bool,
    pub permissions: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Quota {
    pub resource: QuotaResource,
    pub limit: i64,
    pub used: i64,
    pub overridden: bool,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub current: bool,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserDetail {
    pub id: String,
    pub username: String,
    pub email: String,
    pub display_name: Option<String>,
    pub roles: Vec<String>,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub last_login_at: Option<String>,
    pub last_active_at: Option<String>,
    pub quotas: Vec<Quota>,
    /// Asked for only when the viewer may see them.
    #[serde(default)]
    pub sessions: Vec<Session>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InvitationSent {
    pub invitation_sent: bool,
    pub email_error: Option<String>,
    pub expires_at: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EmailResult {
    pub sent: bool,
    pub email_error: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    pub username: String,
    pub email: String,
    pub roles: Vec<String>,
    pub expires_at: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
}

/// `2026-11-22T10:04:05.123Z` → `2026-11-22 10:04` (UTC), for tables.
pub fn short_time(iso: &str) -> String {
    let mut out: String = iso.chars().take(16).collect();
    if out.len() == 16 {
        out.replace_range(10..11, " ");
    }
    out
}

/// The owner policies of one table, each `CREATED`, `PRESENT`, `FAILED`, ….
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct OwnerPolicies {
    pub select: String,
    pub insert: String,
    pub update: String,
    pub delete: String,
}

/// One table under (or meant for) row-level security.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RlsTable {
    pub table: String,
    pub roster: bool,
    pub exists: bool,
    pub owner_column: bool,
    pub rls_enabled: bool,
    pub forced: bool,
    pub policies: OwnerPolicies,
    pub message: Option<String>,
}

/// The database page's view.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseStatus {
    pub backend: String,
    pub server_version: String,
    pub pg_trgm: bool,
    pub tables: Vec<RlsTable>,
}

/// One step of "Prepare Postgres".
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct PreparationStep {
    pub name: String,
    pub status: String,
    pub message: Option<String>,
}

/// An organization (seed 002).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub is_default: bool,
    pub member_count: i64,
    pub created_at: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationPage {
    pub total_count: i64,
    pub page_info: PageInfo,
    pub nodes: Vec<Organization>,
}

/// The members of one organization.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Members {
    pub members: UserPage,
}

/// One entry of an add or remove, and what became of it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MembershipResult {
    pub entry: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MemberCount {
    pub member_count: i64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct MembershipPayload {
    pub organization: MemberCount,
    pub results: Vec<MembershipResult>,
}

/// One event of the audit log.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    pub id: String,
    pub occurred_at: String,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub channel: String,
    pub event_type: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub ip_address: Option<String>,
    pub details: serde_json::Value,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub page_info: PageInfo,
    pub nodes: Vec<AuditEvent>,
}

/// A user found by the search-as-you-type pickers.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct UserHit {
    pub id: String,
    pub username: String,
    pub email: String,
    pub status: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct UserHits {
    pub nodes: Vec<UserHit>,
}

/// Who holds a permission, through which role (the access review).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PermissionHolder {
    pub user_id: String,
    pub username: String,
    pub email: String,
    pub status: String,
    pub role: String,
    pub source: String,
    pub granted_at: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HolderPage {
    pub page_info: PageInfo,
    pub nodes: Vec<PermissionHolder>,
}

/// The operator's corrections to the provider's roles.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct RoleOverrides {
    pub enabled: bool,
    pub preserved: Vec<String>,
    pub suppressed: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RoleSource {
    pub kind: String,
    pub group: Option<String>,
    pub granted_by: Option<String>,
    pub granted_at: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ExplainedRole {
    pub role: String,
    pub sources: Vec<RoleSource>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct WithheldRole {
    pub role: String,
    pub groups: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct RoleExplanation {
    pub groups: Option<Vec<String>>,
    pub roles: Vec<ExplainedRole>,
    pub withheld: Vec<WithheldRole>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserRolesDetail {
    pub role_overrides: Option<RoleOverrides>,
    pub role_explanation: RoleExplanation,
}

/// An organization as a membership names it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrgRef {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub is_default: bool,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct OrgRefs {
    pub nodes: Vec<OrgRef>,
}

/// An account's identity at an identity provider.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub linked_at: String,
    pub last_seen_at: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct UserRelated {
    pub organizations: Vec<OrgRef>,
    pub identities: Vec<Identity>,
    #[serde(default)]
    pub activity: Option<AuditPage>,
}

/// A new personal access token: its secret, shown once.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct CreatedToken {
    pub secret: String,
}
