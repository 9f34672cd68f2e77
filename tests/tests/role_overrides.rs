//! Role overrides (seed 002 "Override storage", issue 13) through the real
//! binary on both backends: `setRoleOverrides` normalises and checks its
//! input, `User.roleOverrides` reads it back, `clearRoleOverrides` (or empty
//! overrides) removes the claim, each change is audited with the old and
//! new values, and only someone who may manage the user and holds the
//! permissions of the roles named may change them.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster_tests::server::{Client, Reply, Server};
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

const SET: &str = "mutation($id: ID!, $i: RoleOverridesInput!) {
    setRoleOverrides(userId: $id, input: $i) { id roleOverrides { enabled preserved suppressed } } }";
const CLEAR: &str = "mutation($id: ID!) {
    clearRoleOverrides(userId: $id) { id roleOverrides { enabled } } }";
const READ: &str =
    "query($id: ID!) { user(id: $id) { roleOverrides { enabled preserved suppressed } } }";

async fn user_id(admin: &Client, username: &str) -> String {
    admin
        .query(
            "query($s: String) { users(first: 5, filter: { search: $s }) { edges { node { id username } } } }",
            json!({ "s": username }),
        )
        .await
        .data("users.edges")
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["node"]["username"] == username)
        .and_then(|e| e["node"]["id"].as_str())
        .expect("the user")
        .to_string()
}

async fn set(c: &Client, id: &str, input: Value) -> Reply {
    c.query(SET, json!({ "id": id, "i": input })).await
}

async fn audit(db: &TestDb, event: &str) -> Vec<Value> {
    db.strings(&format!(
        "SELECT details FROM audit_events WHERE event_type = '{event}' ORDER BY occurred_at, id"
    ))
    .await
    .iter()
    .map(|d| serde_json::from_str(d).expect("details are JSON"))
    .collect()
}

async fn overrides_are_set_read_and_cleared(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    for (email, role) in [("jane@example.com", "viewer"), ("ops@example.com", "admin")] {
        db.provision(email, role, USER_PASSWORD).await.ok();
    }
    let server = Server::start(&db, &[]);
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let jane = user_id(&admin, "jane").await;

    assert_eq!(
        admin
            .query(READ, json!({ "id": jane }))
            .await
            .data("user.roleOverrides"),
        Value::Null
    );
    let reply = set(
        &admin,
        &jane,
        json!({ "enabled": true, "preserved": [" Admin ", "admin", "EDITOR"], "suppressed": ["viewer"] }),
    )
    .await;
    let expected =
        json!({ "enabled": true, "preserved": ["admin", "editor"], "suppressed": ["viewer"] });
    assert_eq!(reply.data("setRoleOverrides.roleOverrides"), expected);
    assert_eq!(
        admin
            .query(READ, json!({ "id": jane }))
            .await
            .data("user.roleOverrides"),
        expected
    );
    let updated = audit(&db, "role_overrides.updated").await;
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["old_values"], Value::Null);
    assert_eq!(updated[0]["new_values"], expected);
    // The same again changes nothing and records nothing.
    set(
        &admin,
        &jane,
        json!({ "enabled": true, "preserved": ["admin", "editor"], "suppressed": ["viewer"] }),
    )
    .await
    .data("setRoleOverrides.id");
    assert_eq!(audit(&db, "role_overrides.updated").await.len(), 1);

    // Bad input: every problem named, nothing written.
    let unknown = set(&admin, &jane, json!({ "preserved": ["nosuchrole"] })).await;
    assert_eq!(unknown.code(), "BAD_USER_INPUT");
    assert!(unknown.message().contains("Unknown role"), "{unknown:?}");
    let both = set(
        &admin,
        &jane,
        json!({ "preserved": ["admin"], "suppressed": ["ADMIN"] }),
    )
    .await;
    assert_eq!(both.code(), "BAD_USER_INPUT");
    assert!(
        both.message().contains("both preserved and suppressed"),
        "{both:?}"
    );
    let malformed = set(&admin, &jane, json!({ "suppressed": ["not a role"] })).await;
    assert_eq!(malformed.code(), "BAD_USER_INPUT");
    assert_eq!(
        admin
            .query(READ, json!({ "id": jane }))
            .await
            .data("user.roleOverrides"),
        expected
    );

    // She reads her own; she changes nobody's.
    let (viewer, _) = server.client().login("jane", USER_PASSWORD).await;
    assert_eq!(
        viewer
            .query(READ, json!({ "id": jane }))
            .await
            .data("user.roleOverrides"),
        expected
    );
    assert_eq!(set(&viewer, &jane, json!({})).await.code(), "FORBIDDEN");
    // An admin may manage jane, but not name a role with powers beyond
    // their own.
    let (ops, _) = server.client().login("ops", USER_PASSWORD).await;
    assert_eq!(
        set(&ops, &jane, json!({ "preserved": ["superuser"] }))
            .await
            .code(),
        "FORBIDDEN"
    );
    set(&ops, &jane, json!({ "suppressed": ["editor"] }))
        .await
        .data("setRoleOverrides.id");

    // Empty overrides remove the claim; so does clearing.
    let emptied = set(&admin, &jane, json!({})).await;
    assert_eq!(emptied.data("setRoleOverrides.roleOverrides"), Value::Null);
    let cleared = audit(&db, "role_overrides.cleared").await;
    assert_eq!(cleared.len(), 1);
    assert_eq!(cleared[0]["old_values"]["suppressed"], json!(["editor"]));
    assert_eq!(cleared[0]["new_values"], Value::Null);
    set(&admin, &jane, json!({ "preserved": ["viewer"] }))
        .await
        .data("setRoleOverrides.id");
    let reply = admin.query(CLEAR, json!({ "id": jane })).await;
    assert_eq!(reply.data("clearRoleOverrides.roleOverrides"), Value::Null);
    assert_eq!(audit(&db, "role_overrides.cleared").await.len(), 2);
    // Clearing nothing records nothing; an unknown user is NOT_FOUND.
    admin
        .query(CLEAR, json!({ "id": jane }))
        .await
        .data("clearRoleOverrides.id");
    assert_eq!(audit(&db, "role_overrides.cleared").await.len(), 2);
    assert_eq!(
        admin
            .query(CLEAR, json!({ "id": "01NOSUCHUSER" }))
            .await
            .code(),
        "NOT_FOUND"
    );
    // The claim is kept beside the user's other claims.
    let claims = db
        .strings(&format!(
            "SELECT CAST(claims AS TEXT) FROM users WHERE id = '{jane}'"
        ))
        .await;
    let claims: Value = serde_json::from_str(&claims[0]).expect("claims");
    assert!(claims.get("role_overrides").is_none(), "{claims}");
}

on_both_backends!(overrides_are_set_read_and_cleared);
