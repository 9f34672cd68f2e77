//! The admin app's organizations screens (issue 15; SPEC §7, §12; seed 002)
//! in headless Chromium against the real binary, on both backends: the
//! table with member counts, the default badge, search and pages; create
//! with the slug checked as it is typed and the server's errors under the
//! fields; the drawer with edit, members added by username, email or id
//! (each entry's outcome shown) and removed after confirmation, delete
//! (refused for the default organization, with the reason). axe-core finds
//! no serious or critical violation on any of them.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster_tests::browser::{Driver, require_app};
use roster_tests::server::Server;
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::json;

/// Waits until `css`'s text is exactly `text` (a count: "2", not "12").
async fn wait_exact(w: &roster_tests::browser::Window, css: &str, text: &str) {
    for _ in 0..150 {
        if w.has(css).await
            && w.wait(css)
                .await
                .text()
                .await
                .ok()
                .as_deref()
                .map(str::trim)
                == Some(text)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{css} never said exactly {text:?}");
}

async fn organizations_are_managed_in_the_browser(backend: Backend) {
    require_app();
    let db = TestDb::bootstrapped(backend).await;
    for email in ["jane@example.com", "ops@example.com"] {
        db.provision(email, "viewer", USER_PASSWORD).await.ok();
    }
    let server = Server::start_public(&db, &[]);
    let (api, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let create = "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }";
    // With the default one, 23: two pages of 20.
    let mut orgs = vec![("acme".to_string(), "Acme Corp".to_string())];
    orgs.push(("globex".into(), "Globex".into()));
    orgs.extend((1..=20).map(|n| (format!("team-{n:02}"), format!("Team {n:02}"))));
    for (slug, name) in &orgs {
        api.query(create, json!({ "i": { "slug": slug, "name": name } }))
            .await
            .data("createOrganization.id");
    }
    let shot = |name: &str| format!("{}-{name}", backend.name());

    let driver = Driver::start();
    let w = driver.window().await;
    // Not the first login (the API's was), so no welcome.
    w.log_in(&server.base, "admin", ADMIN_PASSWORD).await;
    w.click("nav a[href='/admin/organizations']").await;
    w.wait_path("/admin/organizations").await;

    // The table: the default badge, member counts, two pages.
    w.wait_text("#orgs-count", "Showing 1–20 of 23").await;
    w.wait_text("#orgs-table tr[data-org=default]", "default")
        .await;
    wait_exact(&w, "#orgs-table tr[data-org=default] [data-members]", "3").await;
    wait_exact(&w, "#orgs-table tr[data-org=acme] [data-members]", "0").await;
    w.checked(&shot("30-organizations")).await;
    w.click("#orgs-next").await;
    w.wait_text("#orgs-count", "Showing 21–23 of 23").await;
    assert!(w.has("#orgs-next[disabled]").await, "no third page");
    w.click("#orgs-previous").await;
    w.wait_text("#orgs-count", "Showing 1–20 of 23").await;

    // Search on name or slug starts again at the first page.
    w.fill("#org-search", "glob").await;
    w.wait_text("#orgs-count", "Showing 1–1 of 1").await;
    assert!(w.has("#orgs-table tr[data-org=globex]").await);
    w.fill("#org-search", "no such org").await;
    w.wait("#orgs-empty").await;
    w.fill("#org-search", "acme").await;
    w.wait_text("#orgs-count", "of 1").await;

    // Create: the slug follows the name and is checked as it is typed.
    w.click("#create-org").await;
    w.wait("#org-form-modal").await;
    w.fill("#org-name", "Acme").await;
    w.wait_text("[data-slug=problem]", "Taken by Acme Corp")
        .await;
    let slug = w.wait("#org-slug").await.prop("value").await.expect("slug");
    assert_eq!(slug.as_deref(), Some("acme"));
    w.fill("#org-slug", "Bad_Slug").await;
    w.wait_text(
        "[data-slug=problem]",
        "lowercase letters, digits and hyphens",
    )
    .await;
    w.fill("#org-slug", "initech").await;
    w.wait_text("[data-slug=available]", "Available").await;
    // The server's refusal shows under its field: the name is taken.
    w.fill("#org-name", "ACME CORP").await;
    w.click("#org-form-submit").await;
    w.wait_text(
        ".invalid-feedback[data-field=name]",
        "Name is already taken",
    )
    .await;
    w.checked(&shot("31-organization-form")).await;
    w.fill("#org-name", "Initech Labs").await;
    w.wait_text("[data-slug=available]", "Available").await;
    w.click("#org-form-submit").await;
    w.wait_gone("#org-form-modal").await;
    w.wait_text("#orgs-notice", "Organization Initech Labs created.")
        .await;
    w.fill("#org-search", "initech").await;
    w.wait_text("#orgs-table tr[data-org=initech]", "Initech Labs")
        .await;

    // The drawer: members added by username, email and id, each outcome shown.
    w.fill("#org-search", "acme").await;
    w.click("#orgs-table tr[data-org=acme]").await;
    w.wait_text("#org-drawer-title", "Acme Corp").await;
    let ops_id = api
        .query(
            "query { users(filter: { search: \"ops\" }) { nodes { id } } }",
            json!({}),
        )
        .await
        .data("users.nodes")[0]["id"]
        .as_str()
        .expect("an id")
        .to_string();
    w.fill(
        "#add-members",
        &format!("jane, {ops_id} nobody@example.com"),
    )
    .await;
    w.click("#add-members-submit").await;
    w.wait_text("#membership-results [data-entry=jane]", "added")
        .await;
    w.wait_text(
        &format!("#membership-results [data-entry='{ops_id}']"),
        "added",
    )
    .await;
    w.wait_text(
        "#membership-results [data-entry='nobody@example.com']",
        "no such user",
    )
    .await;
    wait_exact(&w, "#org-member-count", "2").await;
    w.wait("#members-table tr[data-member=jane]").await;
    w.wait("#members-table tr[data-member=ops]").await;
    wait_exact(&w, "#orgs-table tr[data-org=acme] [data-members]", "2").await;
    w.checked(&shot("32-organization-drawer")).await;

    // Removing asks first.
    w.click("[data-remove=jane]").await;
    w.wait_text(
        "#remove-member-question",
        "Remove jane from this organization?",
    )
    .await;
    w.checked(&shot("33-remove-member")).await;
    w.click("#confirm-remove-member").await;
    w.wait_gone("#remove-member-modal").await;
    w.wait_text("#membership-results [data-outcome=REMOVED]", "removed")
        .await;
    w.wait_gone("#members-table tr[data-member=jane]").await;
    wait_exact(&w, "#org-member-count", "1").await;

    // Edit: a new description shows at once.
    w.click("#edit-org").await;
    w.fill("#org-description", "Rockets and anvils").await;
    w.click("#org-form-submit").await;
    w.wait_gone("#org-form-modal").await;
    w.wait_text("#org-facts", "Rockets and anvils").await;

    // Delete, confirmed: gone from the table, said in the notice.
    w.click("#delete-org").await;
    w.wait_text("#delete-org-question", "Delete Acme Corp?")
        .await;
    w.click("#confirm-delete-org").await;
    w.wait_gone("#org-drawer").await;
    w.wait_text("#orgs-notice", "Organization Acme Corp deleted.")
        .await;
    w.wait("#orgs-empty").await;

    // The default organization: nobody leaves it and it cannot be deleted.
    w.goto(&format!("{}/admin/organizations", server.base))
        .await;
    w.click("#orgs-table tr[data-org=default]").await;
    w.wait_text("#default-org-note", "cannot be deleted").await;
    assert!(w.has("#delete-org[disabled]").await, "delete is refused");
    w.wait("#members-table tr[data-member=jane]").await;
    assert!(!w.has("[data-remove]").await, "nobody can be removed");
    w.checked(&shot("34-default-organization")).await;
    w.close().await;
}

on_both_backends!(organizations_are_managed_in_the_browser);
