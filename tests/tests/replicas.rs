//! Two replicas on one Postgres (SPEC §1 "Scale-out", §14; issue 17): two
//! `roster serve` processes started at once on a fresh database migrate
//! without conflict, and agree on everything that must be consistent —
//! sessions, revocations, deactivations, role and password changes (within
//! 1 s), login throttling, one-time invitations, and an OIDC login begun on
//! one and completed on the other. (A watcher on one replica seeing changes
//! made on another is `audit_live::changes_in_other_processes_reach_the_watcher`.)
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use std::time::{Duration, Instant};

use roster_tests::oidc::{CLIENT_ID, CLIENT_SECRET, Provider, browser};
use roster_tests::server::{Client, Server};
use roster_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, free_port};
use serde_json::{Value, json};

const VIEWER_Q: &str = "{ viewer { user { username } permissions } }";

/// `client` with its session cookie, speaking to `server`.
fn on(server: &Server, client: &Client) -> Client {
    let mut moved = server.client();
    moved.cookie = client.cookie.clone();
    moved
}

async fn viewer(c: &Client) -> Value {
    c.query(VIEWER_Q, json!({})).await.data("viewer")
}

/// Asks `c` until `done` holds of `viewer`, for at most a second; returns
/// how long it took.
async fn within_a_second(c: &Client, done: impl Fn(&Value) -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if done(&viewer(c).await) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "the other replica did not see the change within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn id_of(admin: &Client, email: &str) -> String {
    let page = admin
        .query(
            "query($s: String) { users(first: 1, filter: { search: $s }) { edges { node { id } } } }",
            json!({ "s": email }),
        )
        .await
        .data("users.edges");
    page[0]["node"]["id"].as_str().expect("id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgres_agree() {
    // A fresh database: both replicas migrate it at the same moment.
    let db = TestDb::new(Backend::Postgres).await;
    let (port_a, port_b) = (free_port(), free_port());
    let (bind_a, bind_b) = (format!("127.0.0.1:{port_a}"), format!("127.0.0.1:{port_b}"));
    // Both answer at B's address, as replicas behind one public URL would:
    // an OIDC login begun on A comes back to B.
    let public = format!("http://127.0.0.1:{port_b}");
    let idp_port = Provider::port();
    let issuer = Provider::issuer_at(idp_port);
    let env = [
        ("ROSTER_PUBLIC_URL", public.as_str()),
        ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "4"),
        ("LOGIN_RETRY_DELAY_MS", "1"),
        ("OIDC_ISSUER_URL", issuer.as_str()),
        ("OIDC_CLIENT_ID", CLIENT_ID),
        ("OIDC_CLIENT_SECRET", CLIENT_SECRET),
        ("OIDC_SCOPES", "openid email profile groups"),
        ("OIDC_AUTO_PROVISION_USERS", "on"),
        ("OIDC_GROUP_ROLE_MAP", "staff=editor"),
    ];
    let mut servers = Server::start_together(&db, &[(&bind_a, &env), (&bind_b, &env)]);
    let mut b = servers.pop().expect("B");
    let mut a = servers.pop().expect("A");
    for server in [&mut a, &mut b] {
        assert!(
            !server.log_contains("ERROR"),
            "a replica logged an error at startup"
        );
    }
    let applied = db.strings("SELECT version FROM seaql_migrations").await;
    let mut unique = applied.clone();
    unique.dedup();
    assert!(!applied.is_empty());
    assert_eq!(applied, unique, "each migration applied once");

    db.bootstrap().await;
    for (email, role) in [
        ("jane@example.com", "editor"),
        ("tom@example.com", "viewer"),
    ] {
        db.provision(email, role, USER_PASSWORD).await.ok();
    }
    let (admin_b, _) = b.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // A session made on A works on B, and the other way round.
    let (jane_a, reply) = a.client().login("jane", USER_PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(viewer(&on(&b, &jane_a)).await["user"]["username"], "jane");

    // A role change on B: A's cached permissions follow within 1 s.
    let jane_id = id_of(&admin_b, "jane@example.com").await;
    let before = viewer(&jane_a).await["permissions"].clone();
    admin_b
        .query(
            "mutation($id: ID!) { setUserRoles(id: $id, roles: [\"viewer\"]) { id } }",
            json!({ "id": jane_id }),
        )
        .await
        .data("setUserRoles.id");
    within_a_second(&jane_a, |v| v["permissions"] != before).await;

    // A deactivation on B: the session on A is refused within 1 s.
    admin_b
        .query(
            "mutation($id: ID!) { deactivateUser(id: $id) { id } }",
            json!({ "id": jane_id }),
        )
        .await
        .data("deactivateUser.id");
    within_a_second(&jane_a, Value::is_null).await;
    admin_b
        .query(
            "mutation($id: ID!) { activateUser(id: $id) { id } }",
            json!({ "id": jane_id }),
        )
        .await
        .data("activateUser.id");

    // A logout on B ends the session on A within 1 s.
    let (jane_a, _) = a.client().login("jane", USER_PASSWORD).await;
    assert_eq!(viewer(&jane_a).await["user"]["username"], "jane");
    let ended = on(&b, &jane_a)
        .query("mutation { logout }", json!({}))
        .await
        .data("logout");
    assert_eq!(ended, true);
    within_a_second(&jane_a, Value::is_null).await;

    // A password change on B ends the user's other sessions on A within 1 s.
    let (tom_a, _) = a.client().login("tom", USER_PASSWORD).await;
    let (tom_b, _) = b.client().login("tom", USER_PASSWORD).await;
    assert_eq!(viewer(&tom_a).await["user"]["username"], "tom");
    let new_password = "Another-Secret-2026!";
    let changed = tom_b
        .query(
            "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n, newPasswordConfirm: $n) }",
            json!({ "c": USER_PASSWORD, "n": new_password }),
        )
        .await;
    assert_eq!(changed.data("changePassword"), true);
    within_a_second(&tom_a, Value::is_null).await;

    // Throttling counts failures on both: alternating replicas gives an
    // attacker no more tries than one replica would.
    for attempt in 0..4 {
        let server = if attempt % 2 == 0 { &a } else { &b };
        let (_, reply) = server.client().login("jane", "wrong password").await;
        assert!(
            matches!(reply.code().as_str(), "UNAUTHENTICATED" | "RATE_LIMITED"),
            "{}",
            reply.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for server in [&a, &b] {
        let (_, reply) = server.client().login("jane", USER_PASSWORD).await;
        assert_eq!(
            reply.code(),
            "RATE_LIMITED",
            "locked on both: {}",
            reply.body
        );
    }

    // An invitation accepted on both at the same moment is accepted once.
    const ACCEPTED: &str = "SELECT id FROM audit_events WHERE event_type = 'invitation.accepted'";
    let accepted_before = db.strings(ACCEPTED).await.len();
    for round in 0..4 {
        let link = db
            .invite(&format!("race{round}@example.com"), &public)
            .await;
        let token = link.split("token=").nth(1).expect("token").to_string();
        let accept = |server: &Server| {
            let client = server.client();
            let token = token.clone();
            async move {
                client
                    .query(
                        "mutation($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p, passwordConfirm: $p) { id } }",
                        json!({ "t": token, "p": USER_PASSWORD }),
                    )
                    .await
            }
        };
        let (on_a, on_b) = tokio::join!(accept(&a), accept(&b));
        let won = [&on_a, &on_b]
            .iter()
            .filter(|r| r.body["errors"].is_null())
            .count();
        assert_eq!(won, 1, "round {round}: {} / {}", on_a.body, on_b.body);
        let lost = if on_a.body["errors"].is_null() {
            &on_b
        } else {
            &on_a
        };
        assert_ne!(lost.code(), "INTERNAL", "{}", lost.body);
        let accepted = db.strings(ACCEPTED).await.len();
        assert_eq!(
            accepted,
            accepted_before + round + 1,
            "one event per invitation"
        );
    }

    // An OIDC login begun on A completes on B.
    let provider = Provider::start(
        idp_port,
        &format!("{public}/auth/oidc/callback"),
        &json!({ "kim": {
            "email": "kim@example.com", "email_verified": true,
            "name": "Kim Lee", "preferred_username": "kim", "groups": ["staff"],
        } }),
    );
    let walker = browser();
    let start = format!("{}/auth/oidc/login?return_to=/admin/", a.base);
    let callback = provider.sign_in(&walker, &start, "kim").await;
    assert!(
        callback.starts_with(&format!("{}/auth/oidc/callback?", b.base)),
        "{callback}"
    );
    let done = walker.get(&callback).send().await.expect("callback");
    assert_eq!(done.status(), 303, "{:?}", done.text().await);
    let me: Value = walker
        .post(format!("{}/graphql", a.base))
        .header("x-roster-csrf", "1")
        .json(&json!({ "query": VIEWER_Q }))
        .send()
        .await
        .expect("graphql")
        .json()
        .await
        .expect("json");
    assert_eq!(me["data"]["viewer"]["user"]["username"], "kim", "{me}");

    for server in [&mut a, &mut b] {
        assert!(
            !server.log_contains("internal error"),
            "a replica failed a request"
        );
    }
}
