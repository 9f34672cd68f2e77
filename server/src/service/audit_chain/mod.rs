//! Tamper evidence for the audit log (SPEC §9): a hash chain over committed
//! events that `roster audit verify` walks.
//!
//! - Writers never wait for each other: each event is inserted with its
//!   `row_hash` ([`digest`]) in the transaction of its change, and nothing
//!   else.
//! - The sealer ([`seal`]) gives committed events their place: under the
//!   chain's one lock (a row lock on `audit_chain` on Postgres, the write
//!   lock on SQLite) it takes the events without a place, oldest first,
//!   checks each `row_hash`, and gives each the next `seq` and a
//!   `chain_hash` linking it to the one before. An event whose hash is wrong
//!   (written by hand) is marked `refused` and never sealed. `serve` runs it
//!   a moment after each commit and every quarter second (so events written
//!   by the CLI or another process are sealed too); `roster audit seal`
//!   runs it once.
//! - [`verify`] walks the sealed events by `seq` and names the first one
//!   that was edited, inserted or deleted, and counts those not sealed yet;
//!   it also checks the chain's record (`audit_chain`): adoption of events
//!   from before the chain closed, a moved start backed by `audit.pruned`.
//! - The first seal records which key hashes the chain ([`check_key`]): a
//!   process with another `AUDIT_CHAIN_KEY` stops at start.
//! - [`prune`] (`AUDIT_RETENTION_DAYS`) removes the oldest sealed events
//!   after checking them, moves the chain's start past them and records
//!   `audit.pruned`, so the chain still verifies from its new start.
//! - The sealed events are also the live feed ([`feed`]): each process
//!   follows the chain by `seq`, which never skips an event that committed
//!   late.

mod digest;
pub mod feed;
mod retention;
mod sealer;
pub mod task;
mod verify;

use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QuerySelect};

pub use digest::ChainDigest;
pub use retention::{PruneReport, prune, prune_all};
pub use sealer::{SealReport, seal, seal_all};
pub use verify::{Tampering, Verification, verify};

use crate::entity::{audit_chain, audit_event};
use crate::error::{DomainError, Result};

/// What a sealer writes as `chain_hash` of an event it refuses.
pub const REFUSED: &str = "refused";

/// Events sealed per transaction.
const SEAL_BATCH: u64 = 1_000;

/// Refuses a process whose `AUDIT_CHAIN_KEY` is not the key the chain was
/// sealed with: its events would never verify, and its verdicts would be
/// false alarms. `serve` and every CLI command check it at start.
pub async fn check_key(db: &impl ConnectionTrait, digest: &ChainDigest) -> Result<()> {
    let chain = ends(db, false).await?;
    key_matches(&chain, digest)
}

fn key_matches(chain: &audit_chain::Model, digest: &ChainDigest) -> Result<()> {
    match &chain.key_check {
        Some(check) if *check != digest.key_check() => Err(DomainError::Internal(anyhow::anyhow!(
            "AUDIT_CHAIN_KEY is not the key this database's audit chain is hashed with \
             (set it, unset it, or correct it to match every other process)"
        ))),
        _ => Ok(()),
    }
}

/// Whether the first seal adopts events from before the chain existed:
/// only while nothing is sealed yet (see `sealer`).
fn adopting(chain: &audit_chain::Model) -> bool {
    chain.adopt_through.is_some() && chain.head_seq == 0
}

/// Whether `event`, written without a hash before the chain existed, is
/// adopted as it is.
fn adoptable(chain: &audit_chain::Model, event: &audit_event::Model) -> bool {
    adopting(chain)
        && event.row_hash.is_none()
        && chain
            .adopt_through
            .as_deref()
            .is_some_and(|last| event.id.as_str() <= last)
}

/// The `seq` of the newest sealed event (0 before any).
pub async fn head(db: &impl ConnectionTrait) -> Result<i64> {
    Ok(ends(db, false).await?.head_seq)
}

/// The chain's ends; with `lock`, held until the transaction ends (on
/// SQLite the write transaction holds the whole database already).
async fn ends(db: &impl ConnectionTrait, lock: bool) -> Result<audit_chain::Model> {
    let mut query = audit_chain::Entity::find_by_id(1);
    if lock && db.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.one(db).await?.ok_or_else(|| {
        DomainError::Internal(anyhow::anyhow!(
            "the audit_chain row is missing: the database was edited by hand"
        ))
    })
}
