//! The live feed of audit events: each process follows the chain by `seq`
//! (`task::run`) and hands every newly sealed event to its subscribers
//! (`subscription { auditEvents }`). Following `seq` rather than time means
//! an event that committed late, or in another process, or from the CLI, is
//! never skipped.

use std::sync::Arc;

use tokio::sync::{Notify, broadcast};

use crate::entity::audit_event;

/// The Postgres channel a sealer notifies after each round that sealed
/// something, so every process's feed wakes at once.
pub const CHANNEL: &str = "roster_audit";

/// Events held for a subscriber that reads slowly; one further behind is
/// told so and its subscription ends.
const BACKLOG: usize = 4_096;

/// This process's feed.
pub struct AuditFeed {
    events: broadcast::Sender<Arc<audit_event::Model>>,
    /// A unit of work committed events: seal them now.
    pub(super) committed: Notify,
    /// Another process sealed events: read them now.
    pub(super) sealed: Notify,
}

impl Default for AuditFeed {
    fn default() -> Self {
        Self {
            events: broadcast::channel(BACKLOG).0,
            committed: Notify::new(),
            sealed: Notify::new(),
        }
    }
}

impl AuditFeed {
    /// Every event sealed from now on, in chain order.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<audit_event::Model>> {
        self.events.subscribe()
    }

    /// A unit of work of this process committed events.
    pub fn committed(&self) {
        self.committed.notify_one();
    }

    pub(super) fn has_subscribers(&self) -> bool {
        self.events.receiver_count() > 0
    }

    pub(super) fn publish(&self, event: audit_event::Model) {
        // No subscriber is not an error.
        let _ = self.events.send(Arc::new(event));
    }
}
