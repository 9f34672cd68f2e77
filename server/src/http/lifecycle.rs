//! Graceful shutdown (issue 17). On SIGTERM the listener closes (new
//! connections are refused), requests in flight run to their end, and so do
//! changes already answered at the timeout, all bounded by the request
//! timeout plus a grace period from the signal; every open subscription
//! socket is told so with a close frame (`1001 going away`) before the
//! process exits 0.
//!
//! [`Lifecycle`] is what a handler sees: whether the server is stopping,
//! and a token that keeps the process waiting while the handler's socket
//! closes or its change finishes ([`Lifecycle::spawn_held`]). [`Drain`] is
//! what `serve` keeps: the switch, and the wait for those tokens.

use std::time::Duration;

use tokio::sync::{mpsc, watch};

/// A handler's view of the server's life.
#[derive(Clone)]
pub struct Lifecycle {
    stopping: watch::Receiver<bool>,
    /// Held by each open socket and running change (a GraphQL mutation, a
    /// REST request other than a read); the process waits until all are
    /// dropped.
    open: mpsc::Sender<()>,
}

/// Held by `serve`: turns stopping on and waits for sockets and changes.
pub struct Drain {
    stopping: watch::Sender<bool>,
    open: mpsc::Receiver<()>,
}

/// A lifecycle and its drain.
pub fn lifecycle() -> (Lifecycle, Drain) {
    let (stopping_tx, stopping_rx) = watch::channel(false);
    let (open_tx, open_rx) = mpsc::channel(1);
    (
        Lifecycle {
            stopping: stopping_rx,
            open: open_tx,
        },
        Drain {
            stopping: stopping_tx,
            open: open_rx,
        },
    )
}

/// Kept by an open socket until it has closed, or a change until it has
/// finished.
pub struct Held {
    _open: mpsc::Sender<()>,
}

impl Lifecycle {
    /// Resolves once the server is stopping (at once if it already is).
    pub async fn stopping(&self) {
        let mut rx = self.stopping.clone();
        // Without a drain (a router served without `serve`) nothing ever
        // stops it.
        if rx.wait_for(|stopping| *stopping).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    pub fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    /// A token the process waits for (a while) before it exits.
    pub fn hold(&self) -> Held {
        Held {
            _open: self.open.clone(),
        }
    }

    /// Runs `work` to its end in a task of its own, whoever stops waiting
    /// for it, holding a token meanwhile so that shutdown waits for it (a
    /// change: a GraphQL mutation, a REST request other than a read).
    pub fn spawn_held<F>(&self, work: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let held = self.hold();
        tokio::spawn(async move {
            let _held = held;
            work.await
        })
    }
}

impl Drain {
    /// The switch: `send_replace(true)` tells every handler the server is
    /// stopping.
    pub fn stopping_switch(&self) -> watch::Sender<bool> {
        self.stopping.clone()
    }

    /// A receiver that sees the switch turned on.
    pub fn stopped(&self) -> watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Waits (at most `limit`) until every token (sockets, changes) is
    /// dropped; the router's own [`Lifecycle`] must be gone (the server has
    /// finished).
    pub async fn released(mut self, limit: Duration) -> bool {
        tokio::time::timeout(limit, self.open.recv()).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_drain_waits_for_open_sockets() {
        let (life, drain) = lifecycle();
        let socket = life.hold();
        let watcher = life.clone();
        let closing = tokio::spawn(async move {
            watcher.stopping().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(socket);
        });
        drain.stopping_switch().send_replace(true);
        drop(life);
        assert!(drain.released(Duration::from_secs(5)).await);
        assert!(closing.await.is_ok());
    }

    #[tokio::test]
    async fn a_socket_that_stays_open_is_given_up_on() {
        let (life, drain) = lifecycle();
        let _socket = life.hold();
        drop(life);
        drain.stopping_switch().send_replace(true);
        assert!(!drain.released(Duration::from_millis(50)).await);
    }
}
