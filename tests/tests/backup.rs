//! `roster backup` (issue 17, production notes): a SQLite database copied
//! while the server runs opens as a database of its own with every user and
//! a verifying audit chain; an existing file is not overwritten; Postgres is
//! pointed to `pg_dump`.

use roster_tests::server::Server;
use roster_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_sqlite_database_is_backed_up_whole() {
    let db = TestDb::bootstrapped(Backend::Sqlite).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let server = Server::start(&db, &[]);
    let (admin, _) = server.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let made = admin
        .query(
            "mutation { createUser(input: { email: \"kept@example.com\", username: \"kept\" }) { user { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(made.data("createUser.user.email"), "kept@example.com");
    let copy = db.dir.path().join("backup.db");
    let out = db
        .roster()
        .args(["backup", "--output", copy.to_str().unwrap_or_default()])
        .run()
        .await
        .ok();
    assert!(out.stdout.starts_with("Backed up to "), "{}", out.stdout);
    // The copy is a database of its own.
    let url = format!("sqlite://{}", copy.display());
    let users = db
        .roster()
        .env("DATABASE_URL", &url)
        .args(["list-users"])
        .run()
        .await
        .ok();
    for name in ["admin", "jane", "kept"] {
        assert!(users.stdout.contains(name), "{name}: {}", users.stdout);
    }
    db.roster()
        .env("DATABASE_URL", &url)
        .args(["audit", "verify"])
        .run()
        .await
        .ok();
    // Never over an existing file.
    db.roster()
        .args(["backup", "--output", copy.to_str().unwrap_or_default()])
        .run()
        .await
        .fails_with(6, "exists already; choose a new file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_is_backed_up_with_pg_dump() {
    let db = TestDb::bootstrapped(Backend::Postgres).await;
    db.roster()
        .args(["backup", "--output", "/tmp/never-written.db"])
        .run()
        .await
        .fails_with(2, "back up Postgres with pg_dump");
}
