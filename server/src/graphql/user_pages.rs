//! One Relay page of users, as `users` and an organization's `members`
//! list them.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, Result, SimpleObject};

use super::context::{gql, read};
use super::types::User;
use crate::service::directory::{self, Cursor, Order, UserFilter};

/// Sort order of `users`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
#[graphql(remote = "Order")]
pub enum UserOrder {
    #[default]
    CreatedAtAsc,
    CreatedAtDesc,
}

/// Extra fields of a user page.
#[derive(SimpleObject)]
pub struct UserPageInfo {
    /// Matching users across all pages (counted only when asked for).
    pub total_count: u64,
}

/// A Relay page of the users matching `filter` (`users`, and an
/// organization's `members`). Needs `users:read`.
pub(super) async fn user_connection(
    ctx: &Context<'_>,
    filter: &UserFilter,
    first: Option<i32>,
    after: Option<String>,
    order_by: Option<UserOrder>,
) -> Result<Connection<String, User, UserPageInfo>> {
    let cursor = after
        .as_deref()
        .map(Cursor::decode)
        .transpose()
        .map_err(gql)?;
    let order = Order::from(order_by.unwrap_or_default());
    let first = u64::try_from(first.unwrap_or(20)).unwrap_or(0);
    let count = ctx.look_ahead().field("totalCount").exists();
    let page = read(ctx, async |w| {
        directory::page(w, filter, order, first, cursor.as_ref(), count).await
    })
    .await?;
    let mut connection = Connection::with_additional_fields(
        cursor.is_some(),
        page.has_next_page,
        UserPageInfo {
            total_count: page.total_count.unwrap_or_default(),
        },
    );
    connection.edges.extend(
        page.users
            .into_iter()
            .map(|u| Edge::new(Cursor::of(&u.user).encode(), User::from(u))),
    );
    Ok(connection)
}
