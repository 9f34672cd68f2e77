//! Editing a user's profile ([`update`]): username, email and display name,
//! audited with old and new values.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::lookup::{ensure_free, find, require_manage, view};
use super::{UserChanges, UserKey, UserView};
use crate::domain::DisplayName;
use crate::entity::user;
use crate::error::Result;
use crate::service::audit::AuditEvent;
use crate::service::changes::Changes;
use crate::service::work::Work;

/// Edits username, email or display name, audited with old and new values.
pub async fn update(work: &Work, key: &UserKey, changes: UserChanges) -> Result<UserView> {
    let txn = work.db().await?;
    let target = find(txn, key).await?;
    require_manage(work, &target, "user.update", false).await?;
    let display_name = changes.display_name;
    let mut changed = Changes::default();
    let username = changes
        .username
        .filter(|u| changed.note("username", Some(&target.username), Some(u.as_str())));
    let email = changes
        .email
        .filter(|e| changed.note("email", Some(&target.email), Some(e.as_str())));
    let display_name = display_name.filter(|d| {
        changed.note(
            "display_name",
            target.display_name.as_deref(),
            d.as_ref().map(DisplayName::as_str),
        )
    });
    if changed.is_empty() {
        return view(txn, target).await;
    }
    let now = work.now();
    ensure_free(txn, email.as_ref(), username.as_ref(), Some(&target.id)).await?;
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(target.id.as_str()));
    if let Some(username) = &username {
        update = update.col_expr(user::Column::Username, Expr::value(username.as_str()));
    }
    if let Some(email) = &email {
        update = update.col_expr(user::Column::Email, Expr::value(email.as_str()));
    }
    if let Some(display_name) = display_name {
        update = update.col_expr(
            user::Column::DisplayName,
            Expr::value(display_name.map(|d| d.to_string())),
        );
    }
    update.exec(txn).await?;
    let updated = view(txn, find(txn, &UserKey::Id(target.id.clone())).await?).await?;
    let event = AuditEvent::new("user.updated")
        .resource("user", &target.id)
        .details(changed.details());
    work.record(event);
    Ok(updated)
}
