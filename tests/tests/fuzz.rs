//! Fuzzing in CI, bounded in time (issue 17): `tests/fuzz/graphql_fuzz.py`
//! (Python `hypothesis-graphql`, installed by `cargo xtask setup`) sends
//! valid, invalid and corrupted operations generated from `schema.graphql`
//! to the running binary as an anonymous caller, a viewer, an admin and a
//! token, for `ROSTER_FUZZ_SECONDS` (default 10) each, over `POST /graphql`
//! and, for subscriptions, `/graphql/ws`, on both backends. No
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
        let subscribed = report["requests"][format!("{caller} (socket)")]
            .as_u64()
            .unwrap_or(0);
        assert!(
            subscribed >= 10,
            "{caller} sent only {subscribed} subscriptions"
        );
    }
    assert!(!server.log_contains("panicked"), "the server panicked");
    // Still serving, and the admin still holds a working session.
    let me = admin
        .query("{ viewer { user { email } } }", json!({}))
        .await;
    assert_eq!(me.data("viewer.user.email"), ADMIN_EMAIL);
}

/// Runs schemathesis (installed by `cargo xtask setup`) over the REST paths
/// of `openapi.json` as the caller `headers` make, for `seconds`; returns
/// whether it passed and what it printed.
async fn schemathesis(
    server: &Server,
    headers: &[String],
    seconds: &str,
    checks: &str,
) -> (bool, String) {
    let mut command = tokio::process::Command::new("schemathesis");
    command
        .arg("run")
        .arg(format!("{}/api/openapi.json", server.base))
        .args(["--checks", checks])
        .args(["--max-time", seconds])
        .args(["--max-response-time", "5", "--request-timeout", "10"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--no-color", "--output-truncate", "false", "--seed", "1"])
        .env("SCHEMATHESIS_HOOKS", "")
        .env("NO_COLOR", "1");
    for header in headers {
        command.args(["-H", header]);
    }
    let out = command
        .output()
        .await
        .expect("schemathesis runs (cargo xtask setup installs it)");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn the_rest_fuzzer_finds_nothing(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let mut server = Server::start(&db, &[("REQUEST_TIMEOUT_SECONDS", "5")]);
    let (admin, _) = server.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = admin
        .query(
            "mutation { createToken(name: \"fuzz\", scopes: [\"users:read\", \"users:manage\", \"roles:manage\", \"orgs:read\", \"orgs:manage\", \"audit:read\", \"tokens:manage\"]) { secret } }",
            json!({}),
        )
        .await
        .data("createToken.secret");
    let token = token.as_str().expect("secret").to_string();
    let seconds = std::env::var("ROSTER_FUZZ_SECONDS").unwrap_or_else(|_| "10".into());
    let checks = std::env::var("ROSTER_FUZZ_CHECKS").unwrap_or_else(|_| "all".into());
    let (passed, said) = schemathesis(
        &server,
        &[format!("Authorization: Bearer {token}")],
        &seconds,
        &checks,
    )
    .await;
    println!("{backend:?}:\n{said}");
    println!("{:?}", db.strings("SELECT event_type || ' ' || COALESCE(resource_type,'') || ' ' || COALESCE(resource_id,'') || ' ' || COALESCE(CAST(actor_id AS TEXT), '') FROM audit_events WHERE event_type NOT LIKE 'permission%'").await);
    assert!(
        passed,
        "schemathesis found problems:\n{said}\nthe server logged:\n{}",
        server.log_lines("internal error").join("\n")
    );
    assert!(!server.log_contains("panicked"), "the server panicked");
}

on_both_backends!(the_fuzzer_finds_nothing, the_rest_fuzzer_finds_nothing);
