//! The admin app's database page (issue 15; SPEC §10, §12; seed 002) in
//! headless Chromium against the real binary: on Postgres the menu shows
//! it, it gives the backend and version, each managed table's row-level
//! security (Roster's own tables forced on by the startup hook), and its
//! buttons run "Prepare Postgres" and "Enable RLS" with their reports as
//! tables; on SQLite the menu hides it and the page says why. axe-core
//! finds no serious or critical accessibility violation on either.

use roster_tests::browser::{Driver, require_app};
use roster_tests::server::Server;
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, on_both_backends};

async fn the_database_page_prepares_postgres_and_enables_rls(backend: Backend) {
    require_app();
    let db = TestDb::bootstrapped(backend).await;
    let server = Server::start_public(&db, &[]);
    let base = server.base.clone();
    let driver = Driver::start();
    let w = driver.window().await;
    w.log_in(&base, "admin", ADMIN_PASSWORD).await;
    // The first login's welcome, closed.
    w.wait("#welcome-modal").await;
    w.click("#get-started").await;
    w.wait_gone("#welcome-modal").await;
    let link = "nav a[href='/admin/database']";
    match backend {
        Backend::Postgres => {
            w.wait(link).await;
            w.click(link).await;
            w.wait_path("/admin/database").await;
            w.wait_text("#database-facts", "PostgreSQL").await;
            w.wait_text("#pg-trgm", "missing").await;
            for table in ["sessions", "personal_access_tokens", "user_quotas"] {
                let row = w
                    .wait_text(&format!("#rls-status tr[data-table={table}]"), "Roster")
                    .await;
                assert!(row.contains("on"), "{table}: {row}");
            }
            w.click("#prepare-postgres").await;
            w.wait_text("#prepare-report", "extension pg_trgm").await;
            w.wait_text("#pg-trgm", "installed").await;
            w.click("#enable-rls").await;
            let report = w
                .wait_text("#rls-report tr[data-table=sessions]", "present")
                .await;
            assert!(!report.contains("failed"), "{report}");
            w.wait_text("#rls-report tr[data-table=bookmark]", "no such table")
                .await;
            w.checked("postgres-20-database").await;
        }
        Backend::Sqlite => {
            w.wait("nav a[href='/admin/sessions']").await;
            assert!(!w.has(link).await, "the menu hides it on SQLite");
            w.goto(&format!("{base}/admin/database")).await;
            w.wait_text("#needs-postgres", "need Postgres").await;
            w.wait_text("#database-facts", "SQLite").await;
            w.checked("sqlite-20-database").await;
        }
    }
    w.close().await;
}

on_both_backends!(the_database_page_prepares_postgres_and_enables_rls);
