//! Role overrides (seed 002 "Override storage"): `User.roleOverrides`,
//! `setRoleOverrides` and `clearRoleOverrides`; and `syncUserRoles`, which
//! applies them, and `User.roleExplanation`. Hidden when `USER_MGMT_CORE` is
//! off.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::context::{core_enabled, gql, mutate};
use super::types::User;
use crate::domain;
use crate::domain::role_overrides::IdpRoleChanges;
use crate::service::users::{UserKey, overrides};
use crate::service::{idp_roles, role_explanation};

/// An operator's corrections to the roles the identity provider grants a
/// user.
#[derive(SimpleObject)]
pub struct RoleOverrides {
    /// Automatic revocations paused: a sync adds roles but revokes none.
    pub enabled: bool,
    /// Never revoked by a sync.
    pub preserved: Vec<String>,
    /// Withheld from what the provider grants.
    pub suppressed: Vec<String>,
}

impl From<domain::RoleOverrides> for RoleOverrides {
    fn from(o: domain::RoleOverrides) -> Self {
        Self {
            enabled: o.enabled,
            preserved: names(o.preserved),
            suppressed: names(o.suppressed),
        }
    }
}

/// New overrides: role names are trimmed, lowercased and deduplicated; a
/// role may not be both preserved and suppressed. All empty (and `enabled`
/// false) removes them, as `clearRoleOverrides` does.
#[derive(InputObject)]
pub struct RoleOverridesInput {
    #[graphql(default)]
    pub enabled: bool,
    #[graphql(default)]
    pub preserved: Vec<String>,
    #[graphql(default)]
    pub suppressed: Vec<String>,
}

/// What a sync of a user's provider roles did.
#[derive(SimpleObject)]
pub struct SyncedRoles {
    pub user: User,
    /// Granted from the provider's groups (source `idp`).
    pub granted: Vec<String>,
    /// `idp` roles the groups no longer give.
    pub revoked: Vec<String>,
    /// Given by the groups but suppressed by the overrides.
    pub withheld: Vec<String>,
    /// No longer given, but kept: preserved, or revocations paused.
    pub kept: Vec<String>,
}

fn names(set: std::collections::BTreeSet<domain::RoleName>) -> Vec<String> {
    set.into_iter().map(|r| r.as_str().to_string()).collect()
}

impl SyncedRoles {
    fn new(user: User, c: IdpRoleChanges) -> Self {
        Self {
            user,
            granted: names(c.grant),
            revoked: names(c.revoke),
            withheld: names(c.withheld),
            kept: names(c.kept),
        }
    }
}

fn key(id: &ID) -> UserKey {
    UserKey::Id(id.trim().to_ascii_uppercase())
}

#[derive(Default)]
pub struct RoleOverridesMutation;

#[Object]
impl RoleOverridesMutation {
    /// Replaces a user's role overrides (needs `users:manage`, every
    /// permission the user holds, and those of every role named).
    #[graphql(visible = "core_enabled")]
    async fn set_role_overrides(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        input: RoleOverridesInput,
    ) -> Result<User> {
        let parsed =
            domain::RoleOverrides::parse(input.enabled, &input.preserved, &input.suppressed)
                .map_err(gql)?;
        let updated = mutate(ctx, async |w| {
            overrides::set(w, &key(&user_id), parsed).await
        })
        .await?;
        Ok(updated.into())
    }

    /// Syncs a user's provider roles from the groups their identity
    /// provider last reported (needs `users:manage`, every permission the
    /// user holds, and those of every role granted or revoked).
    #[graphql(visible = "core_enabled")]
    async fn sync_user_roles(&self, ctx: &Context<'_>, user_id: ID) -> Result<SyncedRoles> {
        let (user, changes) =
            mutate(ctx, async |w| idp_roles::sync_user(w, &key(&user_id)).await).await?;
        Ok(SyncedRoles::new(user.into(), changes))
    }

    /// Removes a user's role overrides.
    #[graphql(visible = "core_enabled")]
    async fn clear_role_overrides(&self, ctx: &Context<'_>, user_id: ID) -> Result<User> {
        let updated = mutate(ctx, async |w| overrides::clear(w, &key(&user_id)).await).await?;
        Ok(updated.into())
    }
}

/// How a role came to a user.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "role_explanation::SourceKind")]
pub enum RoleSourceKind {
    /// Granted by a person.
    Manual,
    /// A group of the user's at the identity provider maps to it (`group`).
    IdpGroup,
    /// `OIDC_GROUP_ROLE_DEFAULTS` gives it to everyone.
    IdpDefault,
    /// No longer given by the provider, but preserved by the overrides.
    Preserved,
    /// No longer given by the provider, but revocations are paused.
    RevocationsPaused,
    /// Granted by an earlier sync and no longer given: the next sync
    /// revokes it.
    IdpStale,
}

/// One reason a user holds a role.
#[derive(SimpleObject)]
pub struct RoleGrantSource {
    pub kind: RoleSourceKind,
    pub group: Option<String>,
    pub granted_at: chrono::DateTime<chrono::Utc>,
    /// For `MANUAL`: the id of the user who granted it; null when the
    /// system did (`bootstrap-superuser`) or the grant predates the record.
    pub granted_by_id: Option<ID>,
    /// Their username, or `[Deleted User]`.
    pub granted_by: Option<String>,
}

/// A role with every source that grants it.
#[derive(SimpleObject)]
pub struct ExplainedRole {
    pub role: String,
    pub sources: Vec<RoleGrantSource>,
}

/// A role the provider's groups would give, withheld by the overrides.
#[derive(SimpleObject)]
pub struct WithheldRole {
    pub role: String,
    /// The groups that would give it (empty: a default role).
    pub groups: Vec<String>,
}

/// Why a user has each of their roles.
#[derive(SimpleObject)]
pub struct RoleExplanation {
    /// Most powerful first.
    pub roles: Vec<ExplainedRole>,
    pub withheld: Vec<WithheldRole>,
    /// The groups the identity provider last reported; none without an
    /// identity.
    pub groups: Option<Vec<String>>,
}

impl From<role_explanation::Explanation> for RoleExplanation {
    fn from(e: role_explanation::Explanation) -> Self {
        Self {
            roles: e
                .roles
                .into_iter()
                .map(|r| ExplainedRole {
                    role: r.role,
                    sources: r
                        .sources
                        .into_iter()
                        .map(|s| RoleGrantSource {
                            kind: s.kind.into(),
                            group: s.group,
                            granted_at: s.granted_at,
                            granted_by_id: s.granted_by.as_ref().map(|g| ID(g.user_id.clone())),
                            granted_by: s.granted_by.map(|g| g.name),
                        })
                        .collect(),
                })
                .collect(),
            withheld: e
                .withheld
                .into_iter()
                .map(|w| WithheldRole {
                    role: w.role,
                    groups: w.groups,
                })
                .collect(),
            groups: e.groups,
        }
    }
}
