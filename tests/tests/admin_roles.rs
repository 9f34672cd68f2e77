//! The admin app's roles page (issue 15; SPEC §6, §12) in headless
//! Chromium against the real binary, on both backends: built-in and custom
//! roles with their permissions; a custom role created (its name checked
//! by the server, the error under the field), edited and deleted by an
//! administrator whose picker offers only what they hold; the access
//! review for one permission, kept in the address, with its CSV. axe-core
//! finds no serious or critical violation.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster_tests::browser::{Driver, require_app};
use roster_tests::server::Server;
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::json;

async fn roles_are_managed_and_reviewed_in_the_browser(backend: Backend) {
    require_app();
    let db = TestDb::bootstrapped(backend).await;
    db.provision("ops@example.com", "admin", USER_PASSWORD)
        .await
        .ok();
    let server = Server::start_public(&db, &[]);
    let base = server.base.clone();
    let (root, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    // A role with a permission an administrator does not hold.
    root.query(
        "mutation { createRole(name: \"sysops\", definition: { description: \"Runs the database\", permissions: [\"system:manage\", \"orgs:read\"] }) { name } }",
        json!({}),
    )
    .await
    .data("createRole.name");
    let (ops, _) = server.client().login("ops", USER_PASSWORD).await;
    let shot = |name: &str| format!("{}-{name}", backend.name());

    let driver = Driver::start();
    let w = driver.window().await;
    w.log_in(&base, "ops", USER_PASSWORD).await;
    w.click("nav a[href='/admin/roles']").await;
    w.wait_path("/admin/roles").await;
    let superuser = w
        .wait_text("#roles-table tr[data-role=superuser]", "Built-in")
        .await;
    assert!(superuser.contains("system:manage"), "{superuser}");
    assert!(
        !w.has("[data-edit=superuser]").await,
        "built-in roles stay as they are"
    );
    w.wait_text("#roles-table tr[data-role=sysops]", "Custom")
        .await;
    w.checked(&shot("60-roles")).await;

    // Create: the picker offers what she holds; the server checks the name.
    w.click("#create-role").await;
    w.wait("#role-form-modal").await;
    assert!(w.has("input[data-permission='users:manage']").await);
    assert!(
        !w.has("input[data-permission='system:manage']").await,
        "an administrator cannot grant system:manage"
    );
    w.fill("#role-name", "Not A Name").await;
    w.click("input[data-permission='orgs:read']").await;
    w.click("#role-form-submit").await;
    w.wait_text(".invalid-feedback[data-field=role]", "Invalid role name")
        .await;
    w.checked(&shot("61-role-form")).await;
    w.fill("#role-name", "contributor").await;
    w.fill("#role-description", "Writes content").await;
    w.click("input[data-permission='bookmarks:manage']").await;
    w.click("#role-form-submit").await;
    w.wait_gone("#role-form-modal").await;
    w.wait_text("#roles-notice", "Role contributor created.")
        .await;
    let row = w
        .wait_text("#roles-table tr[data-role=contributor]", "bookmarks:manage")
        .await;
    assert!(
        row.contains("orgs:read") && row.contains("Writes content"),
        "{row}"
    );

    // Edit: one permission off, another on.
    w.click("[data-edit=contributor]").await;
    w.click("input[data-permission='bookmarks:manage']").await;
    w.click("input[data-permission='site_configs:read']").await;
    w.click("#role-form-submit").await;
    w.wait_text("#roles-notice", "Role contributor saved.")
        .await;
    let row = w
        .wait_text(
            "#roles-table tr[data-role=contributor]",
            "site_configs:read",
        )
        .await;
    assert!(!row.contains("bookmarks:manage"), "{row}");

    // A permission the role has and she lacks shows, locked.
    w.click("[data-edit=sysops]").await;
    w.wait("input[data-permission='system:manage'][disabled]:checked")
        .await;
    w.wait_text("#role-permissions", "you do not hold it").await;
    w.click("#role-form-modal .btn:not(.btn-primary)").await;
    w.wait_gone("#role-form-modal").await;

    // The access review, kept in the address, with its CSV.
    w.wait("#review-permission option[value='users:manage']")
        .await;
    w.client
        .execute(
            "const s = document.querySelector('#review-permission'); s.value = 'users:manage'; \
             s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .expect("choose");
    w.wait_path("/admin/roles?permission=users%3Amanage").await;
    w.wait_text("#holders-table tr[data-holder=ops]", "admin")
        .await;
    w.wait_text("#holders-table tr[data-holder=admin]", "superuser")
        .await;
    w.checked(&shot("62-access-review")).await;
    let href = w
        .wait("#review-csv")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("an address");
    let csv = ops.get(&href).await;
    assert_eq!(csv.0, 200, "{}", csv.2);
    assert!(
        csv.2.starts_with("Username,Email,Status,Role,Source"),
        "{}",
        csv.2
    );
    assert!(csv.2.contains("ops,ops@example.com"), "{}", csv.2);
    w.goto(&format!("{base}/admin/roles?permission=system%3Amanage"))
        .await;
    w.wait_text("#holders-table tr[data-holder=admin]", "superuser")
        .await;
    assert!(!w.has("#holders-table tr[data-holder=ops]").await);

    // Delete, confirmed.
    w.click("[data-delete=contributor]").await;
    w.wait_text("#delete-role-question", "Delete role contributor?")
        .await;
    w.click("#confirm-delete-role").await;
    w.wait_text("#roles-notice", "Role contributor deleted")
        .await;
    w.wait_gone("#roles-table tr[data-role=contributor]").await;
    w.close().await;
}

on_both_backends!(roles_are_managed_and_reviewed_in_the_browser);
