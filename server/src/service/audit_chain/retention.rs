//! Retention (`AUDIT_RETENTION_DAYS`): the oldest sealed events go, after
//! their part of the chain is checked, and the chain starts anew after them.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;

use super::ends;
use super::verify::walk;
use crate::app::App;
use crate::entity::{audit_chain, audit_event};
use crate::error::{DomainError, Result};
use crate::service::{Actor, AuditEvent, Mode, Work};

/// Events removed per transaction.
const PRUNE_BATCH: i64 = 10_000;

/// What one prune removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PruneReport {
    pub pruned: u64,
    /// Events older than this went.
    pub cutoff: DateTime<Utc>,
    /// Where the chain starts now.
    pub start_seq: i64,
}

/// Removes up to one batch of sealed events older than `days` days, with an
/// `audit.pruned` event in the same transaction; `None` when nothing is
/// that old. Only sealed events go, oldest place first, and only up to the
/// first one recent enough to keep, so the chain stays one piece. A part
/// that does not verify is not removed: that would destroy the evidence.
pub async fn prune(app: &App, days: u32) -> Result<Option<PruneReport>> {
    Work::run(app, Actor::system(), Mode::Write, async |work| {
        let cutoff = work.now() - Duration::days(i64::from(days));
        let txn = work.db().await?;
        let chain = ends(txn, true).await?;
        let first_kept: Option<Option<i64>> = audit_event::Entity::find()
            .select_only()
            .column_as(audit_event::Column::Seq.min(), "min")
            .filter(audit_event::Column::Seq.is_not_null())
            .filter(audit_event::Column::OccurredAt.gte(cutoff))
            .into_tuple()
            .one(txn)
            .await?;
        let through = first_kept
            .flatten()
            .map_or(chain.head_seq, |kept| kept - 1)
            .min(chain.start_seq + PRUNE_BATCH - 1);
        if through < chain.start_seq {
            return Ok(None);
        }
        let walked = walk(
            txn,
            &work.app().chain_digest,
            chain.start_seq,
            &chain.start_hash,
            through,
        )
        .await?;
        if let Some(tampering) = walked.tampering {
            return Err(DomainError::Internal(anyhow::anyhow!(
                "audit retention stopped: the events it would remove do not verify: {tampering}"
            )));
        }
        let removed = audit_event::Entity::delete_many()
            .filter(audit_event::Column::Seq.gte(chain.start_seq))
            .filter(audit_event::Column::Seq.lte(through))
            .exec(txn)
            .await?
            .rows_affected;
        audit_chain::ActiveModel {
            id: ActiveValue::Unchanged(1),
            start_seq: ActiveValue::Set(through + 1),
            start_hash: ActiveValue::Set(walked.last_hash),
            ..Default::default()
        }
        .update(txn)
        .await?;
        work.record(AuditEvent::new("audit.pruned").details(json!({
            "count": removed,
            "retention_days": days,
            "before": cutoff.to_rfc3339(),
            "through_seq": through,
            "start_seq": through + 1,
        })));
        Ok(Some(PruneReport {
            pruned: removed,
            cutoff,
            start_seq: through + 1,
        }))
    })
    .await
}

/// Prunes until nothing is older than `days` days; the total removed.
pub async fn prune_all(app: &App, days: u32) -> Result<u64> {
    let mut total = 0;
    while let Some(report) = prune(app, days).await? {
        total += report.pruned;
        if report.pruned == 0 {
            break;
        }
    }
    Ok(total)
}
