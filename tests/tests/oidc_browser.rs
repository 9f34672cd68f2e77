//! OIDC login (SPEC §8) in a real headless Chromium, on both backends: the
//! browser starts at the app's "Sign in with SSO" (`/auth/oidc/login`), fills the provider's
//! (npm `oidc-provider`) own login and consent pages, comes back through the
//! callback, and lands in the admin app signed in as the provisioned user,
//! an administrator by the group their provider puts them in. Roster is
//! served as `localhost` and the provider as `127.0.0.1`: two sites, as in a
//! real deployment, so Chromium's cross-site cookie rules (the login's state
//! cookie must come back with the provider's redirect) are part of what
//! passes. What the reqwest tests of `oidc_login.rs` cover (refusals,
//! replays, syncs) is not repeated here, except that one refusal is shown
//! in the app's look. Its screenshots are
//! `test-output/screenshots/<backend>-oidc-{login,refused}.png`.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use std::time::{Duration, Instant};

use roster_tests::browser::{Driver, Window, require_app};
use roster_tests::oidc::{CLIENT_ID, CLIENT_SECRET, Provider};
use roster_tests::server::Server;
use roster_tests::{Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

/// Waits until `css` matches something, shown or not (a hidden input).
async fn wait_present(w: &Window, css: &str) {
    let start = Instant::now();
    while !w.has(css).await {
        if start.elapsed() > Duration::from_secs(15) {
            let url = w.client.current_url().await.expect("url");
            panic!("no {css} at {url}; the page says:\n{}", w.body_text().await);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn an_oidc_login_in_chromium_signs_an_admin_into_the_app(backend: Backend) {
    require_app();
    let db = TestDb::bootstrapped(backend).await;
    // A local account whose email the provider will not have verified.
    db.provision("lou@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let port = Provider::port();
    let issuer = Provider::issuer_at(port);
    let roster = Server::start_public_as(
        &db,
        "localhost",
        &[
            ("OIDC_ISSUER_URL", issuer.as_str()),
            ("OIDC_CLIENT_ID", CLIENT_ID),
            ("OIDC_CLIENT_SECRET", CLIENT_SECRET),
            ("OIDC_SCOPES", "openid email profile groups"),
            ("OIDC_AUTO_PROVISION_USERS", "on"),
            ("OIDC_GROUP_ROLE_MAP", "admins=admin,staff=editor"),
            ("OIDC_GROUP_ROLE_DEFAULTS", "viewer"),
        ],
    );
    let base = roster.base.clone();
    let kim = json!({
        "kim": {
            "email": "kim@example.com", "email_verified": true,
            "name": "Kim Lee", "preferred_username": "kim", "groups": ["admins"],
        },
        "lou": { "email": "lou@example.com", "email_verified": false, "preferred_username": "lou" },
    });
    let provider = Provider::start(port, &format!("{base}/auth/oidc/callback"), &kim);
    let driver = Driver::start();
    let w = driver.window().await;

    // The app's login page offers "Sign in with SSO"; Roster sends the
    // browser to the provider, whose login page takes any password, then
    // asks for consent.
    w.goto(&format!("{base}/admin/login")).await;
    w.click("#sso-login").await;
    w.fill("input[name=login]", "kim").await;
    let at = w.client.current_url().await.expect("url").to_string();
    assert!(at.starts_with(&provider.issuer), "{at}");
    w.fill("input[name=password]", "anything").await;
    w.click("button[type=submit]").await;
    wait_present(&w, "input[name=prompt][value=consent]").await;
    w.click("button[type=submit]").await;

    // Back at Roster, signed in: the app opens an administrator's home,
    // the users, where kim is listed as an admin.
    let path = w.wait_path("/admin/users").await;
    let at = w.client.current_url().await.expect("url").to_string();
    assert!(at.starts_with(&base), "{at}");
    assert_eq!(path, "/admin/users");
    // The account menu shows the display name from the provider.
    w.wait_text("#signed-in-as", "Kim Lee").await;
    w.wait("nav a[href='/admin/users']").await;
    w.wait_text("tr[data-user=kim]", "admin").await;
    w.wait("tr[data-user=admin]").await;
    w.screenshot(&format!("{}-oidc-login", backend.name()))
        .await;
    // Kim's drawer: the identity at the provider, and why kim is an admin.
    w.click("tr[data-user=kim]").await;
    w.wait_text("#user-identities", "kim@example.com").await;
    w.wait_text(
        "#role-explanation [data-role=admin]",
        "Provider group admins",
    )
    .await;
    w.wait_text("#reported-groups", "admins").await;
    w.checked(&format!("{}-oidc-user-drawer", backend.name()))
        .await;

    // The browser's session is kim's, an admin by the provider's group
    // (and a viewer by default), as the API says.
    let session = w
        .client
        .get_named_cookie("roster_session")
        .await
        .expect("a session cookie in the browser");
    let me: Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .header("cookie", format!("roster_session={}", session.value()))
        .header("x-roster-csrf", "1")
        .json(&json!({
            "query": "{ viewer { authentication user { username email displayName roles } } }"
        }))
        .send()
        .await
        .expect("graphql")
        .json()
        .await
        .expect("json");
    let viewer = &me["data"]["viewer"];
    assert_eq!(viewer["authentication"], "SESSION", "{me}");
    assert_eq!(viewer["user"]["username"], "kim", "{me}");
    assert_eq!(viewer["user"]["email"], "kim@example.com");
    assert_eq!(viewer["user"]["displayName"], "Kim Lee");
    assert_eq!(viewer["user"]["roles"], json!(["admin", "viewer"]));
    assert_eq!(
        db.strings("SELECT event_type FROM audit_events WHERE event_type = 'user.provisioned'")
            .await
            .len(),
        1
    );
    w.close().await;

    // A refusal (lou's email names a local account, and the provider has
    // not verified it) is a page in the app's look, with the way back to
    // the sign-in page.
    let w = driver.window().await;
    w.goto(&format!("{base}/admin/login")).await;
    w.click("#sso-login").await;
    w.fill("input[name=login]", "lou").await;
    w.fill("input[name=password]", "anything").await;
    w.click("button[type=submit]").await;
    wait_present(&w, "input[name=prompt][value=consent]").await;
    w.click("button[type=submit]").await;
    w.wait_text("#sso-refused h1", "Cannot sign in").await;
    w.wait_text("#reason", "has not verified the email").await;
    let styled = w
        .client
        .execute(
            "return getComputedStyle(document.querySelector('.card')).borderRadius",
            vec![],
        )
        .await
        .expect("style");
    assert_eq!(styled, json!("6px"), "the app's stylesheet applies");
    w.checked(&format!("{}-oidc-refused", backend.name())).await;
    w.click("#sso-refused a").await;
    w.wait_path("/admin/login").await;
    w.close().await;
}

on_both_backends!(an_oidc_login_in_chromium_signs_an_admin_into_the_app);
