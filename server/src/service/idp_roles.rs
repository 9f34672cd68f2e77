//! The roles an identity provider grants (SPEC §8, seed 002 "Mapping
//! configuration"): the check, at `serve`'s start, that every role the
//! mapping names exists (a typo stops the server instead of granting
//! nothing at the first login), and the sync of a user's `idp` roles from
//! their groups under their role overrides (`domain::role_overrides`): at
//! login, as the system, and by `syncUserRoles`, as an admin bound by the
//! no-escalation rule. Roles granted by hand are never touched.

use std::collections::BTreeSet;

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::app::App;
use crate::domain::role_overrides::{IdpRoleChanges, merge_idp_roles};
use crate::domain::{Permission, RoleName, RoleOverrides, RoleSource};
use crate::entity::user_role;
use crate::error::{DomainError, Result};
use crate::service::Actor;
use crate::service::audit::AuditEvent;
use crate::service::roles::{self, RoleWithPermissions};
use crate::service::users::{self, UserKey, UserView};
use crate::service::work::Work;
use crate::service::{identities, policy};

/// Fails naming the variable, the entry and its position when the group →
/// role mapping names a role that does not exist.
pub async fn check_mapping(app: &App) -> anyhow::Result<()> {
    let mentions = app.config.oidc.group_roles.mentions();
    if mentions.is_empty() {
        return Ok(());
    }
    let known = roles::list(&app.db).await?;
    for mention in mentions {
        if !known.iter().any(|r| r.role.name == mention.role.as_str()) {
            let available: Vec<&str> = known.iter().map(|r| r.role.name.as_str()).collect();
            anyhow::bail!(
                "{}: entry {} ({:?}): unknown role {}; available roles: {}",
                mention.variable,
                mention.position,
                mention.entry,
                mention.role,
                available.join(", ")
            );
        }
    }
    tracing::info!(
        entries = mentions.len(),
        "the OIDC group → role mapping names only known roles"
    );
    Ok(())
}

/// What a sync will do, with the roles' ids and permissions.
struct Plan {
    changes: IdpRoleChanges,
    grant: Vec<RoleWithPermissions>,
    revoke: Vec<RoleWithPermissions>,
}

/// What syncing `user_id` from `groups` would do (seed 002's merge, under
/// the user's role overrides).
async fn plan(work: &Work, user_id: &str, groups: &[String]) -> Result<Plan> {
    let db = work.db().await?;
    let all = roles::list(db).await?;
    let name_of = |role_id: &str| {
        all.iter()
            .find(|r| r.role.id == role_id)
            .and_then(|r| RoleName::parse(&r.role.name).ok())
    };
    let held = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    let (mut current_idp, mut manual) = (BTreeSet::new(), BTreeSet::new());
    for row in held {
        if let Some(name) = name_of(&row.role_id) {
            if row.source == RoleSource::Idp.as_str() {
                current_idp.insert(name);
            } else {
                manual.insert(name);
            }
        }
    }
    let user = users::find(db, &UserKey::Id(user_id.to_string())).await?;
    let overrides = RoleOverrides::from_claims(&user.claims);
    let resolved = work.app().config.oidc.group_roles.resolve(groups);
    let changes = merge_idp_roles(&resolved, &current_idp, &manual, overrides.as_ref());
    let named = |set: &BTreeSet<RoleName>| -> Result<Vec<RoleWithPermissions>> {
        set.iter()
            .map(|name| {
                all.iter()
                    .find(|r| r.role.name == name.as_str())
                    .cloned()
                    .ok_or_else(|| {
                        DomainError::bad_input(
                            "roles",
                            format!(
                                "The group → role mapping names role {name}, which no longer exists"
                            ),
                        )
                    })
            })
            .collect()
    };
    Ok(Plan {
        grant: named(&changes.grant)?,
        revoke: named(&changes.revoke)?,
        changes,
    })
}

/// Carries out a plan; records `user.roles_synced`, as done by `by`, when
/// something changed.
async fn apply(
    work: &Work,
    user_id: &str,
    groups: &[String],
    plan: Plan,
    by: Actor,
) -> Result<IdpRoleChanges> {
    let db = work.db().await?;
    if plan.revoke.iter().any(|r| r.role.name == roles::SUPERUSER) {
        users::ensure_not_last_superuser(db, user_id, "revoke the superuser role of").await?;
    }
    let now = work.now();
    for role in &plan.grant {
        user_role::Entity::insert(user_role::ActiveModel {
            user_id: Set(user_id.to_string()),
            role_id: Set(role.role.id.clone()),
            source: Set(RoleSource::Idp.as_str().to_string()),
            created_at: Set(now),
            granted_by: Set(None),
        })
        .exec(db)
        .await?;
    }
    if !plan.revoke.is_empty() {
        user_role::Entity::delete_many()
            .filter(user_role::Column::UserId.eq(user_id))
            .filter(user_role::Column::Source.eq(RoleSource::Idp.as_str()))
            .filter(user_role::Column::RoleId.is_in(plan.revoke.iter().map(|r| r.role.id.clone())))
            .exec(db)
            .await?;
    }
    let changes = plan.changes;
    if !changes.grant.is_empty() || !changes.revoke.is_empty() {
        let names = |set: &BTreeSet<RoleName>| -> Vec<String> {
            set.iter().map(|r| r.as_str().to_string()).collect()
        };
        work.record_as(
            by,
            AuditEvent::new("user.roles_synced")
                .resource("user", user_id)
                .details(json!({
                    "groups": groups,
                    "granted": names(&changes.grant),
                    "revoked": names(&changes.revoke),
                    "withheld": names(&changes.withheld),
                    "kept": names(&changes.kept),
                })),
        );
    }
    Ok(changes)
}

/// Syncs the user's provider roles from `groups`, as the system (a login:
/// the provider's word, no escalation check; audited as the system's).
pub async fn sync_from(work: &Work, user_id: &str, groups: &[String]) -> Result<IdpRoleChanges> {
    let plan = plan(work, user_id, groups).await?;
    apply(work, user_id, groups, plan, Actor::system()).await
}

/// `syncUserRoles`: replays the claims last stored on the user's identity.
/// An actor doing it needs to manage the user and to hold every permission
/// of the roles it grants or revokes.
pub async fn sync_user(work: &Work, key: &UserKey) -> Result<(UserView, IdpRoleChanges)> {
    let target = users::find_for_admin(work, key, "user.sync_roles").await?;
    let Some(groups) = identities::latest_groups(work, &target.id).await? else {
        return Err(DomainError::bad_input(
            "userId",
            format!(
                "User {} has no identity-provider identity to sync roles from",
                target.username
            ),
        ));
    };
    let plan = plan(work, &target.id, &groups).await?;
    let touched: BTreeSet<Permission> = plan
        .grant
        .iter()
        .chain(&plan.revoke)
        .flat_map(|r| r.permissions.iter().copied())
        .collect();
    policy::require_grant(
        work,
        &touched,
        json!({ "action": "user.sync_roles", "user_id": target.id }),
    )?;
    let changes = apply(work, &target.id, &groups, plan, work.actor().clone()).await?;
    let view = users::get(work.db().await?, &target.id).await?;
    Ok((view, changes))
}
