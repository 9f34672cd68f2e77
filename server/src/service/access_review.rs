//! The access review (issue 13): who holds a permission, through which
//! role, granted how (`manual` or by the identity provider, `idp`) and
//! when. Deleted users hold nothing and are left out. Pages by username
//! and role, a cursor rather than an offset, so a grant made while someone
//! pages never shifts a page. Needs `users:read`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use super::directory::MAX_PAGE;
use super::policy;
use super::roles;
use super::work::Work;
use crate::domain::{Permission, UserStatus};
use crate::entity::{user, user_role};
use crate::error::{DomainError, Result};

/// One user holding the permission through one role.
#[derive(Debug, Clone, PartialEq)]
pub struct Holding {
    pub user_id: String,
    pub username: String,
    pub email: String,
    pub status: UserStatus,
    pub role: String,
    /// `manual` or `idp`.
    pub source: String,
    pub granted_at: DateTime<Utc>,
    /// The id of the user who granted it by hand, when recorded.
    pub granted_by: Option<String>,
}

/// A holding as read: user id, role id, source, granted at, granted by,
/// username, email, status.
type Row = (
    String,
    String,
    String,
    DateTime<Utc>,
    Option<String>,
    String,
    String,
    UserStatus,
);

/// One page of holdings.
#[derive(Debug, Clone)]
pub struct HoldersPage {
    pub holdings: Vec<Holding>,
    pub has_next_page: bool,
}

/// A position: the last (username, role id) seen.
pub fn encode_cursor(username: &str, role_id: &str) -> String {
    hex::encode(format!("{username}\u{0}{role_id}"))
}

fn decode_cursor(raw: &str) -> Result<(String, String)> {
    let invalid = || DomainError::bad_input("after", "Invalid cursor");
    let text = hex::decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(invalid)?;
    let (username, role_id) = text.split_once('\u{0}').ok_or_else(invalid)?;
    Ok((username.to_string(), role_id.to_string()))
}

/// The holders of `permission`, `first` (1–100) after `after`, by username
/// then role; each with the cursor that follows it.
pub async fn holders(
    work: &Work,
    permission: Permission,
    first: u64,
    after: Option<&str>,
) -> Result<(HoldersPage, Vec<String>)> {
    policy::require_directory_reader(work)?;
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(DomainError::bad_input(
            "first",
            format!("first must be between 1 and {MAX_PAGE}"),
        ));
    }
    let after = after.map(decode_cursor).transpose()?;
    let db = work.db().await?;
    let granting = granting(db, permission).await?;
    let mut rows = page(db, &granting, first + 1, after).await?;
    let has_next_page = rows.len() as u64 > first;
    rows.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    let (holdings, cursors) = rows.into_iter().unzip();
    Ok((
        HoldersPage {
            holdings,
            has_next_page,
        },
        cursors,
    ))
}

/// The roles (id, name) that carry `permission`.
async fn granting(
    db: &impl sea_orm::ConnectionTrait,
    permission: Permission,
) -> Result<Vec<(String, String)>> {
    Ok(roles::list(db)
        .await?
        .into_iter()
        .filter(|r| r.permissions.contains(&permission))
        .map(|r| (r.role.id, r.role.name))
        .collect())
}

/// Up to `limit` holdings of the `granting` roles after `after`, each with
/// its cursor.
async fn page(
    db: &impl sea_orm::ConnectionTrait,
    granting: &[(String, String)],
    limit: u64,
    after: Option<(String, String)>,
) -> Result<Vec<(Holding, String)>> {
    if granting.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = user_role::Entity::find()
        .select_only()
        .columns([
            user_role::Column::UserId,
            user_role::Column::RoleId,
            user_role::Column::Source,
            user_role::Column::CreatedAt,
            user_role::Column::GrantedBy,
        ])
        .columns([
            user::Column::Username,
            user::Column::Email,
            user::Column::Status,
        ])
        .join(JoinType::InnerJoin, user_role::Relation::User.def())
        .filter(user_role::Column::RoleId.is_in(granting.iter().map(|(id, _)| id.clone())))
        .filter(user::Column::DeletedAt.is_null());
    if let Some((username, role_id)) = after {
        let row = Expr::tuple([
            Expr::col((user::Entity, user::Column::Username)),
            Expr::col((user_role::Entity, user_role::Column::RoleId)),
        ]);
        query = query.filter(row.gt(Expr::tuple([Expr::val(username), Expr::val(role_id)])));
    }
    let rows: Vec<Row> = query
        .order_by_asc(user::Column::Username)
        .order_by_asc(user_role::Column::RoleId)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(user_id, role_id, source, granted_at, granted_by, username, email, status)| {
                let cursor = encode_cursor(&username, &role_id);
                let role = granting
                    .iter()
                    .find(|(id, _)| *id == role_id)
                    .map(|(_, name)| name.clone())
                    .unwrap_or(role_id);
                let holding = Holding {
                    user_id,
                    username,
                    email,
                    status,
                    role,
                    source,
                    granted_at,
                    granted_by,
                };
                (holding, cursor)
            },
        )
        .collect())
}

/// Rows read per query by [`csv`].
const CSV_PAGE: u64 = 1_000;

/// Every holder of `permission` as CSV (the access review's export):
/// `Username,Email,Status,Role,Source,Granted At,Granted By`, by username,
/// with a header row; `Granted By` is the granter's username,
/// `[Deleted User]`, or empty when not recorded. Run it in one snapshot.
/// Cells a spreadsheet would run as formulas get a leading `'`. Needs
/// `users:read`.
pub async fn csv(work: &Work, permission: Permission) -> Result<Vec<u8>> {
    policy::require_directory_reader(work)?;
    let db = work.db().await?;
    let granting = granting(db, permission).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| DomainError::Internal(e.into());
    out.write_record([
        "Username",
        "Email",
        "Status",
        "Role",
        "Source",
        "Granted At",
        "Granted By",
    ])
    .map_err(internal)?;
    let mut after = None;
    loop {
        let rows = page(db, &granting, CSV_PAGE, after.take()).await?;
        let granters =
            super::users::names(db, rows.iter().filter_map(|(h, _)| h.granted_by.clone())).await?;
        for (h, _) in &rows {
            let granted_by = h.granted_by.as_ref().map_or("", |id| {
                granters
                    .get(id)
                    .map_or(super::users::DELETED_USER, String::as_str)
            });
            let granted_at = h
                .granted_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            out.write_record(
                [
                    h.username.as_str(),
                    h.email.as_str(),
                    h.status.as_str(),
                    h.role.as_str(),
                    h.source.as_str(),
                    granted_at.as_str(),
                    granted_by,
                ]
                .map(super::audit_csv::inert)
                .iter()
                .map(AsRef::<str>::as_ref),
            )
            .map_err(internal)?;
        }
        if (rows.len() as u64) < CSV_PAGE {
            break;
        }
        after = rows
            .last()
            .and_then(|(_, cursor)| decode_cursor(cursor).ok());
    }
    out.into_inner()
        .map_err(|e| DomainError::Internal(anyhow::anyhow!("writing the CSV: {e}")))
}
