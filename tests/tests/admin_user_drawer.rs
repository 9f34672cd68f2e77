//! The user drawer's cards (issue 15; seed 002; SPEC §7, §8, §12) in
//! headless Chromium against the real binary, on both backends: Role
//! Overrides (pause revocations, preserve and suppress roles inline with
//! the server's refusal shown, clear), Why these roles, the organizations
//! the user belongs to (joined by search, left), their recent activity and
//! their identity provider accounts (none here; `oidc_browser.rs` shows
//! one). axe-core finds no serious or critical violation.

use roster_tests::browser::{Driver, require_app};
use roster_tests::server::Server;
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::json;

async fn the_user_drawer_shows_and_changes_roles_memberships_and_activity(backend: Backend) {
    require_app();
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let server = Server::start_public(&db, &[]);
    let base = server.base.clone();
    let (api, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    server
        .client()
        .login("jane", USER_PASSWORD)
        .await
        .1
        .data("login.firstLogin");
    api.query(
        "mutation { createOrganization(input: { slug: \"acme\", name: \"Acme Corp\" }) { id } }",
        json!({}),
    )
    .await
    .data("createOrganization.id");
    let shot = |name: &str| format!("{}-{name}", backend.name());

    let driver = Driver::start();
    let w = driver.window().await;
    w.log_in(&base, "admin", ADMIN_PASSWORD).await;
    w.click("tr[data-user=jane]").await;
    w.wait_text("#drawer-username", "jane").await;

    // Why these roles: viewer, granted by a person; no provider account.
    w.wait_text("#role-explanation [data-role=viewer]", "Granted")
        .await;
    w.wait_text("#reported-groups", "No identity provider account")
        .await;
    w.wait("#no-identities").await;
    // Her recent activity, with the way to the whole log.
    w.wait("#user-activity tr[data-type='user.login']").await;
    w.wait("#user-activity-link").await;

    // Role overrides, inline: pause revocations, preserve editor.
    w.click("#revocations-paused").await;
    w.wait_text("#overrides-notice", "Overrides saved.").await;
    w.wait("#revocations-paused:checked").await;
    w.click("#add-preserved option[value=editor]").await;
    w.click("[data-add=preserved]").await;
    w.wait("[data-list=preserved] [data-role=editor]").await;
    // The server refuses a role both preserved and suppressed; it says so.
    w.click("#add-suppressed option[value=editor]").await;
    w.click("[data-add=suppressed]").await;
    w.wait_text("#overrides-card .alert-danger", "editor").await;
    assert!(!w.has("[data-list=suppressed] [data-role=editor]").await);
    w.checked(&shot("70-role-overrides")).await;
    w.click("[data-list=preserved] [data-role=editor] .btn-close")
        .await;
    w.wait_gone("[data-list=preserved] [data-role=editor]")
        .await;
    w.click("#clear-overrides").await;
    w.wait_text("#overrides-notice", "Overrides cleared.").await;
    w.wait_gone("#clear-overrides").await;
    assert!(!w.has("#revocations-paused:checked").await);
    let overrides = api
        .query(
            "query { users(filter: { search: \"jane\" }) { nodes { roleOverrides { enabled } } } }",
            json!({}),
        )
        .await
        .data("users.nodes");
    assert!(overrides[0]["roleOverrides"].is_null(), "{overrides}");

    // Organizations: joined by search, then left.
    w.wait("#user-orgs [data-org=default]").await;
    assert!(
        !w.has("[data-leave=default]").await,
        "nobody leaves the default"
    );
    w.fill("#join-org", "acm").await;
    w.click("[data-join=acme]").await;
    w.wait_text("#user-orgs [data-org=acme]", "Acme Corp").await;
    w.checked(&shot("71-user-memberships")).await;
    w.click("[data-leave=acme]").await;
    w.wait_gone("#user-orgs [data-org=acme]").await;
    w.close().await;
}

on_both_backends!(the_user_drawer_shows_and_changes_roles_memberships_and_activity);
