//! Sealing: committed events get their place in the chain (see the module
//! documentation of `audit_chain`).

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::{REFUSED, SEAL_BATCH, adoptable, adopting, ends, key_matches};
use crate::app::App;
use crate::entity::{audit_chain, audit_event};
use crate::error::Result;
use crate::service::{Actor, Mode, Work};

/// What one round of sealing did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SealReport {
    /// Events given a place in the chain.
    pub sealed: u64,
    /// Events without a valid `row_hash`, marked `refused`.
    pub refused: u64,
    /// The chain's newest `seq` afterwards.
    pub head_seq: i64,
}

/// Seals up to one batch of committed events in one transaction. Call
/// again while `sealed + refused` is a full batch.
pub async fn seal(app: &App) -> Result<SealReport> {
    Work::run(app, Actor::system(), Mode::Write, async |work| {
        let txn = work.db().await?;
        let chain = ends(txn, true).await?;
        key_matches(&chain, &work.app().chain_digest)?;
        // Events from before the chain existed are adopted once, all in
        // the first seal, which then closes adoption for good: a reopened
        // one (`adopt_through` set once anything is sealed) is never
        // honoured, and `verify` reports it.
        let adopting = adopting(&chain);
        let digest = &work.app().chain_digest;
        let mut report = SealReport {
            head_seq: chain.head_seq,
            ..SealReport::default()
        };
        let mut head_hash = chain.head_hash.clone();
        // One batch; while adopting, batch after batch in this one
        // transaction, so memory stays bounded however long the old log.
        let mut after: Option<(chrono::DateTime<chrono::Utc>, String)> = None;
        loop {
            let mut waiting = audit_event::Entity::find()
                .filter(audit_event::Column::Seq.is_null())
                .filter(audit_event::Column::ChainHash.is_null());
            if let Some((at, id)) = &after {
                let row = Expr::tuple([
                    Expr::col((audit_event::Entity, audit_event::Column::OccurredAt)),
                    Expr::col((audit_event::Entity, audit_event::Column::Id)),
                ]);
                waiting =
                    waiting.filter(row.gt(Expr::tuple([Expr::val(*at), Expr::val(id.as_str())])));
            }
            let waiting = waiting
                .order_by_asc(audit_event::Column::OccurredAt)
                .order_by_asc(audit_event::Column::Id)
                .limit(SEAL_BATCH)
                .all(txn)
                .await?;
            let full = waiting.len() as u64 == SEAL_BATCH;
            after = waiting.last().map(|e| (e.occurred_at, e.id.clone()));
            let mut places = Vec::with_capacity(waiting.len());
            for event in waiting {
                let row = digest.row(&event);
                let intact = event.row_hash.as_deref() == Some(row.as_str())
                    && event.subject_id == crate::service::audit::subject(&event);
                if !intact && !adoptable(&chain, &event) {
                    tracing::warn!(
                        event_id = %event.id,
                        event_type = %event.event_type,
                        "audit event refused by the sealer: its hash does not match its content \
                         (written or edited outside Roster)"
                    );
                    audit_event::Entity::update_many()
                        .col_expr(audit_event::Column::ChainHash, Expr::value(REFUSED))
                        .filter(audit_event::Column::Id.eq(event.id))
                        .exec(txn)
                        .await?;
                    report.refused += 1;
                    continue;
                }
                let seq = report.head_seq + 1;
                let link = digest.link(&head_hash, seq, &row);
                report.head_seq = seq;
                head_hash.clone_from(&link);
                report.sealed += 1;
                places.push(Place {
                    id: event.id,
                    seq,
                    row,
                    link,
                });
            }
            write_places(txn, &places).await?;
            if !(adopting && full) {
                break;
            }
        }
        if report.sealed > 0 {
            tracing::info!(
                target: "roster::audit",
                head_seq = report.head_seq,
                head_hash = %head_hash,
                sealed = report.sealed,
                "audit chain head (keep these lines: they are the chain's outside record)"
            );
            audit_chain::ActiveModel {
                id: ActiveValue::Unchanged(1),
                head_seq: ActiveValue::Set(report.head_seq),
                head_hash: ActiveValue::Set(head_hash),
                adopt_through: if adopting {
                    ActiveValue::Set(None)
                } else {
                    ActiveValue::NotSet
                },
                key_check: ActiveValue::Set(Some(work.app().chain_digest.key_check())),
                ..Default::default()
            }
            .update(txn)
            .await?;
            if txn.get_database_backend() == DbBackend::Postgres {
                // Delivered at commit: the other processes' feeds wake.
                txn.execute_raw(Statement::from_string(
                    DbBackend::Postgres,
                    format!(
                        "SELECT pg_notify('{}', '{}')",
                        super::feed::CHANNEL,
                        report.head_seq
                    ),
                ))
                .await?;
            }
        }
        Ok(report)
    })
    .await
}

/// A sealed event's place in the chain.
struct Place {
    id: String,
    seq: i64,
    row: String,
    link: String,
}

/// Places written per statement: one `UPDATE … FROM (VALUES …)` each, so a
/// batch costs a few statements rather than one per event, and each stays a
/// small message (see `audit_log::named` on large ones over TCP).
const PLACES_PER_STATEMENT: usize = 100;

/// Writes the places of sealed events.
async fn write_places(txn: &DatabaseTransaction, places: &[Place]) -> Result<()> {
    let backend = txn.get_database_backend();
    for chunk in places.chunks(PLACES_PER_STATEMENT) {
        let mut rows = Vec::with_capacity(chunk.len());
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 4);
        for (i, place) in chunk.iter().enumerate() {
            rows.push(match backend {
                DbBackend::Postgres => {
                    let n = i * 4;
                    format!("(${}, ${}::bigint, ${}, ${})", n + 1, n + 2, n + 3, n + 4)
                }
                _ => "(?, ?, ?, ?)".to_string(),
            });
            values.extend([
                place.id.clone().into(),
                place.seq.into(),
                place.row.clone().into(),
                place.link.clone().into(),
            ]);
        }
        let sql = format!(
            "UPDATE audit_events SET row_hash = v.row_hash, seq = v.seq, chain_hash = v.chain_hash \
             FROM (SELECT column1 AS id, column2 AS seq, column3 AS row_hash, column4 AS chain_hash \
                   FROM (VALUES {}) AS t) AS v \
             WHERE audit_events.id = v.id",
            rows.join(", ")
        );
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

/// Seals until nothing is waiting; the total.
pub async fn seal_all(app: &App) -> Result<SealReport> {
    let mut total = SealReport::default();
    loop {
        let round = seal(app).await?;
        total.sealed += round.sealed;
        total.refused += round.refused;
        total.head_seq = round.head_seq;
        if round.sealed + round.refused < SEAL_BATCH {
            return Ok(total);
        }
    }
}
