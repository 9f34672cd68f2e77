//! `roster serve`: startup, health, the public `serverInfo` query, request
//! hygiene and graceful shutdown, on SQLite and Postgres.
#![expect(
    clippy::expect_used,
    reason = "tests fail loudly on broken preconditions"
)]

use roster_tests::server::Server;
use roster_tests::{Backend, TestDb, on_both_backends};
use serde_json::{Value, json};

async fn serves_health_and_server_info(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut server = Server::start(&db, &[]);
    // The effective flags are printed at startup.
    let flags = server.wait_for("effective flags");
    assert!(
        flags.contains("USER_MGMT_CORE=on USER_MGMT_UI=on USER_MGMT_ENFORCE=on USER_MGMT_RLS_ENFORCE=on OIDC_AUTO_PROVISION_USERS=off"),
        "{flags}"
    );

    let health: Value = reqwest::get(format!("{}/healthz", server.base))
        .await
        .expect("healthz")
        .json()
        .await
        .expect("json");
    let backend_name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], backend_name);

    let (status, body) = server
        .post(json!({
            "query": "{ serverInfo { version databaseBackend flags { core ui enforce rlsEnforce oidcAutoProvisionUsers } passwordRules { minLength maxLength characterClasses } } }"
        }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["serverInfo"]["version"],
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(
        body["data"]["serverInfo"]["databaseBackend"],
        backend_name.to_uppercase()
    );
    assert_eq!(
        body["data"]["serverInfo"]["flags"],
        json!({ "core": true, "ui": true, "enforce": true, "rlsEnforce": true, "oidcAutoProvisionUsers": false })
    );
    assert_eq!(
        body["data"]["serverInfo"]["passwordRules"],
        json!({ "minLength": 12, "maxLength": 256, "characterClasses": true })
    );
    // The server migrated the fresh database on its own.
    assert_eq!(db.strings("SELECT COUNT(*) FROM roles").await, vec!["4"]);

    assert_eq!(server.terminate(), Some(0), "graceful shutdown exits 0");
    server.wait_for("stopped");
}

async fn flags_from_the_environment_are_reported(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut server = Server::start(
        &db,
        &[
            ("USER_MGMT_ENFORCE", "no"),
            ("NEXT_PUBLIC_USER_MGMT_UI", "0"),
            ("OIDC_AUTO_PROVISION_USERS", "YES"),
        ],
    );
    let flags = server.wait_for("effective flags");
    assert!(
        flags.contains("USER_MGMT_ENFORCE=off USER_MGMT_RLS_ENFORCE=off"),
        "{flags}"
    );
    let (_, body) = server
        .post(json!({ "query": "{ serverInfo { flags { ui enforce rlsEnforce oidcAutoProvisionUsers } } }" }))
        .await;
    assert_eq!(
        body["data"]["serverInfo"]["flags"],
        json!({ "ui": false, "enforce": false, "rlsEnforce": false, "oidcAutoProvisionUsers": true })
    );
}

async fn only_single_json_operations_are_accepted(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = Server::start(&db, &[]);
    let client = reqwest::Client::new();
    let url = format!("{}/graphql", server.base);
    // A text/plain body (a "simple" cross-site request) is refused.
    let plain = client
        .post(&url)
        .header("content-type", "text/plain")
        .body(r#"{"query":"{ serverInfo { version } }"}"#)
        .send()
        .await
        .expect("request");
    assert_eq!(plain.status().as_u16(), 415);
    // Batched arrays are refused.
    let batch = client
        .post(&url)
        .json(&json!([{ "query": "{ serverInfo { version } }" }, { "query": "{ serverInfo { version } }" }]))
        .send()
        .await
        .expect("request");
    assert!(batch.status().is_client_error(), "{}", batch.status());
    // So are arrays serde would read as one request (its fields in order),
    // and any other JSON that is not an object.
    for body in [
        json!(["{ serverInfo { version } }"]),
        json!([]),
        json!("{ serverInfo { version } }"),
    ] {
        let reply = client.post(&url).json(&body).send().await.expect("request");
        assert_eq!(reply.status().as_u16(), 400, "{body}");
        let answer: serde_json::Value = reply.json().await.expect("a JSON answer");
        assert_eq!(
            (
                &answer["errors"][0]["extensions"]["code"],
                &answer["errors"][0]["message"]
            ),
            (
                &json!("BAD_USER_INPUT"),
                &json!("The body must be a JSON object")
            ),
            "{body}: {answer}"
        );
        assert!(answer.get("data").is_none(), "{answer}");
    }
    // GraphQL over GET is not served.
    let get = client
        .get(format!("{url}?query=%7BserverInfo%7Bversion%7D%7D"))
        .send()
        .await
        .expect("request");
    assert_eq!(get.status().as_u16(), 405);
    // Multipart bodies (async-graphql's upload format) are refused.
    let multipart = client
        .post(&url)
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{\"query\":\"{ serverInfo { version } }\"}\r\n--x--\r\n")
        .send()
        .await
        .expect("request");
    assert_eq!(multipart.status().as_u16(), 415);
    // Oversized bodies are refused.
    let huge = client
        .post(&url)
        .json(&json!({ "query": format!("{{ serverInfo {{ version }} }} #{}", "x".repeat(1024 * 1024)) }))
        .send()
        .await
        .expect("request");
    assert_eq!(huge.status().as_u16(), 413);
}

async fn core_off_hides_user_management_fields(backend: Backend) {
    let db = TestDb::new(backend).await;
    let introspect = json!({ "query": "{ __schema { queryType { fields { name } } } }" });
    let names = |body: &Value| body["data"]["__schema"]["queryType"]["fields"].to_string();
    let on = Server::start(&db, &[]);
    let (_, body) = on.post(introspect.clone()).await;
    assert!(names(&body).contains("\"tokens\""), "{body}");
    drop(on);
    let off = Server::start(&db, &[("USER_MGMT_CORE", "0")]);
    let (_, body) = off.post(introspect).await;
    assert!(!names(&body).contains("\"tokens\""), "{body}");
    assert!(names(&body).contains("\"viewer\""), "{body}");
    // Not just hidden: refused as unknown, even behind an alias or fragment.
    for query in [
        "{ tokens(userId: \"x\") { id } }",
        "{ t: tokens(userId: \"x\") { id } }",
        "{ ...F } fragment F on QueryRoot { tokens(userId: \"x\") { id } }",
    ] {
        let (status, body) = off.post(json!({ "query": query })).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["errors"][0]["message"], "Unknown field \"tokens\"");
    }
}

async fn a_broken_database_url_stops_startup_with_a_clear_message(backend: Backend) {
    let db = TestDb::new(backend).await;
    let url = match backend {
        Backend::Sqlite => "sqlite:///nonexistent-dir/x/roster.db".to_string(),
        Backend::Postgres => format!(
            "{}/no_such_database_here",
            roster_tests::postgres_admin_url()
        ),
    };
    let out = db
        .roster()
        .env("DATABASE_URL", &url)
        .args(["migrate"])
        .run()
        .await;
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(out.stderr.contains("cannot connect to"), "{out:#?}");
}

/// Repeated requests skip the document-only validation rules once they have
/// passed them; nothing else may get through that way.
async fn repeated_queries_are_still_validated(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = Server::start(&db, &[]);
    let query = "query($x: Boolean!) { serverInfo { version @include(if: $x) } }";
    for _ in 0..3 {
        let (status, body) = server
            .post(json!({ "query": query, "variables": { "x": true } }))
            .await;
        assert_eq!(status, 200);
        assert!(body["data"]["serverInfo"]["version"].is_string(), "{body}");
    }
    // The same text with a variable of the wrong type is refused, every time.
    for _ in 0..2 {
        let (_, body) = server
            .post(json!({ "query": query, "variables": { "x": "yes" } }))
            .await;
        assert!(body["errors"][0]["message"].is_string(), "{body}");
        assert_eq!(body["data"], Value::Null, "{body}");
    }
    // An unknown field gets the same full message however often it comes.
    let bad = json!({ "query": "{ serverInfo { version nope } }" });
    let (_, first) = server.post(bad.clone()).await;
    let (_, second) = server.post(bad).await;
    assert_eq!(
        first["errors"][0]["message"],
        "Unknown field \"nope\" on type \"ServerInfo\"."
    );
    assert_eq!(first, second);
    assert_eq!(
        first["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    // An anonymous caller is not told the schema's field names.
    let (_, near) = server
        .post(json!({ "query": "{ serverInfo { versio } }" }))
        .await;
    let said = near["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(!said.contains("Did you mean"), "{near}");
    // A document that does not parse says so with its code.
    let (_, broken) = server.post(json!({ "query": "{ serverInfo { " })).await;
    assert_eq!(
        broken["errors"][0]["extensions"]["code"], "GRAPHQL_PARSE_FAILED",
        "{broken}"
    );
    // A depth limit still holds for a query seen before.
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {}name{} }} }} }} }}",
        "{ ofType ".repeat(12),
        " }".repeat(12)
    );
    for _ in 0..2 {
        let (_, body) = server.post(json!({ "query": deep })).await;
        assert_eq!(
            body["errors"][0]["message"], "Query is nested too deep.",
            "{body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{body}"
        );
    }
}

/// `/admin` serves the app (or says it was not built into this binary), deep
/// links included.
async fn the_admin_app_is_served_under_admin(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = Server::start(&db, &[]);
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../web/dist/index.html")
        .exists();
    for path in [
        "/admin",
        "/admin/",
        "/admin/login",
        "/admin/users/01J0000000000000000000000A",
    ] {
        let reply = reqwest::get(format!("{}{path}", server.base))
            .await
            .expect("request");
        if built {
            assert_eq!(reply.status().as_u16(), 200, "{path}");
            assert_eq!(reply.headers()["cache-control"], "no-cache", "{path}");
        } else {
            assert_eq!(reply.status().as_u16(), 503, "{path}");
            let text = reply.text().await.unwrap_or_default();
            assert!(text.contains("trunk build --release"), "{path}: {text}");
        }
    }
    let missing = reqwest::get(format!("{}/admin/missing.js", server.base))
        .await
        .expect("request");
    assert_eq!(missing.status().as_u16(), 404);
    // Nothing outside the app's folder, however the path is spelled.
    for escape in [
        "/admin/..%2F..%2FCargo.toml",
        "/admin/%2E%2E/%2E%2E/Cargo.toml",
    ] {
        let reply = reqwest::get(format!("{}{escape}", server.base))
            .await
            .expect("request");
        assert_eq!(reply.status().as_u16(), 404, "{escape}");
    }
}

/// `USER_MGMT_UI=0` hides the admin screens, but the pages people reach from
/// outside — the emailed invitation link, sign in, forgot/reset password —
/// are still served, and the invitation can be accepted.
async fn hidden_screens_keep_the_public_pages(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let server = Server::start_public(&db, &[("USER_MGMT_UI", "0")]);
    let link = db.invite("jane@example.com", &server.base).await;
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../web/dist/index.html")
        .exists();
    let page = if built { 200 } else { 503 };
    for url in [
        link.clone(),
        format!("{}/admin/login", server.base),
        format!("{}/admin/forgot-password", server.base),
        format!("{}/admin/reset-password?token=x", server.base),
    ] {
        let reply = reqwest::get(&url).await.expect("request");
        assert_eq!(reply.status().as_u16(), page, "{url}");
    }
    for screen in [
        "/admin",
        "/admin/users",
        "/admin/users/01J0000000000000000000000A",
        "/admin/tokens",
    ] {
        let reply = reqwest::get(format!("{}{screen}", server.base))
            .await
            .expect("request");
        assert_eq!(reply.status().as_u16(), 404, "{screen}");
        let text = reply.text().await.unwrap_or_default();
        assert!(text.contains("USER_MGMT_UI"), "{screen}: {text}");
    }
    let token = link.split("token=").nth(1).expect("token");
    let accepted = server
        .client()
        .query(
            "mutation($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p, passwordConfirm: $p) { status } }",
            json!({ "t": token, "p": roster_tests::USER_PASSWORD }),
        )
        .await;
    assert_eq!(
        accepted.data("acceptInvitation.status"),
        "ACTIVE",
        "{accepted:?}"
    );
}

/// On an empty database nobody can sign in: the server logs the command that
/// creates the first superuser, and the public `serverInfo` says so until one
/// exists.
async fn a_server_without_a_superuser_says_how_to_create_one(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut server = Server::start(&db, &[]);
    let line = server.wait_for("bootstrap-superuser");
    assert!(
        line.contains("roster bootstrap-superuser --email <EMAIL>"),
        "{line}"
    );
    let needs = "{ serverInfo { needsBootstrap ssoLoginPath } }";
    let reply = server.client().query(needs, json!({})).await;
    assert_eq!(reply.data("serverInfo.needsBootstrap"), true, "{reply:?}");
    // No OIDC configured: no "Sign in with SSO".
    assert_eq!(reply.data("serverInfo.ssoLoginPath"), Value::Null);
    db.bootstrap().await;
    let reply = server.client().query(needs, json!({})).await;
    assert_eq!(reply.data("serverInfo.needsBootstrap"), false, "{reply:?}");

    // A server started with a superuser in place says nothing of the kind.
    let mut again = Server::start(&db, &[]);
    again.wait_for("effective flags");
    let reply = again.client().query(needs, json!({})).await;
    assert_eq!(reply.data("serverInfo.needsBootstrap"), false);
    assert!(!again.log_contains("bootstrap-superuser"));
}

on_both_backends!(
    the_admin_app_is_served_under_admin,
    hidden_screens_keep_the_public_pages,
    a_server_without_a_superuser_says_how_to_create_one,
    repeated_queries_are_still_validated,
    serves_health_and_server_info,
    flags_from_the_environment_are_reported,
    only_single_json_operations_are_accepted,
    core_off_hides_user_management_fields,
    a_broken_database_url_stops_startup_with_a_clear_message,
);
