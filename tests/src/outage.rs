//! A TCP relay between Roster and its database that a test can cut and
//! restore: while cut, every open connection is closed and the port refuses
//! new ones, as when Postgres restarts. The real Postgres keeps serving the
//! other tests. And [`Lock`], which holds a database lock that makes
//! Roster's requests wait.

#![expect(clippy::expect_used, reason = "a test harness fails loudly")]

use std::sync::Mutex;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::{Backend, TestDb};

pub struct Relay {
    pub port: u16,
    target: String,
    /// Bumped at each cut; live connections end when it changes.
    cuts: watch::Sender<u64>,
    /// The task accepting connections, while the relay is up.
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Relay {
    /// Relays 127.0.0.1:<port> to `target` (`host:port`).
    pub async fn start(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let port = listener.local_addr().expect("relay address").port();
        let (cuts, _) = watch::channel(0);
        let relay = Self {
            port,
            target: target.to_string(),
            cuts,
            task: Mutex::new(None),
        };
        relay.serve(listener);
        relay
    }

    fn serve(&self, listener: TcpListener) {
        let task = tokio::spawn(accept(listener, self.target.clone(), self.cuts.clone()));
        if let Some(old) = self.task.lock().expect("relay").replace(task) {
            old.abort();
        }
    }

    /// Closes every connection and refuses new ones until [`Self::restore`].
    pub fn cut(&self) {
        if let Some(task) = self.task.lock().expect("relay").take() {
            task.abort();
        }
        self.cuts.send_modify(|n| *n += 1);
    }

    /// Listens on the same port again.
    pub async fn restore(&self) {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(e) => {
                    tries += 1;
                    assert!(tries < 50, "rebind the relay: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        };
        self.serve(listener);
    }

    /// A relay to the server of the Postgres `url`, and `url` through it.
    pub async fn for_url(url: &str) -> (Self, String) {
        let (scheme_user, rest) = url.split_once('@').expect("user@host in the URL");
        let (host, path) = rest.split_once('/').expect("a database in the URL");
        let relay = Self::start(host).await;
        let through = format!("{scheme_user}@127.0.0.1:{}/{path}", relay.port);
        (relay, through)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
    }
}

async fn accept(listener: TcpListener, target: String, cuts: watch::Sender<u64>) {
    while let Ok((mut client, _)) = listener.accept().await {
        let target = target.clone();
        let mut cut = cuts.subscribe();
        tokio::spawn(async move {
            let Ok(mut server) = TcpStream::connect(&target).await else {
                return;
            };
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                _ = cut.changed() => {}
            }
        });
    }
}

/// Holds the write lock (SQLite) or an exclusive lock on `users`
/// (Postgres) on a connection of its own until dropped with `release`:
/// on both, readers go on and writers wait. (Postgres's `ACCESS EXCLUSIVE`
/// would also stop the reads that resolve a caller whose remembered
/// credential was just dropped, so a change could time out before it
/// began.)
pub struct Lock(DatabaseConnection);

impl Lock {
    pub async fn take(db: &TestDb) -> Self {
        let conn = crate::connect_pool(&db.admin_url, 1).await;
        let sql = match db.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN; LOCK TABLE users IN EXCLUSIVE MODE",
        };
        conn.execute_unprepared(sql).await.expect("take the lock");
        Self(conn)
    }

    pub async fn release(self) {
        self.0
            .execute_unprepared("ROLLBACK")
            .await
            .expect("release");
        self.0.close().await.ok();
    }
}
