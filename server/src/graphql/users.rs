//! User administration (SPEC §2, §3; seed 004): listing, editing, roles and
//! lifecycle. Hidden when `USER_MGMT_CORE` is off.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use super::audit::{AuditEvent, event_connection};
use super::context::{
    Credential, SessionChange, core_enabled, gql, mutate, mutate_anonymous, public_read, read,
    state,
};
use super::organizations::Organization;
use super::role_overrides::{RoleExplanation, RoleOverrides};
use super::types::{Session, User, UserStatus};
use super::user_pages::user_connection;
pub use super::user_pages::{UserOrder, UserPageInfo};
use crate::domain::{self, DisplayName, Email, RoleName, Username};
use crate::service::audit_log::AuditFilter;
use crate::service::directory::{self, UserFilter};
use crate::service::invitations::Invited;
use crate::service::users::{self, NewUser, UserChanges, UserKey};
use crate::service::{identities, organizations, quotas, role_explanation, roles, sessions};
use crate::service::{invitations, password_reset};

/// Which users to list.
#[derive(InputObject, Default)]
pub struct UsersFilter {
    pub status: Option<UserStatus>,
    /// Users holding any of these roles.
    pub roles: Option<Vec<String>>,
    /// Case-insensitive match on username, email or display name.
    pub search: Option<String>,
    /// Members of the organization with this slug.
    pub organization: Option<String>,
    /// Include soft-deleted users (shown as deleted).
    #[graphql(default)]
    pub include_deleted: bool,
}

/// An account's identity at an identity provider (SPEC §8).
#[derive(SimpleObject)]
pub struct Identity {
    /// The provider's issuer URL.
    pub issuer: String,
    /// The provider's id for the user (`sub`).
    pub subject: String,
    /// The email the provider last gave.
    pub email: Option<String>,
    pub linked_at: chrono::DateTime<chrono::Utc>,
    /// The last login through it.
    pub last_seen_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A role and what it grants.
#[derive(SimpleObject)]
pub struct Role {
    pub id: ID,
    pub name: String,
    pub description: String,
    pub builtin: bool,
    pub permissions: Vec<String>,
}

/// A user to create and invite.
#[derive(InputObject)]
pub struct CreateUserInput {
    pub username: String,
    pub email: String,
    /// Default: `viewer`.
    pub roles: Option<Vec<String>>,
    pub display_name: Option<String>,
}

/// A user with a fresh invitation, and whether its email went out.
#[derive(SimpleObject)]
pub struct InvitationPayload {
    pub user: User,
    pub invitation_sent: bool,
    /// Why the email did not go out; the user stays and can be re-invited.
    pub email_error: Option<String>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// What a quota limits.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "quotas::Resource")]
pub enum QuotaResource {
    /// Live personal access tokens.
    Tokens,
}

/// A per-user limit and its current use.
#[derive(SimpleObject)]
pub struct Quota {
    pub resource: QuotaResource,
    pub limit: u32,
    pub used: u64,
    /// True when the limit overrides the configured default.
    pub overridden: bool,
}

#[async_graphql::ComplexObject]
impl User {
    /// Limits with usage (needs `users:read`, or to be this user).
    async fn quotas(&self, ctx: &Context<'_>) -> Result<Vec<Quota>> {
        let list = read(ctx, async |w| quotas::usage_for(w, &self.id).await).await?;
        Ok(list
            .into_iter()
            .map(|u| Quota {
                resource: u.resource.into(),
                limit: u.limit,
                used: u.used,
                overridden: u.overridden,
            })
            .collect())
    }

    /// What the user did and what was done to them, newest first (needs
    /// `audit:read`, or to be this user).
    async fn activity(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, AuditEvent>> {
        let filter = AuditFilter {
            involving: Some(self.id.to_string()),
            ..AuditFilter::default()
        };
        event_connection(ctx, filter, first, after).await
    }

    /// The operator's corrections to the roles the identity provider
    /// grants; none when unset (needs `users:read`, or to be this user).
    async fn role_overrides(&self, ctx: &Context<'_>) -> Result<Option<RoleOverrides>> {
        let found = read(ctx, async |w| users::overrides::of_user(w, &self.id).await).await?;
        Ok(found.map(RoleOverrides::from))
    }

    /// Why the user has each role: every source that grants it, and the
    /// roles the provider's groups would give that the overrides withhold
    /// (needs `users:read`, or to be this user).
    async fn role_explanation(&self, ctx: &Context<'_>) -> Result<RoleExplanation> {
        let found = read(ctx, async |w| role_explanation::explain(w, &self.id).await).await?;
        Ok(found.into())
    }

    /// The identities at an identity provider linked to the account, the
    /// one seen last first (needs `users:read`, or to be this user).
    async fn identities(&self, ctx: &Context<'_>) -> Result<Vec<Identity>> {
        let list = read(ctx, async |w| identities::of_user(w, &self.id).await).await?;
        Ok(list
            .into_iter()
            .map(|i| Identity {
                issuer: i.issuer,
                subject: i.subject,
                email: i.email,
                linked_at: i.created_at,
                last_seen_at: i.last_seen_at,
            })
            .collect())
    }

    /// The organizations the user belongs to, by slug (needs `users:read`,
    /// or to be this user).
    async fn organizations(&self, ctx: &Context<'_>) -> Result<Vec<Organization>> {
        let list = read(ctx, async |w| organizations::of_user(w, &self.id).await).await?;
        Ok(list.into_iter().map(Organization::from).collect())
    }

    /// The user's live sessions, newest first (your own, or those of a user
    /// you may manage: `users:manage` and every permission they hold);
    /// `revokeSession` ends one.
    async fn sessions(&self, ctx: &Context<'_>) -> Result<Vec<Session>> {
        let current = match &state(ctx)?.credential {
            Credential::Session(id) => Some(id.as_str()),
            _ => None,
        };
        let list = read(ctx, async |w| sessions::list_of(w, &self.id).await).await?;
        Ok(list
            .into_iter()
            .map(|s| Session::from_model(s, current))
            .collect())
    }
}

/// Whether an email went out.
#[derive(SimpleObject)]
pub struct EmailResult {
    pub sent: bool,
    /// Why it did not.
    pub email_error: Option<String>,
}

/// What the accept-invitation page shows.
#[derive(SimpleObject)]
pub struct Invitation {
    pub username: String,
    pub email: String,
    pub roles: Vec<String>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl From<roles::RoleWithPermissions> for Role {
    fn from(r: roles::RoleWithPermissions) -> Self {
        Self {
            id: ID(r.role.id),
            name: r.role.name,
            description: r.role.description,
            builtin: r.role.is_builtin,
            permissions: r
                .permissions
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
        }
    }
}

/// Profile fields to change; omitted ones stay as they are.
#[derive(InputObject)]
pub struct UpdateUserInput {
    pub username: Option<String>,
    pub email: Option<String>,
    /// An empty string clears it.
    pub display_name: Option<String>,
}

fn role_names(names: &[String]) -> Result<Vec<RoleName>> {
    names
        .iter()
        .map(|n| RoleName::parse(n).map_err(gql))
        .collect()
}

/// A user id as given by a client (ULIDs are case-insensitive).
fn user_id(id: &ID) -> String {
    id.trim().to_ascii_uppercase()
}

fn key(id: &ID) -> UserKey {
    UserKey::Id(user_id(id))
}

fn invite_payload(invited: Invited) -> InvitationPayload {
    InvitationPayload {
        invitation_sent: invited.delivery.sent(),
        email_error: invited.delivery.failure().map(str::to_string),
        expires_at: invited.token.expires_at,
        user: invited.user.into(),
    }
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// Users, `first` (≤ 100, default 20) at a time after the cursor `after`.
    /// Needs `users:read`.
    #[graphql(visible = "core_enabled")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<UsersFilter>,
        order_by: Option<UserOrder>,
    ) -> Result<Connection<String, User, UserPageInfo>> {
        let filter = filter.unwrap_or_default();
        let domain_filter = UserFilter {
            status: filter.status.map(domain::UserStatus::from),
            roles: role_names(&filter.roles.unwrap_or_default())?,
            search: filter.search,
            organization: filter.organization,
            include_deleted: filter.include_deleted,
        };
        user_connection(ctx, &domain_filter, first, after, order_by).await
    }

    /// One user (not deleted). Needs `users:read`, or to be that user.
    #[graphql(visible = "core_enabled")]
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let user = read(ctx, async |w| directory::one(w, &user_id(&id)).await).await?;
        Ok(user.into())
    }

    /// Public: the invitation behind a link, for the accept page
    /// (`NOT_FOUND`: "Invalid or expired invitation token").
    #[graphql(visible = "core_enabled")]
    async fn invitation(&self, ctx: &Context<'_>, token: String) -> Result<Invitation> {
        let (user, token) =
            public_read(ctx, async |w| invitations::pending(w, &token).await).await?;
        Ok(Invitation {
            username: user.user.username,
            email: user.user.email,
            roles: user.roles,
            expires_at: token.expires_at,
        })
    }

    /// Every role with its permissions, most powerful first (needs
    /// `users:read` or `roles:manage`).
    #[graphql(visible = "core_enabled")]
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<Role>> {
        let list = read(ctx, async |w| roles::list_for(w).await).await?;
        Ok(list.into_iter().map(Role::from).collect())
    }
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Creates a `pending_invitation` user and emails a 7-day invitation.
    /// Needs `users:manage` and every permission of the roles granted.
    #[graphql(visible = "core_enabled")]
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: CreateUserInput,
    ) -> Result<InvitationPayload> {
        let new = NewUser {
            username: Username::parse(&input.username).map_err(gql)?,
            email: Email::parse(&input.email).map_err(gql)?,
            display_name: input
                .display_name
                .as_deref()
                .map(DisplayName::parse)
                .transpose()
                .map_err(gql)?
                .flatten(),
            roles: role_names(&input.roles.unwrap_or_default())?,
            password: None,
        };
        let invited = mutate(ctx, async |w| invitations::invite(w, new).await).await?;
        Ok(invite_payload(invited))
    }

    /// Sends a new invitation to a pending user; earlier links stop working.
    #[graphql(visible = "core_enabled")]
    async fn resend_invitation(&self, ctx: &Context<'_>, id: ID) -> Result<InvitationPayload> {
        let invited = mutate(ctx, async |w| invitations::resend(w, &key(&id)).await).await?;
        Ok(invite_payload(invited))
    }

    /// Public: sets the password of an invited user and activates them.
    #[graphql(visible = "core_enabled")]
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        token: String,
        password: String,
        password_confirm: String,
    ) -> Result<User> {
        let user = mutate_anonymous(ctx, async |w| {
            invitations::accept(w, &token, &password, &password_confirm).await
        })
        .await?;
        Ok(user.into())
    }

    /// Public: emails a 1-hour reset link when `email` belongs to an active
    /// account. Always answers true, so it reveals nothing.
    #[graphql(visible = "core_enabled")]
    async fn request_password_reset(&self, ctx: &Context<'_>, email: String) -> Result<bool> {
        mutate_anonymous(ctx, async |w| password_reset::request(w, &email).await).await?;
        Ok(true)
    }

    /// Public: sets a new password through a reset link; every session and
    /// token of the user ends.
    #[graphql(visible = "core_enabled")]
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        password: String,
        password_confirm: String,
    ) -> Result<bool> {
        mutate_anonymous(ctx, async |w| {
            password_reset::reset(w, &token, &password, &password_confirm).await
        })
        .await?;
        Ok(true)
    }

    /// Emails a reset link to an active user (needs `users:manage`).
    #[graphql(visible = "core_enabled")]
    async fn send_password_reset(&self, ctx: &Context<'_>, id: ID) -> Result<EmailResult> {
        let sent = mutate(ctx, async |w| password_reset::send_for(w, &key(&id)).await).await?;
        Ok(EmailResult {
            sent: sent.sent(),
            email_error: sent.failure().map(str::to_string),
        })
    }

    /// Sets a user's limit for `resource`; a null `limit` restores the
    /// configured default (needs `users:manage`).
    #[graphql(visible = "core_enabled")]
    async fn set_user_quota(
        &self,
        ctx: &Context<'_>,
        id: ID,
        resource: QuotaResource,
        limit: Option<u32>,
    ) -> Result<User> {
        let updated = mutate(ctx, async |w| {
            quotas::set(w, &key(&id), resource.into(), limit).await
        })
        .await?;
        Ok(updated.into())
    }

    /// Changes username, email or display name (`CONFLICT` with the field
    /// named when taken).
    #[graphql(visible = "core_enabled")]
    async fn update_user(&self, ctx: &Context<'_>, id: ID, input: UpdateUserInput) -> Result<User> {
        let changes = UserChanges {
            username: input
                .username
                .as_deref()
                .map(Username::parse)
                .transpose()
                .map_err(gql)?,
            email: input
                .email
                .as_deref()
                .map(Email::parse)
                .transpose()
                .map_err(gql)?,
            display_name: input
                .display_name
                .as_deref()
                .map(DisplayName::parse)
                .transpose()
                .map_err(gql)?,
        };
        let updated = mutate(ctx, async |w| users::update(w, &key(&id), changes).await).await?;
        Ok(updated.into())
    }

    /// Replaces a user's roles; you can only grant or remove roles whose
    /// permissions you hold.
    #[graphql(visible = "core_enabled")]
    async fn set_user_roles(&self, ctx: &Context<'_>, id: ID, roles: Vec<String>) -> Result<User> {
        let names = role_names(&roles)?;
        let updated = mutate(ctx, async |w| users::set_roles(w, &key(&id), &names).await).await?;
        Ok(updated.into())
    }

    /// Active → deactivated; their sessions and tokens stop working at once.
    #[graphql(visible = "core_enabled")]
    async fn deactivate_user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let updated = mutate(ctx, async |w| users::deactivate(w, &key(&id)).await).await?;
        Ok(updated.into())
    }

    /// Deactivated → active.
    #[graphql(visible = "core_enabled")]
    async fn activate_user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let updated = mutate(ctx, async |w| users::activate(w, &key(&id)).await).await?;
        Ok(updated.into())
    }

    /// Soft-deletes a user (kept for the audit log). Deleting yourself ends
    /// your session.
    #[graphql(visible = "core_enabled")]
    async fn delete_user(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let target = user_id(&id);
        mutate(ctx, async |w| {
            users::delete(w, &UserKey::Id(target.clone())).await
        })
        .await?;
        let state = state(ctx)?;
        let own = state.actor.as_ref().and_then(|a| a.user_id()) == Some(target.as_str());
        if own && matches!(state.credential, Credential::Session(_)) {
            state.change_session(SessionChange::Ended);
        }
        Ok(true)
    }
}
