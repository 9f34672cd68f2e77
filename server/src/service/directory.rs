//! Finding users: filters, search and keyset pagination (SPEC §2, seed 004's
//! user list). Pages are cut by `(created_at, id)` — a cursor, never an
//! offset — so inserts elsewhere never shift a page and deep pages cost what
//! the first one does.
//!
//! Search is a case-insensitive `LIKE '%term%'` on username, email and
//! display name, which defines the result. On Postgres the `pg_trgm` indexes
//! of `roster prepare-postgres` serve it (the planner picks them or the
//! `created_at` index by itself). On SQLite a term of three characters or
//! more is first looked up in the FTS5 trigram index `users_search`: when it
//! narrows the users to a few thousand, only those are checked; when the
//! term is common, walking `created_at` order finds a page sooner.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Statement,
};

use super::policy;
use super::roles;
use super::users::UserView;
use super::work::Work;
use crate::domain::{RoleAliases, RoleName, UserStatus};
use crate::entity::{organization, organization_membership, user, user_role};
use crate::error::{DomainError, Result};

/// Largest page a client may ask for (SPEC §5).
pub const MAX_PAGE: u64 = 100;

/// Which users to list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub status: Option<UserStatus>,
    /// Users holding any of these roles.
    pub roles: Vec<RoleName>,
    /// Case-insensitive substring of username, email or display name.
    pub search: Option<String>,
    /// Members of the organization with this slug.
    pub organization: Option<String>,
    /// Soft-deleted users are left out unless asked for (or filtered by status).
    pub include_deleted: bool,
}

/// Sort order; both break ties by id, so every order is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    CreatedAtAsc,
    CreatedAtDesc,
}

/// A position in a listing: the last row seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: String,
}

impl Cursor {
    pub fn of(user: &user::Model) -> Self {
        Self {
            created_at: user.created_at,
            id: user.id.clone(),
        }
    }

    /// An opaque string for clients.
    pub fn encode(&self) -> String {
        hex::encode(format!("{}|{}", self.created_at.to_rfc3339(), self.id))
    }

    pub fn decode(raw: &str) -> Result<Self> {
        let invalid = || DomainError::bad_input("after", "Invalid cursor");
        let bytes = hex::decode(raw).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (at, id) = text.split_once('|').ok_or_else(invalid)?;
        let created_at = DateTime::parse_from_rfc3339(at)
            .map_err(|_| invalid())?
            .with_timezone(&Utc);
        Ok(Self {
            created_at,
            id: id.to_string(),
        })
    }
}

/// `LIKE` pattern matching `needle` anywhere, with wildcards escaped.
pub(crate) fn contains_pattern(needle: &str) -> String {
    let escaped = needle
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Up to this many trigram candidates, SQLite search checks only them.
const FTS_CANDIDATES: u64 = 2_000;

/// The FTS5 phrase for `needle` (any substring of three characters or more
/// with the trigram tokenizer), or `None` when it is too short to index.
/// Lower-cased the way the LIKE pattern is, since the index's own case
/// folding knows fewer scripts than Rust's. A NUL cannot be quoted in FTS5
/// syntax; such a term is left to the scan.
fn fts_phrase(needle: &str) -> Option<String> {
    let needle = needle.to_lowercase();
    (needle.chars().count() >= 3 && !needle.contains('\0'))
        .then(|| format!("\"{}\"", needle.replace('"', "\"\"")))
}

/// How many users (up to `FTS_CANDIDATES + 1`) the trigram index offers for
/// `phrase`.
async fn fts_candidates(db: &impl ConnectionTrait, phrase: &str) -> Result<u64> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT count(*) AS n FROM \
             (SELECT rowid FROM users_search WHERE users_search MATCH ? LIMIT ?)",
            [phrase.into(), (FTS_CANDIDATES + 1).into()],
        ))
        .await?;
    Ok(row
        .and_then(|r| r.try_get::<i64>("", "n").ok())
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(u64::MAX))
}

pub(crate) fn lower_like(
    column: impl sea_orm::sea_query::IntoColumnRef,
    pattern: &str,
) -> sea_orm::sea_query::SimpleExpr {
    Expr::expr(Func::lower(Expr::col(column)))
        .like(sea_orm::sea_query::LikeExpr::new(pattern.to_string()).escape('\\'))
}

/// The users matching `filter`, unordered.
pub async fn select(
    db: &impl ConnectionTrait,
    aliases: &RoleAliases,
    filter: &UserFilter,
) -> Result<Select<user::Entity>> {
    let mut query = user::Entity::find();
    if let Some(status) = filter.status {
        query = query.filter(user::Column::Status.eq(status.as_str()));
    } else if !filter.include_deleted {
        query = query.filter(user::Column::DeletedAt.is_null());
    }
    if !filter.roles.is_empty() {
        let role_ids: Vec<String> = roles::resolve(db, aliases, &filter.roles)
            .await?
            .into_iter()
            .map(|r| r.role.id)
            .collect();
        query = query.filter(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(user_role::Column::UserId)
                    .from(user_role::Entity)
                    .and_where(user_role::Column::RoleId.is_in(role_ids))
                    .to_owned(),
            ),
        );
    }
    if let Some(slug) = &filter.organization {
        let org = organization::Entity::find()
            .filter(organization::Column::Slug.eq(slug.trim().to_lowercase()))
            .one(db)
            .await?
            .ok_or_else(|| {
                DomainError::bad_input("organization", format!("Unknown organization {slug:?}"))
            })?;
        query = query.filter(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(organization_membership::Column::UserId)
                    .from(organization_membership::Entity)
                    .and_where(organization_membership::Column::OrganizationId.eq(org.id))
                    .to_owned(),
            ),
        );
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if search.contains('\0') {
            return Err(DomainError::bad_input(
                "search",
                "Search must not contain NUL characters",
            ));
        }
        let pattern = contains_pattern(search);
        query = query.filter(
            Condition::any()
                .add(lower_like(user::Column::Username, &pattern))
                .add(lower_like(user::Column::Email, &pattern))
                .add(lower_like(user::Column::DisplayName, &pattern)),
        );
        if db.get_database_backend() == DbBackend::Sqlite
            && let Some(phrase) = fts_phrase(search)
            && fts_candidates(db, &phrase).await? <= FTS_CANDIDATES
        {
            // A superset of the LIKE matches (both sides lower-cased, and
            // the index folds ASCII case as LIKE does), so the result is
            // unchanged.
            query = query.filter(Expr::cust_with_values(
                "\"users\".\"id\" IN (SELECT i.user_id FROM users_search s \
                 JOIN users_search_ids i ON i.seq = s.rowid WHERE users_search MATCH ?)",
                [phrase],
            ));
        }
    }
    Ok(query)
}

fn ordered(query: Select<user::Entity>, order: Order) -> Select<user::Entity> {
    match order {
        Order::CreatedAtAsc => query
            .order_by_asc(user::Column::CreatedAt)
            .order_by_asc(user::Column::Id),
        Order::CreatedAtDesc => query
            .order_by_desc(user::Column::CreatedAt)
            .order_by_desc(user::Column::Id),
    }
}

/// Rows strictly after `cursor` in `order`, as one row-value comparison so
/// the `(created_at, id)` index serves it.
fn after(query: Select<user::Entity>, order: Order, cursor: &Cursor) -> Select<user::Entity> {
    let row = Expr::tuple([
        Expr::col((user::Entity, user::Column::CreatedAt)),
        Expr::col((user::Entity, user::Column::Id)),
    ]);
    let at = Expr::tuple([Expr::val(cursor.created_at), Expr::val(cursor.id.as_str())]);
    match order {
        Order::CreatedAtAsc => query.filter(row.gt(at)),
        Order::CreatedAtDesc => query.filter(row.lt(at)),
    }
}

async fn with_roles(db: &impl ConnectionTrait, users: Vec<user::Model>) -> Result<Vec<UserView>> {
    let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
    let mut roles = roles::names_by_user(db, &ids).await?;
    Ok(users
        .into_iter()
        .map(|user| UserView {
            roles: roles.remove(&user.id).unwrap_or_default(),
            user,
        })
        .collect())
}

/// One user (not deleted), for someone who may read that account
/// (`users:read`, or the user themself).
pub async fn one(work: &Work, user_id: &str) -> Result<UserView> {
    policy::require_user_reader(work, user_id).await?;
    super::users::get(work.db().await?, user_id).await
}

/// Every matching user, oldest first (for the CLI).
pub async fn all(work: &Work, filter: &UserFilter) -> Result<Vec<UserView>> {
    policy::require_directory_reader(work)?;
    let db = work.db().await?;
    let aliases = &work.app().config.role_aliases;
    let users = ordered(select(db, aliases, filter).await?, Order::CreatedAtAsc)
        .all(db)
        .await?;
    with_roles(db, users).await
}

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page {
    pub users: Vec<UserView>,
    pub has_next_page: bool,
    /// Matching users in all pages, when asked for (counting is a scan).
    pub total_count: Option<u64>,
}

/// The `first` users after `after` (SPEC §5: at most [`MAX_PAGE`]).
pub async fn page(
    work: &Work,
    filter: &UserFilter,
    order: Order,
    first: u64,
    after_cursor: Option<&Cursor>,
    count: bool,
) -> Result<Page> {
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(DomainError::bad_input(
            "first",
            format!("first must be between 1 and {MAX_PAGE}"),
        ));
    }
    policy::require_directory_reader(work)?;
    let db = work.db().await?;
    let matching = select(db, &work.app().config.role_aliases, filter).await?;
    let total_count = if count {
        Some(matching.clone().count(db).await?)
    } else {
        None
    };
    let mut query = ordered(matching, order);
    if let Some(cursor) = after_cursor {
        query = after(query, order, cursor);
    }
    let mut users = query.limit(first + 1).all(db).await?;
    let has_next_page = users.len() as u64 > first;
    users.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok(Page {
        users: with_roles(db, users).await?,
        has_next_page,
        total_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            created_at: Utc::now(),
            id: "01J0000000000000000000000A".into(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).ok(), Some(cursor));
        assert!(Cursor::decode("zz").is_err());
        assert!(Cursor::decode(&hex::encode("no separator")).is_err());
    }

    #[test]
    fn short_terms_skip_the_trigram_index_and_quotes_are_doubled() {
        assert_eq!(fts_phrase("ab"), None);
        assert_eq!(fts_phrase("É\"x").as_deref(), Some("\"é\"\"x\""));
        assert_eq!(fts_phrase("a\0bc"), None);
    }

    #[test]
    fn search_wildcards_are_literal() {
        assert_eq!(contains_pattern("A_b%c"), "%a\\_b\\%c%");
    }
}
