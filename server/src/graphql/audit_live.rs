//! `subscription { auditEvents(filter) }` (SPEC §9): newly sealed events as
//! they come, from any process, for a caller with `audit:read`. The caller's
//! credential is checked again every second: a revoked session or token, a
//! deactivated user or a lost permission ends the subscription with an
//! error.

use std::time::Duration;

use async_graphql::{Context, Result, Subscription};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::audit::{AuditEvent, AuditEventsFilter};
use super::context::{LiveCredential, actor, app, core_enabled, gql};
use crate::app::App;
use crate::error::DomainError;
use crate::service::audit_log::AuditFilter;
use crate::service::{Actor, Mode, Work, audit_live, auth};

/// How often a subscriber's credential is checked again.
const RECHECK: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct AuditSubscription;

#[Subscription]
impl AuditSubscription {
    /// Audit events sealed into the log after the subscription began (a
    /// moment after they commit, in any process, or through the CLI), in
    /// the chain's order, that pass `filter`. Needs
    /// `audit:read`; ends with `UNAUTHENTICATED` when the caller's session
    /// or token ends, `FORBIDDEN` when the permission goes.
    #[graphql(visible = "core_enabled")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditEventsFilter>,
    ) -> Result<impl Stream<Item = Result<AuditEvent>> + use<>> {
        let app = app(ctx)?.clone();
        if !app.config.flags.core {
            return Err(gql(DomainError::bad_input(
                "auditEvents",
                "Unknown field \"auditEvents\"",
            )));
        }
        let actor = actor(ctx)?.clone();
        let credential = ctx.data::<LiveCredential>()?.clone();
        let filter: AuditFilter = filter.unwrap_or_default().into();
        // Subscribed before the head is read: no event sealed in between
        // is lost.
        let events = app.audit_feed.subscribe();
        let head = Work::run(&app, actor.clone(), Mode::Read, async |w| {
            audit_live::start(w, &filter).await
        })
        .await
        .map_err(gql)?;
        let watch = Watch {
            events,
            checked: tokio::time::Instant::now(),
            app,
            actor,
            credential,
            filter,
            head,
            ended: false,
        };
        Ok(futures_util::stream::unfold(watch, Watch::next))
    }
}

/// One subscriber's state.
struct Watch {
    app: App,
    actor: Actor,
    credential: LiveCredential,
    filter: AuditFilter,
    /// The chain's head when the subscription began.
    head: i64,
    events: tokio::sync::broadcast::Receiver<std::sync::Arc<crate::entity::audit_event::Model>>,
    /// When the credential was last checked.
    checked: tokio::time::Instant,
    ended: bool,
}

impl Watch {
    async fn next(mut self) -> Option<(Result<AuditEvent>, Self)> {
        if self.ended {
            return None;
        }
        loop {
            // Due whatever else happens: a stream of events does not put
            // the check off.
            if self.checked.elapsed() >= RECHECK
                && let Err(e) = self.recheck().await
            {
                return Some(self.end(e));
            }
            let due = self.checked + RECHECK;
            tokio::select! {
                received = self.events.recv() => match received {
                    Ok(event) if audit_live::shown(&self.filter, self.head, &event) => {
                        let shown = Work::run(&self.app, self.actor.clone(), Mode::Read, async |w| {
                            audit_live::show(w, (*event).clone()).await
                        })
                        .await;
                        return Some(match shown {
                            Ok(view) => (Ok(AuditEvent::from(view)), self),
                            Err(e) => self.end(e),
                        });
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(missed)) => {
                        return Some(self.end(DomainError::bad_input(
                            "auditEvents",
                            format!("This subscription fell {missed} events behind and was ended; subscribe again and read the gap with the auditEvents query"),
                        )));
                    }
                    Err(RecvError::Closed) => return None,
                },
                () = tokio::time::sleep_until(due) => {}
            }
        }
    }

    /// The caller as their credential says now.
    async fn recheck(&mut self) -> crate::error::Result<()> {
        let ended = || DomainError::Unauthenticated("Your session or token has ended".into());
        let presented = self.credential.presented.as_ref().ok_or_else(ended)?;
        let (who, _) = auth::authenticate(
            &self.app,
            presented,
            &self.credential.client,
            auth::Presence::Watching,
        )
        .await?
        .ok_or_else(ended)?;
        self.actor = who.actor;
        self.checked = tokio::time::Instant::now();
        Ok(())
    }

    fn end(mut self, error: DomainError) -> (Result<AuditEvent>, Self) {
        self.ended = true;
        (Err(gql(error)), self)
    }
}
