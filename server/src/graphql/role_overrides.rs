//! Role overrides (seed 002 "Override storage"): `User.roleOverrides`,
//! `setRoleOverrides` and `clearRoleOverrides`; and `syncUserRoles`, which
//! applies them. Hidden when `USER_MGMT_CORE` is off.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::context::{core_enabled, gql, mutate};
use super::types::User;
use crate::domain;
use crate::domain::role_overrides::IdpRoleChanges;
use crate::service::idp_roles;
use crate::service::users::{UserKey, overrides};

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
