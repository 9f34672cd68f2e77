//! `roster audit verify`: walks the chain and names the first event that was
//! edited, inserted or deleted outside Roster.

use std::fmt;

use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

use super::{ChainDigest, adoptable, ends, key_matches};
use crate::app::App;
use crate::entity::{audit_chain, audit_event};
use crate::error::Result;
use crate::service::{Actor, Mode, Work};

/// Events read per query while walking.
const PAGE: u64 = 1_000;

/// The first sign of tampering found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Tampering {
    /// A sealed event's content no longer matches its hash.
    Edited { id: String, seq: i64 },
    /// A sealed event's link does not follow the event before it: its hashes
    /// were rewritten, or an event before it replaced.
    Relinked { id: String, seq: i64 },
    /// Sealed events `from_seq..=to_seq` are gone; `after` and `before` are
    /// the events around the gap, where they exist.
    Deleted {
        from_seq: i64,
        to_seq: i64,
        after: Option<String>,
        before: Option<String>,
    },
    /// An event Roster did not write: no valid hash, or a place in the chain
    /// the chain never gave.
    Inserted { id: String, seq: Option<i64> },
    /// The record of the chain's head does not match its newest event.
    Head { head_seq: i64 },
    /// The record of the chain's ends was edited: adoption of unhashed
    /// events reopened, or its start moved with no `audit.pruned` event
    /// saying so (the oldest events cut off).
    Record { what: String },
}

impl fmt::Display for Tampering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Edited { id, seq } => write!(
                f,
                "event {id} (seq {seq}) was edited: its content does not match its hash"
            ),
            Self::Relinked { id, seq } => write!(
                f,
                "event {id} (seq {seq}) does not link to the event before it: \
                 its hashes were rewritten or an earlier event was replaced"
            ),
            Self::Deleted {
                from_seq,
                to_seq,
                after,
                before,
            } => {
                let range = if from_seq == to_seq {
                    format!("the event with seq {from_seq} was deleted")
                } else {
                    format!("the events with seq {from_seq} to {to_seq} were deleted")
                };
                let around = match (after, before) {
                    (Some(a), Some(b)) => format!(" (between events {a} and {b})"),
                    (Some(a), None) => format!(" (after event {a}, the newest left)"),
                    (None, Some(b)) => format!(" (before event {b}, the oldest left)"),
                    (None, None) => String::new(),
                };
                write!(f, "{range}{around}")
            }
            Self::Inserted { id, seq: Some(seq) } => write!(
                f,
                "event {id} (seq {seq}) was inserted: the chain never gave that place"
            ),
            Self::Inserted { id, seq: None } => write!(
                f,
                "event {id} was inserted or edited outside Roster: it has no valid hash"
            ),
            Self::Head { head_seq } => write!(
                f,
                "the chain's head record (seq {head_seq}) does not match the newest event"
            ),
            Self::Record { what } => write!(f, "the chain's record was edited: {what}"),
        }
    }
}

/// What `verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Sealed events whose hashes were checked.
    pub checked: u64,
    /// Events written by Roster and not sealed yet (not yet covered).
    pub unsealed: u64,
    /// The chain's first and newest `seq`.
    pub start_seq: i64,
    pub head_seq: i64,
    /// Whether the hashes are keyed (`AUDIT_CHAIN_KEY`).
    pub keyed: bool,
    /// The first sign of tampering, if any.
    pub tampering: Option<Tampering>,
}

/// Walks the whole chain in one snapshot of the database.
pub async fn verify(app: &App) -> Result<Verification> {
    Work::run(app, Actor::system(), Mode::Snapshot, async |work| {
        let txn = work.db().await?;
        let chain = ends(txn, false).await?;
        key_matches(&chain, &work.app().chain_digest)?;
        let digest = &work.app().chain_digest;
        let mut report = Verification {
            checked: 0,
            unsealed: 0,
            start_seq: chain.start_seq,
            head_seq: chain.head_seq,
            keyed: work.app().config.audit.chain_key.is_some(),
            tampering: None,
        };
        report.tampering = match check_chain(txn, digest, &chain, &mut report.checked).await? {
            Some(found) => Some(found),
            None => unsealed(txn, digest, &chain, &mut report.unsealed).await?,
        };
        Ok(report)
    })
    .await
}

/// Checks the whole chain: nothing before its start or past its head, every
/// event from start to head present and linked, and the head as recorded.
async fn check_chain(
    db: &impl ConnectionTrait,
    digest: &ChainDigest,
    chain: &audit_chain::Model,
    checked: &mut u64,
) -> Result<Option<Tampering>> {
    if chain.adopt_through.is_some() && chain.head_seq > 0 {
        return Ok(Some(Tampering::Record {
            what: "adoption of events without a hash was reopened".into(),
        }));
    }
    if chain.start_seq > 1 && !pruned_to(db, chain.start_seq).await? {
        return Ok(Some(Tampering::Record {
            what: format!(
                "it starts at seq {} but no audit.pruned event moved it there (the oldest events were cut off)",
                chain.start_seq
            ),
        }));
    }
    // Places the chain never gave: before its start (a prune removed
    // those), or past its head.
    let outside = audit_event::Entity::find()
        .filter(
            audit_event::Column::Seq
                .lt(chain.start_seq)
                .or(audit_event::Column::Seq.gt(chain.head_seq)),
        )
        .order_by_asc(audit_event::Column::Seq)
        .one(db)
        .await?;
    if let Some(row) = outside {
        return Ok(Some(Tampering::Inserted {
            id: row.id,
            seq: row.seq,
        }));
    }
    let walked = walk(
        db,
        digest,
        chain.start_seq,
        &chain.start_hash,
        chain.head_seq,
    )
    .await?;
    *checked = walked.checked;
    if walked.tampering.is_some() {
        return Ok(walked.tampering);
    }
    if walked.last_hash != chain.head_hash {
        return Ok(Some(Tampering::Head {
            head_seq: chain.head_seq,
        }));
    }
    Ok(None)
}

/// Whether an `audit.pruned` event moved the chain's start to `start_seq`
/// (its own hash is checked with the others).
async fn pruned_to(db: &impl ConnectionTrait, start_seq: i64) -> Result<bool> {
    let pruned = audit_event::Entity::find()
        .filter(audit_event::Column::EventType.eq("audit.pruned"))
        .all(db)
        .await?;
    Ok(pruned.iter().any(|e| {
        e.details
            .get("start_seq")
            .and_then(serde_json::Value::as_i64)
            == Some(start_seq)
    }))
}

/// What a walk over part of the chain found.
pub(super) struct Walk {
    pub checked: u64,
    /// The `chain_hash` of the last event checked (`from_hash` if none).
    pub last_hash: String,
    pub tampering: Option<Tampering>,
}

/// Checks the sealed events `from_seq..=through_seq`: each present, its
/// content matching its `row_hash`, and linked to the one before, the first
/// to `from_hash`.
pub(super) async fn walk(
    db: &impl ConnectionTrait,
    digest: &ChainDigest,
    from_seq: i64,
    from_hash: &str,
    through_seq: i64,
) -> Result<Walk> {
    let mut walked = Walk {
        checked: 0,
        last_hash: from_hash.to_string(),
        tampering: None,
    };
    let mut expected = from_seq;
    let mut previous_id: Option<String> = None;
    while expected <= through_seq {
        let rows = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.gte(expected))
            .filter(audit_event::Column::Seq.lte(through_seq))
            .order_by_asc(audit_event::Column::Seq)
            .limit(PAGE)
            .all(db)
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let seq = row.seq.unwrap_or_default();
            if seq != expected {
                walked.tampering = Some(Tampering::Deleted {
                    from_seq: expected,
                    to_seq: seq - 1,
                    after: previous_id,
                    before: Some(row.id),
                });
                return Ok(walked);
            }
            let content = digest.row(&row);
            // The subject is derived from the content: edited with it or not
            // at all.
            if row.row_hash.as_deref() != Some(content.as_str())
                || row.subject_id != crate::service::audit::subject(&row)
            {
                walked.tampering = Some(Tampering::Edited { id: row.id, seq });
                return Ok(walked);
            }
            let link = digest.link(&walked.last_hash, seq, &content);
            if row.chain_hash.as_deref() != Some(link.as_str()) {
                walked.tampering = Some(Tampering::Relinked { id: row.id, seq });
                return Ok(walked);
            }
            walked.checked += 1;
            walked.last_hash = link;
            expected = seq + 1;
            previous_id = Some(row.id);
        }
    }
    if expected <= through_seq {
        walked.tampering = Some(Tampering::Deleted {
            from_seq: expected,
            to_seq: through_seq,
            after: previous_id,
            before: None,
        });
    }
    Ok(walked)
}

/// Counts the events waiting for the sealer; an event without a valid hash
/// (or one the sealer marked refused) was not written by Roster.
async fn unsealed(
    db: &impl ConnectionTrait,
    digest: &ChainDigest,
    chain: &audit_chain::Model,
    count: &mut u64,
) -> Result<Option<Tampering>> {
    let waiting = audit_event::Entity::find().filter(audit_event::Column::Seq.is_null());
    let mut pages = waiting
        .order_by_asc(audit_event::Column::OccurredAt)
        .order_by_asc(audit_event::Column::Id)
        .paginate(db, PAGE);
    while let Some(rows) = pages.fetch_and_next().await? {
        for row in rows {
            let valid = row.chain_hash.is_none()
                && (adoptable(chain, &row)
                    || row.row_hash.as_deref() == Some(digest.row(&row).as_str()));
            if !valid {
                return Ok(Some(Tampering::Inserted {
                    id: row.id,
                    seq: None,
                }));
            }
            *count += 1;
        }
    }
    Ok(None)
}
