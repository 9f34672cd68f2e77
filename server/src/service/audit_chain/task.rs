//! The audit chain's background task in `serve`: seals what was committed
//! (when `AUDIT_SEALER` is on), prunes on schedule (`AUDIT_RETENTION_DAYS`)
//! and feeds newly sealed events to this process's subscribers. It wakes a
//! moment after this process commits events, when another process's sealer
//! notifies (Postgres `LISTEN`), and every [`POLL`] in any case (how events
//! written by the CLI or another process on SQLite are found).
//!
//! The sealer also verifies the whole chain at start and every
//! [`VERIFY_EVERY`], in a task of its own, and reports the outcome as the
//! gauge `roster_audit_chain_verified` (1 verified, 0 not), which the
//! shipped alert rules watch; a refusal while sealing sets it to 0 too.

use std::time::Duration;

use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{ends, feed::CHANNEL, prune_all, seal_all};
use crate::app::App;
use crate::entity::audit_event;
use crate::error::Result;

/// How often the task looks for work when nothing woke it.
const POLL: Duration = Duration::from_millis(250);

/// How long the task waits after a commit of this process before sealing.
const GATHER: Duration = Duration::from_millis(50);

/// How often retention runs.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// How often the sealer verifies the whole chain.
const VERIFY_EVERY: Duration = Duration::from_secs(6 * 3600);

/// Events read per query when feeding subscribers.
const FEED_PAGE: u64 = 500;

/// Runs until the server stops.
pub async fn run(app: App) {
    let feed = app.audit_feed.clone();
    // Ends with this task (aborted when `serve` stops).
    let _listener = (app.db.get_database_backend() == DbBackend::Postgres)
        .then(|| AbortOnDrop(tokio::spawn(listen(app.clone()))));
    let _verifier = app
        .config
        .audit
        .sealer
        .then(|| AbortOnDrop(tokio::spawn(verify_periodically(app.clone()))));
    // Subscribers hear of events sealed from now on.
    let mut fed = loop {
        match ends(&app.db, false).await {
            Ok(chain) => break chain.head_seq,
            Err(e) => {
                tracing::warn!(error = %e, "audit chain unreadable; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let mut next_prune = tokio::time::Instant::now();
    let mut failing = false;
    loop {
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            () = feed.committed.notified() => {
                // Let the commits of the next moment join this round: under
                // a steady stream of writes one round seals many events,
                // instead of one round (half a dozen statements) each.
                tokio::time::sleep(GATHER).await;
            }
            () = feed.sealed.notified() => {}
        }
        let round = async {
            if app.config.audit.sealer && waiting(&app).await? {
                let report = seal_all(&app).await?;
                metrics::counter!("roster_audit_sealed_total").increment(report.sealed);
                metrics::counter!("roster_audit_refused_total").increment(report.refused);
                if report.refused > 0 {
                    metrics::gauge!("roster_audit_chain_verified").set(0.0);
                }
            }
            if let Some(days) = app.config.audit.retention_days
                && app.config.audit.sealer
                && tokio::time::Instant::now() >= next_prune
            {
                next_prune = tokio::time::Instant::now() + PRUNE_EVERY;
                let pruned = prune_all(&app, days).await?;
                if pruned > 0 {
                    tracing::info!(pruned, retention_days = days, "audit events pruned");
                }
            }
            fed = publish(&app, fed).await?;
            Result::<()>::Ok(())
        };
        match round.await {
            Ok(()) if failing => {
                tracing::info!("audit chain task recovered");
                failing = false;
            }
            Ok(()) => {}
            Err(e) if !failing => {
                tracing::warn!(error = %e, "audit chain task failed; retrying");
                failing = true;
            }
            Err(_) => {}
        }
    }
}

/// Verifies the chain now and every [`VERIFY_EVERY`], setting
/// `roster_audit_chain_verified`.
async fn verify_periodically(app: App) {
    loop {
        match super::verify(&app).await {
            Ok(report) => match &report.tampering {
                None => metrics::gauge!("roster_audit_chain_verified").set(1.0),
                Some(tampering) => {
                    metrics::gauge!("roster_audit_chain_verified").set(0.0);
                    tracing::error!(%tampering, "the audit log does not verify");
                }
            },
            // Not knowing is not a verdict: the gauge keeps its value.
            Err(e) => tracing::warn!(error = %e, "cannot verify the audit chain now"),
        }
        tokio::time::sleep(VERIFY_EVERY).await;
    }
}

/// A spawned task that ends when this is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Whether any committed event waits for the sealer: a cheap read, so an
/// idle server takes no write lock.
async fn waiting(app: &App) -> Result<bool> {
    let one = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::Id)
        .filter(audit_event::Column::Seq.is_null())
        .filter(audit_event::Column::ChainHash.is_null())
        .limit(1)
        .into_tuple::<String>()
        .one(&app.db)
        .await?;
    Ok(one.is_some())
}

/// Hands the events sealed after `fed` to this process's subscribers; the
/// newest `seq` handed.
async fn publish(app: &App, mut fed: i64) -> Result<i64> {
    if !app.audit_feed.has_subscribers() {
        let head = ends(&app.db, false).await?.head_seq;
        // A subscriber that came meanwhile reads the head after this one:
        // skipping to it would lose what it is owed.
        if !app.audit_feed.has_subscribers() {
            return Ok(head);
        }
    }
    loop {
        let rows = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.gt(fed))
            .order_by_asc(audit_event::Column::Seq)
            .limit(FEED_PAGE)
            .all(&app.db)
            .await?;
        let full = rows.len() as u64 == FEED_PAGE;
        for row in rows {
            fed = row.seq.unwrap_or(fed);
            app.audit_feed.publish(row);
        }
        if !full {
            return Ok(fed);
        }
    }
}

/// Wakes the task when another process's sealer notifies.
async fn listen(app: App) {
    crate::db::listen(&app.db, CHANNEL, "audit", || {
        app.audit_feed.sealed.notify_one()
    })
    .await;
}
