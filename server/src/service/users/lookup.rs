//! Finding users: by [`UserKey`] ([`find`], [`get`]), with their roles, and
//! for an actor who must be allowed to act on them ([`find_for_admin`],
//! [`require_manage_id`]); and [`ensure_free`], the check that an email or
//! username is not taken.

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};

use super::{UserKey, UserView};
use crate::domain::{Email, Username};
use crate::entity::user;
use crate::error::{DomainError, Result};
use crate::service::policy;
use crate::service::roles;
use crate::service::work::Work;

/// How a deleted user is shown (the audit log, a role's granter).
pub const DELETED_USER: &str = "[Deleted User]";

/// Ids looked up per query on Postgres (see [`names`]).
const POSTGRES_NAME_CHUNK: usize = 400;

/// The names of the users among `ids`, by id: their username, or
/// [`DELETED_USER`] once deleted; an id no row has is missing.
pub async fn names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, String>> {
    let mut ids: Vec<String> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    // On Postgres in chunks: a statement with thousands of parameters is a
    // message large enough that, over TCP, it stalls on Nagle's algorithm
    // and delayed acknowledgements (sqlx 0.9 does not set TCP_NODELAY):
    // 40 ms a query. SQLite answers one query fastest.
    let chunk = match db.get_database_backend() {
        DbBackend::Postgres => POSTGRES_NAME_CHUNK,
        _ => ids.len().max(1),
    };
    let mut users = HashMap::new();
    for chunk in ids.chunks(chunk) {
        let found = user::Entity::find()
            .select_only()
            .columns([
                user::Column::Id,
                user::Column::Username,
                user::Column::DeletedAt,
            ])
            .filter(user::Column::Id.is_in(chunk.iter().cloned()))
            .into_tuple::<(String, String, Option<chrono::DateTime<chrono::Utc>>)>()
            .all(db)
            .await?;
        users.extend(found.into_iter().map(|(id, username, deleted_at)| {
            let name = if deleted_at.is_some() {
                DELETED_USER.to_string()
            } else {
                username
            };
            (id, name)
        }));
    }
    Ok(users)
}

/// Finds a user who has not been deleted.
pub async fn find(db: &impl ConnectionTrait, key: &UserKey) -> Result<user::Model> {
    named(key)
        .filter(user::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found(format!("User not found: {key}")))
}

/// The user `key` names, deleted or not.
pub async fn find_including_deleted(
    db: &impl ConnectionTrait,
    key: &UserKey,
) -> Result<Option<user::Model>> {
    Ok(named(key).one(db).await?)
}

/// The users `key` names (emails and usernames case-insensitively).
fn named(key: &UserKey) -> sea_orm::Select<user::Entity> {
    let query = user::Entity::find();
    match key {
        UserKey::Email(email) => query.filter(lower_eq(user::Column::Email, email.to_string())),
        UserKey::Username(name) => {
            query.filter(lower_eq(user::Column::Username, name.to_lowercase()))
        }
        UserKey::Id(id) => query.filter(user::Column::Id.eq(id.as_str())),
    }
}

/// A user who has not been deleted, by id, with their roles.
pub async fn get(db: &impl ConnectionTrait, id: &str) -> Result<UserView> {
    view(db, find(db, &UserKey::Id(id.to_string())).await?).await
}

/// The user with the names of their roles.
pub(super) async fn view(db: &impl ConnectionTrait, user: user::Model) -> Result<UserView> {
    let mut by_user = roles::names_by_user(db, std::slice::from_ref(&user.id)).await?;
    let roles = by_user.remove(&user.id).unwrap_or_default();
    Ok(UserView { user, roles })
}

/// The user `key` names, for an actor who may do `action` to them
/// (invitations, password resets, quotas): `users:manage` and every
/// permission the user holds.
pub(crate) async fn find_for_admin(
    work: &Work,
    key: &UserKey,
    action: &str,
) -> Result<user::Model> {
    let target = find(work.db().await?, key).await?;
    require_manage(work, &target, action, false).await?;
    Ok(target)
}

/// Acting on a user needs `users:manage` (or being that user, for
/// `allow_self`) and every permission the target holds: nobody manages
/// someone more powerful than themselves.
pub(super) async fn require_manage(
    work: &Work,
    target: &user::Model,
    action: &str,
    allow_self: bool,
) -> Result<()> {
    require_manage_id(work, &target.id, action, allow_self).await
}

/// Whether `actor` may do `action` to the user `target_id`: with
/// `users:manage` and every permission the target holds (nobody manages
/// someone more powerful), or, when `allow_self`, as that user.
pub async fn require_manage_id(
    work: &Work,
    target_id: &str,
    action: &str,
    allow_self: bool,
) -> Result<()> {
    policy::require_user_manager_of(work, target_id, action, allow_self).await
}

/// Fails with the conflict operators search for when the email (checked
/// first, as seed 000 reports it) or the username is taken by any user other
/// than `except`, deleted ones included. The unique indexes stay the last
/// word under races.
pub(super) async fn ensure_free(
    db: &impl ConnectionTrait,
    email: Option<&Email>,
    username: Option<&Username>,
    except: Option<&str>,
) -> Result<()> {
    let taken = |column, value: String| {
        let mut query = user::Entity::find().filter(lower_eq(column, value));
        if let Some(id) = except {
            query = query.filter(user::Column::Id.ne(id));
        }
        query.one(db)
    };
    if let Some(email) = email
        && taken(user::Column::Email, email.to_string())
            .await?
            .is_some()
    {
        return Err(DomainError::conflict(
            Some("email"),
            "Email is already taken",
        ));
    }
    if let Some(username) = username
        && taken(user::Column::Username, username.as_str().to_lowercase())
            .await?
            .is_some()
    {
        return Err(DomainError::conflict(
            Some("username"),
            "Username is already taken",
        ));
    }
    Ok(())
}

/// `lower(column) = value`, which the case-insensitive unique indexes serve.
fn lower_eq(column: user::Column, value: String) -> sea_orm::sea_query::SimpleExpr {
    ExprTrait::eq(Expr::expr(Func::lower(Expr::col(column))), value)
}
