//! The audit log as CSV (seed 004's export): the columns `Timestamp, User,
//! Event Type, Resource, IP Address, Details`, RFC 4180 quoting, newest
//! first. The HTTP download and `roster audit export` write the same rows.
//!
//! An export reads in one snapshot (`Mode::Snapshot`; `read` says how): a
//! task reads the rows and renders them into chunks of [`CHUNK_BYTES`], handing each to the
//! response through a channel of [`CHANNEL_CHUNKS`]. Memory stays bounded
//! whatever the size of the log, the rows are consistent with each other,
//! and the database reads while the client receives. Each export holds a
//! connection, so a process runs at most
//! [`CONCURRENT_AUDIT_EXPORTS`](crate::app::CONCURRENT_AUDIT_EXPORTS) at once, and
//! one whose client accepts nothing for [`STALL`] ends.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;

use super::actor::Actor;
use super::audit_log::{self, AuditFilter};
use super::policy;
use super::work::{Mode, Work};
use crate::app::App;
use crate::error::{DomainError, Result};

mod read;
mod render;

pub use render::{Renderer, Row, inert};

/// The header row.
pub const COLUMNS: [&str; 6] = [
    "Timestamp",
    "User",
    "Event Type",
    "Resource",
    "IP Address",
    "Details",
];

/// Bytes rendered before a chunk is handed to the client.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks rendered ahead of the client.
const CHANNEL_CHUNKS: usize = 2;
/// How long an export waits for a client that accepts nothing.
const STALL: Duration = Duration::from_secs(60);

/// The download's file name for a day: `activity_log_YYYYMMDD.csv`.
pub fn file_name(app: &App) -> String {
    format!("activity_log_{}.csv", app.clock.now().format("%Y%m%d"))
}

/// What the export task hands the response.
enum Piece {
    Rows(Bytes),
    /// Every row was sent.
    End,
    Failed(DomainError),
}

/// The export of every event matching `filter`, newest first, for `actor`
/// (`audit:read`). The permission, the filter and the query's start are
/// checked before this returns, so a refusal or a bad filter is an error
/// here rather than a broken download; after that, a failure ends the
/// stream with an error (never a clean end: a truncated file is not taken
/// for a whole one).
pub async fn export(
    app: &App,
    actor: Actor,
    filter: AuditFilter,
) -> Result<impl Stream<Item = io::Result<Bytes>> + Send + 'static> {
    audit_log::check_filter(&filter)?;
    let permit =
        app.audit_exports
            .clone()
            .try_acquire_owned()
            .map_err(|_| DomainError::RateLimited {
                retry_after_secs: 5,
            })?;
    let (tx, mut rx) = mpsc::channel(CHANNEL_CHUNKS);
    let task_app = app.clone();
    tokio::spawn(async move {
        let _permit = permit;
        let sent = Work::run(&task_app, actor, Mode::Snapshot, async |w| {
            write_rows(w, &filter, &tx).await
        })
        .await;
        if let Err(e) = sent {
            let _ = tx.send(Piece::Failed(e)).await;
        }
    });
    let first = match rx.recv().await {
        Some(Piece::Rows(bytes)) => bytes,
        Some(Piece::Failed(e)) => return Err(e),
        Some(Piece::End) | None => {
            return Err(DomainError::Internal(anyhow::anyhow!(
                "the audit export ended before its header"
            )));
        }
    };
    let rest = futures_util::stream::unfold(Some(rx), |rx| async move {
        let mut rx = rx?;
        match rx.recv().await {
            Some(Piece::Rows(bytes)) => Some((Ok(bytes), Some(rx))),
            Some(Piece::End) => None,
            Some(Piece::Failed(e)) => {
                tracing::error!(error = %e, "audit export stopped");
                Some((Err(io::Error::other("audit export failed")), None))
            }
            None => {
                tracing::warn!("audit export stopped: the client accepted nothing for a minute");
                Some((Err(io::Error::other("audit export stalled")), None))
            }
        }
    });
    Ok(futures_util::stream::once(async move { Ok(first) }).chain(rest))
}

/// Hands a piece to the response; false when the client is gone or
/// accepted nothing for [`STALL`] (the export ends).
async fn hand(tx: &mpsc::Sender<Piece>, piece: Piece) -> bool {
    matches!(
        tokio::time::timeout(STALL, tx.send(piece)).await,
        Ok(Ok(()))
    )
}

/// Where the rows go: rendered, and handed on a chunk at a time.
pub(super) struct Sink<'a> {
    renderer: Renderer,
    tx: &'a mpsc::Sender<Piece>,
}

impl Sink<'_> {
    /// Renders a row; false when the client is gone (the export ends).
    async fn push(&mut self, row: &Row<'_>) -> Result<bool> {
        self.renderer.row(row)?;
        if self.renderer.pending() < CHUNK_BYTES {
            return Ok(true);
        }
        Ok(hand(self.tx, Piece::Rows(self.renderer.take()?)).await)
    }

    /// Hands on the last rows and the end.
    async fn end(mut self) -> Result<()> {
        let last = self.renderer.take()?;
        if last.is_empty() || hand(self.tx, Piece::Rows(last)).await {
            hand(self.tx, Piece::End).await;
        }
        Ok(())
    }
}

/// Reads and renders the rows, a chunk at a time.
async fn write_rows(work: &Work, filter: &AuditFilter, tx: &mpsc::Sender<Piece>) -> Result<()> {
    policy::require_audit_reader(work)?;
    let db = work.db().await?;
    let mut sink = Sink {
        renderer: Renderer::new()?,
        tx,
    };
    read::rows(db, filter, &mut sink).await?;
    sink.end().await
}
