//! The access rules that every path follows (issue 11): nobody manages the
//! tokens of someone more powerful, the role catalogue is not for everyone,
//! anonymous callers are nobody, and errors tell the truth (a race is a
//! conflict, a database failure is internal).
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster_tests::server::{Client, Server};
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

async fn setup(backend: Backend) -> (TestDb, Server) {
    let db = TestDb::bootstrapped(backend).await;
    for (email, role) in [("jane@example.com", "viewer"), ("ops@example.com", "admin")] {
        db.provision(email, role, USER_PASSWORD).await.ok();
    }
    let server = Server::start(&db, &[]);
    (db, server)
}

async fn my_id(c: &Client) -> Value {
    c.query("{ viewer { user { id } } }", json!({}))
        .await
        .data("viewer.user.id")
}

async fn create_token(c: &Client, name: &str) -> (String, Value) {
    let reply = c
        .query(
            "mutation($n: String!) { createToken(name: $n, scopes: [\"orgs:read\"]) { secret token { id } } }",
            json!({ "n": name }),
        )
        .await;
    let secret = reply.data("createToken.secret");
    (
        secret.as_str().expect("secret").to_string(),
        reply.data("createToken.token.id"),
    )
}

/// An admin holds `tokens:manage`, yet the superuser's tokens are out of
/// reach: listing and revoking them are refused and recorded, the token keeps
/// working. A viewer's tokens are fine.
async fn tokens_of_someone_more_powerful_are_out_of_reach(backend: Backend) {
    let (db, server) = setup(backend).await;
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let (ops, _) = server.client().login("ops", USER_PASSWORD).await;
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    let (secret, token_id) = create_token(&admin, "root-script").await;
    let admin_id = my_id(&admin).await;
    let list = "query($u: ID!) { tokens(userId: $u) { id name } }";
    let listed = ops.query(list, json!({ "u": admin_id })).await;
    assert_eq!(listed.code(), "FORBIDDEN", "{listed:?}");
    let revoke = "mutation($id: ID!) { revokeToken(id: $id) }";
    let revoked = ops.query(revoke, json!({ "id": token_id })).await;
    assert_eq!(revoked.code(), "FORBIDDEN", "{revoked:?}");
    let still = server
        .client()
        .with_bearer(&secret)
        .query("{ viewer { user { username } } }", json!({}))
        .await;
    assert_eq!(still.data("viewer.user.username"), "admin");
    let denied = db
        .strings("SELECT details FROM audit_events WHERE event_type = 'permission.denied' ORDER BY occurred_at, id")
        .await;
    assert!(
        denied.iter().any(|d| d.contains("apikey.list"))
            && denied.iter().any(|d| d.contains("apikey.revoke")),
        "{denied:?}"
    );
    // Someone less powerful: allowed, as before.
    let (_, jane_token) = create_token(&jane, "laptop").await;
    let seen = ops
        .query(list, json!({ "u": my_id(&jane).await }))
        .await
        .data("tokens");
    assert_eq!(seen[0]["name"], "laptop");
    ops.query(revoke, json!({ "id": jane_token }))
        .await
        .data("revokeToken");
    // And the superuser may manage everyone's.
    let (_, ops_token) = create_token(&ops, "ops-script").await;
    admin
        .query(revoke, json!({ "id": ops_token }))
        .await
        .data("revokeToken");
}

/// `roles` needs `users:read` or `roles:manage`: a viewer is refused.
async fn the_role_catalogue_needs_users_read_or_roles_manage(backend: Backend) {
    let (_db, server) = setup(backend).await;
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    let (ops, _) = server.client().login("ops", USER_PASSWORD).await;
    let q = "{ roles { name } }";
    assert_eq!(jane.query(q, json!({})).await.code(), "FORBIDDEN");
    assert_eq!(
        server.client().query(q, json!({})).await.code(),
        "UNAUTHENTICATED"
    );
    let names = ops.query(q, json!({})).await.data("roles");
    assert!(names.as_array().is_some_and(|r| r.len() >= 4), "{names}");
}

/// A failed login and a reset request are recorded as API calls by nobody
/// (no actor id or name, channel `api`) — never as the operator of the
/// command line. (That an anonymous principal holds no permission at all is
/// unit-tested in `server/src/service/actor.rs`.)
async fn anonymous_callers_are_nobody_in_the_audit_log(backend: Backend) {
    let (db, server) = setup(backend).await;
    server.client().login("jane", "Wrong-Password-1!").await;
    server
        .client()
        .query(
            "mutation { requestPasswordReset(email: \"jane@example.com\") }",
            json!({}),
        )
        .await;
    let rows = db
        .strings(
            "SELECT event_type || '|' || COALESCE(actor_id, '-') || '|' || COALESCE(actor_username, '-') || '|' || channel \
             FROM audit_events WHERE event_type IN ('user.login_failed', 'password.reset_requested') ORDER BY occurred_at, id",
        )
        .await;
    assert!(!rows.is_empty(), "no audit rows");
    for row in &rows {
        assert!(row.ends_with("|-|-|api"), "{row}");
    }
}

/// Racing `createUser` calls for one email: one wins, every other one is the
/// field-named conflict — never an internal error — and one user exists.
async fn racing_duplicate_creates_are_conflicts(backend: Backend) {
    let (db, server) = setup(backend).await;
    let (ops, _) = server.client().login("ops", USER_PASSWORD).await;
    let create = "mutation($u: String!) { createUser(input: { username: $u, email: \"race@example.com\", roles: [\"viewer\"] }) { user { id } } }";
    let racers = (0..8).map(|i| {
        let ops = ops.clone();
        async move { ops.query(create, json!({ "u": format!("racer{i}") })).await }
    });
    let replies = futures_join_all(racers).await;
    let won = replies
        .iter()
        .filter(|r| r.body.get("errors").is_none())
        .count();
    assert_eq!(won, 1, "{replies:#?}");
    for r in replies.iter().filter(|r| r.body.get("errors").is_some()) {
        assert_eq!(r.code(), "CONFLICT", "{r:?}");
        assert_eq!(r.message(), "Email is already taken", "{r:?}");
    }
    let count = db
        .strings("SELECT CAST(COUNT(*) AS TEXT) FROM users WHERE email = 'race@example.com'")
        .await;
    assert_eq!(count, vec!["1".to_string()]);
}

/// All at once on the runtime's threads (no extra crate for join_all).
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<roster_tests::server::Reply>
where
    F: std::future::Future<Output = roster_tests::server::Reply> + Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

/// A database failure while an invitation is accepted is an internal error,
/// not "Invalid or expired invitation token" (which would send the user away
/// with a working link).
async fn a_database_failure_during_accept_is_internal(backend: Backend) {
    let (db, server) = setup(backend).await;
    let (ops, _) = server.client().login("ops", USER_PASSWORD).await;
    let invited = ops
        .query(
            "mutation { createUser(input: { username: \"newbie\", email: \"newbie@example.com\", roles: [\"viewer\"] }) { user { id } } }",
            json!({}),
        )
        .await;
    invited.data("createUser.user.id");
    let outbox = db.dir.path().join("outbox");
    let mail = std::fs::read_dir(&outbox)
        .expect("outbox")
        .flatten()
        .map(|e| {
            roster_tests::smtp::decode_quoted_printable(
                &std::fs::read_to_string(e.path()).unwrap_or_default(),
            )
        })
        .find(|m| m.contains("newbie@example.com"))
        .expect("the invitation email");
    let token = roster_tests::smtp::token_in(&mail);
    assert_eq!(token.len(), 64, "{mail}");
    // The users table is gone from under the server: the token lookup still
    // works, reading the user fails.
    db.exec("ALTER TABLE users RENAME TO users_unavailable")
        .await;
    let accept = "mutation($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p, passwordConfirm: $p) { status } }";
    let reply = server
        .client()
        .query(accept, json!({ "t": token, "p": USER_PASSWORD }))
        .await;
    assert_eq!(reply.code(), "INTERNAL", "{reply:?}");
    assert_eq!(reply.message(), "Internal server error", "{reply:?}");
    db.exec("ALTER TABLE users_unavailable RENAME TO users")
        .await;
    let reply = server
        .client()
        .query(accept, json!({ "t": token, "p": USER_PASSWORD }))
        .await;
    assert_eq!(
        reply.data("acceptInvitation.status"),
        "ACTIVE",
        "the link still works"
    );
}

on_both_backends!(
    tokens_of_someone_more_powerful_are_out_of_reach,
    the_role_catalogue_needs_users_read_or_roles_manage,
    anonymous_callers_are_nobody_in_the_audit_log,
    racing_duplicate_creates_are_conflicts,
    a_database_failure_during_accept_is_internal,
);
