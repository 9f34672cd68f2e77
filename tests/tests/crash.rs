//! `kill -9` under concurrent writes (issue 17), on both backends, at random
//! moments, three times over: after each restart every change a client saw
//! succeed is there with its audit event, nothing is half-applied (no user
//! without its event and invitation, no session without its login event),
//! the audit chain verifies, and the server starts cleanly every time.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use roster_tests::server::{Client, Server};
use roster_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

/// A pseudo-random number below `n`, from the clock (the moment of the
/// kill should differ from run to run; its value is printed).
fn below(n: u64) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    u64::from(nanos) % n
}

/// What the writers saw succeed.
#[derive(Default)]
struct Seen {
    created: Vec<String>,
    logins: usize,
}

/// Runs writers against `server` until the connection breaks: an admin
/// creating (and so inviting) users, and a user logging in.
fn writers(
    server: &Server,
    admin: Client,
    round: usize,
    seen: Arc<Mutex<Seen>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    for writer in 0..3 {
        let (admin, seen) = (admin.clone(), seen.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0.. {
                let email = format!("crash-{round}-{writer}-{n}@example.com");
                let sent = admin
                    .try_send(json!({
                        "query": "mutation($e: String!, $u: String!) { createUser(input: { email: $e, username: $u, roles: [\"viewer\"] }) { user { email } } }",
                        "variables": { "e": email, "u": format!("crash{round}x{writer}x{n}") },
                    }))
                    .await;
                let Some(body) = sent else { break };
                if body["data"]["createUser"]["user"]["email"] == email {
                    seen.lock().expect("seen").created.push(email);
                }
            }
        }));
    }
    let client = server.client();
    let seen_logins = seen.clone();
    tasks.push(tokio::spawn(async move {
        loop {
            let sent = client
                .try_send(json!({
                    "query": "mutation($l: String!, $p: String!) { login(usernameOrEmail: $l, password: $p) { sessionExpiresAt } }",
                    "variables": { "l": "jane", "p": USER_PASSWORD },
                }))
                .await;
            let Some(body) = sent else { break };
            if body["data"]["login"]["sessionExpiresAt"].is_string() {
                seen_logins.lock().expect("seen").logins += 1;
            }
        }
    }));
    tasks
}

async fn checks_after_restart(db: &TestDb, seen: &Seen) {
    // Every acknowledged user is there, with its one creation event and its
    // invitation.
    let users = db
        .strings("SELECT email FROM users WHERE email LIKE 'crash-%'")
        .await;
    for email in &seen.created {
        assert!(
            users.contains(email),
            "{email} was acknowledged but is gone"
        );
    }
    let unmatched = db
        .strings(
            "SELECT u.email FROM users u WHERE u.email LIKE 'crash-%' AND \
             (SELECT COUNT(*) FROM audit_events e WHERE e.event_type = 'user.created' AND e.resource_id = u.id) <> 1",
        )
        .await;
    assert!(
        unmatched.is_empty(),
        "users without exactly one creation event: {unmatched:?}"
    );
    let uninvited = db
        .strings(
            "SELECT u.email FROM users u WHERE u.email LIKE 'crash-%' AND \
             NOT EXISTS (SELECT 1 FROM one_time_tokens t WHERE t.user_id = u.id)",
        )
        .await;
    assert!(
        uninvited.is_empty(),
        "users without their invitation: {uninvited:?}"
    );
    let orphans = db
        .strings(
            "SELECT e.id FROM audit_events e WHERE e.event_type = 'user.created' \
             AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = e.resource_id)",
        )
        .await;
    assert!(
        orphans.is_empty(),
        "creation events without their user: {orphans:?}"
    );
    // Each session has its login event and the other way round.
    let jane = "(SELECT id FROM users WHERE username = 'jane')";
    let sessions = db
        .strings(&format!("SELECT id FROM sessions WHERE user_id = {jane}"))
        .await
        .len();
    let logins = db
        .strings(&format!(
            "SELECT id FROM audit_events WHERE event_type = 'user.login' AND actor_id = {jane}"
        ))
        .await
        .len();
    assert_eq!(sessions, logins, "sessions and their login events");
    assert!(
        sessions >= seen.logins,
        "{sessions} sessions for {} acknowledged logins",
        seen.logins
    );
}

async fn audit_chain_verifies(db: &TestDb) -> Value {
    let mut report = Value::Null;
    for _ in 0..100 {
        let out = db.roster().args(["audit", "verify", "--json"]).run().await;
        report = serde_json::from_str(out.stdout.trim()).expect("report");
        assert_eq!(report["ok"], true, "{report}");
        if report["unsealed"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    report
}

async fn kill_9_loses_nothing_acknowledged(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let seen = Arc::new(Mutex::new(Seen::default()));
    for round in 0..3 {
        let mut server = Server::start(&db, &[("LOGIN_MAX_FAILURES_PER_ADDRESS", "100000")]);
        assert!(
            !server.log_contains("ERROR"),
            "round {round}: startup logged an error"
        );
        assert_eq!(server.client().get("/readyz").await.0, 200);
        let (admin, reply) = server.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let tasks = writers(&server, admin, round, seen.clone());
        let wait = 300 + below(900);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        server.signal("KILL");
        assert_eq!(
            server.wait_exit(Duration::from_secs(10)),
            None,
            "killed by the signal"
        );
        for task in tasks {
            task.await.expect("writer");
        }
        let seen_now = seen.lock().expect("seen");
        println!(
            "round {round}: killed after {wait} ms; {} users and {} logins acknowledged so far",
            seen_now.created.len(),
            seen_now.logins
        );
        assert!(
            !seen_now.created.is_empty(),
            "round {round}: the writers got nothing done"
        );
        drop(seen_now);
    }
    // One more start: migrations and hooks run cleanly on what the kills
    // left, the chain task seals what was not sealed, and all holds.
    let mut server = Server::start(&db, &[]);
    assert!(
        !server.log_contains("ERROR"),
        "the last start logged an error"
    );
    let report = audit_chain_verifies(&db).await;
    assert_eq!(report["unsealed"], 0, "{report}");
    let seen = std::mem::take(&mut *seen.lock().expect("seen"));
    checks_after_restart(&db, &seen).await;
    let (admin, _) = server.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let total = admin
        .query(
            "{ users(first: 1, filter: { search: \"crash-\" }) { totalCount } }",
            json!({}),
        )
        .await
        .data("users.totalCount");
    assert!(
        total.as_u64().unwrap_or(0) as usize >= seen.created.len(),
        "{total}"
    );
}

on_both_backends!(kill_9_loses_nothing_acknowledged);
