//! The live audit log (SPEC §9): `subscription { auditEvents }` over
//! graphql-ws at `/graphql/ws`, through the real binary on both backends.
//! A watcher on one process sees changes made through another process and
//! through the CLI; only `audit:read` holders may watch; a cookie socket
//! must come from this site; a revoked session's subscription ends, and
//! watching does not keep a session from its idle timeout.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use std::time::Duration;

use roster_tests::live::Live;
use roster_tests::server::{Client, Server};
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

const SUB: &str = "subscription($f: AuditEventsFilter) {
    auditEvents(filter: $f) { id eventType actorName channel resourceType resourceId } }";

/// The event of a `next` message.
fn event(message: &Value) -> &Value {
    &message["payload"]["data"]["auditEvents"]
}

/// The `extensions.code` of an error message (`next` with errors, or
/// `error`).
fn error_code(message: &Value) -> Option<String> {
    let errors = match &message["payload"] {
        Value::Array(errors) => errors.clone(),
        payload => payload["errors"].as_array().cloned().unwrap_or_default(),
    };
    errors
        .first()
        .and_then(|e| e["extensions"]["code"].as_str())
        .map(str::to_string)
}

async fn token(client: &Client, scopes: &[&str]) -> String {
    client
        .query(
            "mutation($s: [String!]!) { createToken(name: \"live\", scopes: $s) { secret } }",
            json!({ "s": scopes }),
        )
        .await
        .data("createToken.secret")
        .as_str()
        .expect("secret")
        .to_string()
}

/// Waits until every event so far is sealed: a subscription streams the
/// events sealed after it began.
async fn all_sealed(db: &TestDb) {
    for _ in 0..100 {
        let out = db.roster().args(["audit", "verify", "--json"]).run().await;
        let report: Value = serde_json::from_str(out.stdout.trim()).expect("report");
        if report["unsealed"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Lets the server register the subscription just made.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

async fn changes_in_other_processes_reach_the_watcher(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let a = Server::start(&db, &[]);
    let b = Server::start(&db, &[]);
    let (admin_b, _) = b.client().login("admin", ADMIN_PASSWORD).await;
    let secret = token(&admin_b, &["audit:read"]).await;
    let mut live = Live::connect(
        &a.base,
        &[],
        json!({ "Authorization": format!("Bearer {secret}") }),
    )
    .await
    .expect("connected to A with a token in connection_init");
    all_sealed(&db).await;
    live.subscribe(
        "1",
        SUB,
        json!({ "f": { "eventTypes": ["org.created", "user.created"] } }),
    )
    .await;
    settle().await;
    // Through process B's API, and through the CLI.
    admin_b
        .query(
            "mutation { createOrganization(input: { slug: \"from-b\", name: \"From B\" }) { id } }",
            json!({}),
        )
        .await
        .data("createOrganization.id");
    db.provision("cli@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let seen = live
        .until(Duration::from_secs(10), |m| {
            event(m)["eventType"] == "user.created" && event(m)["actorName"] == "admin"
        })
        .await;
    let types: Vec<&str> = seen
        .iter()
        .filter_map(|m| event(m)["eventType"].as_str())
        .collect();
    let mut a = a;
    assert!(
        !a.log_contains("audit chain task failed"),
        "A's chain task failed"
    );
    assert!(types.contains(&"org.created"), "{seen:#?}");
    assert!(
        !types.contains(&"user.login") && !types.contains(&"apikey.created"),
        "the filter holds: {seen:#?}"
    );
    assert_eq!(
        seen.len(),
        2,
        "only what happened after the subscription began: {seen:#?}"
    );
    let org = seen
        .iter()
        .find(|m| event(m)["eventType"] == "org.created")
        .expect("org.created");
    assert_eq!(event(org)["actorName"], "admin");
    assert_eq!(event(org)["channel"], "api");
    let cli = seen.last().expect("user.created");
    assert_eq!(event(cli)["channel"], "cli");
    assert_eq!(event(cli)["resourceType"], "user");
}

async fn a_revoked_session_ends_its_subscription(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let a = Server::start(&db, &[]);
    let b = Server::start(&db, &[]);
    let (admin, _) = a.client().login("admin", ADMIN_PASSWORD).await;
    let cookie = admin.cookie.clone().expect("session cookie");
    // A cookie socket from another site is refused before the upgrade.
    let refused = Live::connect(
        &a.base,
        &[("cookie", &cookie), ("origin", "https://evil.example")],
        json!({}),
    )
    .await;
    assert_eq!(refused.err(), Some(403));
    let mut live = Live::connect(
        &a.base,
        &[("cookie", &cookie), ("origin", &a.base)],
        json!({}),
    )
    .await
    .expect("a same-site cookie socket");
    live.subscribe("1", SUB, json!({})).await;
    settle().await;
    // The session ends through the other process.
    let mut on_b = b.client();
    on_b.cookie = Some(cookie.clone());
    assert_eq!(
        on_b.query("mutation { logout }", json!({}))
            .await
            .data("logout"),
        true
    );
    let seen = live
        .until(Duration::from_secs(10), |m| error_code(m).is_some())
        .await;
    let last = seen.last().expect("an error");
    assert_eq!(
        error_code(last).as_deref(),
        Some("UNAUTHENTICATED"),
        "{seen:#?}"
    );
    let after = live.message(Duration::from_secs(5)).await;
    assert_eq!(
        after.as_ref().map(|m| m["type"].clone()),
        Some(json!("complete")),
        "{after:?}"
    );
}

async fn only_audit_readers_may_watch(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let a = Server::start(&db, &[]);
    let (jane, _) = a.client().login("jane", USER_PASSWORD).await;
    let cookie = jane.cookie.clone().expect("cookie");
    let mut live = Live::connect(
        &a.base,
        &[("cookie", &cookie), ("origin", &a.base)],
        json!({}),
    )
    .await
    .expect("connected");
    live.subscribe("1", SUB, json!({})).await;
    let reply = live
        .message(Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(error_code(&reply).as_deref(), Some("FORBIDDEN"), "{reply}");
    // The refusal is on the record.
    let denials = db
        .strings("SELECT details FROM audit_events WHERE event_type = 'permission.denied'")
        .await;
    assert!(
        denials.iter().any(|d| d.contains("audit:read")),
        "{denials:?}"
    );
    // Queries and mutations belong to POST /graphql, which checks them.
    live.subscribe("2", "query { viewer { permissions } }", json!({}))
        .await;
    let seen = live.until(Duration::from_secs(5), |m| m["id"] == "2").await;
    let reply = seen.last().expect("an answer");
    assert_eq!(
        error_code(reply).as_deref(),
        Some("BAD_USER_INPUT"),
        "{reply}"
    );
    // Nobody at all.
    let mut anonymous = Live::connect(&a.base, &[], json!({}))
        .await
        .expect("connected");
    anonymous.subscribe("1", SUB, json!({})).await;
    let reply = anonymous
        .message(Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(
        error_code(&reply).as_deref(),
        Some("UNAUTHENTICATED"),
        "{reply}"
    );
    // A bad token in connection_init: the connection is not acknowledged.
    let bad = Live::connect(
        &a.base,
        &[],
        json!({ "Authorization": "Bearer roster_pat_nope" }),
    )
    .await;
    assert_eq!(bad.err(), Some(0));
    // A bad filter is refused with its field.
    let (admin, _) = a.client().login("admin", ADMIN_PASSWORD).await;
    let secret = token(&admin, &["audit:read"]).await;
    let mut live = Live::connect(
        &a.base,
        &[("authorization", &format!("Bearer {secret}"))],
        json!({}),
    )
    .await
    .expect("a bearer header on the upgrade");
    live.subscribe(
        "1",
        SUB,
        json!({ "f": { "from": "2026-02-02T00:00:00Z", "to": "2026-02-01T00:00:00Z" } }),
    )
    .await;
    let reply = live
        .message(Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(
        error_code(&reply).as_deref(),
        Some("BAD_USER_INPUT"),
        "{reply}"
    );
}

/// An open subscription re-checks its credential every second, but a page
/// left open is not activity: watching never pushes back the session's idle
/// timeout, a request does, and the watcher sees the session end when it
/// times out. In process, so the clock can move.
async fn watching_does_not_keep_a_session_alive(backend: Backend) {
    use roster::domain::PlainPassword;
    use roster::service::Actor;
    use roster::service::auth::{self, Presence, Presented};
    use roster::service::work::{Mode, Work};

    let db = TestDb::bootstrapped(backend).await;
    let app = db.app(&[("SESSION_IDLE_SECONDS", "600")], 2).await;
    let anonymous = Actor::anonymous(Some("127.0.0.1".into()), None);
    let client = anonymous.client();
    let logged_in = Work::run(&app, anonymous, Mode::Write, async |w| {
        auth::login(w, "admin", &PlainPassword::unchecked(ADMIN_PASSWORD)).await
    })
    .await
    .expect("login");
    let presented = Presented::Session(logged_in.session.secret.clone());
    let idle_expiry = || async {
        db.strings(&format!(
            "SELECT CAST(idle_expires_at AS TEXT) FROM sessions WHERE id = '{}'",
            logged_in.session.session.id
        ))
        .await
    };
    let at_login = idle_expiry().await;
    // Five minutes of watching, checked every minute: nothing moves.
    for _ in 0..5 {
        app.clock.advance(Duration::from_secs(60));
        let found = auth::authenticate(&app, &presented, &client, Presence::Watching)
            .await
            .expect("authenticate");
        assert!(found.is_some(), "the session holds while it is not idle");
    }
    assert_eq!(idle_expiry().await, at_login, "watching is not activity");
    // The session times out under the watcher.
    app.clock.advance(Duration::from_secs(301));
    let found = auth::authenticate(&app, &presented, &client, Presence::Watching)
        .await
        .expect("authenticate");
    assert!(found.is_none(), "idle for ten minutes");

    // A request is activity: it pushes the idle timeout back.
    let logged_in = Work::run(
        &app,
        Actor::anonymous(Some("127.0.0.1".into()), None),
        Mode::Write,
        async |w| auth::login(w, "admin", &PlainPassword::unchecked(ADMIN_PASSWORD)).await,
    )
    .await
    .expect("login");
    let presented = Presented::Session(logged_in.session.secret.clone());
    let before = logged_in.session.session.idle_expires_at;
    app.clock.advance(Duration::from_secs(120));
    auth::authenticate(&app, &presented, &client, Presence::Active)
        .await
        .expect("authenticate")
        .expect("a live session");
    app.clock.advance(Duration::from_secs(500));
    assert!(
        auth::authenticate(&app, &presented, &client, Presence::Watching)
            .await
            .expect("authenticate")
            .is_some(),
        "a request two minutes in kept it alive past {before}"
    );
}

on_both_backends!(
    changes_in_other_processes_reach_the_watcher,
    a_revoked_session_ends_its_subscription,
    only_audit_readers_may_watch,
    watching_does_not_keep_a_session_alive,
);
