//! The admin app's dialogs by keyboard alone (issue 15), in headless
//! Chromium against the real binary: a dialog takes the focus when it
//! opens, Tab and Shift+Tab stay inside it, Escape closes it, and the focus
//! goes back to what opened it.

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
