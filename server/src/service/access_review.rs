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
}

/// A holding as read: user id, role id, source, granted at, username,
/// email, status.
type Row = (
    String,
    String,
    String,
    DateTime<Utc>,
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
    let granting: Vec<(String, String)> = roles::list(db)
        .await?
        .into_iter()
        .filter(|r| r.permissions.contains(&permission))
        .map(|r| (r.role.id, r.role.name))
        .collect();
    if granting.is_empty() {
        return Ok((
            HoldersPage {
                holdings: Vec::new(),
                has_next_page: false,
            },
            Vec::new(),
        ));
    }
    let mut query = user_role::Entity::find()
        .select_only()
        .columns([
            user_role::Column::UserId,
            user_role::Column::RoleId,
            user_role::Column::Source,
            user_role::Column::CreatedAt,
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
        .limit(first + 1)
        .into_tuple()
        .all(db)
        .await?;
    let has_next_page = rows.len() as u64 > first;
    let mut holdings = Vec::new();
    let mut cursors = Vec::new();
    for (user_id, role_id, source, granted_at, username, email, status) in rows
        .into_iter()
        .take(usize::try_from(first).unwrap_or(usize::MAX))
    {
        cursors.push(encode_cursor(&username, &role_id));
        let role = granting
            .iter()
            .find(|(id, _)| *id == role_id)
            .map(|(_, name)| name.clone())
            .unwrap_or(role_id);
        holdings.push(Holding {
            user_id,
            username,
            email,
            status,
            role,
            source,
            granted_at,
        });
    }
    Ok((
        HoldersPage {
            holdings,
            has_next_page,
        },
        cursors,
    ))
}
