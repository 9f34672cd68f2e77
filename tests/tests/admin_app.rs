//! The admin app (issue 5) in headless Chromium against the real binary, a
//! real SMTP sink and a fresh database: bootstrap (CLI) → log in → create a
//! user → the invitation email → its link → policy errors, then a good
//! password → log in as the new user → no admin actions; a token used from a
//! script; deactivation ends the user's session; the expired-invitation page.
//! Screenshots of each main screen go to `test-output/screenshots/`, and
//! axe-core checks each (no serious or critical violation).
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use fantoccini::key::Key;
use roster_tests::browser::{Driver, Window, require_app};
use roster_tests::server::Server;
use roster_tests::smtp::SmtpSink;
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

const JANE_PASSWORD: &str = "Quiet-Harbor-Lantern-58";

/// The invitation link of an email's text part, as the recipient would click it.
fn link_in(mail: &str) -> String {
    let start = mail.find("http://").expect("a link in the email");
    mail[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
        .collect()
}

async fn graphql_with_token(server: &Server, token: &str, query: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{}/graphql", server.base))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

/// On the accept-invitation page: a good password, every rule ticked, sent;
/// the app moves on to the sign-in page.
async fn accept_with(w: &Window, password: &str) {
    w.fill("#password", password).await;
    w.fill("#password-confirm", password).await;
    w.wait("#password-rules li.met:nth-child(5)").await;
    w.click("#accept-invitation-form button[type=submit]").await;
    w.wait_path("/admin/login?accepted=1").await;
}

/// The built app, an SMTP sink, and roster on a free port that is also its
/// public address (so the emailed links open it).
fn start(db: &TestDb) -> (SmtpSink, Server) {
    require_app();
    let sink = SmtpSink::start();
    let port = sink.port.to_string();
    let server = Server::start_public(
        db,
        &[
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_PORT", port.as_str()),
            ("SMTP_TLS", "none"),
            ("EMAIL_FROM", "Roster <roster@example.com>"),
            // Long enough that "right away again" is within it on a busy
            // machine (the default second was not, under a parallel build).
            ("LOGIN_RETRY_DELAY_MS", "3000"),
        ],
    );
    (sink, server)
}

async fn the_admin_app_walks_the_whole_invitation_flow(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let (sink, server) = start(&db);
    let base = server.base.clone();
    let driver = Driver::start();
    let admin = driver.window().await;
    let shots = |name: &str| {
        format!(
            "{}-{name}",
            if backend == Backend::Sqlite {
                "sqlite"
            } else {
                "postgres"
            }
        )
    };

    // An anonymous visit lands on the login page; a wrong password says so.
    admin.goto(&format!("{base}/admin/")).await;
    admin.wait_path("/admin/login").await;
    admin.checked(&shots("01-login")).await;
    admin.log_in(&base, "admin", "Wrong-Password-1234").await;
    admin
        .wait_text(".alert-danger", "Invalid username or password")
        .await;
    // Right away again: the failure slowed the account down, and it says so.
    admin.log_in(&base, "admin", ADMIN_PASSWORD).await;
    admin
        .wait_text(".alert-danger", "Too many attempts; try again in")
        .await;
    // The refused attempt doubled the delay: 6 s from then.
    tokio::time::sleep(std::time::Duration::from_millis(6100)).await;

    // The superuser logs in for the first time: the welcome, then the users.
    admin.log_in(&base, "admin", ADMIN_PASSWORD).await;
    admin.wait("#welcome-modal").await;
    admin
        .wait_text("#welcome-modal", "You're logged in as admin")
        .await;
    admin.checked(&shots("02-welcome")).await;
    admin.click("#get-started").await;
    admin.wait_gone("#welcome-modal").await;
    admin.wait("tr[data-user=admin]").await;
    admin.wait_text("tr[data-user=admin]", "superuser").await;
    admin.checked(&shots("03-users")).await;

    // Seed 004's shortcuts: Ctrl+K goes to the search, Ctrl+N creates.
    let ctrl = char::from(Key::Control);
    admin.keys("body", &format!("{ctrl}k")).await;
    let focused = admin.client.active_element().await.expect("focus");
    assert_eq!(
        focused.attr("id").await.ok().flatten().as_deref(),
        Some("user-search")
    );
    admin.keys("body", &format!("{ctrl}n")).await;

    // Create a user: the modal, a conflict shown under its field, then success.
    admin.wait("#create-user-modal").await;
    admin.fill("#new-username", "jane").await;
    admin.fill("#new-email", "admin@example.com").await;
    admin.checked(&shots("04-create-user")).await;
    admin.click("#create-user-submit").await;
    admin
        .wait_text(
            "#create-user-modal .invalid-feedback[data-field=email]",
            "Email is already taken",
        )
        .await;
    admin.fill("#new-email", "jane@example.com").await;
    admin.click("#create-user-submit").await;
    admin
        .wait_text("#create-result", "Invitation sent to jane@example.com")
        .await;
    admin
        .wait_text("tr[data-user=jane]", "Pending Invitation")
        .await;

    // Search narrows the table.
    admin.fill("#user-search", "jan").await;
    admin.wait_gone("tr[data-user=admin]").await;
    admin.wait("tr[data-user=jane]").await;

    // The invitation email carries the link; jane opens it in her browser.
    let mail = sink.wait_for(1).remove(0);
    let link = link_in(&mail);
    assert!(
        link.starts_with(&format!("{base}/admin/accept-invitation?token=")),
        "{link}"
    );
    let jane = driver.window().await;
    jane.goto(&link).await;
    jane.wait("#accept-invitation-form").await;
    let shown = jane
        .wait("#invited-username")
        .await
        .prop("value")
        .await
        .ok()
        .flatten();
    assert_eq!(shown.as_deref(), Some("jane"));
    // A weak password: the rules say so as she types, the server on submit.
    jane.fill("#password", "short").await;
    jane.fill("#password-confirm", "shorter").await;
    assert!(
        !jane.has("#password-rules li.met:nth-child(1)").await,
        "length rule met?"
    );
    jane.click("#accept-invitation-form button[type=submit]")
        .await;
    jane.wait_text(
        ".invalid-feedback[data-field=password]",
        "at least 12 characters",
    )
    .await;
    jane.wait_text(
        ".invalid-feedback[data-field=passwordConfirm]",
        "Passwords do not match",
    )
    .await;
    jane.checked(&shots("05-accept-invitation")).await;
    accept_with(&jane, JANE_PASSWORD).await;
    jane.wait_text(
        ".alert-success",
        "Password set successfully. Please log in.",
    )
    .await;

    // Jane (a viewer) logs in: her welcome, and no admin screens or actions.
    jane.log_in(&base, "jane", JANE_PASSWORD).await;
    jane.wait_text("#welcome-modal", "with viewer access").await;
    jane.click("#get-started").await;
    jane.wait_path("/admin/tokens").await;
    assert!(
        !jane.has("nav a[href='/admin/users']").await,
        "a viewer sees Users"
    );
    jane.goto(&format!("{base}/admin/users")).await;
    jane.wait_text(".alert-danger", "Insufficient permissions")
        .await;
    assert!(!jane.has("#create-user").await, "a viewer can create users");
    assert!(
        !jane.has("#user-actions").await,
        "a viewer sees user actions"
    );

    // She creates a token; its secret is shown once and works from a script.
    jane.goto(&format!("{base}/admin/tokens")).await;
    jane.click("#create-token").await;
    jane.fill("#token-name", "backup script").await;
    jane.click("#token-scopes input[value='orgs:read']").await;
    jane.click("#create-token-form button[type=submit]").await;
    let secret = jane
        .wait("#token-secret-value")
        .await
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert!(secret.starts_with("roster_pat_"), "{secret}");
    jane.wait_text("#tokens-table", "backup script").await;
    jane.checked(&shots("06-tokens")).await;
    let viewer = graphql_with_token(
        &server,
        &secret,
        "{ viewer { user { username } permissions } }",
    )
    .await;
    assert_eq!(
        viewer["data"]["viewer"]["user"]["username"], "jane",
        "{viewer}"
    );
    assert_eq!(
        viewer["data"]["viewer"]["permissions"],
        json!(["orgs:read"])
    );
    jane.goto(&format!("{base}/admin/sessions")).await;
    jane.wait_text(".sessions-table", "This session").await;
    jane.checked(&shots("07-sessions")).await;

    // The admin opens jane's drawer, sees her session, and deactivates her.
    admin.goto(&format!("{base}/admin/users")).await;
    admin.click("tr[data-user=jane]").await;
    admin.wait_text("#user-drawer", "Active").await;
    admin
        .wait_text("#user-drawer .sessions-table", "Sign out")
        .await;
    admin.checked(&shots("08-user-drawer")).await;
    // The drawer has its own address: a reload (or a shared link) opens it.
    let drawer = admin.wait_path("/admin/users/").await;
    admin.goto(&format!("{base}{drawer}")).await;
    admin.wait_text("#drawer-username", "jane").await;
    // Ctrl+S saves the form being edited.
    admin.fill("#edit-display-name", "Jane Doe").await;
    admin.keys("#edit-display-name", &format!("{ctrl}s")).await;
    admin.wait_text("#drawer-notice", "Changes saved.").await;
    admin.wait_text("tr[data-user=jane]", "Jane Doe").await;
    admin.click("#deactivate").await;
    admin
        .wait_text("#deactivate-modal", "will no longer be able to log in")
        .await;
    admin.checked(&shots("09-deactivate")).await;
    admin.click("#confirm-deactivate").await;
    admin.wait_text("#drawer-notice", "User deactivated").await;
    admin
        .wait_text("#user-drawer .drawer-header", "Inactive")
        .await;

    // Jane's next step finds her session over, and her token refused.
    jane.click("nav a[href='/admin/tokens']").await;
    jane.wait_path("/admin/login?ended=1").await;
    jane.wait_text(".alert-success", "Your session has ended")
        .await;
    let refused = graphql_with_token(&server, &secret, "{ viewer { user { username } } }").await;
    assert_ne!(
        refused["data"]["viewer"]["user"]["username"], "jane",
        "{refused}"
    );

    // An invitation eight days old gets seed 004's expired page.
    admin.click("#user-drawer .btn-close").await;
    admin.click("#create-user").await;
    admin.fill("#new-username", "slowpoke").await;
    admin.fill("#new-email", "slowpoke@example.com").await;
    admin.click("#create-user-submit").await;
    admin.wait_text("#create-result", "Invitation sent").await;
    let first = link_in(&sink.wait_for(2)[1]);
    // Shift+R in the pending user's drawer resends: a new link replaces it.
    admin.click("tr[data-user=slowpoke]").await;
    admin.wait("#resend-invitation").await;
    admin
        .keys("body", &format!("{}R", char::from(Key::Shift)))
        .await;
    admin
        .wait_text("#drawer-notice", "A new invitation was sent")
        .await;
    let late = link_in(&sink.wait_for(3)[2]);
    assert_ne!(late, first);
    let past = match backend {
        Backend::Sqlite => "'2020-01-01T00:00:00+00:00'",
        Backend::Postgres => "'2020-01-01T00:00:00+00:00'::timestamptz",
    };
    db.exec(&format!("UPDATE one_time_tokens SET expires_at = {past}"))
        .await;
    jane.goto(&late).await;
    jane.wait_text("#invitation-expired", "Invitation Expired")
        .await;
    jane.wait_text(
        "#invitation-expired",
        "This invitation link has expired. Please contact your administrator to resend the invitation.",
    )
    .await;
    jane.checked(&shots("10-invitation-expired")).await;

    admin.close().await;
    jane.close().await;
}

/// Forgot password → the email → the reset page (policy errors first) →
/// sign in with the new password; a used link gets the expired page.
async fn a_forgotten_password_is_reset_in_the_browser(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let (sink, server) = start(&db);
    let base = server.base.clone();
    let driver = Driver::start();
    let jane = driver.window().await;
    jane.goto(&format!("{base}/admin/login")).await;
    jane.click("a[href='/admin/forgot-password']").await;
    jane.fill("#email", "jane@example.com").await;
    jane.click("#forgot-password-form button[type=submit]")
        .await;
    jane.wait_text(
        "#reset-requested",
        "a link to set a new password is on its way",
    )
    .await;
    let link = link_in(&sink.wait_for(1)[0]);
    assert!(
        link.starts_with(&format!("{base}/admin/reset-password?token=")),
        "{link}"
    );
    jane.goto(&link).await;
    jane.fill("#password", "password").await;
    jane.fill("#password-confirm", "password").await;
    jane.click("#reset-password-form button[type=submit]").await;
    jane.wait_text(
        "#reset-password-form",
        "Password is too common or easy to guess",
    )
    .await;
    jane.checked(&format!("{}-11-reset-password", backend.name()))
        .await;
    jane.fill("#password", JANE_PASSWORD).await;
    jane.fill("#password-confirm", JANE_PASSWORD).await;
    jane.click("#reset-password-form button[type=submit]").await;
    jane.wait_path("/admin/login?reset=1").await;
    jane.wait_text(".alert-success", "Password changed. Please log in.")
        .await;
    jane.log_in(&base, "jane@example.com", JANE_PASSWORD).await;
    jane.wait_path("/admin/tokens").await;
    jane.wait("#signed-in-as").await;
    // The link worked once.
    jane.goto(&link).await;
    jane.fill("#password", JANE_PASSWORD).await;
    jane.fill("#password-confirm", JANE_PASSWORD).await;
    jane.click("#reset-password-form button[type=submit]").await;
    jane.wait_text("#reset-expired", "Reset Link Expired").await;
    jane.close().await;
}

/// A first run: the login page says no administrator exists yet and how one
/// is made. With the screens hidden (`USER_MGMT_UI=0`), the emailed
/// invitation link and the login still work; the screens do not load.
async fn a_first_run_and_hidden_screens_in_the_browser(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = Server::start_public(&db, &[("USER_MGMT_UI", "0")]);
    let base = server.base.clone();
    let driver = Driver::start();
    let admin = driver.window().await;
    admin.goto(&format!("{base}/admin/login")).await;
    admin
        .wait_text("#needs-bootstrap", "roster bootstrap-superuser --email")
        .await;
    admin
        .checked(&format!("{}-12-needs-bootstrap", backend.name()))
        .await;
    db.bootstrap().await;
    let link = db.invite("jane@example.com", &base).await;
    let jane = driver.window().await;
    jane.goto(&link).await;
    accept_with(&jane, JANE_PASSWORD).await;
    assert!(!jane.has("#needs-bootstrap").await);
    jane.log_in(&base, "jane@example.com", JANE_PASSWORD).await;
    jane.wait_text("#screens-off", "turned off on this server")
        .await;
    // A screen's address, loaded afresh, is not served.
    jane.goto(&format!("{base}/admin/users")).await;
    let body = jane.body_text().await;
    assert!(
        body.contains("The admin screens are turned off on this server (USER_MGMT_UI)."),
        "{body}"
    );
    // The server's 404, not the app saying so.
    assert!(!jane.has("#screens-off").await, "{body}");
    jane.close().await;
    admin.close().await;
}

on_both_backends!(
    the_admin_app_walks_the_whole_invitation_flow,
    a_forgotten_password_is_reset_in_the_browser,
    a_first_run_and_hidden_screens_in_the_browser,
);
