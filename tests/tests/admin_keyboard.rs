//! Every control of every signed-in screen is reachable by keyboard alone
//! (issue 15), in headless Chromium against the real binary: on each screen
//! (and with the user and organization drawers open) the test lists the
//! visible, enabled controls (links, buttons, inputs, selects, text areas,
//! anything with a non-negative tabindex), presses Tab through the page and
//! fails naming any control the focus never reached, or a row opened by a
//! click with no control doing the same.

use fantoccini::key::Key;
use roster_tests::browser::{Driver, Window, require_app};
use roster_tests::server::Server;
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::json;

/// Marks the screen's visible, enabled controls and starts recording which
/// of them take the focus; answers how many there are.
const MARK: &str = r#"
const controls = [...document.querySelectorAll(
  'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])'
)].filter(e => !e.disabled && e.type !== 'hidden'
  && e.checkVisibility({ visibilityProperty: true }) && !e.closest('[inert]'));
controls.forEach((e, i) => e.dataset.kb = String(i));
window.__kbSeen = new Set();
document.addEventListener('focusin', e => {
  if (e.target.dataset && e.target.dataset.kb) window.__kbSeen.add(e.target.dataset.kb);
});
document.activeElement && document.activeElement.blur();
return controls.length;
"#;

/// The marked controls the focus never reached, described.
/// A row opened by a click has a control doing the same.
const MISSED: &str = r#"
const describe = e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} "${(e.textContent || e.getAttribute('aria-label') || e.name || '').trim().slice(0, 40)}"`;
const missed = [...document.querySelectorAll('[data-kb]')]
  .filter(e => !window.__kbSeen.has(e.dataset.kb)).map(describe);
const rows = [...document.querySelectorAll('.clickable')]
  .filter(r => !r.querySelector('button, a[href]')).map(r => 'no control in ' + describe(r));
return missed.concat(rows);
"#;

/// Tabs through the whole screen and fails on any control not reached.
async fn every_control_is_reached(w: &Window, screen: &str) {
    // Let late parts (lists, cards) settle before counting.
    for _ in 0..50 {
        if !w.has(".loading").await {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let count = w
        .client
        .execute(MARK, vec![])
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    assert!(count > 2, "{screen}: only {count} controls found");
    let tab = char::from(Key::Tab).to_string();
    // Scrolling regions take the focus too (Chromium), so Tab has spare presses.
    for _ in 0..2 * count + 10 {
        let target = match w.client.active_element().await {
            Ok(el) => el,
            Err(e) => panic!("{screen}: no active element: {e}"),
        };
        let _ = target.send_keys(&tab).await;
    }
    let missed: Vec<String> = w
        .client
        .execute(MISSED, vec![])
        .await
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_else(|| vec!["(the page could not be read)".into()]);
    assert!(
        missed.is_empty(),
        "{screen}: {} of {count} controls never took the focus by Tab: {missed:?}",
        missed.len()
    );
}

async fn every_screen_is_walked_by_tab(backend: Backend) {
    require_app();
    let db = TestDb::bootstrapped(backend).await;
    let server = Server::start_public(&db, &[]);
    db.provision("kim@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let (api, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    // Something in each list: a second user, an organization, a token.
    let kim = api
        .query(
            r#"{ users(filter: { search: "kim" }) { nodes { id } } }"#,
            json!({}),
        )
        .await
        .data("users.nodes")[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    api.query(
        r#"mutation { createOrganization(input: { name: "Keys Co", slug: "keys" }) { id } }"#,
        json!({}),
    )
    .await
    .data("createOrganization.id");
    api.query(
        r#"mutation { createToken(name: "ci", scopes: ["users:read"]) { secret } }"#,
        json!({}),
    )
    .await
    .data("createToken.secret");

    let driver = Driver::start();
    let w = driver.window().await;
    w.log_in(&server.base, "admin", ADMIN_PASSWORD).await;
    w.wait("nav a[href='/admin/organizations']").await;
    let screens = [
        ("/admin/users", "#users-table tr[data-user]"),
        (&format!("/admin/users/{kim}") as &str, "#overrides-card"),
        ("/admin/organizations", "#orgs-table tr[data-org=keys]"),
        ("/admin/activity", "#activity-table tr[data-type]"),
        ("/admin/roles", "#roles-table"),
        ("/admin/tokens", "#tokens-table"),
        ("/admin/sessions", "table"),
        ("/admin/account", "#change-password-form"),
        ("/admin/database", "#database-facts"),
    ];
    for (path, ready) in screens {
        w.goto(&format!("{}{path}", server.base)).await;
        w.wait(ready).await;
        every_control_is_reached(&w, path).await;
    }
    // The organization drawer, opened from its row.
    w.goto(&format!("{}/admin/organizations", server.base))
        .await;
    w.click("#orgs-table tr[data-org=keys] button").await;
    w.wait("#org-drawer #members-table").await;
    every_control_is_reached(&w, "organization drawer").await;
    w.close().await;
}

on_both_backends!(every_screen_is_walked_by_tab);
