//! OIDC login (SPEC §8, issue 13) against a real OpenID Certified provider
//! (npm `oidc-provider`), through the real binary on both backends: the
//! first login provisions the user with the roles their groups map to and
//! starts a session; a later login after the groups changed syncs them; a
//! callback is used once and only in the browser that started the login;
//! provisioning off, an unverified email and a foreign `return_to` are
//! refused with nothing written but the refusal's audit event.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster_tests::oidc::{CLIENT_ID, CLIENT_SECRET, Options, Provider, browser};
use roster_tests::server::Server;
use roster_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

fn kim(groups: &[&str], verified: bool) -> Value {
    json!({ "kim": {
        "email": "kim@example.com", "email_verified": verified,
        "name": "Kim Lee", "preferred_username": "kim", "groups": groups,
    } })
}

/// A Roster server and a provider that know each other.
fn pair(db: &TestDb, provision: bool, accounts: &Value) -> (Server, Provider) {
    pair_with(db, provision, accounts, false)
}

fn pair_with(db: &TestDb, provision: bool, accounts: &Value, sparse: bool) -> (Server, Provider) {
    let port = Provider::port();
    let issuer = Provider::issuer_at(port);
    let server = Server::start(
        db,
        &[
            ("OIDC_ISSUER_URL", issuer.as_str()),
            ("OIDC_CLIENT_ID", CLIENT_ID),
            ("OIDC_CLIENT_SECRET", CLIENT_SECRET),
            ("OIDC_SCOPES", "openid email profile groups"),
            (
                "OIDC_AUTO_PROVISION_USERS",
                if provision { "on" } else { "off" },
            ),
            ("OIDC_GROUP_ROLE_MAP", "admins=admin,staff=editor"),
            ("OIDC_GROUP_ROLE_DEFAULTS", "viewer"),
        ],
    );
    let provider = Provider::start_with(
        port,
        &format!("{}/auth/oidc/callback", server.base),
        accounts,
        Options {
            sparse_id_token: sparse,
            ..Options::default()
        },
    );
    (server, provider)
}

async fn viewer(browser: &reqwest::Client, base: &str) -> Value {
    browser
        .post(format!("{base}/graphql"))
        .header("x-roster-csrf", "1")
        .json(&json!({ "query": "{ viewer { authentication user { id username displayName roles } } }" }))
        .send()
        .await
        .expect("graphql")
        .json()
        .await
        .expect("json")
}

/// Presents `callback` again from a new browser that also has the login's
/// state cookie (as an attacker who copied both would).
async fn replay_with_its_state(callback: &str) -> reqwest::Response {
    let state = callback
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("state="))
        .expect("state");
    roster_tests::oidc::browser()
        .get(callback)
        .header("cookie", format!("roster_oidc={state}"))
        .send()
        .await
        .expect("replay")
}

async fn events(db: &TestDb, kind: &str) -> Vec<Value> {
    db.strings(&format!(
        "SELECT details FROM audit_events WHERE event_type = '{kind}' ORDER BY occurred_at, id"
    ))
    .await
    .iter()
    .map(|d| serde_json::from_str(d).expect("json"))
    .collect()
}

async fn the_first_login_provisions_and_the_next_syncs(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let (server, provider) = pair(&db, true, &kim(&["Staff"], true));
    let info = browser()
        .post(format!("{}/graphql", server.base))
        .json(&json!({ "query": "{ serverInfo { ssoLoginPath } }" }))
        .send()
        .await
        .expect("serverInfo")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(
        info["data"]["serverInfo"]["ssoLoginPath"],
        "/auth/oidc/login"
    );
    let browser = browser();
    let start = format!("{}/auth/oidc/login?return_to=/admin/users", server.base);
    let callback = provider.sign_in(&browser, &start, "kim").await;
    assert!(
        callback.starts_with(&format!("{}/auth/oidc/callback?", server.base)),
        "{callback}"
    );
    let done = browser.get(&callback).send().await.expect("callback");
    assert_eq!(done.status(), 303, "{:?}", done.text().await);
    assert_eq!(done.headers()["location"], "/admin/users");
    let me = viewer(&browser, &server.base).await;
    assert_eq!(me["data"]["viewer"]["user"]["username"], "kim", "{me}");
    assert_eq!(me["data"]["viewer"]["user"]["displayName"], "Kim Lee");
    assert_eq!(
        me["data"]["viewer"]["user"]["roles"],
        json!(["editor", "viewer"])
    );
    let provisioned = events(&db, "user.provisioned").await;
    assert_eq!(provisioned.len(), 1);
    assert_eq!(events(&db, "identity.linked").await.len(), 1);
    // The account lists its identity (issuer, subject, email, when).
    let identities: Value = browser
        .post(format!("{}/graphql", server.base))
        .header("x-roster-csrf", "1")
        .json(&json!({ "query": "{ viewer { user { identities { issuer subject email linkedAt lastSeenAt } } } }" }))
        .send()
        .await
        .expect("graphql")
        .json()
        .await
        .expect("json");
    let linked = &identities["data"]["viewer"]["user"]["identities"];
    assert_eq!(linked.as_array().map(Vec::len), Some(1), "{identities}");
    assert_eq!(linked[0]["issuer"], provider.issuer.as_str());
    assert_eq!(linked[0]["subject"], "kim");
    assert_eq!(linked[0]["email"], "kim@example.com");
    assert!(linked[0]["lastSeenAt"].is_string(), "{identities}");
    let logins = events(&db, "user.login").await;
    assert_eq!(
        logins.last().map(|l| l["method"].clone()),
        Some(json!("oidc"))
    );

    // The callback is used once: its state cookie is gone from the browser,
    // and even with the state, the code is not exchanged again.
    let replayed = browser.get(&callback).send().await.expect("replay");
    assert_eq!(replayed.status(), 401);
    let replayed = replay_with_its_state(&callback).await;
    assert_eq!(replayed.status(), 401);
    assert!(
        replayed
            .text()
            .await
            .expect("page")
            .contains("already used")
    );
    assert_eq!(
        events(&db, "user.login").await.len(),
        logins.len(),
        "no second session"
    );

    // The groups change at the provider; the next login syncs them.
    provider.set_accounts(&kim(&["admins"], true));
    let again = roster_tests::oidc::browser();
    let callback = provider.sign_in(&again, &start, "kim").await;
    assert_eq!(
        again
            .get(&callback)
            .send()
            .await
            .expect("callback")
            .status(),
        303
    );
    // The provider's sync is the system acting, and audited as such.
    let synced = db
        .strings("SELECT channel FROM audit_events WHERE event_type = 'user.roles_synced' ORDER BY occurred_at, id")
        .await;
    assert_eq!(synced.len(), 2, "at each login that changed something");
    assert!(synced.iter().all(|c| c == "system"), "{synced:?}");
    let me = viewer(&again, &server.base).await;
    assert_eq!(
        me["data"]["viewer"]["user"]["roles"],
        json!(["admin", "viewer"]),
        "{me}"
    );
    assert_eq!(
        events(&db, "user.provisioned").await.len(),
        1,
        "the same user"
    );

    // Later logins honour the overrides an administrator sets (seed 002
    // "Override storage"); roles granted by hand are never touched.
    let (admin, _) = server.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let kim_id = me["data"]["viewer"]["user"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let overrides = |input: Value| {
        let (admin, kim_id) = (admin.clone(), kim_id.clone());
        async move {
            admin
                .query(
                    "mutation($id: ID!, $i: RoleOverridesInput!) { setRoleOverrides(userId: $id, input: $i) { id } }",
                    json!({ "id": kim_id, "i": input }),
                )
                .await
                .data("setRoleOverrides.id");
        }
    };
    let login_with = |groups: &'static [&'static str]| {
        let (provider, start, base) = (&provider, start.clone(), server.base.clone());
        async move {
            provider.set_accounts(&kim(groups, true));
            let browser = roster_tests::oidc::browser();
            let callback = provider.sign_in(&browser, &start, "kim").await;
            let done = browser.get(&callback).send().await.expect("callback");
            assert_eq!(done.status(), 303);
            let me = viewer(&browser, &base).await;
            me["data"]["viewer"]["user"]["roles"].clone()
        }
    };
    // Preserved: admin stays though the provider no longer gives it.
    overrides(json!({ "preserved": ["admin"] })).await;
    assert_eq!(
        login_with(&["staff"]).await,
        json!(["admin", "editor", "viewer"])
    );
    // Suppressed: the provider's editor is withheld, and revoked.
    overrides(json!({ "suppressed": ["editor"] })).await;
    assert_eq!(
        login_with(&["staff", "admins"]).await,
        json!(["admin", "viewer"])
    );
    // Revocations paused: the provider gives nothing, nothing is revoked;
    // additions still apply.
    overrides(json!({ "enabled": true })).await;
    assert_eq!(login_with(&[]).await, json!(["admin", "viewer"]));
    assert_eq!(
        login_with(&["staff"]).await,
        json!(["admin", "editor", "viewer"])
    );
    // Cleared: the next login follows the provider again.
    admin
        .query(
            "mutation($id: ID!) { clearRoleOverrides(userId: $id) { id } }",
            json!({ "id": kim_id }),
        )
        .await
        .data("clearRoleOverrides.id");
    assert_eq!(login_with(&[]).await, json!(["viewer"]));
}

async fn refusals_write_nothing(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let (server, provider) = pair(&db, false, &kim(&["staff"], false));
    let start = format!("{}/auth/oidc/login", server.base);
    let users_before = db.strings("SELECT id FROM users").await.len();

    // Provisioning off: a clear page, no account.
    let browser = browser();
    let callback = provider.sign_in(&browser, &start, "kim").await;
    let refused = browser.get(&callback).send().await.expect("callback");
    assert_eq!(refused.status(), 401);
    let page = refused.text().await.expect("page");
    assert!(page.contains("accounts are not created at login"), "{page}");
    assert_eq!(db.strings("SELECT id FROM users").await.len(), users_before);
    let failed = events(&db, "user.login_failed").await;
    assert_eq!(
        failed.last().map(|f| f["reason"].clone()),
        Some(json!("provisioning_off"))
    );
    assert!(
        db.strings("SELECT id FROM external_identities")
            .await
            .is_empty()
    );
    // A refused callback is spent too.
    let replayed = replay_with_its_state(&callback).await;
    assert!(
        replayed
            .text()
            .await
            .expect("page")
            .contains("already used")
    );

    // A callback carried to another browser (login CSRF) is refused.
    let first = roster_tests::oidc::browser();
    let callback = provider.sign_in(&first, &start, "kim").await;
    let other = roster_tests::oidc::browser();
    let refused = other.get(&callback).send().await.expect("callback");
    assert_eq!(refused.status(), 401);
    assert!(
        refused
            .text()
            .await
            .expect("page")
            .contains("not started in this browser")
    );

    // An existing account with the same email, but the email is not
    // verified: never linked.
    db.provision("kim@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let browser = roster_tests::oidc::browser();
    let callback = provider.sign_in(&browser, &start, "kim").await;
    let refused = browser.get(&callback).send().await.expect("callback");
    assert_eq!(refused.status(), 401);
    assert!(refused.text().await.expect("page").contains("not verified"));
    assert!(
        db.strings("SELECT id FROM external_identities")
            .await
            .is_empty()
    );

    // return_to only names paths of this server.
    for foreign in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
    ] {
        let response = roster_tests::oidc::browser()
            .get(format!("{}/auth/oidc/login", server.base))
            .query(&[("return_to", foreign)])
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), 400, "{foreign}");
    }
}

/// A provider whose ID token carries only `sub` (OpenID Connect Core 5.4):
/// email, names and groups come from its userinfo endpoint, and the login
/// provisions and maps roles as before.
async fn claims_missing_from_the_id_token_come_from_userinfo(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let (server, provider) = pair_with(&db, true, &kim(&["Staff"], true), true);
    let browser = browser();
    let start = format!("{}/auth/oidc/login", server.base);
    let callback = provider.sign_in(&browser, &start, "kim").await;
    let done = browser.get(&callback).send().await.expect("callback");
    assert_eq!(done.status(), 303, "{:?}", done.text().await);
    let me = viewer(&browser, &server.base).await;
    assert_eq!(me["data"]["viewer"]["user"]["username"], "kim", "{me}");
    assert_eq!(me["data"]["viewer"]["user"]["displayName"], "Kim Lee");
    assert_eq!(
        me["data"]["viewer"]["user"]["roles"],
        json!(["editor", "viewer"])
    );
}

on_both_backends!(
    the_first_login_provisions_and_the_next_syncs,
    refusals_write_nothing,
    claims_missing_from_the_id_token_come_from_userinfo
);
