//! Who am I, logging in and out, sessions, and permission questions.

use async_graphql::{Context, ID, Object, Result};

use super::context::{Credential, SessionChange, mutate, mutate_anonymous, read, state};
use super::types::{AuthMethod, LoginPayload, Session, User, Viewer};
use crate::domain::PlainPassword;
use crate::service::users::UserView;
use crate::service::{Actor, Principal, auth, policy, sessions};

fn viewer_of(actor: &Actor, user: UserView, method: AuthMethod) -> Viewer {
    let permissions = match &actor.principal {
        Principal::User { permissions, .. } => {
            permissions.iter().map(|p| p.as_str().to_string()).collect()
        }
        Principal::Operator | Principal::Anonymous => Vec::new(),
    };
    Viewer {
        user: User::from(user),
        permissions,
        authentication: method,
    }
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The authenticated user of this request, or null when anonymous.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Option<Viewer>> {
        let state = state(ctx)?;
        let (Some(actor), Some(user)) = (&state.actor, &state.user) else {
            return Ok(None);
        };
        let method = match state.credential {
            Credential::Token(_) => AuthMethod::Token,
            Credential::IdpToken(_) => AuthMethod::IdpToken,
            Credential::Session(_) | Credential::Anonymous => AuthMethod::Session,
        };
        Ok(Some(viewer_of(actor, user.clone(), method)))
    }

    /// The current user's live sessions, newest first.
    async fn my_sessions(&self, ctx: &Context<'_>) -> Result<Vec<Session>> {
        let current = match &state(ctx)?.credential {
            Credential::Session(id) => Some(id.as_str()),
            _ => None,
        };
        let list = read(ctx, async |w| sessions::list_mine(w).await).await?;
        Ok(list
            .into_iter()
            .map(|s| Session::from_model(s, current))
            .collect())
    }

    /// SPEC §3's decision point, for downstream services: may the current
    /// user do `permission` (on something owned by `ownerId`)? In permissive
    /// mode (`USER_MGMT_ENFORCE` off) a would-be denial is recorded and the
    /// answer is true.
    async fn has_permission(
        &self,
        ctx: &Context<'_>,
        permission: String,
        owner_id: Option<ID>,
    ) -> Result<bool> {
        let owner = owner_id.as_ref().map(|id| id.as_str());
        read(ctx, async |w| policy::answer(w, &permission, owner)).await
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Logs in with a username or email and a password, and sets the session
    /// cookie. Unknown users and wrong passwords get the same answer; repeated
    /// failures are slowed down, then locked out (`RATE_LIMITED`).
    async fn login(
        &self,
        ctx: &Context<'_>,
        username_or_email: String,
        password: String,
    ) -> Result<LoginPayload> {
        let password = PlainPassword::unchecked(password);
        let logged_in = mutate_anonymous(ctx, async |w| {
            auth::login(w, &username_or_email, &password).await
        })
        .await?;
        let session = &logged_in.session;
        state(ctx)?.change_session(SessionChange::Started {
            secret: session.secret.clone(),
        });
        let who = logged_in.who;
        let viewer = viewer_of(&who.actor, who.user, AuthMethod::Session);
        Ok(LoginPayload {
            viewer,
            session_expires_at: session.session.expires_at,
            first_login: logged_in.first_login,
        })
    }

    /// Ends the current session and clears its cookie.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        let state = state(ctx)?;
        state.change_session(SessionChange::Ended);
        let (Some(_), Credential::Session(id)) = (&state.actor, &state.credential) else {
            return Ok(false);
        };
        mutate(ctx, async |w| auth::logout(w, id).await).await?;
        Ok(true)
    }

    /// Ends one of your sessions (or one of a user you may manage:
    /// `users:manage` and every permission they hold).
    async fn revoke_session(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        mutate(ctx, async |w| sessions::revoke(w, &id).await).await?;
        Ok(true)
    }

    /// Changes your password. Every other session and every token of yours
    /// stops working; this session continues.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
        new_password_confirm: Option<String>,
    ) -> Result<bool> {
        let keep = match &state(ctx)?.credential {
            Credential::Session(id) => Some(id.as_str()),
            _ => None,
        };
        let current = PlainPassword::unchecked(current_password);
        mutate(ctx, async |w| {
            auth::change_password(
                w,
                &current,
                &new_password,
                new_password_confirm.as_deref(),
                keep,
            )
            .await
        })
        .await?;
        Ok(true)
    }
}
