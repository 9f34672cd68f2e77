//! Organizations and their members (SPEC §7, seed 002). Hidden when
//! `USER_MGMT_CORE` is off.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::context::{core_enabled, gql, mutate, read};
use super::types::User;
use super::user_pages::{UserOrder, UserPageInfo, user_connection};
use crate::domain::{Description, OrgName, Slug};
use crate::service::directory::UserFilter;
use crate::service::organizations::{
    self, MemberOutcome, MemberResult, NewOrg, OrgChanges, OrgKey, OrgView,
};

/// A group of users (seed 002); every user belongs to the default one.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub struct Organization {
    pub id: ID,
    /// Lowercase letters, digits and hyphens; unique.
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    /// The organization every user joins; it cannot be deleted.
    pub is_default: bool,
    /// Members that are not deleted.
    pub member_count: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<OrgView> for Organization {
    fn from(v: OrgView) -> Self {
        Self {
            id: ID(v.org.id),
            slug: v.org.slug,
            name: v.org.name,
            description: v.org.description,
            is_default: v.org.is_default,
            member_count: v.member_count,
            created_at: v.org.created_at,
            updated_at: v.org.updated_at,
        }
    }
}

#[ComplexObject]
impl Organization {
    /// The members, `first` (≤ 100, default 20) at a time (needs
    /// `users:read`).
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        order_by: Option<UserOrder>,
    ) -> Result<Connection<String, User, UserPageInfo>> {
        let filter = UserFilter {
            organization: Some(self.slug.clone()),
            ..UserFilter::default()
        };
        user_connection(ctx, &filter, first, after, order_by).await
    }
}

/// Extra fields of an organization page.
#[derive(SimpleObject)]
pub struct OrganizationPageInfo {
    /// Matching organizations across all pages (counted only when asked for).
    pub total_count: u64,
}

/// Which organizations to list.
#[derive(InputObject, Default)]
pub struct OrganizationsFilter {
    /// Case-insensitive match on slug or name.
    pub search: Option<String>,
}

/// An organization to create.
#[derive(InputObject)]
pub struct CreateOrganizationInput {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
}

/// Fields to change; omitted ones stay as they are.
#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    pub slug: Option<String>,
    pub name: Option<String>,
    /// An empty string clears it.
    pub description: Option<String>,
}

/// What became of one entry of `addOrganizationMembers` or
/// `removeOrganizationMembers`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "MemberOutcome")]
pub enum MembershipOutcome {
    Added,
    Removed,
    AlreadyMember,
    NotMember,
    /// No user has this id, email or username.
    Unknown,
    /// The user was deleted; deleted users join nothing.
    DeletedUser,
}

/// One entry as given, and its outcome.
#[derive(SimpleObject)]
pub struct MembershipResult {
    pub entry: String,
    pub outcome: MembershipOutcome,
    pub user_id: Option<ID>,
}

/// The organization after the change, and each entry's outcome.
#[derive(SimpleObject)]
pub struct MembershipPayload {
    pub organization: Organization,
    pub results: Vec<MembershipResult>,
}

impl From<MemberResult> for MembershipResult {
    fn from(r: MemberResult) -> Self {
        Self {
            entry: r.entry,
            outcome: r.outcome.into(),
            user_id: r.user_id.map(ID),
        }
    }
}

/// An organization id as given by a client (ULIDs are case-insensitive).
fn org_id(id: &ID) -> OrgKey {
    OrgKey::Id(id.trim().to_ascii_uppercase())
}

#[derive(Default)]
pub struct OrganizationQuery;

#[Object]
impl OrganizationQuery {
    /// Organizations by slug, `first` (≤ 100, default 20) at a time after
    /// the cursor `after`. Needs `orgs:read`.
    #[graphql(visible = "core_enabled")]
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<OrganizationsFilter>,
    ) -> Result<Connection<String, Organization, OrganizationPageInfo>> {
        let search = filter.unwrap_or_default().search;
        let first = u64::try_from(first.unwrap_or(20)).unwrap_or(0);
        let count = ctx.look_ahead().field("totalCount").exists();
        let page = read(ctx, async |w| {
            organizations::page(w, first, after.as_deref(), search.as_deref(), count).await
        })
        .await?;
        let mut connection = Connection::with_additional_fields(
            after.is_some(),
            page.has_next_page,
            OrganizationPageInfo {
                total_count: page.total_count.unwrap_or_default(),
            },
        );
        connection.edges.extend(page.orgs.into_iter().map(|o| {
            Edge::new(
                organizations::encode_cursor(&o.org.slug),
                Organization::from(o),
            )
        }));
        Ok(connection)
    }

    /// One organization, by `id` or by `slug` (exactly one of them). Needs
    /// `orgs:read`.
    #[graphql(visible = "core_enabled")]
    async fn organization(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Organization> {
        let key = match (id, slug) {
            (Some(id), None) => org_id(&id),
            (None, Some(slug)) => OrgKey::Slug(Slug::parse(&slug.to_lowercase()).map_err(gql)?),
            _ => {
                return Err(gql(crate::error::DomainError::bad_input(
                    "id",
                    "Give exactly one of id and slug",
                )));
            }
        };
        let org = read(ctx, async |w| organizations::get(w, &key).await).await?;
        Ok(org.into())
    }
}

#[derive(Default)]
pub struct OrganizationMutation;

#[Object]
impl OrganizationMutation {
    /// Creates an organization (needs `orgs:manage`); a taken slug or name
    /// is a `CONFLICT` naming the field.
    #[graphql(visible = "core_enabled")]
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganizationInput,
    ) -> Result<Organization> {
        let new = NewOrg {
            slug: Slug::parse(&input.slug).map_err(gql)?,
            name: OrgName::parse(&input.name).map_err(gql)?,
            description: input
                .description
                .as_deref()
                .map(Description::parse)
                .transpose()
                .map_err(gql)?
                .flatten(),
        };
        let org = mutate(ctx, async |w| organizations::create(w, new).await).await?;
        Ok(org.into())
    }

    /// Changes an organization's slug, name or description (needs
    /// `orgs:manage`).
    #[graphql(visible = "core_enabled")]
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateOrganizationInput,
    ) -> Result<Organization> {
        let changes = OrgChanges {
            slug: input
                .slug
                .as_deref()
                .map(Slug::parse)
                .transpose()
                .map_err(gql)?,
            name: input
                .name
                .as_deref()
                .map(OrgName::parse)
                .transpose()
                .map_err(gql)?,
            description: input
                .description
                .as_deref()
                .map(Description::parse)
                .transpose()
                .map_err(gql)?,
        };
        let org = mutate(ctx, async |w| {
            organizations::update(w, &org_id(&id), changes).await
        })
        .await?;
        Ok(org.into())
    }

    /// Deletes an organization and its memberships (needs `orgs:manage`);
    /// the default organization cannot be deleted.
    #[graphql(visible = "core_enabled")]
    async fn delete_organization(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        mutate(ctx, async |w| organizations::delete(w, &org_id(&id)).await).await?;
        Ok(true)
    }

    /// Adds users (ids, emails or usernames) to an organization (needs
    /// `orgs:manage`), answering for each entry while applying the rest.
    #[graphql(visible = "core_enabled")]
    async fn add_organization_members(
        &self,
        ctx: &Context<'_>,
        id: ID,
        members: Vec<String>,
    ) -> Result<MembershipPayload> {
        change_members(ctx, &id, members, true).await
    }

    /// Removes users (ids, emails or usernames) from an organization (needs
    /// `orgs:manage`), answering for each entry. Nobody leaves the default
    /// organization.
    #[graphql(visible = "core_enabled")]
    async fn remove_organization_members(
        &self,
        ctx: &Context<'_>,
        id: ID,
        members: Vec<String>,
    ) -> Result<MembershipPayload> {
        change_members(ctx, &id, members, false).await
    }
}

async fn change_members(
    ctx: &Context<'_>,
    id: &ID,
    members: Vec<String>,
    add: bool,
) -> Result<MembershipPayload> {
    let key = org_id(id);
    let (org, results) = mutate(ctx, async |w| {
        if add {
            organizations::add_members(w, &key, &members).await
        } else {
            organizations::remove_members(w, &key, &members).await
        }
    })
    .await?;
    Ok(MembershipPayload {
        organization: org.into(),
        results: results.into_iter().map(MembershipResult::from).collect(),
    })
}
