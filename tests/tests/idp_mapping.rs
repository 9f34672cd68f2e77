//! The group → role mapping (seed 002 "Mapping configuration", issue 13) at
//! `roster serve`'s start, through the real binary on both backends: a
//! malformed entry stops the process as a configuration error (exit 2), and
//! a role that does not exist stops the server (exit 1), each naming the
//! variable, the entry and its position.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use std::time::Duration;

use roster_tests::{Backend, Output, TestDb, on_both_backends};

async fn serve(db: &TestDb, map: &str, defaults: &str) -> Output {
    let run = db
        .roster()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("OIDC_GROUP_ROLE_MAP", map)
        .env("OIDC_GROUP_ROLE_DEFAULTS", defaults)
        .run();
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("serve stopped at start instead of running")
}

async fn a_bad_mapping_stops_the_server(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    // The seed's own example, with a role Roster does not have.
    serve(&db, r"admins=admin\nops=publisher\nops=auditor", "").await.fails_with(
        1,
        r#"OIDC_GROUP_ROLE_MAP: entry 2 ("ops=publisher"): unknown role publisher; available roles:"#,
    );
    serve(&db, "admins=admin", "viewer, reader")
        .await
        .fails_with(
            1,
            r#"OIDC_GROUP_ROLE_DEFAULTS: entry 2 ("reader"): unknown role reader"#,
        );
    serve(&db, "admins=admin,\n ops", "").await.fails_with(
        2,
        r#"invalid configuration: OIDC_GROUP_ROLE_MAP="ops": entry 2: expected group=role"#,
    );
}

on_both_backends!(a_bad_mapping_stops_the_server);
