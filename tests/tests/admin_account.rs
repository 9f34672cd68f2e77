//! The admin app's account screens (issue 15) in headless Chromium against
//! the real binary, on both backends: the account menu shows the display
//! name and opens "My account"; changing one's own password shows the
//! server's refusals under their fields, then succeeds, revokes the user's
//! tokens and keeps this session; revoking a token says so.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster_tests::browser::{Driver, require_app};
use roster_tests::server::Server;
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::json;

const NEW_PASSWORD: &str = "Quartz-Lantern-47-Mosaic";

async fn my_account_changes_my_password(backend: Backend) {
    require_app();
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let server = Server::start_public(&db, &[]);
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let jane_id = admin
        .query(
            "query { users(filter: { search: \"jane\" }) { nodes { id } } }",
            json!({}),
        )
        .await
        .data("users.nodes")[0]["id"]
        .clone();
    admin
        .query(
            "mutation($id: ID!) { updateUser(id: $id, input: { displayName: \"Jane Doe\" }) { id } }",
            json!({ "id": jane_id }),
        )
        .await
        .data("updateUser.id");
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    let create =
        "mutation($n: String!) { createToken(name: $n, scopes: [\"orgs:read\"]) { secret } }";
    for name in ["deploy-bot", "nightly-report"] {
        jane.query(create, json!({ "n": name }))
            .await
            .data("createToken.secret");
    }
    let kept = jane.query(create, json!({ "n": "kept" })).await;
    let kept_secret = kept
        .data("createToken.secret")
        .as_str()
        .expect("a secret")
        .to_string();
    let shot = |name: &str| format!("{}-{name}", backend.name());

    let driver = Driver::start();
    let w = driver.window().await;
    w.log_in(&server.base, "jane", USER_PASSWORD).await;
    // The account menu names her by her display name.
    w.wait_text("#signed-in-as", "Jane Doe").await;

    // Revoking a token says so.
    w.click("nav a[href='/admin/tokens']").await;
    w.wait_text("#tokens-table", "deploy-bot").await;
    w.click("#tokens-table tr:nth-child(1) button").await;
    w.click("#confirm-revoke-token").await;
    w.wait_text("#tokens-notice", "revoked.").await;
    w.checked(&shot("40-token-revoked")).await;

    w.click("#signed-in-as").await;
    w.wait_path("/admin/account").await;
    w.wait_text("#account-facts", "jane@example.com").await;
    w.wait_text("#account-facts", "Jane Doe").await;

    // The server's refusals, each under its field.
    w.fill("#current-password", "not my password").await;
    w.fill("#password", NEW_PASSWORD).await;
    w.fill("#password-confirm", NEW_PASSWORD).await;
    w.click("#change-password").await;
    w.wait_text(
        ".invalid-feedback[data-field=currentPassword]",
        "Current password is incorrect",
    )
    .await;
    w.fill("#current-password", USER_PASSWORD).await;
    w.fill("#password-confirm", "something else").await;
    w.click("#change-password").await;
    w.wait_text(
        ".invalid-feedback[data-field=passwordConfirm]",
        "Passwords do not match",
    )
    .await;
    w.checked(&shot("41-account-errors")).await;

    w.fill("#password-confirm", NEW_PASSWORD).await;
    w.click("#change-password").await;
    w.wait_text("#password-changed", "Password changed").await;
    w.checked(&shot("42-account-password-changed")).await;

    // Her tokens stop working; this session goes on; the new password works.
    let refused = server
        .client()
        .with_bearer(&kept_secret)
        .query("query { viewer { user { username } } }", json!({}))
        .await;
    assert!(
        refused.body["data"]["viewer"]["user"]["username"].is_null(),
        "{:?}",
        refused.body
    );
    w.click("nav a[href='/admin/tokens']").await;
    w.wait_path("/admin/tokens").await;
    // Her tokens were revoked; listing them (her session at work) says so.
    w.wait_text(".empty-title", "No tokens yet").await;
    let (_, again) = server.client().login("jane", NEW_PASSWORD).await;
    again.data("login.viewer.user.username");
    w.close().await;
}

on_both_backends!(my_account_changes_my_password);
