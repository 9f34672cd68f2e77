//! Reading the audit log (SPEC §9, seed 004 "Viewing User Activity")
//! through the real binary on both backends: `auditEvents` with its filters
//! and stable cursors, deleted users shown as such, `User.activity`, the CSV
//! download and `roster audit export`.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster::service::Actor;
use roster::service::AuditEvent as Event;
use roster::service::work::{Mode, Work};
use roster_tests::server::{Client, Server};
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

async fn setup(backend: Backend) -> (TestDb, Server, Client) {
    let db = TestDb::bootstrapped(backend).await;
    for (email, role) in [
        ("jane@example.com", "viewer"),
        ("gone@example.com", "viewer"),
    ] {
        db.provision(email, role, USER_PASSWORD).await.ok();
    }
    let server = Server::start(&db, &[]);
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    (db, server, admin)
}

const EVENTS: &str = "query($first: Int, $after: String, $f: AuditEventsFilter) {
    auditEvents(first: $first, after: $after, filter: $f) {
        edges { cursor node { id eventType actorId actorName resourceType resourceId resourceName channel details } }
        pageInfo { hasNextPage } } }";

fn nodes(reply: &roster_tests::server::Reply) -> Vec<Value> {
    reply
        .data("auditEvents.edges")
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn types(nodes: &[Value]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|n| n["eventType"].as_str().map(str::to_string))
        .collect()
}

async fn user_id(admin: &Client, name: &str) -> String {
    admin
        .query(
            "query($s: String) { users(filter: { search: $s, includeDeleted: true }) { edges { node { id } } } }",
            json!({ "s": name }),
        )
        .await
        .data("users.edges")[0]["node"]["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// Newest first, filtered, with cursors that hold while events are added;
/// a deleted user is `[Deleted User]` with the id kept; the permission is
/// `audit:read`.
async fn events_are_listed_filtered_and_paged(backend: Backend) {
    let (_db, server, admin) = setup(backend).await;
    let jane = user_id(&admin, "jane").await;
    let gone = user_id(&admin, "gone").await;
    // `gone` acts once before being deleted.
    let (_, gone_login) = server.client().login("gone", USER_PASSWORD).await;
    gone_login.data("login.viewer.user.id");
    let rename =
        "mutation($id: ID!, $n: String) { updateUser(id: $id, input: { displayName: $n }) { id } }";
    admin
        .query(rename, json!({ "id": jane, "n": "Jane D" }))
        .await
        .data("updateUser.id");
    admin
        .query(
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": gone }),
        )
        .await
        .data("deleteUser");

    let all = admin.query(EVENTS, json!({ "first": 100 })).await;
    let all = nodes(&all);
    assert_eq!(types(&all)[..2], ["user.deleted", "user.updated"]);
    assert!(types(&all).contains(&"user.created".to_string()));
    let deleted = &all[0];
    assert_eq!(deleted["resourceId"], gone.as_str());
    assert_eq!(deleted["resourceName"], "[Deleted User]");
    assert_eq!(all[1]["actorName"], "admin");
    assert_eq!(all[1]["resourceName"], "jane");
    assert_eq!(all[1]["details"]["new_values"]["display_name"], "Jane D");

    let about_jane = admin
        .query(
            EVENTS,
            json!({ "f": { "resourceType": "user", "resourceId": jane, "eventTypes": ["user.updated"] } }),
        )
        .await;
    assert_eq!(types(&nodes(&about_jane)), ["user.updated"]);
    let admin_id = user_id(&admin, "admin").await;
    let by_admin = nodes(
        &admin
            .query(
                EVENTS,
                json!({ "first": 100, "f": { "actorId": admin_id } }),
            )
            .await,
    );
    assert!(by_admin.iter().all(|n| n["actorId"] == admin_id.as_str()));
    assert!(types(&by_admin).contains(&"user.login".to_string()));
    let gone_login = all
        .iter()
        .find(|n| n["actorId"] == gone.as_str() && n["eventType"] == "user.login")
        .expect("gone's login");
    assert_eq!(gone_login["actorName"], "[Deleted User]");
    let future = admin
        .query(EVENTS, json!({ "f": { "from": "2999-01-01T00:00:00Z" } }))
        .await;
    assert!(nodes(&future).is_empty());
    let past = admin
        .query(EVENTS, json!({ "f": { "to": "2000-01-01T00:00:00Z" } }))
        .await;
    assert!(nodes(&past).is_empty());
    let until_later = admin
        .query(
            EVENTS,
            json!({ "first": 100, "f": { "to": "2999-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(nodes(&until_later).len(), all.len());
    let backwards = admin
        .query(
            EVENTS,
            json!({ "f": { "from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(backwards.code(), "BAD_USER_INPUT");

    // Page through two at a time while new events arrive: no event is
    // seen twice, none is skipped.
    let before: Vec<String> = all
        .iter()
        .filter_map(|n| n["id"].as_str().map(str::to_string))
        .collect();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = admin
            .query(EVENTS, json!({ "first": 2, "after": after }))
            .await;
        let edges = page.data("auditEvents.edges");
        for e in edges.as_array().expect("edges") {
            seen.push(e["node"]["id"].as_str().expect("id").to_string());
        }
        // Something new happens between pages.
        admin
            .query(
                rename,
                json!({ "id": jane, "n": format!("Jane {}", seen.len()) }),
            )
            .await
            .data("updateUser.id");
        if !page
            .data("auditEvents.pageInfo.hasNextPage")
            .as_bool()
            .expect("bool")
        {
            break;
        }
        after = edges
            .as_array()
            .and_then(|e| e.last())
            .and_then(|e| e["cursor"].as_str())
            .map(str::to_string);
    }
    // Exactly the events there were when paging began, in order.
    assert_eq!(seen, before);

    // An event about her whose resource is something else: she joins an
    // organization (the membership names her only in its details).
    let org = admin
        .query(
            "mutation { createOrganization(input: { slug: \"ops\", name: \"Ops\" }) { id } }",
            json!({}),
        )
        .await
        .data("createOrganization.id");
    admin
        .query(
            "mutation($id: ID!, $m: [String!]!) { addOrganizationMembers(id: $id, members: $m) { __typename } }",
            json!({ "id": org, "m": [jane] }),
        )
        .await
        .data("addOrganizationMembers");

    let (viewer, _) = server.client().login("jane", USER_PASSWORD).await;
    assert_eq!(viewer.query(EVENTS, json!({})).await.code(), "FORBIDDEN");
    assert_eq!(
        server.client().query(EVENTS, json!({})).await.code(),
        "UNAUTHENTICATED"
    );
    // Her own activity is hers to read; someone else's is not.
    let activity = "query($id: ID!) { user(id: $id) { activity(first: 50) { edges { node { eventType resourceId actorId ipAddress } } } } }";
    let own = viewer.query(activity, json!({ "id": jane })).await;
    let own_types: Vec<Value> = own
        .data("user.activity.edges")
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["eventType"].clone())
        .collect();
    assert!(own_types.contains(&json!("user.updated")), "{own_types:?}");
    assert!(own_types.contains(&json!("user.login")), "{own_types:?}");
    assert!(
        own_types.contains(&json!("membership.added")),
        "{own_types:?}"
    );
    let own_edges = own.data("user.activity.edges");
    let own_nodes: Vec<&Value> = own_edges
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| &e["node"])
        .collect();
    // Only events by her or about her: nothing about `gone`.
    assert!(
        own_nodes.iter().all(|n| n["actorId"] == jane.as_str()
            || n["resourceId"] == jane.as_str()
            || n["eventType"] == "membership.added"),
        "{own_nodes:?}"
    );
    // Where the admin acted on her, the admin's address is not hers to see.
    let by_admin = own_nodes
        .iter()
        .find(|n| n["eventType"] == "user.updated")
        .expect("the admin's update");
    assert_eq!(by_admin["ipAddress"], Value::Null);
    let her_login = own_nodes
        .iter()
        .find(|n| n["eventType"] == "user.login")
        .expect("her login");
    assert_eq!(her_login["ipAddress"], "127.0.0.1");
    let admins = viewer.query(activity, json!({ "id": admin_id })).await;
    assert_eq!(admins.code(), "FORBIDDEN");
}

/// The CSV download: seed 004's columns and file name, RFC 4180 quoting,
/// the same filters; more rows than one page; refusals before any byte.
async fn the_log_downloads_as_csv(backend: Backend) {
    let (db, server, admin) = setup(backend).await;
    let jane = user_id(&admin, "jane").await;
    admin
        .query(
            "mutation($id: ID!) { updateUser(id: $id, input: { displayName: \"Jane, \\\"JD\\\" Doe\" }) { id } }",
            json!({ "id": jane }),
        )
        .await
        .data("updateUser.id");
    // More events than one page of the export on SQLite (2,000) and many
    // chunks of the download, recorded through the library's unit of work
    // (one instant: the order falls to the ids).
    let app = db.app(&[], 2).await;
    Work::run(&app, Actor::cli_operator(), Mode::Write, async |w| {
        for i in 0..4_500 {
            w.record(Event::new("test.bulk").resource("test", i.to_string()));
        }
        Ok(())
    })
    .await
    .expect("bulk events");

    let (status, headers, body) = admin.get("/admin/api/audit.csv").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    let today = chrono::Utc::now().format("%Y%m%d").to_string();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"activity_log_{today}.csv\"")
    );
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        reader
            .headers()
            .expect("header row")
            .iter()
            .collect::<Vec<_>>(),
        [
            "Timestamp",
            "User",
            "Event Type",
            "Resource",
            "IP Address",
            "Details"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let stored = db
        .strings(
            "SELECT COALESCE(resource_type || ':' || resource_id, resource_type, '') \
             FROM audit_events ORDER BY occurred_at DESC, id DESC",
        )
        .await;
    assert_eq!(
        rows.iter().map(|r| r[3].to_string()).collect::<Vec<_>>(),
        stored,
        "every event once, newest first, across pages"
    );
    let update = rows
        .iter()
        .find(|r| &r[2] == "user.updated")
        .expect("the update");
    assert_eq!(&update[1], "admin");
    assert_eq!(update[3], format!("user:{jane}"));
    assert_eq!(&update[5], "Changed: display_name");
    assert!(
        update[0].ends_with('Z') && update[0].len() == 20,
        "{}",
        &update[0]
    );
    let bulk = rows.iter().filter(|r| &r[2] == "test.bulk").count();
    assert_eq!(bulk, 4_500);
    assert_eq!(
        rows.iter()
            .find(|r| &r[2] == "test.bulk")
            .map(|r| r[1].to_string())
            .as_deref(),
        Some("operator (CLI)")
    );

    let (status, _, filtered) = admin
        .get("/admin/api/audit.csv?eventTypes=user.updated,user.created&resourceType=user")
        .await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = filtered
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(2))
        .collect();
    // One update and three creations (admin, jane, gone), nothing else.
    assert_eq!(
        kinds,
        [
            "user.updated",
            "user.created",
            "user.created",
            "user.created"
        ],
        "{filtered}"
    );

    let (status, _, body) = admin.get("/admin/api/audit.csv?from=yesterday").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("RFC 3339"), "{body}");
    let (viewer, _) = server.client().login("jane", USER_PASSWORD).await;
    assert_eq!(viewer.get("/admin/api/audit.csv").await.0, 403);
    assert_eq!(server.client().get("/admin/api/audit.csv").await.0, 401);
}

/// `roster audit export` writes the same CSV, filtered, to a file.
async fn the_cli_exports_the_log(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let file = db.dir.path().join("log.csv");
    let out = db
        .roster()
        .args([
            "audit",
            "export",
            "--event-type",
            "user.created",
            "--output",
        ])
        .args([file.to_str().expect("path")])
        .run()
        .await
        .ok();
    assert!(out.stderr.contains("Audit log written to"), "{out:?}");
    let text = std::fs::read_to_string(&file).expect("export");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Timestamp,User,Event Type,Resource,IP Address,Details"
    );
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1..].iter().all(|l| l.contains(",user.created,user:")),
        "{text}"
    );
    let to_stdout = db
        .roster()
        .args(["audit", "export", "--event-type", "nothing.like.this"])
        .run()
        .await
        .ok();
    assert_eq!(
        to_stdout.stdout.trim(),
        "Timestamp,User,Event Type,Resource,IP Address,Details"
    );
}

/// Each committed event leaves seed 004's line: on the server's standard
/// output, or appended to `AUDIT_LOG_FILE` (by the server and the CLI
/// alike); never an email or a secret.
async fn each_event_leaves_a_seed_line(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let server = Server::start(&db, &[]);
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let created = "mutation { createUser(input: { username: \"john_doe\", email: \"john@example.com\", roles: [\"editor\"] }) { user { id } } }";
    let john = admin
        .query(created, json!({}))
        .await
        .data("createUser.user.id");
    let stdout_path = db.dir.path().join(roster_tests::SERVE_STDOUT);
    let mut printed = String::new();
    for _ in 0..50 {
        printed = std::fs::read_to_string(&stdout_path).unwrap_or_default();
        if printed.contains("action=user.created") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let line = printed
        .lines()
        .find(|l| l.contains("action=user.created"))
        .expect("the user.created line");
    let admin_id = user_id(&admin, "admin").await;
    assert!(line.ends_with(&format!(
        "[INFO] user_id={admin_id} action=user.created target_user_id={} target_username=john_doe role=editor ip=127.0.0.1",
        john.as_str().expect("id")
    )), "{line}");
    let stamp = line.split(' ').next().unwrap_or_default();
    assert!(
        chrono::DateTime::parse_from_rfc3339(stamp).is_ok() && stamp.len() == 20,
        "{line}"
    );
    assert!(
        printed
            .lines()
            .any(|l| l.contains("[INFO] user_id=") && l.contains("action=user.login"))
    );
    assert!(!printed.contains('@'), "no email in the lines: {printed}");
    drop(server);

    let file = db.dir.path().join("admin-audit.log");
    let path = file.to_str().expect("path");
    let server = Server::start(&db, &[("AUDIT_LOG_FILE", path)]);
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    admin
        .query(
            "mutation($id: ID!) { updateUser(id: $id, input: { displayName: \"John\" }) { id } }",
            json!({ "id": john }),
        )
        .await
        .data("updateUser.id");
    drop(server);
    db.roster()
        .env("AUDIT_LOG_FILE", path)
        .args(["revoke-sessions", "--username", "john_doe"])
        .run()
        .await
        .ok();
    let logged = std::fs::read_to_string(&file).expect("AUDIT_LOG_FILE");
    let actions: Vec<&str> = logged
        .lines()
        .filter_map(|l| l.split(" action=").nth(1))
        .filter_map(|r| r.split(' ').next())
        .collect();
    assert_eq!(
        actions,
        ["user.login", "user.updated", "user.sessions_revoked"],
        "{logged}"
    );
    assert!(
        logged
            .lines()
            .last()
            .is_some_and(|l| l.contains("user_id=- ") && l.contains("ip=-")),
        "{logged}"
    );
}

/// A process runs two exports at once (each holds a connection); a third
/// is refused with `RATE_LIMITED`, and an export whose client left ends and
/// makes room. In process: the exports are held half-read.
async fn exports_are_limited_and_end_with_their_client(backend: Backend) {
    use futures_util::StreamExt;
    use roster::error::DomainError;
    use roster::service::audit_csv;
    use roster::service::audit_log::AuditFilter;

    let db = TestDb::bootstrapped(backend).await;
    let app = db.app(&[], 8).await;
    // Several chunks' worth, so an unread export waits on its client.
    Work::run(&app, Actor::cli_operator(), Mode::Write, async |w| {
        for i in 0..5_000 {
            w.record(Event::new("test.bulk").resource("test", i.to_string()));
        }
        Ok(())
    })
    .await
    .expect("bulk events");
    let export = || audit_csv::export(&app, Actor::cli_operator(), AuditFilter::default());
    let first = export().await.expect("first export");
    let second = export().await.expect("second export");
    match export().await {
        Err(DomainError::RateLimited { .. }) => {}
        Err(e) => panic!("a third export: {e}"),
        Ok(_) => panic!("a third export ran"),
    }
    drop(second);
    let mut third = None;
    for _ in 0..100 {
        if let Ok(stream) = export().await {
            third = Some(stream);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let third = third.expect("room once a client left");
    // The held exports still deliver everything, with a clean end.
    for stream in [first, third] {
        let body: Vec<u8> = stream
            .map(|chunk| chunk.expect("a chunk").to_vec())
            .concat()
            .await;
        let lines = body
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        assert!(lines > 5_000, "{lines} lines");
    }
}

on_both_backends!(
    each_event_leaves_a_seed_line,
    events_are_listed_filtered_and_paged,
    the_log_downloads_as_csv,
    exports_are_limited_and_end_with_their_client,
    the_cli_exports_the_log
);
