//! The credential cache (`server/src/service/credentials.rs`): repeated
//! requests are answered from memory, and nothing it remembers outlives a
//! change — made through GraphQL, the CLI, or hand-written SQL — on SQLite and
//! Postgres.

use std::time::{Duration, Instant};

use roster_tests::server::{Client, Server};
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

const VIEWER_Q: &str = "{ viewer { user { id username displayName roles } permissions } }";

async fn setup(backend: Backend, env: &[(&str, &str)]) -> (TestDb, Server) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let server = Server::start(&db, env);
    (db, server)
}

async fn viewer(c: &Client) -> Value {
    c.query(VIEWER_Q, json!({})).await.data("viewer")
}

fn permissions(v: &Value) -> Vec<String> {
    v["permissions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect()
}

/// Asks until `viewer` is null, for at most `limit`; returns how long it took.
async fn refused_within(c: &Client, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if viewer(c).await == Value::Null {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

async fn repeated_requests_are_answered_from_memory(backend: Backend) {
    let (_db, server) = setup(backend, &[]).await;
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    for _ in 0..5 {
        assert_eq!(viewer(&jane).await["user"]["username"], "jane");
    }
    let from_db = server
        .metric("roster_credential_lookups_total{source=\"database\"}")
        .await;
    let from_cache = server
        .metric("roster_credential_lookups_total{source=\"cache\"}")
        .await;
    assert_eq!(from_db, 1.0, "only the first request reads the session");
    assert_eq!(from_cache, 4.0);
}

async fn changes_through_graphql_apply_on_the_next_request(backend: Backend) {
    let (_db, server) = setup(backend, &[]).await;
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    let before = viewer(&jane).await;
    assert!(!permissions(&before).contains(&"users:manage".to_string()));
    let id = before["user"]["id"].clone();

    // A new role: the very next request has its permissions.
    let granted = admin
        .query(
            "mutation($id: ID!) { setUserRoles(id: $id, roles: [\"admin\"]) { roles } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(granted.data("setUserRoles.roles"), json!(["admin"]));
    let after = viewer(&jane).await;
    assert_eq!(after["user"]["roles"], json!(["admin"]));
    assert!(permissions(&after).contains(&"users:manage".to_string()));

    // A custom role's permissions change: so do its holders'.
    let created = admin
        .query(
            "mutation { createRole(name: \"auditor\", definition: { permissions: [\"audit:read\"] }) { name } }",
            json!({}),
        )
        .await;
    assert_eq!(created.data("createRole.name"), "auditor");
    admin
        .query(
            "mutation($id: ID!) { setUserRoles(id: $id, roles: [\"auditor\"]) { roles } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(permissions(&viewer(&jane).await), vec!["audit:read"]);
    let updated = admin
        .query(
            "mutation { updateRole(name: \"auditor\", definition: { permissions: [\"audit:read\", \"orgs:read\"] }) { name } }",
            json!({}),
        )
        .await;
    assert_eq!(updated.data("updateRole.name"), "auditor");
    assert_eq!(
        permissions(&viewer(&jane).await),
        vec!["audit:read", "orgs:read"]
    );

    // A profile change shows at once too.
    admin
        .query(
            "mutation($id: ID!) { updateUser(id: $id, input: { displayName: \"Jane Q\" }) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(viewer(&jane).await["user"]["displayName"], "Jane Q");

    // Deactivation: the next request is anonymous.
    admin
        .query(
            "mutation($id: ID!) { deactivateUser(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(viewer(&jane).await, Value::Null);
}

async fn hand_written_sql_takes_effect_within_a_poll(backend: Backend) {
    let (db, server) = setup(backend, &[]).await;
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    let created = jane
        .query(
            "mutation { createToken(name: \"script\", scopes: [\"orgs:read\"]) { secret } }",
            json!({}),
        )
        .await;
    let secret = created.data("createToken.secret");
    let script = server
        .client()
        .with_bearer(secret.as_str().unwrap_or_default());
    assert_eq!(viewer(&jane).await["user"]["username"], "jane");
    assert_eq!(viewer(&script).await["user"]["username"], "jane");

    // A runbook revokes the sessions with SQL, behind Roster's back.
    db.exec("UPDATE sessions SET revoked_at = CURRENT_TIMESTAMP")
        .await;
    let took = refused_within(&jane, Duration::from_secs(3)).await;
    assert!(
        took.is_some(),
        "session still accepted 3 s after SQL revoked it"
    );
    // The token still works, then a hand-made deactivation ends it too.
    assert_eq!(viewer(&script).await["user"]["username"], "jane");
    db.exec("UPDATE users SET status = 'deactivated' WHERE username = 'jane'")
        .await;
    let start = Instant::now();
    let mut status = 200;
    while start.elapsed() < Duration::from_secs(3) {
        status = script.query(VIEWER_Q, json!({})).await.status;
        if status == 401 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        status, 401,
        "token still accepted 3 s after SQL deactivation"
    );
}

async fn cli_changes_are_in_effect_when_the_command_returns(backend: Backend) {
    let (db, server) = setup(backend, &[]).await;
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    assert_eq!(viewer(&jane).await["user"]["username"], "jane");
    db.roster()
        .args(["set-role", "--email", "jane@example.com", "--role", "admin"])
        .run()
        .await
        .ok();
    assert_eq!(viewer(&jane).await["user"]["roles"], json!(["admin"]));
    db.roster()
        .args(["revoke-sessions", "--email", "jane@example.com"])
        .run()
        .await
        .ok();
    assert_eq!(viewer(&jane).await, Value::Null);
}

async fn a_zero_lifetime_reads_the_database_on_every_request(backend: Backend) {
    let (db, server) = setup(backend, &[("CREDENTIAL_CACHE_SECONDS", "0")]).await;
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    assert_eq!(viewer(&jane).await["user"]["username"], "jane");
    assert_eq!(viewer(&jane).await["user"]["username"], "jane");
    db.exec("UPDATE sessions SET revoked_at = CURRENT_TIMESTAMP")
        .await;
    assert_eq!(viewer(&jane).await, Value::Null);
    assert_eq!(
        server
            .metric("roster_credential_lookups_total{source=\"cache\"}")
            .await,
        0.0
    );
}

on_both_backends!(
    repeated_requests_are_answered_from_memory,
    changes_through_graphql_apply_on_the_next_request,
    hand_written_sql_takes_effect_within_a_poll,
    cli_changes_are_in_effect_when_the_command_returns,
    a_zero_lifetime_reads_the_database_on_every_request,
);
