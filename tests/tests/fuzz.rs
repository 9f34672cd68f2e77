//! Fuzzing in CI, bounded in time (issue 17): `tests/fuzz/graphql_fuzz.py`
//! (Python `hypothesis-graphql`, installed by `cargo xtask setup`) sends
//! valid, invalid and corrupted operations generated from `schema.graphql`
//! to the running binary as an anonymous caller, a viewer, an admin and a
//! token, for `ROSTER_FUZZ_SECONDS` (default 10) each, on both backends. No
//! 5xx, no INTERNAL, no error without its code, no answer slower than the
//! request timeout, no error text that leaks internals; the server never
//! panics and still serves afterwards.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use std::path::Path;

use roster_tests::server::Server;
use roster_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

async fn the_fuzzer_finds_nothing(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let timeout = "5";
    let mut server = Server::start(&db, &[("REQUEST_TIMEOUT_SECONDS", timeout)]);
    let (admin, _) = server.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (viewer, _) = server.client().login("jane", USER_PASSWORD).await;
    let token = admin
        .query(
            "mutation { createToken(name: \"fuzz\", scopes: [\"users:read\", \"audit:read\", \"orgs:read\"]) { secret } }",
            json!({}),
        )
        .await
        .data("createToken.secret");
    let callers = json!({
        "anonymous": {},
        "viewer": { "cookie": viewer.cookie },
        "admin": { "cookie": admin.cookie },
        "token": { "bearer": token },
    });
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let seconds = std::env::var("ROSTER_FUZZ_SECONDS").unwrap_or_else(|_| "10".into());
    let out = tokio::process::Command::new("python3")
        .arg(root.join("tests/fuzz/graphql_fuzz.py"))
        .env("ROSTER_FUZZ_BASE", &server.base)
        .env("ROSTER_FUZZ_SCHEMA", root.join("schema.graphql"))
        .env("ROSTER_FUZZ_CALLERS", callers.to_string())
        .env("ROSTER_FUZZ_SECONDS", &seconds)
        .env("ROSTER_FUZZ_TIMEOUT", timeout)
        .output()
        .await
        .expect("python3 runs the fuzzer (cargo xtask setup installs hypothesis-graphql)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|_| panic!("no report from the fuzzer:\n{stdout}\n{stderr}"));
    println!("{backend:?}: {}", report["requests"]);
    assert!(
        out.status.success(),
        "the fuzzer found problems:\n{stdout}\n{stderr}\nthe server logged:\n{}",
        server.log_lines("internal error").join("\n")
    );
    for caller in ["anonymous", "viewer", "admin", "token"] {
        let sent = report["requests"][caller].as_u64().unwrap_or(0);
        assert!(sent >= 20, "{caller} sent only {sent} operations");
    }
    assert!(!server.log_contains("panicked"), "the server panicked");
    // Still serving, and the admin still holds a working session.
    let me = admin
        .query("{ viewer { user { email } } }", json!({}))
        .await;
    assert_eq!(me.data("viewer.user.email"), ADMIN_EMAIL);
}

on_both_backends!(the_fuzzer_finds_nothing);
