//! Hostile requests, one limit at a time (SPEC §5, issue 17): each is
//! answered quickly with a clear error and its `extensions.code`, never a
//! 500, and the server goes on serving.

#![expect(clippy::expect_used, reason = "tests fail loudly")]

use std::time::{Duration, Instant};

use roster_tests::live::Live;
use roster_tests::outage::Lock;
use roster_tests::server::{Client, Server};
use roster_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestDb, on_both_backends};
use serde_json::{Value, json};

/// Posts `body` and checks the answer: `status`, the first error's `code`,
/// and that it came within two seconds. Returns the first error's message.
async fn refused(client: &Client, body: Value, status: u16, code: &str) -> String {
    let started = Instant::now();
    let reply = client.send(body.clone()).await;
    let took = started.elapsed();
    let excerpt: String = body.to_string().chars().take(120).collect();
    assert_eq!(reply.status, status, "{excerpt}: {}", reply.body);
    assert_eq!(reply.code(), code, "{excerpt}: {}", reply.body);
    assert!(took < Duration::from_secs(2), "{excerpt} took {took:?}");
    reply.message()
}

async fn graphql_limits_each_answer_with_their_code(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let server = Server::start(&db, &[]);
    let (admin, _) = server.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let anonymous = server.client();
    for client in [&anonymous, &admin] {
        // Depth.
        let deep = format!(
            "{{ __schema {{ types {{ fields {{ type {}name{} }} }} }} }}",
            "{ ofType ".repeat(12),
            " }".repeat(12)
        );
        let said = refused(
            client,
            json!({ "query": deep }),
            200,
            "GRAPHQL_VALIDATION_FAILED",
        )
        .await;
        assert_eq!(said, "Query is nested too deep.");
        // Complexity: one fragment spread many times, no alias.
        let wide = format!(
            "{{ {} }} fragment F on QueryRoot {{ __schema {{ types {{ name kind description fields {{ name description args {{ name }} type {{ name kind }} }} }} }} }}",
            "...F ".repeat(45)
        );
        let said = refused(
            client,
            json!({ "query": wide }),
            200,
            "GRAPHQL_VALIDATION_FAILED",
        )
        .await;
        assert_eq!(said, "Query is too complex.");
        // Aliases.
        let aliases: String = (0..51).map(|i| format!("a{i}: __typename ")).collect();
        let said = refused(
            client,
            json!({ "query": format!("{{ {aliases} }}") }),
            400,
            "GRAPHQL_VALIDATION_FAILED",
        )
        .await;
        assert_eq!(said, "The document has 51 aliases; at most 50 are accepted");
        // Directives.
        let directives = "@include(if: true) ".repeat(51);
        let said = refused(
            client,
            json!({ "query": format!("{{ __typename {directives} }}") }),
            400,
            "GRAPHQL_VALIDATION_FAILED",
        )
        .await;
        assert_eq!(
            said,
            "The document has 51 directives; at most 50 are accepted"
        );
        // Document size, under the body limit.
        let padded = format!("{{ __typename }} #{}", "x".repeat(40 * 1024));
        let said = refused(
            client,
            json!({ "query": padded }),
            400,
            "GRAPHQL_VALIDATION_FAILED",
        )
        .await;
        assert!(said.starts_with("The document is 40"), "{said}");
        // Tokens, under the size limit.
        let tokens = format!("{{ __typename {} }}", "a ".repeat(3_000));
        let said = refused(
            client,
            json!({ "query": tokens }),
            400,
            "GRAPHQL_VALIDATION_FAILED",
        )
        .await;
        assert_eq!(said, "The document has more than 3000 tokens");
        // Variables: size and lists.
        let query = "query($q: String) { __typename }";
        let said = refused(
            client,
            json!({ "query": query, "variables": { "q": "x".repeat(70_000) } }),
            400,
            "BAD_USER_INPUT",
        )
        .await;
        assert!(said.starts_with("The variables are 700"), "{said}");
        let said = refused(
            client,
            json!({ "query": query, "variables": { "q": vec![1; 1_001] } }),
            400,
            "BAD_USER_INPUT",
        )
        .await;
        assert_eq!(said, "Variable \"$q\" holds a list of more than 1000 items");
        // A literal list in an argument.
        let roles = vec!["\"viewer\""; 1_001].join(",");
        let mutation = format!("mutation {{ setUserRoles(id: \"x\", roles: [{roles}]) {{ id }} }}");
        let said = refused(
            client,
            json!({ "query": mutation }),
            400,
            "GRAPHQL_VALIDATION_FAILED",
        )
        .await;
        assert_eq!(
            said,
            "The document holds a list of 1001 items; at most 1000 are accepted"
        );
        // A NUL character, in the document or the variables (found by the
        // fuzzer: Postgres could not store it).
        let said = refused(
            client,
            json!({ "query": "{ invitation(token: \"a\\u0000b\") { email } }" }),
            400,
            "BAD_USER_INPUT",
        )
        .await;
        assert_eq!(said, "Text may not contain the NUL character (U+0000)");
        let said = refused(client, json!({ "query": "query($t: String!) { invitation(token: $t) { email } }", "variables": { "t": "a\u{0}b" } }), 400, "BAD_USER_INPUT").await;
        assert_eq!(said, "Text may not contain the NUL character (U+0000)");
        // A body over 256 KiB is refused before it is read.
        let reply = client
            .send(json!({ "query": "{ __typename }", "variables": { "q": "x".repeat(300_000) } }))
            .await;
        assert_eq!(reply.status, 413, "{}", reply.body);
    }
    // Through the REST paths the database's own refusal of a NUL is bad
    // input too (or simply not found where it can be stored).
    // (A client of its own: the 413 above closed the admin's connection.)
    let mut rest = server.client().with_header("x-roster-csrf", "1");
    rest.cookie = admin.cookie.clone();
    let (status, _, body) = rest.get("/api/v1/admin/users/a%00b").await;
    assert!(matches!(status, 404 | 422), "{status} {body}");
    // Page size, for a caller allowed to page.
    let said = refused(
        &admin,
        json!({ "query": "{ users(first: 101) { totalCount } }" }),
        200,
        "BAD_USER_INPUT",
    )
    .await;
    assert!(said.contains("100"), "{said}");
    // Still serving, and nothing was a 500.
    let reply = admin
        .query("{ viewer { user { email } } }", json!({}))
        .await;
    assert_eq!(reply.data("viewer.user.email"), ADMIN_EMAIL);
    let (_, _, metrics) = admin.get("/metrics").await;
    assert!(!metrics.contains("outcome=\"internal\""), "{metrics}");
}

/// The first error of a graphql-ws answer: its code and message.
fn socket_error(message: &Value) -> (String, String) {
    let errors = match &message["payload"] {
        Value::Array(errors) => errors.clone(),
        payload => payload["errors"].as_array().cloned().unwrap_or_default(),
    };
    let first = errors.first().cloned().unwrap_or_default();
    (
        first["extensions"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        first["message"].as_str().unwrap_or("").to_string(),
    )
}

/// A subscription document over `/graphql/ws` gets the limits and codes of
/// one posted to `/graphql`, each answer within two seconds, and the
/// socket stays open for the next subscription.
async fn the_socket_has_the_same_limits(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let mut server = Server::start(&db, &[]);
    let (admin, _) = server.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let cookie = admin.cookie.clone().expect("cookie");
    let aliases: String = (0..51)
        .map(|i| format!("a{i}: auditEvents {{ id }} "))
        .collect();
    let directives = "id @include(if: true) ".repeat(51);
    let long_list = (0..1001)
        .map(|i| format!("\"t{i}\""))
        .collect::<Vec<_>>()
        .join(",");
    let cases: Vec<(&str, String, Value, &str, &str)> = vec![
        (
            "syntax",
            "subscription { auditEvents { id }".into(),
            json!({}),
            "GRAPHQL_PARSE_FAILED",
            "",
        ),
        (
            "unknown field",
            "subscription { auditEvent { id } }".into(),
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
            "Unknown field",
        ),
        (
            "size",
            format!(
                "subscription {{ auditEvents {{ id }} }} #{}",
                "x".repeat(33 * 1024)
            ),
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
            "bytes",
        ),
        (
            "tokens",
            format!(
                "subscription {{ auditEvents {{ {} }} }}",
                "id ".repeat(3001)
            ),
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
            "tokens",
        ),
        (
            "aliases",
            format!("subscription {{ {aliases} }}"),
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
            "aliases",
        ),
        (
            "directives",
            format!("subscription {{ auditEvents {{ {directives} }} }}"),
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
            "directives",
        ),
        (
            "literal list",
            format!(
                "subscription {{ auditEvents(filter: {{ eventTypes: [{long_list}] }}) {{ id }} }}"
            ),
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
            "items",
        ),
        (
            "variables",
            "subscription($f: AuditEventsFilter) { auditEvents(filter: $f) { id } }".into(),
            json!({ "f": { "resourceId": "x".repeat(65 * 1024) } }),
            "BAD_USER_INPUT",
            "bytes",
        ),
        (
            "NUL",
            "subscription($f: AuditEventsFilter) { auditEvents(filter: $f) { id } }".into(),
            json!({ "f": { "resourceType": "user\u{0}" } }),
            "BAD_USER_INPUT",
            "NUL",
        ),
        (
            "NUL literal",
            "subscription { auditEvents(filter: { resourceType: \"a\\u0000b\" }) { id } }".into(),
            json!({}),
            "BAD_USER_INPUT",
            "NUL",
        ),
    ];
    for (who, headers) in [
        (
            "admin",
            vec![
                ("cookie", cookie.as_str()),
                ("origin", server.base.as_str()),
            ],
        ),
        ("anonymous", vec![]),
    ] {
        let mut live = Live::connect(&server.base, &headers, json!({}))
            .await
            .expect("connected");
        for (n, (name, query, variables, code, says)) in cases.iter().enumerate() {
            let id = format!("{n}");
            let started = Instant::now();
            live.subscribe(&id, query, variables.clone()).await;
            let seen = live
                .until(Duration::from_secs(5), |m| m["id"] == id.as_str())
                .await;
            let reply = seen.last().expect("an answer");
            let took = started.elapsed();
            let (got, message) = socket_error(reply);
            assert_eq!(got, *code, "{who}, {name}: {reply}");
            assert!(message.contains(says), "{who}, {name}: {message}");
            assert!(took < Duration::from_secs(2), "{who}, {name} took {took:?}");
        }
        // Nobody signed in learns no field names from suggestions.
        live.subscribe("s", "subscription { auditEvnts { id } }", json!({}))
            .await;
        let seen = live.until(Duration::from_secs(5), |m| m["id"] == "s").await;
        let (_, message) = socket_error(seen.last().expect("an answer"));
        assert_eq!(
            message.contains("Did you mean"),
            who == "admin",
            "{who}: {message}"
        );
    }
    assert!(!server.log_contains("panicked"), "the server panicked");
}

async fn rename(client: &Client, id: &str, name: &str) -> roster_tests::server::Reply {
    client
        .query(
            "mutation($id: ID!, $name: String) { updateUser(id: $id, input: { displayName: $name }) { displayName } }",
            json!({ "id": id, "name": name }),
        )
        .await
}

/// Waits (at most 5 s) until a user is named `name`, then checks there
/// are `events` `user.updated` events: a change ran on to its end.
async fn landed(db: &TestDb, name: &str, events: usize) {
    let mut names = Vec::new();
    for _ in 0..50 {
        names = db
            .strings("SELECT COALESCE(display_name, '') FROM users")
            .await;
        if names.iter().any(|n| n == name) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(names.iter().any(|n| n == name), "{names:?}");
    let updated = db
        .strings("SELECT event_type FROM audit_events WHERE event_type = 'user.updated'")
        .await;
    assert_eq!(updated.len(), events, "{updated:?}");
}

/// A request out of time is answered `UNAVAILABLE` at the timeout; a
/// mutation already running still completes, with its audit event.
async fn a_slow_request_is_cut_at_the_timeout(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let server = Server::start(&db, &[("REQUEST_TIMEOUT_SECONDS", "0.5")]);
    let (admin, _) = server.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let id = admin.viewer_id().await;
    let lock = Lock::take(&db).await;
    let started = Instant::now();
    let reply = rename(&admin, &id, "Slow Admin").await;
    let took = started.elapsed();
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.code(), "UNAVAILABLE");
    assert!(
        reply
            .message()
            .starts_with("The request did not finish within 0.5 s"),
        "{}",
        reply.message()
    );
    // Not to be retried blindly: it may yet be made.
    assert!(
        reply.body["errors"][0]["extensions"]["retryAfterSeconds"].is_null(),
        "{}",
        reply.body
    );
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(2),
        "{took:?}"
    );
    // Health is outside the limits and says the server lives.
    let health = admin.get("/healthz").await;
    assert_eq!(health.0, 200);
    lock.release().await;
    // The mutation ran on to its end: the change and its event are there.
    landed(&db, "Slow Admin", 1).await;

    // A REST change out of time: answered 503 in the REST shape at the
    // timeout, and it too runs on to its end, commit and event.
    let lock = Lock::take(&db).await;
    let started = Instant::now();
    let (status, headers, body) = admin.rename_over_rest(&id, "Slow Rest").await;
    let took = started.elapsed();
    assert_eq!(status, 503, "{body}");
    assert!(headers.get("retry-after").is_none(), "{headers:?}");
    let body: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(body["error"]["code"], "UNAVAILABLE", "{body}");
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(2),
        "{took:?}"
    );
    lock.release().await;
    landed(&db, "Slow Rest", 2).await;
}

/// One request more than `MAX_CONCURRENT_REQUESTS` is refused at once;
/// health stays outside the cap; the slots come back.
async fn one_request_over_the_cap_is_refused_at_once(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let server = Server::start(&db, &[("MAX_CONCURRENT_REQUESTS", "2")]);
    let (admin, _) = server.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let id = admin.viewer_id().await;
    let lock = Lock::take(&db).await;
    let held: Vec<_> = (0..2)
        .map(|i| {
            let admin = admin.clone();
            let id = id.clone();
            tokio::spawn(async move { rename(&admin, &id, &format!("Held {i}")).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let said = refused(
        &admin,
        json!({ "query": "{ serverInfo { version } }" }),
        503,
        "UNAVAILABLE",
    )
    .await;
    assert_eq!(said, "The server is busy; try again shortly");
    // The REST paths share the slots and answer in their own shape.
    let (status, _, body) = admin.get("/api/v1/admin/users").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"UNAVAILABLE\""), "{body}");
    assert_eq!(admin.get("/healthz").await.0, 200);
    assert_eq!(admin.get("/readyz").await.0, 200);
    lock.release().await;
    for task in held {
        let reply = task.await.expect("task");
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(reply.body["errors"].is_null(), "{}", reply.body);
    }
    let reply = admin.query("{ serverInfo { version } }", json!({})).await;
    assert_eq!(reply.status, 200);
    assert!(
        server
            .metric("roster_requests_refused_total{reason=\"busy\"}")
            .await
            >= 2.0
    );
}

on_both_backends!(
    graphql_limits_each_answer_with_their_code,
    the_socket_has_the_same_limits,
    a_slow_request_is_cut_at_the_timeout,
    one_request_over_the_cap_is_refused_at_once,
);
