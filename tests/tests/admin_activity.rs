//! The admin app's activity log (issue 15; seed 004 "Viewing User
//! Activity"; SPEC §9, §12) in headless Chromium against the real binary,
//! on both backends: seed 004's columns and badge colours, pages of 50,
//! details unfolded, filters by event type, user (search as you type) and
//! date range kept in the address (a shared address opens the same view),
//! Export CSV (and Ctrl+E) naming exactly the filtered view, and Live
//! streaming an event made elsewhere. axe-core finds no serious or
//! critical violation.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use fantoccini::key::Key;
use roster_tests::browser::{Driver, require_app};
use roster_tests::server::Server;
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::json;

async fn the_activity_log_filters_exports_and_goes_live(backend: Backend) {
    require_app();
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let server = Server::start_public(&db, &[]);
    let base = server.base.clone();
    let (api, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    // Her login, then a failed one (after a failure, a retry must wait).
    server
        .client()
        .login("jane", USER_PASSWORD)
        .await
        .1
        .data("login.firstLogin");
    let (_, refused) = server.client().login("jane", "not her password").await;
    assert_eq!(refused.code(), "UNAUTHENTICATED");
    let create = "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }";
    // 55 organizations: with the logins, more than one page of 50.
    for n in 1..=55 {
        api.query(
            create,
            json!({ "i": { "slug": format!("team-{n:02}"), "name": format!("Team {n:02}") } }),
        )
        .await
        .data("createOrganization.id");
    }
    let shot = |name: &str| format!("{}-{name}", backend.name());

    let driver = Driver::start();
    let w = driver.window().await;
    w.log_in(&base, "admin", ADMIN_PASSWORD).await;
    w.click("nav a[href='/admin/activity']").await;
    w.wait_path("/admin/activity").await;

    // Seed 004's table: newest first, the badge colours, pages of 50.
    w.wait_text("#activity-count", "Showing 1–50").await;
    w.wait("tr[data-type='org.created'] .badge.bg-success")
        .await;
    w.click("#activity-next").await;
    w.wait_text("#activity-count", "Showing 51–").await;
    w.wait("tr[data-type='user.login_failed'] .badge.bg-danger")
        .await;
    w.wait("tr[data-type='user.login'] .badge.bg-success").await;
    // A row's details unfold.
    w.click("tr[data-type='user.login_failed'] summary").await;
    w.wait("tr[data-type='user.login_failed'] pre.json").await;
    w.checked(&shot("50-activity")).await;
    w.click("#activity-previous").await;
    w.wait_text("#activity-count", "Showing 1–50").await;

    // Event types: the address keeps the choice, the export names it.
    w.click("#type-filter summary").await;
    w.click("#type-filter input[data-type='user.login_failed']")
        .await;
    w.wait_path("/admin/activity?types=user.login_failed").await;
    w.wait_gone("tr[data-type='org.created']").await;
    w.wait("tr[data-type='user.login_failed']").await;
    w.checked(&shot("51-activity-types")).await;
    let href = w
        .wait("#export-csv")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("an export address");
    assert_eq!(href, "/admin/api/audit.csv?eventTypes=user.login_failed");
    let csv = api.get(&href).await;
    assert_eq!(csv.0, 200, "{}", csv.2);
    let lines: Vec<&str> = csv.2.lines().collect();
    assert_eq!(
        lines[0],
        "Timestamp,User,Event Type,Resource,IP Address,Details"
    );
    assert_eq!(
        lines.len(),
        2,
        "the header and the one failed login: {lines:?}"
    );
    assert!(lines[1].contains("user.login_failed"), "{lines:?}");
    // Ctrl+E is the export button's shortcut.
    w.client
        .execute(
            "document.querySelector('#export-csv').addEventListener('click', e => { \
               e.preventDefault(); document.body.dataset.exported = '1'; });",
            vec![],
        )
        .await
        .expect("listen");
    let ctrl = char::from(Key::Control);
    w.keys("body", &format!("{ctrl}e")).await;
    w.wait("body[data-exported='1']").await;

    // A shared address opens the same view.
    w.goto(&format!(
        "{base}/admin/activity?types=org.created,user.login"
    ))
    .await;
    w.wait("tr[data-type='user.login']").await;
    w.wait_text("#type-filter summary", "2 event types").await;
    assert!(
        w.has("#type-filter input[data-type='org.created']:checked")
            .await
    );
    assert!(!w.has("tr[data-type='user.login_failed']").await);

    // The user filter searches as you type; the pick narrows to their events.
    w.click("#clear-filters").await;
    w.wait_path("/admin/activity").await;
    w.fill("#user-filter", "jan").await;
    w.click("[data-pick=jane]").await;
    w.wait_text("#user-chosen", "jane").await;
    let path = w.wait_path("/admin/activity?user=").await;
    assert!(path.ends_with("&who=jane"), "{path}");
    w.wait("tr[data-type='user.login']").await;
    w.wait_gone("tr[data-type='org.created']").await;
    w.checked(&shot("52-activity-user")).await;

    // Dates, whole days in UTC: nothing in the future, the day's events.
    w.goto(&format!("{base}/admin/activity?from=2999-01-01"))
        .await;
    w.wait("#activity-empty").await;
    // The failed login's own day, so the test holds across midnight.
    let occurred = api
        .query(
            "{ auditEvents(first: 1, filter: { eventTypes: [\"user.login_failed\"] }) { nodes { occurredAt } } }",
            json!({}),
        )
        .await
        .data("auditEvents.nodes")[0]["occurredAt"]
        .as_str()
        .expect("the failed login is logged")
        .to_string();
    let today = occurred[..10].to_string();
    w.goto(&format!(
        "{base}/admin/activity?from={today}&to={today}&types=user.login_failed"
    ))
    .await;
    w.wait("tr[data-type='user.login_failed']").await;
    let dated = w
        .wait("#export-csv")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("href");
    assert!(
        dated.contains(&format!("from={today}T00%3A00%3A00.000Z")),
        "{dated}"
    );

    // Live: an event made elsewhere appears above the first page.
    w.goto(&format!("{base}/admin/activity?types=org.created"))
        .await;
    w.wait("tr[data-type='org.created']").await;
    w.click("#live-toggle").await;
    w.wait_text("#live-status", "Listening").await;
    api.query(
        create,
        json!({ "i": { "slug": "live-one", "name": "Live One" } }),
    )
    .await
    .data("createOrganization.id");
    w.click("tr.fresh[data-type='org.created'] summary").await;
    w.wait_text("tr.fresh[data-type='org.created'] pre.json", "live-one")
        .await;
    w.checked(&shot("53-activity-live")).await;
    w.close().await;
}

on_both_backends!(the_activity_log_filters_exports_and_goes_live);
