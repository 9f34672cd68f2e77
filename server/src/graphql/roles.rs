//! Custom roles: built-ins are immutable, and nobody creates or changes a
//! role with permissions they lack.

use async_graphql::{Context, InputObject, Object, Result};

use super::context::{core_enabled, gql, mutate};
use super::users::Role;
use crate::domain::RoleName;
use crate::service::roles::{self, RoleInput};

/// A custom role's description and permissions.
#[derive(InputObject)]
pub struct RoleDefinition {
    #[graphql(default)]
    pub description: String,
    pub permissions: Vec<String>,
}

impl From<RoleDefinition> for RoleInput {
    fn from(d: RoleDefinition) -> Self {
        Self {
            description: d.description,
            permissions: d.permissions,
        }
    }
}

#[derive(Default)]
pub struct RoleMutation;

#[Object]
impl RoleMutation {
    /// Creates a custom role (needs `roles:manage` and its permissions).
    #[graphql(visible = "core_enabled")]
    async fn create_role(
        &self,
        ctx: &Context<'_>,
        name: String,
        definition: RoleDefinition,
    ) -> Result<Role> {
        let name = RoleName::parse(&name).map_err(gql)?;
        let role = mutate(ctx, async |w| {
            roles::create(w, &name, definition.into()).await
        })
        .await?;
        Ok(role.into())
    }

    /// Replaces a custom role's description and permissions.
    #[graphql(visible = "core_enabled")]
    async fn update_role(
        &self,
        ctx: &Context<'_>,
        name: String,
        definition: RoleDefinition,
    ) -> Result<Role> {
        let name = RoleName::parse(&name).map_err(gql)?;
        let role = mutate(ctx, async |w| {
            roles::update(w, &name, definition.into()).await
        })
        .await?;
        Ok(role.into())
    }

    /// Deletes a custom role; its holders lose it.
    #[graphql(visible = "core_enabled")]
    async fn delete_role(&self, ctx: &Context<'_>, name: String) -> Result<bool> {
        let name = RoleName::parse(&name).map_err(gql)?;
        mutate(ctx, async |w| roles::delete(w, &name).await).await?;
        Ok(true)
    }
}
