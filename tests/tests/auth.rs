//! Authentication, sessions, personal access tokens and the permission core
//! (SPEC §3–§5), over HTTP against the real binary, on SQLite and Postgres.

use roster_tests::server::{Client, Server};
use roster_tests::{
    ADMIN_PASSWORD, Backend, OTHER_PASSWORD, TestDb, USER_PASSWORD, on_both_backends,
};
use serde_json::{Value, json};

const ADMIN: &str = "admin@example.com";
const VIEWER_Q: &str = "{ viewer { user { username roles status } permissions authentication } }";

async fn setup(backend: Backend, env: &[(&str, &str)]) -> (TestDb, Server) {
    let db = TestDb::bootstrapped(backend).await;
    for (email, role) in [("jane@example.com", "viewer"), ("ops@example.com", "admin")] {
        db.provision(email, role, USER_PASSWORD).await.ok();
    }
    let server = Server::start(&db, env);
    (db, server)
}

async fn viewer(c: &Client) -> Value {
    c.query(VIEWER_Q, json!({})).await.data("viewer")
}

async fn audit(db: &TestDb, event: &str) -> Vec<String> {
    db.strings(&format!(
        "SELECT COALESCE(actor_username, '-') || '|' || COALESCE(ip_address, '-') || '|' || COALESCE(user_agent, '-') \
         FROM audit_events WHERE event_type = '{event}' ORDER BY occurred_at, id"
    ))
    .await
}

async fn login_sets_a_session_cookie_and_viewer_knows_the_user(backend: Backend) {
    let (db, server) = setup(backend, &[]).await;
    let anon = server.client();
    assert_eq!(viewer(&anon).await, Value::Null);
    let (me, reply) = anon.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(reply.data("login.viewer.user.username"), "admin");
    assert_eq!(reply.data("login.firstLogin"), true, "the app's welcome");
    let cookie = &reply.set_cookie[0];
    for part in ["roster_session=", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    let v = viewer(&me).await;
    assert_eq!(v["user"]["roles"], json!(["superuser"]));
    assert_eq!(v["authentication"], "SESSION");
    assert!(
        v["permissions"]
            .as_array()
            .is_some_and(|p| p.contains(&json!("system:manage")))
    );
    // Logging in by email works the same, case-insensitively.
    let (_, by_email) = anon.login("Jane@Example.com", USER_PASSWORD).await;
    assert_eq!(by_email.data("login.viewer.user.username"), "jane");
    let (_, again) = anon.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(again.data("login.firstLogin"), false);
    // Only the SHA-256 of the session id is stored.
    let secret = me.cookie.clone().unwrap_or_default();
    let secret = secret.trim_start_matches("roster_session=");
    assert_eq!(secret.len(), 64);
    let stored = db.strings("SELECT token_hash FROM sessions").await;
    assert!(!stored.iter().any(|h| h == secret));
    // Logins are audited with address and user agent.
    assert_eq!(
        audit(&db, "user.login").await,
        vec![
            "admin|127.0.0.1|roster-tests/1.0",
            "jane|127.0.0.1|roster-tests/1.0",
            "admin|127.0.0.1|roster-tests/1.0"
        ]
    );
    let last_login = db
        .strings("SELECT COUNT(*) FROM users WHERE last_login_at IS NOT NULL")
        .await;
    assert_eq!(last_login, vec!["2"]);
}

async fn unknown_user_and_wrong_password_look_the_same(backend: Backend) {
    let (db, server) = setup(backend, &[]).await;
    let anon = server.client();
    let dummy_before = server
        .metric("roster_password_verifications_total{kind=\"dummy\"}")
        .await;
    let (_, wrong) = anon.login("admin", "Wrong-Password-1!").await;
    let (_, unknown) = anon.login("nobody@example.com", "Wrong-Password-1!").await;
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.code(), "UNAUTHENTICATED");
    assert_eq!(wrong.message(), "Invalid username or password");
    assert!(wrong.set_cookie.is_empty());
    // The unknown user cost a full argon2 verification, against a dummy hash.
    let dummy_after = server
        .metric("roster_password_verifications_total{kind=\"dummy\"}")
        .await;
    assert_eq!(dummy_after - dummy_before, 1.0);
    // A pending (invited) or deactivated user gets the same answer too.
    db.roster()
        .args(["deactivate-user", "--email", "jane@example.com"])
        .run()
        .await
        .ok();
    let (_, deactivated) = anon.login("jane", USER_PASSWORD).await;
    assert_eq!(deactivated.body, wrong.body);
    let failed = db
        .strings("SELECT details FROM audit_events WHERE event_type = 'user.login_failed' ORDER BY occurred_at, id")
        .await;
    assert_eq!(failed.len(), 3);
    assert!(failed[1].contains("nobody@example.com"));
}

async fn cookie_requests_need_csrf_proof(backend: Backend) {
    let (_db, server) = setup(backend, &[]).await;
    let (me, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    // Without the header, a cookie-carrying request is refused outright.
    let bare = me.without_csrf().query(VIEWER_Q, json!({})).await;
    assert_eq!(bare.status, 403);
    assert_eq!(bare.code(), "FORBIDDEN");
    // A cross-site fetch is refused even with the header.
    let cross = me
        .with_header("sec-fetch-site", "cross-site")
        .query(VIEWER_Q, json!({}))
        .await;
    assert_eq!(cross.status, 403);
    let foreign = me
        .with_header("origin", "https://evil.example")
        .query(VIEWER_Q, json!({}))
        .await;
    assert_eq!(foreign.status, 403);
    // Same-origin browsers pass.
    let same = me
        .with_header("sec-fetch-site", "same-origin")
        .with_header("origin", &server.base)
        .query(VIEWER_Q, json!({}))
        .await;
    assert_eq!(same.data("viewer.user.username"), "admin");
    // Mutations need the proof even without a cookie (login CSRF).
    let (_, login) = server
        .client()
        .without_csrf()
        .login("admin", ADMIN_PASSWORD)
        .await;
    assert_eq!(login.status, 403);
    // Anonymous public queries do not.
    let info = server
        .client()
        .without_csrf()
        .query("{ serverInfo { version } }", json!({}))
        .await;
    assert_eq!(info.status, 200);
}

async fn logout_and_revoked_sessions_stop_at_once(backend: Backend) {
    let (db, server) = setup(backend, &[]).await;
    let anon = server.client();
    let (first, _) = anon.login("admin", ADMIN_PASSWORD).await;
    let (second, _) = anon.login("admin", ADMIN_PASSWORD).await;
    assert_ne!(
        first.cookie, second.cookie,
        "a new session id at every login"
    );
    let sessions = first
        .query(
            "{ mySessions { id current ipAddress userAgent } }",
            json!({}),
        )
        .await
        .data("mySessions");
    let list = sessions.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 2);
    let other = list
        .iter()
        .find(|s| s["current"] == json!(false))
        .map(|s| s["id"].clone())
        .unwrap_or_default();
    assert_eq!(list[0]["ipAddress"], "127.0.0.1");
    let revoked = first
        .query(
            "mutation($id: ID!) { revokeSession(id: $id) }",
            json!({ "id": other }),
        )
        .await;
    assert_eq!(revoked.data("revokeSession"), true);
    // The very next request with the revoked cookie is anonymous.
    assert_eq!(viewer(&second).await, Value::Null);
    assert_eq!(viewer(&first).await["user"]["username"], "admin");
    // Logout ends the session and clears the cookie.
    let out = first.query("mutation { logout }", json!({})).await;
    assert_eq!(out.data("logout"), true);
    assert!(
        out.set_cookie[0].contains("Max-Age=0"),
        "{:?}",
        out.set_cookie
    );
    assert_eq!(viewer(&first).await, Value::Null);
    assert_eq!(audit(&db, "user.logout").await.len(), 1);
    assert_eq!(audit(&db, "session.revoked").await.len(), 1);
    // Someone else's session cannot be revoked without users:manage.
    let (jane, _) = anon.login("jane", USER_PASSWORD).await;
    let (admin2, _) = anon.login("admin", ADMIN_PASSWORD).await;
    let admin_session = admin2
        .query("{ mySessions { id current } }", json!({}))
        .await
        .data("mySessions")[0]["id"]
        .clone();
    let denied = jane
        .query(
            "mutation($id: ID!) { revokeSession(id: $id) }",
            json!({ "id": admin_session }),
        )
        .await;
    assert_eq!(denied.code(), "FORBIDDEN");
    assert_eq!(viewer(&admin2).await["user"]["username"], "admin");
}

async fn lifecycle_changes_end_sessions_and_tokens_at_once(backend: Backend) {
    let (db, server) = setup(backend, &[]).await;
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    let secret = create_token(&jane, "script", &["orgs:read"]).await;
    let script = server.client().with_bearer(&secret);
    assert_eq!(viewer(&script).await["user"]["username"], "jane");
    // An operator resets the password: session and token stop working.
    db.roster()
        .args([
            "set-password",
            "--email",
            "jane@example.com",
            "--password",
            OTHER_PASSWORD,
        ])
        .run()
        .await
        .ok();
    assert_eq!(viewer(&jane).await, Value::Null);
    assert_eq!(script.query(VIEWER_Q, json!({})).await.status, 401);
    // Deactivation ends the new session on the very next request.
    let (jane, _) = server.client().login("jane", OTHER_PASSWORD).await;
    assert_eq!(viewer(&jane).await["user"]["username"], "jane");
    db.roster()
        .args(["deactivate-user", "--email", "jane@example.com"])
        .run()
        .await
        .ok();
    assert_eq!(viewer(&jane).await, Value::Null);
    // So does deletion.
    db.roster()
        .args(["activate-user", "--email", "jane@example.com"])
        .run()
        .await
        .ok();
    let (jane, _) = server.client().login("jane", OTHER_PASSWORD).await;
    db.roster()
        .args(["delete-user", "--email", "jane@example.com"])
        .run()
        .await
        .ok();
    assert_eq!(viewer(&jane).await, Value::Null);
}

async fn change_password_keeps_only_the_current_session(backend: Backend) {
    let (db, server) = setup(backend, &[]).await;
    let (here, _) = server.client().login("jane", USER_PASSWORD).await;
    let (elsewhere, _) = server.client().login("jane", USER_PASSWORD).await;
    let secret = create_token(&here, "ci", &["orgs:read"]).await;
    let change = "mutation($c: String!, $n: String!, $k: String) { changePassword(currentPassword: $c, newPassword: $n, newPasswordConfirm: $k) }";
    let wrong = here
        .query(
            change,
            json!({ "c": "Not-My-Password-9!", "n": OTHER_PASSWORD, "k": OTHER_PASSWORD }),
        )
        .await;
    assert_eq!(wrong.code(), "BAD_USER_INPUT");
    assert_eq!(wrong.message(), "Current password is incorrect");
    let weak = here
        .query(
            change,
            json!({ "c": USER_PASSWORD, "n": "short", "k": "shorter" }),
        )
        .await;
    assert_eq!(weak.code(), "BAD_USER_INPUT");
    let rules: Vec<String> = weak.body["errors"][0]["extensions"]["fieldErrors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect();
    for rule in [
        "Password must be at least 12 characters",
        "Password must include an uppercase letter",
        "Password must include a number",
        "Password must include a special character",
        "Passwords do not match",
    ] {
        assert!(rules.contains(&rule.to_string()), "{rule} in {rules:?}");
    }
    let ok = here
        .query(
            change,
            json!({ "c": USER_PASSWORD, "n": OTHER_PASSWORD, "k": OTHER_PASSWORD }),
        )
        .await;
    assert_eq!(ok.data("changePassword"), true);
    assert_eq!(viewer(&here).await["user"]["username"], "jane");
    assert_eq!(viewer(&elsewhere).await, Value::Null);
    assert_eq!(
        server
            .client()
            .with_bearer(&secret)
            .query(VIEWER_Q, json!({}))
            .await
            .status,
        401
    );
    let (_, old) = server.client().login("jane", USER_PASSWORD).await;
    assert_eq!(old.code(), "UNAUTHENTICATED");
    assert_eq!(audit(&db, "password.changed").await.len(), 1);
}

async fn create_token(c: &Client, name: &str, scopes: &[&str]) -> String {
    let reply = c
        .query(
            "mutation($n: String!, $s: [String!]!) { createToken(name: $n, scopes: $s) { secret token { id name scopes } } }",
            json!({ "n": name, "s": scopes }),
        )
        .await;
    reply
        .data("createToken.secret")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn personal_access_tokens_work_for_scripts(backend: Backend) {
    let (db, server) = setup(backend, &[]).await;
    let (ops, _) = server.client().login("ops", USER_PASSWORD).await;
    let secret = create_token(&ops, "deploy-bot", &["users:read", "orgs:read"]).await;
    assert!(secret.starts_with("roster_pat_"), "{secret}");
    // Stored only as a hash.
    let hashes = db
        .strings("SELECT token_hash FROM personal_access_tokens")
        .await;
    assert_eq!(hashes.len(), 1);
    assert!(!hashes[0].contains(&secret[11..]));
    // Listed without the secret, with scopes and last use.
    let listed = ops
        .query(
            "{ myTokens { id name scopes createdAt expiresAt lastUsedAt } }",
            json!({}),
        )
        .await
        .data("myTokens");
    assert_eq!(listed[0]["name"], "deploy-bot");
    assert_eq!(listed[0]["scopes"], json!(["orgs:read", "users:read"]));
    assert!(!listed.to_string().contains("roster_pat_"));
    // A script uses it; its permissions are the scopes, not the owner's all.
    let script = server.client().with_bearer(&secret);
    let v = viewer(&script).await;
    assert_eq!(v["authentication"], "TOKEN");
    assert_eq!(v["permissions"], json!(["orgs:read", "users:read"]));
    let check = "query($p: String!) { hasPermission(permission: $p) }";
    assert_eq!(
        script
            .query(check, json!({ "p": "users:read" }))
            .await
            .data("hasPermission"),
        true
    );
    assert_eq!(
        script
            .query(check, json!({ "p": "users:manage" }))
            .await
            .data("hasPermission"),
        false
    );
    let used = db
        .strings("SELECT COUNT(*) FROM personal_access_tokens WHERE last_used_at IS NOT NULL")
        .await;
    assert_eq!(used, vec!["1"]);
    // Scopes cannot exceed what the owner holds.
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    let escalate = jane
        .query(
            "mutation { createToken(name: \"x\", scopes: [\"users:manage\"]) { secret } }",
            json!({}),
        )
        .await;
    assert_eq!(escalate.code(), "BAD_USER_INPUT");
    assert!(
        escalate
            .message()
            .contains("You do not hold these permissions: users:manage")
    );
    // Revoked: rejected on the very next request.
    let id = listed[0]["id"].clone();
    let revoked = ops
        .query(
            "mutation($id: ID!) { revokeToken(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(revoked.data("revokeToken"), true);
    let after = script.query(VIEWER_Q, json!({})).await;
    assert_eq!(after.status, 401);
    assert_eq!(after.code(), "UNAUTHENTICATED");
    assert_eq!(audit(&db, "apikey.created").await.len(), 1);
    assert_eq!(audit(&db, "apikey.revoked").await.len(), 1);
    // Garbage bearer tokens are refused, not treated as anonymous.
    let junk = server
        .client()
        .with_bearer("roster_pat_nope")
        .query(VIEWER_Q, json!({}))
        .await;
    assert_eq!(junk.status, 401);
}

async fn admins_manage_everyones_tokens(backend: Backend) {
    let (_db, server) = setup(backend, &[]).await;
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    let (ops, _) = server.client().login("ops", USER_PASSWORD).await;
    let secret = create_token(&jane, "laptop", &["orgs:read"]).await;
    let jane_id = jane
        .query("{ viewer { user { id } } }", json!({}))
        .await
        .data("viewer.user.id");
    assert!(jane_id.is_string(), "{jane_id}");
    let list = "query($u: ID!) { tokens(userId: $u) { id name } }";
    let seen = ops
        .query(list, json!({ "u": jane_id }))
        .await
        .data("tokens");
    assert_eq!(seen[0]["name"], "laptop");
    let ops_id = ops
        .query("{ viewer { user { id } } }", json!({}))
        .await
        .data("viewer.user.id");
    assert_eq!(
        jane.query(list, json!({ "u": ops_id })).await.code(),
        "FORBIDDEN"
    );
    ops.query(
        "mutation($id: ID!) { revokeToken(id: $id) }",
        json!({ "id": seen[0]["id"] }),
    )
    .await
    .data("revokeToken");
    assert_eq!(
        server
            .client()
            .with_bearer(&secret)
            .query(VIEWER_Q, json!({}))
            .await
            .status,
        401
    );
}

async fn token_quota_is_enforced(backend: Backend) {
    let (_db, server) = setup(backend, &[("TOKEN_QUOTA", "2")]).await;
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    create_token(&jane, "one", &["orgs:read"]).await;
    create_token(&jane, "two", &["orgs:read"]).await;
    let third = jane
        .query(
            "mutation { createToken(name: \"three\", scopes: [\"orgs:read\"]) { secret } }",
            json!({}),
        )
        .await;
    assert_eq!(third.code(), "CONFLICT");
    assert_eq!(
        third.message(),
        "Token quota reached: 2 of 2 tokens in use; revoke one first"
    );
}

async fn one_login_attempt_per_request(backend: Backend) {
    let (db, server) = setup(backend, &[]).await;
    let aliased = server
        .client()
        .query(
            "mutation { a: login(usernameOrEmail: \"admin\", password: \"x1\") { sessionExpiresAt } b: login(usernameOrEmail: \"admin\", password: \"x2\") { sessionExpiresAt } }",
            json!({}),
        )
        .await;
    assert_eq!(aliased.status, 400);
    assert_eq!(aliased.code(), "BAD_USER_INPUT");
    let via_fragment = server
        .client()
        .query(
            "mutation { login(usernameOrEmail: \"admin\", password: \"x1\") { sessionExpiresAt } ...More } fragment More on MutationRoot { again: login(usernameOrEmail: \"admin\", password: \"x2\") { sessionExpiresAt } }",
            json!({}),
        )
        .await;
    assert_eq!(via_fragment.status, 400);
    // Batched arrays are refused before anything runs.
    let batch = server
        .client()
        .send(json!([{ "query": "mutation { login(usernameOrEmail: \"admin\", password: \"x\") { sessionExpiresAt } }" }]))
        .await;
    assert!(batch.status >= 400 && batch.status < 500);
    // None of these attempts ran.
    assert!(audit(&db, "user.login_failed").await.is_empty());
}

/// Over the API: the lockout's code, its retry hint, and that it is per
/// account. That it ends with its window is `lockout.rs`'s, on a clock the
/// test moves.
async fn repeated_failures_lock_the_account(backend: Backend) {
    let (_db, server) = setup(
        backend,
        &[
            ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "3"),
            ("LOGIN_LOCKOUT_SECONDS", "2"),
            ("LOGIN_RETRY_DELAY_MS", "1"),
        ],
    )
    .await;
    let anon = server.client();
    for _ in 0..3 {
        let (_, r) = anon.login("jane", "Wrong-Password-1!").await;
        assert_eq!(r.code(), "UNAUTHENTICATED");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Locked: even the right password is refused, with a retry hint.
    let (_, locked) = anon.login("jane", USER_PASSWORD).await;
    assert_eq!(locked.code(), "RATE_LIMITED");
    assert!(
        locked.body["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .is_some_and(|s| (1..=2).contains(&s))
    );
    // The lockout is per account: others still log in.
    let (_, other) = anon.login("ops", USER_PASSWORD).await;
    assert_eq!(other.data("login.viewer.user.username"), "ops");
}

/// Over the API, a failure makes the next attempt wait (even with the right
/// password); how the wait grows is `lockout.rs`'s.
async fn a_failure_makes_the_next_attempt_wait(backend: Backend) {
    let (_db, server) = setup(backend, &[("LOGIN_RETRY_DELAY_MS", "60000")]).await;
    let anon = server.client();
    let (_, first) = anon.login("jane", "Wrong-Password-1!").await;
    assert_eq!(first.code(), "UNAUTHENTICATED");
    let (_, hurried) = anon.login("jane", USER_PASSWORD).await;
    assert_eq!(hurried.code(), "RATE_LIMITED");
    assert!(
        hurried.body["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .is_some_and(|s| (59..=60).contains(&s)),
        "{hurried:?}"
    );
}

async fn the_address_limit_stops_spraying_across_accounts(backend: Backend) {
    let (_db, server) = setup(
        backend,
        &[
            ("LOGIN_MAX_FAILURES_PER_ADDRESS", "3"),
            ("LOGIN_RETRY_DELAY_MS", "1"),
        ],
    )
    .await;
    let anon = server.client();
    for login in ["a1@example.com", "a2@example.com", "a3@example.com"] {
        let (_, r) = anon.login(login, "Wrong-Password-1!").await;
        assert_eq!(r.code(), "UNAUTHENTICATED");
    }
    let (_, blocked) = anon.login("ops", USER_PASSWORD).await;
    assert_eq!(blocked.code(), "RATE_LIMITED");
}

async fn has_permission_follows_roles_owners_and_enforcement(backend: Backend) {
    let (db, server) = setup(backend, &[]).await;
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    let jane_id = jane
        .query("{ viewer { user { id } } }", json!({}))
        .await
        .data("viewer.user.id");
    let q = "query($p: String!, $o: ID) { hasPermission(permission: $p, ownerId: $o) }";
    let ask = |p: &'static str, o: Value| {
        let jane = jane.clone();
        async move {
            jane.query(q, json!({ "p": p, "o": o }))
                .await
                .data("hasPermission")
        }
    };
    assert_eq!(ask("bookmarks:read", Value::Null).await, true);
    assert_eq!(ask("bookmarks:manage", Value::Null).await, false);
    // Owners manage what they own.
    assert_eq!(ask("bookmarks:manage", jane_id.clone()).await, true);
    assert_eq!(
        ask("bookmarks:manage", json!("01SOMEONEELSE0000000000000")).await,
        false
    );
    // Anonymous callers must authenticate.
    let anon = server
        .client()
        .query(q, json!({ "p": "bookmarks:read" }))
        .await;
    assert_eq!(anon.code(), "UNAUTHENTICATED");
    drop(server);

    // Permissive mode allows, but records and counts each would-be denial.
    let server = Server::start(&db, &[("USER_MGMT_ENFORCE", "0")]);
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    let reply = jane.query(q, json!({ "p": "users:manage" })).await;
    assert_eq!(reply.data("hasPermission"), true);
    let denied = db
        .strings("SELECT details FROM audit_events WHERE event_type = 'permission.denied'")
        .await;
    assert_eq!(denied.len(), 1);
    assert!(
        denied[0].contains("\"enforced\":false") || denied[0].contains("\"enforced\": false"),
        "{}",
        denied[0]
    );
    assert_eq!(
        server
            .metric(
                "roster_permission_denied_total{permission=\"users:manage\",enforced=\"false\"}"
            )
            .await,
        1.0
    );
}

async fn hashes_are_upgraded_on_login(backend: Backend) {
    let db = TestDb::new(backend).await;
    db.roster()
        .env("ARGON2_MEMORY_KIB", "8192")
        .env("ARGON2_ITERATIONS", "1")
        .args([
            "bootstrap-superuser",
            "--email",
            ADMIN,
            "--password",
            ADMIN_PASSWORD,
        ])
        .run()
        .await
        .ok();
    let hash = || async { db.strings("SELECT password_hash FROM users").await.join("") };
    assert!(hash().await.contains("m=8192,t=1,p=1"));
    let server = Server::start(&db, &[]);
    let (_, reply) = server.client().login("admin", ADMIN_PASSWORD).await;
    assert_eq!(reply.data("login.viewer.user.username"), "admin");
    assert!(hash().await.contains("m=19456,t=2,p=1"), "{}", hash().await);
    let (_, again) = server.client().login("admin", ADMIN_PASSWORD).await;
    assert_eq!(again.data("login.viewer.user.username"), "admin");
}

on_both_backends!(
    login_sets_a_session_cookie_and_viewer_knows_the_user,
    unknown_user_and_wrong_password_look_the_same,
    cookie_requests_need_csrf_proof,
    logout_and_revoked_sessions_stop_at_once,
    lifecycle_changes_end_sessions_and_tokens_at_once,
    change_password_keeps_only_the_current_session,
    personal_access_tokens_work_for_scripts,
    admins_manage_everyones_tokens,
    token_quota_is_enforced,
    one_login_attempt_per_request,
    repeated_failures_lock_the_account,
    a_failure_makes_the_next_attempt_wait,
    the_address_limit_stops_spraying_across_accounts,
    has_permission_follows_roles_owners_and_enforcement,
    hashes_are_upgraded_on_login,
);
