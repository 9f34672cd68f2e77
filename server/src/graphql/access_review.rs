//! The access review: `permissionHolders(permission)`, who holds a
//! permission, through which role and source. Hidden when `USER_MGMT_CORE`
//! is off.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::context::{core_enabled, gql, read};
use super::types::UserStatus;
use crate::domain::Permission;
use crate::error::DomainError;
use crate::service::access_review;

/// One user holding a permission through one role.
#[derive(SimpleObject)]
pub struct PermissionHolder {
    pub user_id: ID,
    pub username: String,
    pub email: String,
    pub status: UserStatus,
    /// The role that carries the permission.
    pub role: String,
    /// How the role was granted: `manual` (by a person) or `idp` (by the
    /// identity provider's groups).
    pub source: String,
    pub granted_at: chrono::DateTime<chrono::Utc>,
}

impl From<access_review::Holding> for PermissionHolder {
    fn from(h: access_review::Holding) -> Self {
        Self {
            user_id: ID(h.user_id),
            username: h.username,
            email: h.email,
            status: h.status.into(),
            role: h.role,
            source: h.source,
            granted_at: h.granted_at,
        }
    }
}

#[derive(Default)]
pub struct AccessReviewQuery;

#[Object]
impl AccessReviewQuery {
    /// Who holds `permission` (e.g. `users:manage`), through which role
    /// and source, by username, `first` (≤ 100, default 50) at a time after
    /// the cursor `after`. Deleted users are left out. Needs `users:read`.
    #[graphql(visible = "core_enabled")]
    async fn permission_holders(
        &self,
        ctx: &Context<'_>,
        permission: String,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, PermissionHolder>> {
        let permission = Permission::parse(&permission)
            .map_err(|e| gql(DomainError::bad_input("permission", e.to_string())))?;
        let first = u64::try_from(first.unwrap_or(50)).unwrap_or(0);
        let (page, cursors) = read(ctx, async |w| {
            access_review::holders(w, permission, first, after.as_deref()).await
        })
        .await?;
        let mut connection = Connection::new(after.is_some(), page.has_next_page);
        connection.edges.extend(
            page.holdings
                .into_iter()
                .zip(cursors)
                .map(|(h, cursor)| Edge::new(cursor, PermissionHolder::from(h))),
        );
        Ok(connection)
    }
}
