//! The seeds' REST paths (issue 16) through the real binary on both
//! backends: every curl example of seed 004 run by curl as the seed prints
//! it (only the host, the token and `{user_id}` filled in), the activity
//! path, the error shape and statuses, the paths hidden with
//! `USER_MGMT_CORE` off, and a contract walk over the OpenAPI document the
//! server serves: every operation called with valid and invalid input, each
//! answer's status documented and its body valid against the document's
//! schema.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster_tests::server::Server;
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

/// Seed 004's curl examples, as printed there.
const CREATE: &str = r#"curl -X POST https://your-domain.com/api/v1/admin/users \
  -H "Authorization: Bearer YOUR_JWT_TOKEN" \
  -H "Content-Type: application/json" \
  -d '{
    "username": "janedoe",
    "email": "jane@example.com",
    "role": "editor"
  }'"#;
const LIST: &str = r#"curl -X GET https://your-domain.com/api/v1/admin/users \
  -H "Authorization: Bearer YOUR_JWT_TOKEN""#;
const LIST_ADMINS: &str = r#"curl -X GET "https://your-domain.com/api/v1/admin/users?status=active&role=admin" \
  -H "Authorization: Bearer YOUR_JWT_TOKEN""#;
const ONE: &str = r#"curl -X GET https://your-domain.com/api/v1/admin/users/{user_id} \
  -H "Authorization: Bearer YOUR_JWT_TOKEN""#;
const UPDATE: &str = r#"curl -X PUT https://your-domain.com/api/v1/admin/users/{user_id} \
  -H "Authorization: Bearer YOUR_JWT_TOKEN" \
  -H "Content-Type: application/json" \
  -d '{
    "username": "jane.doe",
    "email": "jane.doe@example.com",
    "role": "admin"
  }'"#;
const RESEND: &str = r#"curl -X POST https://your-domain.com/api/v1/admin/users/{user_id}/resend-invitation \
  -H "Authorization: Bearer YOUR_JWT_TOKEN""#;
const DEACTIVATE: &str = r#"curl -X POST https://your-domain.com/api/v1/admin/users/{user_id}/deactivate \
  -H "Authorization: Bearer YOUR_JWT_TOKEN""#;
const ACTIVATE: &str = r#"curl -X POST https://your-domain.com/api/v1/admin/users/{user_id}/activate \
  -H "Authorization: Bearer YOUR_JWT_TOKEN""#;
const DELETE: &str = r#"curl -X DELETE https://your-domain.com/api/v1/admin/users/{user_id} \
  -H "Authorization: Bearer YOUR_JWT_TOKEN""#;

/// A signed-in admin with a personal access token holding all they may.
struct Admin {
    server: Server,
    token: String,
}

async fn admin(db: &TestDb, env: &[(&str, &str)]) -> Admin {
    let server = Server::start_public(db, env);
    let (api, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let permissions = api
        .query("{ viewer { permissions } }", json!({}))
        .await
        .data("viewer.permissions");
    let token = api
        .query(
            "mutation($s: [String!]!) { createToken(name: \"runbook\", scopes: $s) { secret } }",
            json!({ "s": permissions }),
        )
        .await
        .data("createToken.secret")
        .as_str()
        .expect("a secret")
        .to_string();
    Admin { server, token }
}

impl Admin {
    /// Runs a seed curl example with `sh`, the host, token and user filled
    /// in; answers what curl printed, as JSON (null when empty).
    async fn curl(&self, example: &str, user_id: &str) -> Value {
        let command = example
            .replace("https://your-domain.com", &self.server.base)
            .replace("YOUR_JWT_TOKEN", &self.token)
            .replace("{user_id}", user_id);
        let out = tokio::process::Command::new("sh")
            .args(["-c", &format!("{command} --silent --show-error")])
            .output()
            .await
            .expect("sh and curl run");
        assert!(out.status.success(), "{command}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        if text.trim().is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{command}: {e}: {text}"))
    }

    /// `method path` with the token, a JSON body when given; the status
    /// and the JSON answer (null when empty).
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let client = reqwest::Client::new();
        let url = format!("{}{path}", self.server.base);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut req = client.request(method, url).bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("the server answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A raw request: `body` sent as is with `content_type`.
    async fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: String,
    ) -> (u16, Value) {
        let client = reqwest::Client::new();
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let resp = client
            .request(method, format!("{}{path}", self.server.base))
            .bearer_auth(&self.token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("the server answers");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

async fn the_seeds_curl_examples_run_unchanged(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("ops@example.com", "admin", USER_PASSWORD)
        .await
        .ok();
    let a = admin(&db, &[]).await;

    // Creating: an invitation; the answer is the user, not yet active.
    let jane = a.curl(CREATE, "").await;
    assert_eq!(jane["username"], "janedoe", "{jane}");
    assert_eq!(jane["is_active"], false);
    assert_eq!(jane["status"], "pending_invitation");
    assert_eq!(jane["role"], "editor");
    let jane_id = jane["id"].as_str().expect("an id").to_string();

    let all = a.curl(LIST, "").await;
    let names: Vec<&str> = all["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(names, ["admin", "ops", "janedoe"], "{all}");
    assert_eq!(all["has_more"], false);
    let admins = a.curl(LIST_ADMINS, "").await;
    assert_eq!(
        admins["users"].as_array().map(Vec::len),
        Some(1),
        "{admins}"
    );
    assert_eq!(admins["users"][0]["username"], "ops");
    let ops_id = admins["users"][0]["id"].as_str().expect("id").to_string();

    let one = a.curl(ONE, &jane_id).await;
    assert_eq!(one["email"], "jane@example.com");

    let updated = a.curl(UPDATE, &jane_id).await;
    assert_eq!(updated["username"], "jane.doe", "{updated}");
    assert_eq!(updated["email"], "jane.doe@example.com");
    assert_eq!(updated["roles"], json!(["admin"]));

    let resent = a.curl(RESEND, &jane_id).await;
    assert_eq!(resent["id"], jane_id.as_str(), "{resent}");
    assert!(resent["invitation_expires_at"].is_string());

    let off = a.curl(DEACTIVATE, &ops_id).await;
    assert_eq!(off["status"], "deactivated", "{off}");
    assert_eq!(off["is_active"], false);
    let on = a.curl(ACTIVATE, &ops_id).await;
    assert_eq!(on["is_active"], true, "{on}");

    assert_eq!(a.curl(DELETE, &jane_id).await, Value::Null);
    let gone = a
        .call("GET", &format!("/api/v1/admin/users/{jane_id}"), None)
        .await;
    assert_eq!(gone.0, 404, "{gone:?}");

    // The activity path: every step above, newest first, filtered as the
    // seed's example filters.
    let (status, page) = a
        .call("GET", "/api/v1/admin/activity?event_type=user.deactivated,user.activated&start_date=2026-02-01&limit=50", None)
        .await;
    assert_eq!(status, 200, "{page}");
    let types: Vec<&str> = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    assert_eq!(types, ["user.activated", "user.deactivated"]);
    assert_eq!(page["events"][0]["user"], "admin");
    assert_eq!(page["events"][0]["resource_id"], ops_id.as_str());
    let admin_id = page["events"][0]["user_id"]
        .as_str()
        .expect("actor")
        .to_string();
    let (_, logins) = a
        .call(
            "GET",
            &format!("/api/v1/admin/activity?user_id={admin_id}&event_type=user.login&start_date=2026-02-01&limit=50"),
            None,
        )
        .await;
    assert_eq!(
        logins["events"].as_array().map(Vec::len),
        Some(1),
        "{logins}"
    );
    // One page at a time, the cursor leading on.
    let (_, first) = a.call("GET", "/api/v1/admin/activity?limit=2", None).await;
    assert_eq!(first["has_more"], true);
    let next = first["next_cursor"].as_str().expect("a cursor");
    let (_, second) = a
        .call(
            "GET",
            &format!("/api/v1/admin/activity?limit=2&after={next}"),
            None,
        )
        .await;
    assert_ne!(first["events"][0]["id"], second["events"][0]["id"]);
    // Seed 002's paths are the same handlers.
    // `user` is read as `viewer` (ROLE_ALIASES): nobody holds it now.
    let (status, v1) = a.call("GET", "/v1/admin/users?role=user", None).await;
    assert_eq!((status, &v1["users"]), (200, &json!([])), "{v1}");
    let (_, v1) = a.call("GET", "/v1/admin/users?role=admin", None).await;
    let names: Vec<&str> = v1["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(names, ["ops"], "{v1}");
    let (status, _) = a.call("GET", "/v1/admin/audit?limit=1", None).await;
    assert_eq!(status, 200);
}

async fn errors_have_one_shape_and_their_status(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("viewer@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let a = admin(&db, &[]).await;
    let error = |v: &Value| (v["error"]["code"].clone(), v["error"]["message"].clone());

    // No credential, a bad one, a viewer's session without the CSRF header.
    let anonymous = reqwest::get(format!("{}/api/v1/admin/users", a.server.base))
        .await
        .expect("answer");
    assert_eq!(anonymous.status().as_u16(), 401);
    let body: Value = anonymous.json().await.expect("json");
    assert_eq!(body["error"]["code"], "UNAUTHENTICATED");
    // Nobody signed in hears 401 before anything else about the request.
    let anonymous_post = reqwest::Client::new()
        .post(format!("{}/api/v1/admin/users", a.server.base))
        .header("content-type", "text/plain")
        .body("not json")
        .send()
        .await
        .expect("answer");
    assert_eq!(anonymous_post.status().as_u16(), 401);
    let forged = reqwest::Client::new()
        .get(format!("{}/api/v1/admin/users", a.server.base))
        .bearer_auth("roster_pat_forged")
        .send()
        .await
        .expect("answer");
    assert_eq!(forged.status().as_u16(), 401);
    // A viewer's session, with the CSRF header, may not list users.
    let (viewer, _) = a.server.client().login("viewer", USER_PASSWORD).await;
    let (status, _, body) = viewer
        .with_header("x-roster-csrf", "1")
        .get("/api/v1/admin/users")
        .await;
    assert_eq!(status, 403, "{body}");
    let body: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["error"]["message"], "Insufficient permissions");

    // A browser session works too, with the CSRF header only.
    let (session, _) = a.server.client().login("admin", ADMIN_PASSWORD).await;
    let (status, _, body) = session.get("/api/v1/admin/users").await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("X-Roster-CSRF"), "{body}");
    let (status, _, body) = session
        .with_header("x-roster-csrf", "1")
        .get("/api/v1/admin/users")
        .await;
    assert_eq!(status, 200, "{body}");

    // Input the server cannot read: 4xx with a clear message, never 500.
    let body = json!({ "username": "x1", "email": "x1@example.com" }).to_string();
    let (s, v) = a
        .raw("POST", "/api/v1/admin/users", "text/plain", body)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (415, Some("BAD_USER_INPUT")),
        "{v}"
    );
    let (s, v) = a
        .raw(
            "POST",
            "/api/v1/admin/users",
            "application/json",
            "{\"username\": ".into(),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Malformed JSON"),
        "{v}"
    );
    let (s, v) = a
        .call(
            "POST",
            "/api/v1/admin/users",
            Some(json!({ "username": "x1", "email": "x1@example.com", "admin": true })),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("unknown field `admin`"),
        "{v}"
    );
    // Every body is an object: serde alone would fill a struct whose
    // fields all have defaults from `[]`, and one from a long enough array.
    let (_, users) = a.call("GET", "/api/v1/admin/users", None).await;
    let id = users["users"][0]["id"]
        .as_str()
        .expect("a user")
        .to_string();
    let overrides = format!("/v1/admin/users/{id}/role-overrides");
    for (path, method, body) in [
        (overrides.as_str(), "PUT", json!([])),
        (overrides.as_str(), "PUT", json!([true, ["viewer"], []])),
        (
            "/api/v1/admin/users",
            "POST",
            json!(["x2", "x2@example.com"]),
        ),
        ("/v1/me/tokens", "POST", json!("ci")),
    ] {
        let (s, v) = a.call(method, path, Some(body)).await;
        assert_eq!(
            (s, error(&v)),
            (
                422,
                (
                    json!("BAD_USER_INPUT"),
                    json!("The body must be a JSON object")
                )
            ),
            "{method} {path}: {v}"
        );
    }
    let (_, stored) = a.call("GET", &overrides, None).await;
    assert_eq!(stored["preserved"], json!([]), "{stored}");
    let huge = format!("{{\"username\": \"{}\"}}", "x".repeat(300 * 1024));
    let (s, v) = a
        .raw("POST", "/api/v1/admin/users", "application/json", huge)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (413, Some("BAD_USER_INPUT")),
        "{v}"
    );
    let (s, v) = a
        .call("GET", "/api/v1/admin/users?status=sleeping", None)
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("status")),
        "{v}"
    );
    let (s, v) = a
        .call("GET", "/api/v1/admin/users?after=nonsense", None)
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = a.call("GET", "/api/v1/admin/users?limit=500", None).await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = a
        .call("GET", "/api/v1/admin/activity?start_date=yesterday", None)
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("start_date")),
        "{v}"
    );

    // Domain refusals, in the runbooks' words.
    let (s, v) = a
        .call(
            "POST",
            "/api/v1/admin/users",
            Some(json!({ "username": "viewer2", "email": "viewer@example.com" })),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(error(&v).1, "User already exists: Email is already taken");
    assert_eq!(v["error"]["field"], "email");
    let (s, v) = a
        .call(
            "POST",
            "/api/v1/admin/users",
            Some(json!({ "username": "new1", "email": "new1@example.com", "role": "nosuch" })),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        error(&v)
            .1
            .as_str()
            .unwrap_or_default()
            .starts_with("Unknown role 'nosuch'"),
        "{v}"
    );
    let (s, v) = a
        .call("GET", "/api/v1/admin/users/01NOSUCHUSER", None)
        .await;
    assert_eq!((s, error(&v).0), (404, json!("NOT_FOUND")), "{v}");
    // A token without users:manage is refused, and the refusal is said.
    let (api, _) = a.server.client().login("admin", ADMIN_PASSWORD).await;
    let reader = api
        .query(
            "mutation { createToken(name: \"reader\", scopes: [\"users:read\"]) { secret } }",
            json!({}),
        )
        .await
        .data("createToken.secret");
    let narrow = Admin {
        server: Server::start_public(&db, &[]),
        token: reader.as_str().expect("secret").to_string(),
    };
    let (s, v) = narrow
        .call(
            "POST",
            "/api/v1/admin/users",
            Some(json!({ "username": "new2", "email": "new2@example.com" })),
        )
        .await;
    assert_eq!(
        (s, error(&v)),
        (403, (json!("FORBIDDEN"), json!("Insufficient permissions"))),
        "{v}"
    );
    // Nothing was written by any refusal.
    let count = db.strings("SELECT COUNT(*) FROM users").await;
    assert_eq!(count, ["2"]);
}

/// With USER_MGMT_CORE off the paths are unknown, as the GraphQL fields are
/// hidden.
async fn the_paths_are_hidden_with_core_off(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let server = Server::start_public(&db, &[("USER_MGMT_CORE", "0")]);
    for path in [
        "/api/v1/admin/users",
        "/v1/admin/users",
        "/api/v1/admin/activity",
    ] {
        let resp = reqwest::get(format!("{}{path}", server.base))
            .await
            .expect("answer");
        assert_eq!(resp.status().as_u16(), 404, "{path}");
    }
}

/// Every operation of the served document, called with valid and invalid
/// input: the status is one the document gives, and the body is valid
/// against the schema it names.
async fn every_operation_answers_as_documented(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("ops@example.com", "admin", USER_PASSWORD)
        .await
        .ok();
    let a = admin(&db, &[]).await;
    let doc: Value = reqwest::get(format!("{}/api/openapi.json", a.server.base))
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    let (_, list) = a.call("GET", "/api/v1/admin/users?search=ops", None).await;
    let mut ids = std::collections::HashMap::new();
    ids.insert(
        "user",
        list["users"][0]["id"].as_str().expect("ops").to_string(),
    );

    // In the order a runbook would: deactivating before activating, each
    // thing made before it is read, changed and deleted.
    const ORDER: [&str; 25] = [
        "listUsers",
        "createUser",
        "getUser",
        "updateUser",
        "deactivateUser",
        "activateUser",
        "resendInvitation",
        "listActivity",
        "getRoleOverrides",
        "setRoleOverrides",
        "clearRoleOverrides",
        "listOrganizations",
        "createOrganization",
        "getOrganization",
        "updateOrganization",
        "addOrganizationMembers",
        "removeOrganizationMembers",
        "deleteOrganization",
        "databaseStatus",
        "enableRls",
        "listMyTokens",
        "createMyToken",
        "revokeMyToken",
        "deleteUser",
        "",
    ];
    let mut operations: Vec<(String, String, Value)> = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("methods") {
            operations.push((path.clone(), method.to_uppercase(), operation.clone()));
        }
    }
    operations.sort_by_key(|(_, _, o)| {
        ORDER
            .iter()
            .position(|n| o["operationId"] == *n)
            .unwrap_or(ORDER.len())
    });
    let mut walked = Vec::new();
    for (path, method, operation) in operations {
        let op = operation["operationId"]
            .as_str()
            .expect("operationId")
            .to_string();
        // The thing each path names, and a valid body.
        let (id, body) = match op.as_str() {
            "createUser" => (
                String::new(),
                Some(json!({ "username": "made1", "email": "made1@example.com", "role": "user" })),
            ),
            "updateUser" => (ids["user"].clone(), Some(json!({ "display_name": "Ops" }))),
            "resendInvitation" | "deleteUser" => (ids["invited"].clone(), None),
            "setRoleOverrides" => (
                ids["user"].clone(),
                Some(json!({ "enabled": true, "preserved": ["user"] })),
            ),
            "createOrganization" => (
                String::new(),
                Some(json!({ "slug": "acme", "name": "Acme" })),
            ),
            "updateOrganization" => (
                ids["org"].clone(),
                Some(json!({ "description": "Rockets" })),
            ),
            "addOrganizationMembers" | "removeOrganizationMembers" => (
                ids["org"].clone(),
                Some(json!({ "members": ["ops", "nobody"] })),
            ),
            "getOrganization" | "deleteOrganization" => (ids["org"].clone(), None),
            "createMyToken" => (
                String::new(),
                Some(json!({ "name": "walk", "scopes": ["users:read"] })),
            ),
            "revokeMyToken" => (ids["token"].clone(), None),
            _ => (ids["user"].clone(), None),
        };
        let url = path.replace("{id}", &id).replace("{user_id}", &id);
        let (status, answer) = a.call(&method, &url, body.clone()).await;
        check(&doc, &operation, status, &answer, &format!("{op} (valid)"));
        // Row-level security needs Postgres; elsewhere it says so.
        let sqlite_only = op == "enableRls" && backend == Backend::Sqlite;
        assert!(status < 300 || sqlite_only, "{op}: {status} {answer}");
        match op.as_str() {
            "createUser" => {
                // Invited with `user`, stored as the role it stands for.
                assert_eq!(answer["roles"], json!(["viewer"]), "{answer}");
                ids.insert("invited", answer["id"].as_str().expect("id").to_string());
            }
            "createOrganization" => {
                ids.insert("org", answer["id"].as_str().expect("id").to_string());
            }
            "createMyToken" => {
                ids.insert(
                    "token",
                    answer["token"]["id"].as_str().expect("id").to_string(),
                );
            }
            "setRoleOverrides" => assert_eq!(answer["preserved"], json!(["viewer"])),
            "addOrganizationMembers" => {
                assert_eq!(answer["results"][0]["outcome"], "added", "{answer}");
                assert_eq!(answer["results"][1]["outcome"], "unknown");
            }
            _ => {}
        }
        // Invalid: an unknown id, a body field the document does not have,
        // a query value it refuses, or no credential at all.
        let (status, answer) = if path.contains('{') {
            let url = path
                .replace("{id}", "01NOSUCH")
                .replace("{user_id}", "01NOSUCH");
            a.call(&method, &url, body).await
        } else if body.is_some() {
            a.call(&method, &url, Some(json!({ "not_a_field": 1 })))
                .await
        } else if operation["parameters"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
        {
            a.call(&method, &format!("{url}?limit=0"), None).await
        } else {
            let resp = reqwest::Client::new()
                .request(
                    method.parse().expect("method"),
                    format!("{}{url}", a.server.base),
                )
                .send()
                .await
                .expect("answer");
            let status = resp.status().as_u16();
            (status, resp.json().await.unwrap_or(Value::Null))
        };
        check(
            &doc,
            &operation,
            status,
            &answer,
            &format!("{op} (invalid)"),
        );
        assert!((400..500).contains(&status), "{op}: {status} {answer}");
        walked.push(op);
    }
    assert_eq!(walked.len(), ORDER.len() - 1, "{walked:?}");
}

/// `answer` (with `status`) against what `operation` documents.
fn check(doc: &Value, operation: &Value, status: u16, answer: &Value, what: &str) {
    let responses = &operation["responses"];
    let documented = responses
        .get(status.to_string())
        .or_else(|| responses.get(format!("{}XX", status / 100)))
        .unwrap_or_else(|| panic!("{what}: status {status} is not documented: {answer}"));
    let Some(schema) = documented["content"]["application/json"]["schema"].as_object() else {
        assert!(
            answer.is_null(),
            "{what}: {status} documents no body: {answer}"
        );
        return;
    };
    // The schema with the document's components beside it, so its
    // `#/components/...` references resolve.
    let mut root = Value::Object(schema.clone());
    root["components"] = doc["components"].clone();
    let validator = jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{what}: {e}"));
    let problems: Vec<String> = validator
        .iter_errors(answer)
        .map(|e| e.to_string())
        .collect();
    assert!(
        problems.is_empty(),
        "{what}: {status} {answer}: {problems:?}"
    );
}

on_both_backends!(
    the_seeds_curl_examples_run_unchanged,
    errors_have_one_shape_and_their_status,
    the_paths_are_hidden_with_core_off,
    every_operation_answers_as_documented
);
