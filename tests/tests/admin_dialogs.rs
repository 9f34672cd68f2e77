//! The admin app's dialogs by keyboard alone (issue 15), in headless
//! Chromium against the real binary: a dialog takes the focus when it
//! opens, Tab and Shift+Tab stay inside it, Escape closes it, and the focus
//! goes back to what opened it; a screen (organizations) used from the
//! keyboard alone, its drawer taking and giving back the focus.

use fantoccini::key::Key;
use roster_tests::browser::{Driver, Window, require_app};
use roster_tests::server::Server;
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, on_both_backends};

/// Whether the focus is inside `css` (not on `css` itself), waiting a
/// little for it to get there.
async fn focus_inside(w: &Window, css: &str) -> bool {
    for _ in 0..30 {
        if focus_now_inside(w, css).await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

async fn focus_now_inside(w: &Window, css: &str) -> bool {
    let script = format!(
        "const d = document.querySelector('{css}'); const a = document.activeElement; \
         return !!d && !!a && a !== d && d.contains(a);"
    );
    w.client
        .execute(&script, vec![])
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// The focused element's id.
async fn focused_id(w: &Window) -> String {
    w.client
        .execute(
            "return document.activeElement ? document.activeElement.id : '';",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Presses `key` on whatever has the focus.
async fn press(w: &Window, key: &str) {
    if let Ok(el) = w.client.active_element().await {
        let _ = el.send_keys(key).await;
    }
}

async fn dialogs_keep_and_return_the_focus(backend: Backend) {
    require_app();
    let db = TestDb::bootstrapped(backend).await;
    let server = Server::start_public(&db, &[]);
    let base = server.base.clone();
    let driver = Driver::start();
    let w = driver.window().await;
    w.log_in(&base, "admin", ADMIN_PASSWORD).await;

    // The first login's welcome: focused on arrival, closed with Escape.
    w.wait("#welcome-modal").await;
    assert!(
        focus_inside(&w, "#welcome-modal").await,
        "the welcome takes the focus, not {:?}",
        w.client
            .execute(
                "const a = document.activeElement; return a ? a.outerHTML.slice(0, 120) : 'none';",
                vec![]
            )
            .await
    );
    press(&w, &char::from(Key::Escape).to_string()).await;
    w.wait_gone("#welcome-modal").await;

    // Create user, opened from its button: Tab never leaves the dialog.
    w.wait("#create-user").await;
    w.click("#create-user").await;
    w.wait("#create-user-modal").await;
    assert!(focus_inside(&w, "#create-user-modal").await);
    assert_eq!(focused_id(&w).await, "new-username", "its autofocus field");
    for step in 0..12 {
        press(&w, &char::from(Key::Tab).to_string()).await;
        assert!(
            focus_now_inside(&w, "#create-user-modal").await,
            "Tab {step} left the dialog"
        );
    }
    for step in 0..12 {
        let back = format!("{}{}", char::from(Key::Shift), char::from(Key::Tab));
        press(&w, &back).await;
        assert!(
            focus_now_inside(&w, "#create-user-modal").await,
            "Shift+Tab {step} left the dialog"
        );
    }
    press(&w, &char::from(Key::Escape).to_string()).await;
    w.wait_gone("#create-user-modal").await;
    assert_eq!(
        focused_id(&w).await,
        "create-user",
        "the focus is back on the opener"
    );
    w.close().await;
}

on_both_backends!(dialogs_keep_and_return_the_focus);

/// What the focused element says, for the assertions' messages.
async fn focused_text(w: &Window) -> String {
    w.client
        .execute(
            "const a = document.activeElement; return a ? (a.id + ' ' + a.textContent).trim() : '';",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Tabs forward until the element `id` has the focus (at most `steps`).
async fn tab_to(w: &Window, id: &str, steps: usize) {
    for _ in 0..steps {
        if focused_id(w).await == id {
            return;
        }
        press(w, &char::from(Key::Tab).to_string()).await;
    }
    assert_eq!(focused_id(w).await, id, "Tab never reached #{id}");
}

/// An organization created, found, opened, edited and closed with the
/// keyboard alone: shortcuts, Tab, Enter and Escape; a drawer takes the
/// focus when it opens and gives it back when Escape closes it.
async fn an_organization_is_managed_from_the_keyboard(backend: Backend) {
    require_app();
    let db = TestDb::bootstrapped(backend).await;
    let server = Server::start_public(&db, &[]);
    server.client().login("admin", ADMIN_PASSWORD).await;
    let driver = Driver::start();
    let w = driver.window().await;
    w.log_in(&server.base, "admin", ADMIN_PASSWORD).await;
    w.wait("nav a[href='/admin/organizations']").await;
    w.goto(&format!("{}/admin/organizations", server.base))
        .await;
    w.wait("#orgs-table tr[data-org=default]").await;
    let ctrl = char::from(Key::Control);

    // Ctrl+N opens the form on its first field; Ctrl+S saves it.
    w.keys("body", &format!("{ctrl}n")).await;
    w.wait("#org-form-modal").await;
    assert!(focus_inside(&w, "#org-form-modal").await);
    assert_eq!(focused_id(&w).await, "org-name");
    press(&w, "Keyboard Co").await;
    w.wait_text("[data-slug=available]", "Available").await;
    press(&w, &format!("{ctrl}s")).await;
    w.wait_text("#orgs-notice", "Organization Keyboard Co created.")
        .await;

    // Ctrl+K searches; Tab reaches the row's Open; Enter opens the drawer,
    // which takes the focus.
    press(&w, &format!("{ctrl}k")).await;
    assert_eq!(focused_id(&w).await, "org-search");
    press(&w, "keyboard").await;
    w.wait_text("#orgs-count", "of 1").await;
    press(&w, &char::from(Key::Tab).to_string()).await;
    assert_eq!(focused_text(&w).await, "Open");
    press(&w, &char::from(Key::Enter).to_string()).await;
    w.wait_text("#org-drawer-title", "Keyboard Co").await;
    for _ in 0..30 {
        if focused_id(&w).await == "org-drawer" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        focused_id(&w).await,
        "org-drawer",
        "the drawer has the focus"
    );

    // Tab to Edit, Enter; Escape closes the form and gives Edit the focus.
    tab_to(&w, "edit-org", 10).await;
    press(&w, &char::from(Key::Enter).to_string()).await;
    w.wait("#org-form-modal").await;
    press(&w, &char::from(Key::Escape).to_string()).await;
    w.wait_gone("#org-form-modal").await;
    assert!(w.has("#org-drawer").await, "Escape closed the dialog only");
    assert_eq!(focused_id(&w).await, "edit-org");

    // Escape closes the drawer; the focus goes back to the row's Open.
    press(&w, &char::from(Key::Escape).to_string()).await;
    w.wait_gone("#org-drawer").await;
    assert_eq!(focused_text(&w).await, "Open");
    w.close().await;
}

on_both_backends!(an_organization_is_managed_from_the_keyboard);
