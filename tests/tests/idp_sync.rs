//! Syncing a user's identity-provider roles (seed 002 "Mapping
//! configuration" and "Override storage", issue 13) through the real binary
//! on both backends: `syncUserRoles` replays the groups last stored on the
//! user's identity through `OIDC_GROUP_ROLE_MAP`, grants and revokes only
//! `idp` roles, honours suppressed, preserved and paused overrides, never
//! touches roles granted by hand, and is audited. Identities are recorded
//! in process through the service a login uses.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster::error::DomainError;
use roster::service::Actor;
use roster::service::identities::{self, Asserted};
use roster::service::work::{Mode, Work};
use roster_tests::server::{Client, Server};
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

const SYNC: &str = "mutation($id: ID!) { syncUserRoles(userId: $id) {
    user { roles } granted revoked withheld kept } }";
const EXPLAIN: &str = "query($id: ID!) { user(id: $id) { roleExplanation {
    groups roles { role sources { kind group } } withheld { role groups } } } }";
const OVERRIDES: &str = "mutation($id: ID!, $i: RoleOverridesInput!) {
    setRoleOverrides(userId: $id, input: $i) { id } }";

async fn says(
    app: &roster::App,
    user_id: &str,
    subject: &str,
    groups: Value,
) -> Result<(), DomainError> {
    let asserted = Asserted {
        issuer: "https://idp.example".into(),
        subject: subject.into(),
        email: Some("jane@example.com".into()),
        claims: json!({ "groups": groups, "email_verified": true }),
    };
    Work::run(app, Actor::system(), Mode::Write, async |w| {
        identities::record(w, user_id, &asserted).await.map(|_| ())
    })
    .await
}

async fn sync(admin: &Client, id: &str) -> Value {
    admin
        .query(SYNC, json!({ "id": id }))
        .await
        .data("syncUserRoles")
}

fn roles_of(synced: &Value) -> Vec<&str> {
    let mut roles: Vec<&str> = synced["user"]["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    roles.sort_unstable();
    roles
}

async fn sources(db: &TestDb, user_id: &str) -> Vec<String> {
    db.strings(&format!(
        "SELECT r.name || ':' || ur.source FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
         WHERE ur.user_id = '{user_id}' ORDER BY r.name"
    ))
    .await
}

async fn groups_map_to_roles_under_the_overrides(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    db.provision("joe@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let server = Server::start(
        &db,
        &[
            ("OIDC_GROUP_ROLE_MAP", r"admins=editor\nops=admin"),
            ("OIDC_GROUP_ROLE_DEFAULTS", "viewer"),
        ],
    );
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let id_of = |name: &'static str| {
        let admin = &admin;
        async move {
            admin
                .query("query($s: String) { users(filter: { search: $s }) { edges { node { id username } } } }", json!({ "s": name }))
                .await
                .data("users.edges")
                .as_array()
                .expect("edges")
                .iter()
                .find(|e| e["node"]["username"] == name)
                .and_then(|e| e["node"]["id"].as_str())
                .expect("user")
                .to_string()
        }
    };
    let jane = id_of("jane").await;
    let joe = id_of("joe").await;

    // Without an identity there is nothing to sync from.
    let none = admin.query(SYNC, json!({ "id": jane })).await;
    assert_eq!(none.code(), "BAD_USER_INPUT", "{none:?}");

    let app = db.app(&[], 2).await;
    says(&app, &jane, "jane-sub", json!(["Admins"]))
        .await
        .expect("linked");
    // An identity belongs to one account.
    match says(&app, &joe, "jane-sub", json!([])).await {
        Err(DomainError::Conflict { .. }) => {}
        other => panic!("linking jane's identity to joe: {other:?}"),
    }

    // Groups in any case; the default role is already hers by hand.
    let synced = sync(&admin, &jane).await;
    assert_eq!(synced["granted"], json!(["editor"]));
    assert_eq!(synced["revoked"], json!([]));
    assert_eq!(roles_of(&synced), ["editor", "viewer"]);
    assert_eq!(sources(&db, &jane).await, ["editor:idp", "viewer:manual"]);

    // The provider's groups change: the idp roles follow, the manual one stays.
    says(&app, &jane, "jane-sub", json!(["ops"]))
        .await
        .expect("seen again");
    let synced = sync(&admin, &jane).await;
    assert_eq!(
        (synced["granted"].clone(), synced["revoked"].clone()),
        (json!(["admin"]), json!(["editor"]))
    );
    assert_eq!(sources(&db, &jane).await, ["admin:idp", "viewer:manual"]);

    // Suppressed roles are withheld (and revoked); preserved ones are kept.
    admin
        .query(
            OVERRIDES,
            json!({ "id": jane, "i": { "suppressed": ["admin"], "preserved": ["editor"] } }),
        )
        .await
        .data("setRoleOverrides.id");
    says(&app, &jane, "jane-sub", json!(["ops", "admins"]))
        .await
        .expect("seen again");
    let synced = sync(&admin, &jane).await;
    assert_eq!(synced["withheld"], json!(["admin"]));
    assert_eq!(synced["revoked"], json!(["admin"]));
    assert_eq!(synced["granted"], json!(["editor"]));
    // Why she has each role, and what is withheld.
    let why = admin
        .query(EXPLAIN, json!({ "id": jane }))
        .await
        .data("user.roleExplanation");
    assert_eq!(why["groups"], json!(["ops", "admins"]));
    assert_eq!(
        why["roles"],
        json!([
            { "role": "editor", "sources": [{ "kind": "IDP_GROUP", "group": "admins" }] },
            { "role": "viewer", "sources": [
                { "kind": "MANUAL", "group": null }, { "kind": "IDP_DEFAULT", "group": null }] },
        ])
    );
    assert_eq!(
        why["withheld"],
        json!([{ "role": "admin", "groups": ["ops"] }])
    );
    says(&app, &jane, "jane-sub", json!([]))
        .await
        .expect("seen again");
    let synced = sync(&admin, &jane).await;
    assert_eq!(
        (synced["revoked"].clone(), synced["kept"].clone()),
        (json!([]), json!(["editor"]))
    );
    let why = admin
        .query(EXPLAIN, json!({ "id": jane }))
        .await
        .data("user.roleExplanation");
    assert_eq!(
        why["roles"][0],
        json!({ "role": "editor", "sources": [{ "kind": "PRESERVED", "group": null }] })
    );

    // Paused: additions still apply, nothing is revoked.
    admin
        .query(OVERRIDES, json!({ "id": jane, "i": { "enabled": true } }))
        .await
        .data("setRoleOverrides.id");
    says(&app, &jane, "jane-sub", json!(["ops"]))
        .await
        .expect("seen again");
    let synced = sync(&admin, &jane).await;
    assert_eq!(synced["granted"], json!(["admin"]));
    assert_eq!(synced["kept"], json!(["editor"]));
    assert_eq!(
        sources(&db, &jane).await,
        ["admin:idp", "editor:idp", "viewer:manual"]
    );

    // Audited: the link, and each sync that changed something.
    let events = db
        .strings("SELECT event_type FROM audit_events WHERE event_type IN ('identity.linked', 'user.roles_synced') ORDER BY occurred_at, id")
        .await;
    assert_eq!(events.first().map(String::as_str), Some("identity.linked"));
    assert_eq!(
        events.iter().filter(|e| *e == "user.roles_synced").count(),
        4,
        "{events:?}"
    );

    // Only someone who may manage her syncs her.
    let (viewer, _) = server.client().login("joe", USER_PASSWORD).await;
    assert_eq!(
        viewer.query(SYNC, json!({ "id": jane })).await.code(),
        "FORBIDDEN"
    );
    // She may read her own explanation; he may not read hers.
    assert_eq!(
        viewer.query(EXPLAIN, json!({ "id": jane })).await.code(),
        "FORBIDDEN"
    );
    let (her, _) = server.client().login("jane", USER_PASSWORD).await;
    let own = her
        .query(EXPLAIN, json!({ "id": jane }))
        .await
        .data("user.roleExplanation");
    assert_eq!(own["groups"], json!(["ops"]));
    // Without an identity there are no groups, only what is held.
    let his = admin
        .query(EXPLAIN, json!({ "id": joe }))
        .await
        .data("user.roleExplanation");
    assert_eq!(his["groups"], Value::Null);
    assert_eq!(
        his["roles"],
        json!([{ "role": "viewer", "sources": [
            { "kind": "MANUAL", "group": null }, { "kind": "IDP_DEFAULT", "group": null }] }])
    );

    // A role granted by hand says by whom and when: joe's viewer role by
    // the admin who provisioned him; the admin's own superuser role by the
    // system (`bootstrap-superuser`).
    let admin_id = id_of("admin").await;
    let who = "query($id: ID!) { user(id: $id) { createdAt roleExplanation {
        roles { role sources { kind grantedBy grantedById grantedAt } } } } }";
    let his = admin.query(who, json!({ "id": joe })).await.data("user");
    let manual = &his["roleExplanation"]["roles"][0]["sources"][0];
    assert_eq!(manual["kind"], "MANUAL");
    assert_eq!(manual["grantedBy"], "admin");
    assert_eq!(manual["grantedById"], json!(admin_id));
    assert_eq!(manual["grantedAt"], his["createdAt"]);
    let own = admin
        .query(who, json!({ "id": admin_id }))
        .await
        .data("user.roleExplanation.roles");
    assert_eq!(own[0]["role"], "superuser");
    assert_eq!(own[0]["sources"][0]["kind"], "MANUAL");
    assert_eq!(own[0]["sources"][0]["grantedBy"], Value::Null);
}

on_both_backends!(groups_map_to_roles_under_the_overrides);
