//! Organizations (SPEC §7, seed 002): listing and search ([`page`]), one
//! by id or slug ([`get`]), [`create`], [`update`] and [`delete`] (never
//! the default organization), each audited with its old and new values.
//! Who belongs to one is `members.rs`.

mod members;

use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use super::audit::AuditEvent;
use super::changes::Changes;
use super::directory::{MAX_PAGE, contains_pattern, lower_like};
use super::policy;
use super::work::Work;
use crate::domain::{Description, OrgName, Slug, new_id};
use crate::entity::{organization, organization_membership, user};
use crate::error::{DomainError, Result};

pub use members::{MemberOutcome, MemberResult, add_members, of_user, remove_members};

/// An organization with how many (not deleted) users belong to it.
#[derive(Debug, Clone)]
pub struct OrgView {
    pub org: organization::Model,
    pub member_count: u64,
}

/// How a caller names an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgKey {
    Id(String),
    Slug(Slug),
}

impl std::fmt::Display for OrgKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => f.write_str(id),
            Self::Slug(slug) => write!(f, "{slug}"),
        }
    }
}

/// A new organization.
#[derive(Debug, Clone)]
pub struct NewOrg {
    pub slug: Slug,
    pub name: OrgName,
    pub description: Option<Description>,
}

/// Changes to an organization; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct OrgChanges {
    pub slug: Option<Slug>,
    pub name: Option<OrgName>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<Description>>,
}

/// One page of organizations, by slug.
#[derive(Debug, Clone)]
pub struct Page {
    pub orgs: Vec<OrgView>,
    pub has_next_page: bool,
    pub total_count: Option<u64>,
}

/// A position in the listing: the slug of the last organization seen,
/// opaque to clients. Slugs are unique, so pages never overlap or skip
/// under inserts.
pub fn encode_cursor(slug: &str) -> String {
    hex::encode(slug)
}

pub(crate) fn decode_cursor(cursor: &str) -> Result<String> {
    hex::decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| DomainError::bad_input("after", "Invalid cursor"))
}

/// Organizations by slug, `first` (1–100) after the cursor `after`, whose
/// slug or name contains `search` (case-insensitive; the trigram index of
/// `prepare-postgres` serves the name on Postgres). Needs `orgs:read`.
pub async fn page(
    work: &Work,
    first: u64,
    after: Option<&str>,
    search: Option<&str>,
    count: bool,
) -> Result<Page> {
    policy::require_org_reader(work)?;
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(DomainError::bad_input(
            "first",
            format!("first must be between 1 and {MAX_PAGE}"),
        ));
    }
    let db = work.db().await?;
    let mut query = organization::Entity::find();
    if let Some(term) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = contains_pattern(term);
        query = query.filter(
            Condition::any()
                .add(lower_like(organization::Column::Slug, &pattern))
                .add(lower_like(organization::Column::Name, &pattern)),
        );
    }
    let total_count = if count {
        Some(query.clone().count(db).await?)
    } else {
        None
    };
    if let Some(cursor) = after {
        query = query.filter(organization::Column::Slug.gt(decode_cursor(cursor)?));
    }
    let mut orgs = query
        .order_by_asc(organization::Column::Slug)
        .limit(first + 1)
        .all(db)
        .await?;
    let has_next_page = orgs.len() as u64 > first;
    orgs.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok(Page {
        orgs: with_counts(db, orgs).await?,
        has_next_page,
        total_count,
    })
}

/// One organization. Needs `orgs:read`.
pub async fn get(work: &Work, key: &OrgKey) -> Result<OrgView> {
    policy::require_org_reader(work)?;
    let db = work.db().await?;
    let org = find(db, key).await?;
    let mut counted = with_counts(db, vec![org]).await?;
    counted
        .pop()
        .ok_or_else(|| DomainError::not_found(format!("Organization not found: {key}")))
}

/// Creates an organization (`orgs:manage`); a taken slug or name is the
/// field-named `CONFLICT`.
pub async fn create(work: &Work, new: NewOrg) -> Result<OrgView> {
    policy::require_org_manager(work)?;
    let db = work.db().await?;
    ensure_free(db, Some(&new.slug), Some(&new.name), None).await?;
    let now = work.now();
    let model = organization::Model {
        id: new_id(),
        slug: new.slug.to_string(),
        name: new.name.to_string(),
        description: new.description.map(|d| d.to_string()),
        is_default: false,
        created_at: now,
        updated_at: now,
        name_key: Some(new.name.key()),
    };
    organization::Entity::insert(organization::ActiveModel::from(model.clone()))
        .exec(db)
        .await?;
    work.record(
        AuditEvent::new("org.created")
            .resource("organization", &model.id)
            .details(json!({
                "new_values": {
                    "slug": model.slug,
                    "name": model.name,
                    "description": model.description,
                },
            })),
    );
    Ok(OrgView {
        org: model,
        member_count: 0,
    })
}

/// Changes an organization's slug, name or description (`orgs:manage`).
pub async fn update(work: &Work, key: &OrgKey, changes: OrgChanges) -> Result<OrgView> {
    policy::require_org_manager(work)?;
    let db = work.db().await?;
    let current = find(db, key).await?;
    let mut changed = Changes::default();
    let slug = changes
        .slug
        .filter(|s| changed.note("slug", Some(&current.slug), Some(s.as_str())));
    let name = changes
        .name
        .filter(|n| changed.note("name", Some(&current.name), Some(n.as_str())));
    let description = changes.description.filter(|d| {
        changed.note(
            "description",
            current.description.as_deref(),
            d.as_ref().map(Description::as_str),
        )
    });
    if changed.is_empty() {
        return counted(db, current).await;
    }
    ensure_free(db, slug.as_ref(), name.as_ref(), Some(&current.id)).await?;
    let mut update = organization::Entity::update_many()
        .col_expr(organization::Column::UpdatedAt, Expr::value(work.now()))
        .filter(organization::Column::Id.eq(current.id.as_str()));
    if let Some(slug) = &slug {
        update = update.col_expr(organization::Column::Slug, Expr::value(slug.as_str()));
    }
    if let Some(name) = &name {
        update = update
            .col_expr(organization::Column::Name, Expr::value(name.as_str()))
            .col_expr(organization::Column::NameKey, Expr::value(name.key()));
    }
    if let Some(description) = description {
        update = update.col_expr(
            organization::Column::Description,
            Expr::value(description.map(|d| d.to_string())),
        );
    }
    update.exec(db).await?;
    work.record(
        AuditEvent::new("org.updated")
            .resource("organization", &current.id)
            .details(changed.details()),
    );
    counted(db, find(db, &OrgKey::Id(current.id)).await?).await
}

/// Deletes an organization and its memberships (`orgs:manage`); the default
/// organization, which every user belongs to, is refused.
pub async fn delete(work: &Work, key: &OrgKey) -> Result<()> {
    policy::require_org_manager(work)?;
    let db = work.db().await?;
    let org = find(db, key).await?;
    refuse_default(&org, "Nobody can delete")?;
    let members = organization_membership::Entity::find()
        .filter(organization_membership::Column::OrganizationId.eq(org.id.as_str()))
        .count(db)
        .await?;
    organization::Entity::delete_by_id(org.id.clone())
        .exec(db)
        .await?;
    work.record(
        AuditEvent::new("org.deleted")
            .resource("organization", &org.id)
            .details(json!({
                "old_values": {
                    "slug": org.slug,
                    "name": org.name,
                    "description": org.description,
                },
                "members": members,
            })),
    );
    Ok(())
}

/// `CONFLICT` for the default organization, which every user belongs to:
/// "`{what}` the default organization (slug): every user belongs to it".
pub(crate) fn refuse_default(org: &organization::Model, what: &str) -> Result<()> {
    if org.is_default {
        return Err(DomainError::conflict(
            None,
            format!(
                "{what} the default organization ({}): every user belongs to it",
                org.slug
            ),
        ));
    }
    Ok(())
}

/// `org` with its member count.
pub(super) async fn counted(
    db: &impl ConnectionTrait,
    org: organization::Model,
) -> Result<OrgView> {
    let id = org.id.clone();
    with_counts(db, vec![org])
        .await?
        .pop()
        .ok_or_else(|| DomainError::not_found(format!("Organization not found: {id}")))
}

/// The organization `key` names.
pub(crate) async fn find(db: &impl ConnectionTrait, key: &OrgKey) -> Result<organization::Model> {
    let query = organization::Entity::find();
    let query = match key {
        OrgKey::Id(id) => query.filter(organization::Column::Id.eq(id.as_str())),
        OrgKey::Slug(slug) => query.filter(organization::Column::Slug.eq(slug.as_str())),
    };
    query
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found(format!("Organization not found: {key}")))
}

/// Fails with the field-named conflict when the slug or the name (any case)
/// is taken by another organization; the unique indexes stay the last word.
async fn ensure_free(
    db: &impl ConnectionTrait,
    slug: Option<&Slug>,
    name: Option<&OrgName>,
    except: Option<&str>,
) -> Result<()> {
    let other = |query: sea_orm::Select<organization::Entity>| match except {
        Some(id) => query.filter(organization::Column::Id.ne(id)),
        None => query,
    };
    if let Some(slug) = slug {
        let taken = other(organization::Entity::find())
            .filter(organization::Column::Slug.eq(slug.as_str()))
            .one(db)
            .await?;
        if taken.is_some() {
            return Err(DomainError::conflict(Some("slug"), "Slug is already taken"));
        }
    }
    if let Some(name) = name {
        // As the unique index compares them.
        let unique = Func::coalesce([
            Expr::col(organization::Column::NameKey),
            Expr::expr(Func::lower(Expr::col(organization::Column::Name))),
        ]);
        let taken = other(organization::Entity::find())
            .filter(ExprTrait::eq(Expr::expr(unique), name.key()))
            .one(db)
            .await?;
        if taken.is_some() {
            return Err(DomainError::conflict(Some("name"), "Name is already taken"));
        }
    }
    Ok(())
}

/// The organizations with their member counts (deleted users left out), in
/// one query for the page.
async fn with_counts(
    db: &impl ConnectionTrait,
    orgs: Vec<organization::Model>,
) -> Result<Vec<OrgView>> {
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = orgs.iter().map(|o| o.id.clone()).collect();
    let counts: Vec<(String, i64)> = organization_membership::Entity::find()
        .select_only()
        .column(organization_membership::Column::OrganizationId)
        .column_as(organization_membership::Column::UserId.count(), "members")
        .filter(organization_membership::Column::OrganizationId.is_in(ids))
        .filter(
            organization_membership::Column::UserId.in_subquery(
                Query::select()
                    .column(user::Column::Id)
                    .from(user::Entity)
                    .and_where(user::Column::DeletedAt.is_null())
                    .to_owned(),
            ),
        )
        .group_by(organization_membership::Column::OrganizationId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(orgs
        .into_iter()
        .map(|org| {
            let member_count = counts
                .iter()
                .find(|(id, _)| *id == org.id)
                .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0));
            OrgView { org, member_count }
        })
        .collect())
}
