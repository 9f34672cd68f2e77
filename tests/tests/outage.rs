//! Postgres goes away while Roster runs (issue 17): requests fail fast with
//! `UNAVAILABLE` (503 for a query, so it is retried; 200 for a mutation,
//! which must not be retried blindly), `/readyz` says so while `/healthz` stays alive and
//! reports the database down, and everything recovers without restarting
//! Roster once the database is back. The outage is a relay between Roster
//! and Postgres that drops every connection, as a restart does; and a real
//! Postgres of the test's own, restarted and stopped with `pg_ctl`.

use std::time::{Duration, Instant};

use roster_tests::cluster::Cluster;
use roster_tests::outage::{Lock, Relay};
use roster_tests::server::Server;
use roster_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestDb};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_is_survived() {
    let db = TestDb::bootstrapped(Backend::Postgres).await;
    let (relay, url) = Relay::for_url(&db.url).await;
    let server = Server::start(&db, &[("DATABASE_URL", url.as_str())]);
    let (admin, _) = server.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let users = USERS;
    assert_eq!(
        admin.query(users, json!({})).await.data("users.totalCount"),
        1
    );
    let (status, _, body) = admin.get("/readyz").await;
    assert_eq!(status, 200, "{body}");

    let created = "SELECT event_type FROM audit_events WHERE event_type = 'user.created'";
    let before = db.strings(created).await.len();
    relay.cut();
    // A query answers 503 UNAVAILABLE, quickly, without internals.
    let started = Instant::now();
    let reply = admin.query(users, json!({})).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.code(), "UNAVAILABLE", "{}", reply.body);
    assert_eq!(
        reply.message(),
        "The database is unavailable; try again shortly"
    );
    // A mutation too, and it leaves nothing behind.
    let invite = admin.query(INVITE_WHILE_DOWN, json!({})).await;
    assert_eq!(invite.code(), "UNAVAILABLE", "{}", invite.body);
    // 503 only when it was refused before it ran (the caller could not be
    // looked up); a mutation that ran is never to be retried blindly.
    let ran = invite.body.get("data").is_some();
    assert_eq!(
        invite.status,
        if ran { 200 } else { 503 },
        "{}",
        invite.body
    );
    // Liveness stays up and reports the database; readiness refuses.
    let (status, _, body) = admin.get("/healthz").await;
    assert_eq!(status, 200, "{body}");
    let health: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(health["databaseState"], "down", "{body}");
    let (status, _, body) = admin.get("/readyz").await;
    assert_eq!(status, 503, "{body}");

    relay.restore().await;
    // Back without a restart, within a few seconds.
    let reply = recovered(&admin).await;
    assert_eq!(reply.data("users.totalCount"), 1);
    assert_eq!(admin.get("/readyz").await.0, 200);
    let (_, _, body) = admin.get("/healthz").await;
    assert!(body.contains("\"databaseState\":\"up\""), "{body}");
    writes_again(&admin, &db, before).await;
}

/// A mutation sent while the database is down.
const INVITE_WHILE_DOWN: &str = "mutation { createUser(input: { email: \"down@example.com\", username: \"downtime\", roles: [\"viewer\"] }) { user { id } } }";

/// After the outage: the mutation refused during it left nothing, and a
/// new one lands with its event (`before` `user.created` events till now).
async fn writes_again(admin: &roster_tests::server::Client, db: &TestDb, before: usize) {
    let created = "SELECT event_type FROM audit_events WHERE event_type = 'user.created'";
    assert_eq!(db.strings(created).await.len(), before);
    let made = db
        .strings("SELECT email FROM users WHERE email = 'down@example.com'")
        .await;
    assert!(made.is_empty(), "{made:?}");
    let invite = admin
        .query(
            "mutation { createUser(input: { email: \"up@example.com\", username: \"upagain\", roles: [\"viewer\"] }) { user { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        invite.data("createUser.user.email"),
        "up@example.com",
        "{}",
        invite.body
    );
    assert_eq!(db.strings(created).await.len(), before + 1);
}

/// The query every step asks.
const USERS: &str = "{ users(first: 5) { totalCount } }";

/// Asks until the answer is whole again (at most 10 s); every answer on the
/// way is `UNAVAILABLE`, never `INTERNAL`.
async fn recovered(admin: &roster_tests::server::Client) -> roster_tests::server::Reply {
    for _ in 0..100 {
        let reply = admin.query(USERS, json!({})).await;
        if reply.status == 200 && reply.body["errors"].is_null() {
            return reply;
        }
        assert_eq!(reply.code(), "UNAVAILABLE", "{}", reply.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("Roster did not recover once Postgres was back");
}

/// The same with a real Postgres of the test's own, restarted and stopped
/// with `pg_ctl` (a fast shutdown terminates each session with 57P01, which
/// the relay cannot show): no `INTERNAL` at any moment, recovery without
/// restarting Roster.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_postgres_restart_and_stop_are_survived() {
    let cluster = Cluster::start();
    let db = TestDb::postgres_at(&cluster.url()).await;
    db.bootstrap().await;
    let server = Server::start(&db, &[]);
    let (admin, _) = server.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        admin.query(USERS, json!({})).await.data("users.totalCount"),
        1
    );

    // pg_ctl restart -m fast: every pooled connection is terminated.
    cluster.restart();
    let reply = recovered(&admin).await;
    assert_eq!(reply.data("users.totalCount"), 1);
    assert_eq!(admin.get("/readyz").await.0, 200);

    // pg_ctl stop -m fast: down until started again.
    cluster.down();
    let started = Instant::now();
    let reply = admin.query(USERS, json!({})).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.code(), "UNAVAILABLE", "{}", reply.body);
    let invite = admin.query(INVITE_WHILE_DOWN, json!({})).await;
    assert_eq!(invite.code(), "UNAVAILABLE", "{}", invite.body);
    let (status, _, body) = admin.get("/healthz").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"databaseState\":\"down\""), "{body}");
    assert_eq!(admin.get("/readyz").await.0, 503);

    cluster.up();
    let reply = recovered(&admin).await;
    assert_eq!(reply.data("users.totalCount"), 1);
    assert_eq!(admin.get("/readyz").await.0, 200);
    // Only the admin's own user.created event so far.
    writes_again(&admin, &db, 1).await;
    let (_, _, metrics) = admin.get("/metrics").await;
    assert!(!metrics.contains("outcome=\"internal\""), "{metrics}");
}

/// A change that waits out SQLite's busy timeout behind another writer (a
/// CLI command, a backup, a second process) was rolled back whole: it is
/// answered `UNAVAILABLE` ("busy, nothing was changed"), not `INTERNAL`, over
/// GraphQL and REST, and the next change after the writer is done lands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_that_waits_out_sqlites_busy_timeout_is_unavailable() {
    let db = TestDb::bootstrapped(Backend::Sqlite).await;
    db.provision("jane@example.com", "viewer", roster_tests::USER_PASSWORD)
        .await
        .ok();
    let server = Server::start(&db, &[]);
    let (admin, _) = server.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let id = admin.viewer_id().await;
    let rename = "mutation($id: ID!, $name: String) { updateUser(id: $id, input: { displayName: $name }) { displayName } }";
    let lock = Lock::take(&db).await;
    let reply = admin
        .query(rename, json!({ "id": id, "name": "Blocked" }))
        .await;
    assert_eq!(reply.code(), "UNAVAILABLE", "{}", reply.body);
    assert_eq!(
        reply.message(),
        "The database is busy; nothing was changed, try again shortly"
    );
    let (status, _, body) = admin.rename_over_rest(&id, "Blocked Too").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"UNAVAILABLE\""), "{body}");
    // The CLI says so with an exit code of its own: run it again.
    let deactivate = || {
        db.roster()
            .args(["deactivate-user", "--email", "jane@example.com"])
    };
    deactivate().run().await.fails_with(
        9,
        "The database is busy; nothing was changed, try again shortly",
    );
    lock.release().await;
    deactivate().run().await.ok();
    let reply = admin
        .query(rename, json!({ "id": id, "name": "Unblocked" }))
        .await;
    assert_eq!(reply.data("updateUser.displayName"), "Unblocked");
    let events = db
        .strings("SELECT event_type FROM audit_events WHERE event_type = 'user.updated'")
        .await;
    assert_eq!(events.len(), 1, "only the change that landed: {events:?}");
    let events = db
        .strings("SELECT event_type FROM audit_events WHERE event_type = 'user.deactivated'")
        .await;
    assert_eq!(events.len(), 1, "only the command that ran: {events:?}");
    let (_, _, metrics) = admin.get("/metrics").await;
    assert!(!metrics.contains("outcome=\"internal\""), "{metrics}");
}
