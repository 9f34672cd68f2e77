//! Identities at an identity provider (SPEC §8): keyed by (issuer,
//! subject), never by email alone, each linked to one user, with what the
//! provider last said about them (`claims`: groups, email, names), from
//! which the user's provider roles are synced (`service::idp_roles`).

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};

use super::audit::AuditEvent;
use super::work::Work;
use crate::domain::new_id;
use crate::entity::external_identity;
use crate::error::{DomainError, Result};

/// What a provider said about one of its users.
#[derive(Debug, Clone, PartialEq)]
pub struct Asserted {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    /// Every claim, as the provider gave them.
    pub claims: Value,
}

/// The identity `asserted` names, if it is linked to a user.
pub async fn find(
    work: &Work,
    issuer: &str,
    subject: &str,
) -> Result<Option<external_identity::Model>> {
    Ok(external_identity::Entity::find()
        .filter(external_identity::Column::Issuer.eq(issuer))
        .filter(external_identity::Column::Subject.eq(subject))
        .one(work.db().await?)
        .await?)
}

/// Records what the provider said about `user_id`'s identity: links it on
/// first sight (`identity.linked`), else updates its email, claims and
/// last-seen time. An identity already linked to another user is a
/// `CONFLICT`: an identity belongs to one account.
pub async fn record(
    work: &Work,
    user_id: &str,
    asserted: &Asserted,
) -> Result<external_identity::Model> {
    let now = work.now();
    let db = work.db().await?;
    match find(work, &asserted.issuer, &asserted.subject).await? {
        Some(existing) if existing.user_id != user_id => Err(DomainError::conflict(
            None,
            "This identity is linked to another account",
        )),
        Some(existing) => {
            let mut active: external_identity::ActiveModel = existing.into();
            active.email = Set(asserted.email.clone());
            active.claims = Set(Some(asserted.claims.clone()));
            active.last_seen_at = Set(Some(now));
            Ok(active.update(db).await?)
        }
        None => {
            let model = external_identity::Model {
                id: new_id(),
                user_id: user_id.to_string(),
                issuer: asserted.issuer.clone(),
                subject: asserted.subject.clone(),
                email: asserted.email.clone(),
                created_at: now,
                last_seen_at: Some(now),
                claims: Some(asserted.claims.clone()),
            };
            external_identity::Entity::insert(external_identity::ActiveModel::from(model.clone()))
                .exec(db)
                .await?;
            work.record(
                AuditEvent::new("identity.linked")
                    .resource("user", user_id)
                    .details(json!({ "issuer": model.issuer, "subject": model.subject })),
            );
            Ok(model)
        }
    }
}

/// The identities linked to `user_id`, the one seen last first (needs
/// `users:read`, or to be that user).
pub async fn of_user(work: &Work, user_id: &str) -> Result<Vec<external_identity::Model>> {
    super::policy::require_user_reader(work, user_id).await?;
    Ok(external_identity::Entity::find()
        .filter(external_identity::Column::UserId.eq(user_id))
        .order_by_desc(external_identity::Column::LastSeenAt)
        .order_by_asc(external_identity::Column::Id)
        .all(work.db().await?)
        .await?)
}

/// The groups the provider last reported for the user (from the identity
/// seen last, under `OIDC_GROUPS_CLAIM`); none when they have no identity.
pub async fn latest_groups(work: &Work, user_id: &str) -> Result<Option<Vec<String>>> {
    let found = external_identity::Entity::find()
        .filter(external_identity::Column::UserId.eq(user_id))
        .order_by_desc(external_identity::Column::LastSeenAt)
        .one(work.db().await?)
        .await?;
    let claim = work.app().config.oidc.groups_claim();
    Ok(found.map(|i| groups(&i.claims.unwrap_or(Value::Null), claim)))
}

/// The groups in `claims` under `claim`: a list of strings, or one string
/// of groups separated by commas or spaces (some providers send that).
pub fn groups(claims: &Value, claim: &str) -> Vec<String> {
    match claims.get(claim) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(joined)) => joined
            .split([',', ' '])
            .filter(|g| !g.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_come_as_a_list_or_a_string() {
        assert_eq!(
            groups(&json!({ "groups": ["admins", 3, "ops"] }), "groups"),
            ["admins", "ops"]
        );
        assert_eq!(
            groups(&json!({ "roles": "admins, ops dev" }), "roles"),
            ["admins", "ops", "dev"]
        );
        assert!(groups(&json!({}), "groups").is_empty());
    }
}
