//! Who belongs to an organization: adding and removing members in bulk,
//! each entry answered for itself while the rest are applied, and the
//! organizations of one user.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;

use super::{OrgKey, OrgView, counted, find, refuse_default, with_counts};
use crate::entity::{organization, organization_membership, user};
use crate::error::Result;
use crate::service::audit::AuditEvent;
use crate::service::policy;
use crate::service::users::{self, UserKey};
use crate::service::work::Work;

/// What became of one entry of an add or remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberOutcome {
    Added,
    Removed,
    AlreadyMember,
    NotMember,
    /// No user has this id, email or username.
    Unknown,
    /// The user was deleted; deleted users join nothing.
    DeletedUser,
}

/// One entry (a user id, email or username, as given) and its outcome.
#[derive(Debug, Clone)]
pub struct MemberResult {
    pub entry: String,
    pub outcome: MemberOutcome,
    pub user_id: Option<String>,
}

/// The user an entry names (an id, email or username), deleted ones
/// included.
async fn lookup(db: &impl ConnectionTrait, entry: &str) -> Result<Option<user::Model>> {
    match UserKey::parse(entry) {
        Ok(key) => users::find_including_deleted(db, &key).await,
        Err(_) => Ok(None),
    }
}

/// Adds each entry's user to the organization (`orgs:manage`), answering
/// per entry: added, already a member, unknown, or a deleted user. Each
/// addition is audited (`membership.added`).
pub async fn add_members(
    work: &Work,
    key: &OrgKey,
    entries: &[String],
) -> Result<(OrgView, Vec<MemberResult>)> {
    change(work, key, entries, Change::Add).await
}

/// Removes each entry's user from the organization (`orgs:manage`),
/// answering per entry: removed, not a member, or unknown. Each removal is
/// audited (`membership.removed`). Nobody leaves the default organization.
pub async fn remove_members(
    work: &Work,
    key: &OrgKey,
    entries: &[String],
) -> Result<(OrgView, Vec<MemberResult>)> {
    change(work, key, entries, Change::Remove).await
}

/// The most entries one call may name.
pub const MAX_MEMBER_ENTRIES: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Add,
    Remove,
}

/// Applies `change` to the user of each entry, in order; an entry that
/// names nobody is `Unknown` and the others still apply.
async fn change(
    work: &Work,
    key: &OrgKey,
    entries: &[String],
    change: Change,
) -> Result<(OrgView, Vec<MemberResult>)> {
    policy::require_org_manager(work)?;
    if entries.len() > MAX_MEMBER_ENTRIES {
        return Err(crate::error::DomainError::bad_input(
            "members",
            format!("At most {MAX_MEMBER_ENTRIES} members at a time"),
        ));
    }
    let db = work.db().await?;
    let org = find(db, key).await?;
    if change == Change::Remove {
        refuse_default(&org, "Nobody can be removed from")?;
    }
    let mut results = Vec::with_capacity(entries.len());
    for entry in entries {
        let found = lookup(db, entry).await?;
        let outcome = match &found {
            None => MemberOutcome::Unknown,
            Some(member) => match change {
                Change::Add => add(work, db, &org, member).await?,
                Change::Remove => remove(work, db, &org, member).await?,
            },
        };
        results.push(MemberResult {
            entry: entry.clone(),
            outcome,
            user_id: found.map(|u| u.id),
        });
    }
    Ok((counted(db, org).await?, results))
}

async fn add(
    work: &Work,
    db: &impl ConnectionTrait,
    org: &organization::Model,
    member: &user::Model,
) -> Result<MemberOutcome> {
    if member.deleted_at.is_some() {
        return Ok(MemberOutcome::DeletedUser);
    }
    // One statement: a concurrent add of the same member is "already a
    // member", not a key violation.
    let inserted = organization_membership::Entity::insert(organization_membership::ActiveModel {
        organization_id: Set(org.id.clone()),
        user_id: Set(member.id.clone()),
        created_at: Set(work.now()),
    })
    .on_conflict(
        OnConflict::columns([
            organization_membership::Column::OrganizationId,
            organization_membership::Column::UserId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted == 0 {
        return Ok(MemberOutcome::AlreadyMember);
    }
    work.record(membership_event("membership.added", org, member));
    Ok(MemberOutcome::Added)
}

async fn remove(
    work: &Work,
    db: &impl ConnectionTrait,
    org: &organization::Model,
    member: &user::Model,
) -> Result<MemberOutcome> {
    let removed =
        organization_membership::Entity::delete_by_id((org.id.clone(), member.id.clone()))
            .exec(db)
            .await?
            .rows_affected;
    if removed == 0 {
        return Ok(MemberOutcome::NotMember);
    }
    work.record(membership_event("membership.removed", org, member));
    Ok(MemberOutcome::Removed)
}

fn membership_event(
    kind: &'static str,
    org: &organization::Model,
    member: &user::Model,
) -> AuditEvent {
    AuditEvent::new(kind)
        .resource("organization", &org.id)
        .details(json!({
            "organization": org.slug,
            "user_id": member.id,
            "username": member.username,
        }))
}

/// The organizations `user_id` belongs to, by slug (`users:read`, or that
/// user).
pub async fn of_user(work: &Work, user_id: &str) -> Result<Vec<OrgView>> {
    policy::require_user_reader(work, user_id).await?;
    let db = work.db().await?;
    let ids: Vec<String> = organization_membership::Entity::find()
        .filter(organization_membership::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.organization_id)
        .collect();
    let orgs = organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids))
        .order_by_asc(organization::Column::Slug)
        .all(db)
        .await?;
    with_counts(db, orgs).await
}
