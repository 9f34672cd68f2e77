//! A user's role overrides (seed 002 "Override storage"; the rules are in
//! `domain::role_overrides`): read with the user, set and cleared by an
//! actor who may manage the user and holds every permission of the roles
//! named, each change audited with the old and new values.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::assign::permissions_of;
use super::lookup::{find_for_admin, view};
use super::{UserKey, UserView};
use crate::domain::RoleName;
use crate::domain::role_overrides::{CLAIM, RoleOverrides};
use crate::entity::user;
use crate::error::Result;
use crate::service::audit::AuditEvent;
use crate::service::policy;
use crate::service::roles;
use crate::service::work::Work;

/// The user's overrides, none when unset (needs `users:read`, or to be the
/// user).
pub async fn of_user(work: &Work, user_id: &str) -> Result<Option<RoleOverrides>> {
    policy::require_user_reader(work, user_id).await?;
    let user = super::find(work.db().await?, &UserKey::Id(user_id.to_string())).await?;
    Ok(RoleOverrides::from_claims(&user.claims))
}

/// Replaces the user's overrides; empty ones (nothing preserved or
/// suppressed, revocations not paused) remove the claim. Every role named
/// must exist, and the actor must hold its permissions.
pub async fn set(work: &Work, key: &UserKey, overrides: RoleOverrides) -> Result<UserView> {
    let overrides = overrides.with_aliases(&work.app().config.role_aliases)?;
    let target = find_for_admin(work, key, "role_overrides.update").await?;
    let txn = work.db().await?;
    let named: Vec<RoleName> = overrides
        .preserved
        .iter()
        .chain(&overrides.suppressed)
        .cloned()
        .collect();
    let found = roles::resolve(txn, &Default::default(), &named).await?;
    policy::require_grant(
        work,
        &permissions_of(&found),
        json!({ "action": "role_overrides.update", "user_id": target.id }),
    )?;
    let old = RoleOverrides::from_claims(&target.claims);
    let new = (!overrides.is_empty()).then_some(overrides);
    if old == new {
        return view(txn, target).await;
    }
    let event = match &new {
        Some(_) => "role_overrides.updated",
        None => "role_overrides.cleared",
    };
    store(work, target, old, new, event).await
}

/// Removes the user's overrides.
pub async fn clear(work: &Work, key: &UserKey) -> Result<UserView> {
    let target = find_for_admin(work, key, "role_overrides.clear").await?;
    let old = RoleOverrides::from_claims(&target.claims);
    if old.is_none() {
        return view(work.db().await?, target).await;
    }
    store(work, target, old, None, "role_overrides.cleared").await
}

/// Writes the claim and records the change.
async fn store(
    work: &Work,
    mut target: user::Model,
    old: Option<RoleOverrides>,
    new: Option<RoleOverrides>,
    event: &'static str,
) -> Result<UserView> {
    let txn = work.db().await?;
    let mut claims = match target.claims.take() {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    match &new {
        Some(o) => claims.insert(CLAIM.to_string(), o.to_json()),
        None => claims.remove(CLAIM),
    };
    let claims = Value::Object(claims);
    let now = work.now();
    user::Entity::update_many()
        .col_expr(user::Column::Claims, Expr::value(claims.clone()))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(target.id.as_str()))
        .exec(txn)
        .await?;
    let as_json =
        |o: &Option<RoleOverrides>| o.as_ref().map_or(Value::Null, RoleOverrides::to_json);
    work.record(
        AuditEvent::new(event)
            .resource("user", &target.id)
            .details(json!({
                "old_values": as_json(&old),
                "new_values": as_json(&new),
            })),
    );
    target.claims = claims;
    target.updated_at = now;
    view(txn, target).await
}
