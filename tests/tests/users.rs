//! User administration over GraphQL (issue 4): listing with keyset
//! pagination, search and filters; editing; roles; lifecycle.

use roster_tests::server::{Client, Server, usernames};
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

const PAGE: &str = "query($f: Int, $a: String, $filter: UsersFilter, $o: UserOrder) {
  users(first: $f, after: $a, filter: $filter, orderBy: $o) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id username email displayName status roles } }
  }
}";

async fn setup(backend: Backend) -> (TestDb, Server) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("ops@example.com", "admin", USER_PASSWORD)
        .await
        .ok();
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let server = Server::start(&db, &[]);
    (db, server)
}

/// Adds `n` users straight into the database, one second apart, created in
/// 2020 (before anyone made through roster).
async fn add_users(db: &TestDb, n: usize) {
    let cast = if db.backend == Backend::Postgres {
        "::timestamptz"
    } else {
        ""
    };
    for i in 0..n {
        let id = ulid::Ulid::new().to_string();
        let at = format!("'2020-01-01T00:{:02}:{:02}+00:00'{cast}", i / 60, i % 60);
        db.exec(&format!(
            "INSERT INTO users (id, username, email, display_name, status, claims, created_at, updated_at) \
             VALUES ('{id}', 'member{i:03}', 'member{i:03}@example.org', 'Member Number {i}', 'active', '{{}}', {at}, {at})"
        ))
        .await;
    }
}

async fn page(c: &Client, vars: Value) -> Value {
    c.query(PAGE, vars).await.data("users")
}

async fn users_are_paged_by_cursor(backend: Backend) {
    let (db, server) = setup(backend).await;
    add_users(&db, 25).await;
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let first = page(&admin, json!({ "f": 10 })).await;
    assert_eq!(first["totalCount"], 28);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let names = usernames(&first);
    assert_eq!(names.first().map(String::as_str), Some("member000"));
    assert_eq!(names.last().map(String::as_str), Some("member009"));
    // A user created between two page loads shifts nothing: no row repeats,
    // none is skipped, and the newcomer shows up at the end.
    db.provision("late@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let second = page(
        &admin,
        json!({ "f": 10, "a": first["pageInfo"]["endCursor"] }),
    )
    .await;
    let second_names = usernames(&second);
    assert_eq!(second_names.first().map(String::as_str), Some("member010"));
    assert_eq!(second_names.last().map(String::as_str), Some("member019"));
    let third = page(
        &admin,
        json!({ "f": 10, "a": second["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_eq!(
        usernames(&third),
        vec![
            "member020",
            "member021",
            "member022",
            "member023",
            "member024",
            "admin",
            "ops",
            "jane",
            "late"
        ]
    );
    assert_eq!(third["pageInfo"]["hasNextPage"], false);
    assert_eq!(third["totalCount"], 29);
    // Newest first.
    let newest = page(&admin, json!({ "f": 2, "o": "CREATED_AT_DESC" })).await;
    assert_eq!(usernames(&newest), vec!["late", "jane"]);
    let next = page(
        &admin,
        json!({ "f": 2, "o": "CREATED_AT_DESC", "a": newest["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_eq!(usernames(&next), vec!["ops", "admin"]);
    // Page size is bounded.
    let too_big = admin.query(PAGE, json!({ "f": 101 })).await;
    assert_eq!(too_big.code(), "BAD_USER_INPUT");
    let bad_cursor = admin.query(PAGE, json!({ "f": 5, "a": "nonsense" })).await;
    assert_eq!(bad_cursor.code(), "BAD_USER_INPUT");
}

async fn users_are_searched_and_filtered(backend: Backend) {
    let (db, server) = setup(backend).await;
    add_users(&db, 12).await;
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let search = |q: &'static str| {
        let admin = admin.clone();
        async move { usernames(&page(&admin, json!({ "f": 50, "filter": { "search": q } })).await) }
    };
    // Username, email and display name, case-insensitively.
    assert_eq!(search("MEMBER01").await, vec!["member010", "member011"]);
    assert_eq!(search("@EXAMPLE.COM").await, vec!["admin", "ops", "jane"]);
    assert_eq!(search("@example.org").await.len(), 12);
    assert_eq!(search("number 3").await, vec!["member003"]);
    // LIKE wildcards are literal.
    assert!(search("%").await.is_empty());
    let by_role = page(
        &admin,
        json!({ "f": 50, "filter": { "roles": ["admin", "superuser"] } }),
    )
    .await;
    assert_eq!(usernames(&by_role), vec!["admin", "ops"]);
    let by_org = page(
        &admin,
        json!({ "f": 50, "filter": { "organization": "default" } }),
    )
    .await;
    assert_eq!(by_org["totalCount"], 3);
    db.roster()
        .args(["delete-user", "--email", "jane@example.com"])
        .run()
        .await
        .ok();
    let listed = page(&admin, json!({ "f": 50 })).await;
    assert!(!usernames(&listed).contains(&"jane".to_string()));
    let with_deleted = page(
        &admin,
        json!({ "f": 50, "filter": { "includeDeleted": true } }),
    )
    .await;
    assert!(usernames(&with_deleted).contains(&"jane".to_string()));
    let deleted = page(
        &admin,
        json!({ "f": 50, "filter": { "status": "DELETED" } }),
    )
    .await;
    assert_eq!(usernames(&deleted), vec!["jane"]);
    // Viewers may not list users.
    let (viewer, _) = server.client().login("member001", USER_PASSWORD).await;
    assert_eq!(viewer.cookie, None, "seeded members have no password");
    db.provision("reader@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let (reader, _) = server.client().login("reader", USER_PASSWORD).await;
    assert_eq!(
        reader.query(PAGE, json!({ "f": 5 })).await.code(),
        "FORBIDDEN"
    );
}

async fn id_of(c: &Client, username: &str) -> Value {
    let found = page(c, json!({ "f": 50, "filter": { "search": username } })).await;
    found["edges"][0]["node"]["id"].clone()
}

async fn update_user_reports_conflicts_and_audits_changes(backend: Backend) {
    let (db, server) = setup(backend).await;
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let jane = id_of(&admin, "jane").await;
    let update = "mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { username email displayName } }";
    let taken = admin
        .query(update, json!({ "id": jane, "i": { "username": "OPS" } }))
        .await;
    assert_eq!(taken.code(), "CONFLICT");
    assert_eq!(taken.message(), "Username is already taken");
    assert_eq!(taken.body["errors"][0]["extensions"]["field"], "username");
    let taken = admin
        .query(
            update,
            json!({ "id": jane, "i": { "email": "Ops@Example.com" } }),
        )
        .await;
    assert_eq!(taken.message(), "Email is already taken");
    assert_eq!(taken.body["errors"][0]["extensions"]["field"], "email");
    let ok = admin
        .query(
            update,
            json!({ "id": jane, "i": { "username": "jane.doe", "displayName": "Jane Doe" } }),
        )
        .await;
    assert_eq!(
        ok.data("updateUser"),
        json!({ "username": "jane.doe", "email": "jane@example.com", "displayName": "Jane Doe" })
    );
    let details = db
        .strings("SELECT details FROM audit_events WHERE event_type = 'user.updated'")
        .await;
    let details: Value = serde_json::from_str(&details[0]).unwrap_or_default();
    assert_eq!(
        details["changed_fields"],
        json!(["username", "display_name"])
    );
    assert_eq!(details["old_values"]["username"], "jane");
    assert_eq!(details["new_values"]["username"], "jane.doe");
    let bad = admin
        .query(
            update,
            json!({ "id": jane, "i": { "email": "not-an-email" } }),
        )
        .await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
}

async fn lifecycle_and_roles_follow_the_rules(backend: Backend) {
    let (_db, server) = setup(backend).await;
    let (ops, _) = server.client().login("ops", USER_PASSWORD).await;
    let (jane_session, _) = server.client().login("jane", USER_PASSWORD).await;
    let jane = id_of(&ops, "jane").await;
    let admin = id_of(&ops, "admin").await;
    let call = |q: &'static str, id: Value| {
        let ops = ops.clone();
        async move { ops.query(q, json!({ "id": id })).await }
    };
    let deactivate = "mutation($id: ID!) { deactivateUser(id: $id) { status } }";
    let activate = "mutation($id: ID!) { activateUser(id: $id) { status } }";
    assert_eq!(call(activate, jane.clone()).await.code(), "CONFLICT");
    assert_eq!(
        call(deactivate, jane.clone())
            .await
            .data("deactivateUser.status"),
        "DEACTIVATED"
    );
    assert_eq!(
        jane_session
            .query("{ viewer { user { id } } }", json!({}))
            .await
            .data("viewer"),
        Value::Null
    );
    assert_eq!(
        call(activate, jane.clone())
            .await
            .data("activateUser.status"),
        "ACTIVE"
    );
    // An admin manages nobody more powerful: not the superuser.
    assert_eq!(call(deactivate, admin.clone()).await.code(), "FORBIDDEN");
    let set_roles =
        "mutation($id: ID!, $r: [String!]!) { setUserRoles(id: $id, roles: $r) { roles } }";
    let grant = ops
        .query(set_roles, json!({ "id": jane, "r": ["editor"] }))
        .await;
    assert_eq!(grant.data("setUserRoles.roles"), json!(["editor"]));
    let escalate = ops
        .query(set_roles, json!({ "id": jane, "r": ["superuser"] }))
        .await;
    assert_eq!(escalate.code(), "FORBIDDEN");
    // The superuser cannot delete themselves while they are the last one.
    let (root, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let delete = "mutation($id: ID!) { deleteUser(id: $id) }";
    let last = root.query(delete, json!({ "id": admin })).await;
    assert_eq!(last.code(), "CONFLICT");
    assert!(last.message().contains("last active superuser"));
    // Deleting yourself ends your session and clears the cookie.
    let ops_id = id_of(&ops, "ops").await;
    let gone = ops.query(delete, json!({ "id": ops_id })).await;
    assert_eq!(gone.data("deleteUser"), true);
    assert!(gone.set_cookie.iter().any(|c| c.contains("Max-Age=0")));
    assert_eq!(
        ops.query("{ viewer { user { id } } }", json!({}))
            .await
            .data("viewer"),
        Value::Null
    );
    let roles = root
        .query("{ roles { name builtin permissions } }", json!({}))
        .await
        .data("roles");
    assert_eq!(roles[0]["name"], "superuser");
    assert_eq!(roles.as_array().map(Vec::len), Some(4));
}

async fn custom_roles_are_managed_without_escalation(backend: Backend) {
    let (db, server) = setup(backend).await;
    let (ops, _) = server.client().login("ops", USER_PASSWORD).await;
    let create = "mutation($n: String!, $p: [String!]!) { createRole(name: $n, definition: { description: \"Publishes\", permissions: $p }) { name builtin permissions } }";
    let made = ops
        .query(
            create,
            json!({ "n": "Publisher", "p": ["bookmarks:manage", "site_configs:read"] }),
        )
        .await;
    assert_eq!(
        made.data("createRole"),
        json!({ "name": "publisher", "builtin": false, "permissions": ["bookmarks:manage", "site_configs:read"] })
    );
    let escalate = ops
        .query(create, json!({ "n": "root2", "p": ["system:manage"] }))
        .await;
    assert_eq!(escalate.code(), "FORBIDDEN");
    let unknown = ops
        .query(create, json!({ "n": "odd", "p": ["events:publish"] }))
        .await;
    assert_eq!(unknown.code(), "BAD_USER_INPUT");
    let dup = ops
        .query(create, json!({ "n": "PUBLISHER", "p": [] }))
        .await;
    assert_eq!(dup.code(), "CONFLICT");
    assert_eq!(dup.message(), "Role name is already taken");
    // Holders get the role's permissions, and changes apply at once.
    let jane = id_of(&ops, "jane").await;
    ops.query(
        "mutation($id: ID!) { setUserRoles(id: $id, roles: [\"publisher\"]) { roles } }",
        json!({ "id": jane }),
    )
    .await
    .data("setUserRoles");
    let (jane_c, _) = server.client().login("jane", USER_PASSWORD).await;
    let can = "{ hasPermission(permission: \"bookmarks:manage\") }";
    assert_eq!(
        jane_c.query(can, json!({})).await.data("hasPermission"),
        true
    );
    let update = "mutation($n: String!, $p: [String!]!) { updateRole(name: $n, definition: { permissions: $p }) { permissions } }";
    ops.query(update, json!({ "n": "publisher", "p": ["bookmarks:read"] }))
        .await
        .data("updateRole");
    assert_eq!(
        jane_c.query(can, json!({})).await.data("hasPermission"),
        false
    );
    // Built-ins are immutable.
    let builtin = ops.query(update, json!({ "n": "viewer", "p": [] })).await;
    assert_eq!(builtin.code(), "CONFLICT");
    let gone = ops
        .query("mutation { deleteRole(name: \"publisher\") }", json!({}))
        .await;
    assert_eq!(gone.data("deleteRole"), true);
    let roles = db.strings("SELECT name FROM roles ORDER BY name").await;
    assert_eq!(roles, vec!["admin", "editor", "superuser", "viewer"]);
    let audit = db
        .strings("SELECT event_type FROM audit_events WHERE event_type LIKE 'role.%' ORDER BY occurred_at, id")
        .await;
    assert_eq!(audit, vec!["role.created", "role.updated", "role.deleted"]);
}

async fn quotas_are_overridden_per_user_and_shown_with_usage(backend: Backend) {
    let (_db, server) = setup(backend).await;
    let (ops, _) = server.client().login("ops", USER_PASSWORD).await;
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    let jane_id = id_of(&ops, "jane").await;
    let set = "mutation($id: ID!, $l: Int) { setUserQuota(id: $id, resource: TOKENS, limit: $l) { quotas { resource limit used overridden } } }";
    let quotas = ops
        .query(set, json!({ "id": jane_id, "l": 1 }))
        .await
        .data("setUserQuota.quotas");
    assert_eq!(
        quotas,
        json!([{ "resource": "TOKENS", "limit": 1, "used": 0, "overridden": true }])
    );
    let token = "mutation { createToken(name: \"t\", scopes: [\"orgs:read\"]) { secret } }";
    jane.query(token, json!({})).await.data("createToken");
    let over = jane.query(token, json!({})).await;
    assert_eq!(over.code(), "CONFLICT");
    assert_eq!(
        over.message(),
        "Token quota reached: 1 of 1 tokens in use; revoke one first"
    );
    let own = jane
        .query(
            "query($id: ID!) { user(id: $id) { quotas { limit used } } }",
            json!({ "id": jane_id }),
        )
        .await
        .data("user.quotas");
    assert_eq!(own, json!([{ "limit": 1, "used": 1 }]));
    let reset = ops
        .query(set, json!({ "id": jane_id, "l": null }))
        .await
        .data("setUserQuota.quotas");
    assert_eq!(
        reset,
        json!([{ "resource": "TOKENS", "limit": 20, "used": 1, "overridden": false }])
    );
    let ops_id = id_of(&ops, "ops").await;
    assert_eq!(
        jane.query(set, json!({ "id": ops_id, "l": 0 }))
            .await
            .code(),
        "FORBIDDEN"
    );
}

/// Every action on a user in every state of SPEC §2's table: what it may do
/// is done, everything else is refused with the reason, and nothing changes.
async fn every_transition_and_every_forbidden_one(backend: Backend) {
    let (db, server) = setup(backend).await;
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let mut made = 0;
    // A fresh user in `state`, made the way an operator would.
    let mut user_in = async |state: &str| -> Value {
        made += 1;
        let name = format!("subject{made}");
        let email = format!("{name}@example.com");
        if state == "pending" {
            let created = admin
                .query(
                    "mutation($u: String!, $e: String!) { createUser(input: { username: $u, email: $e, roles: [\"viewer\"] }) { user { id status } } }",
                    json!({ "u": name, "e": email }),
                )
                .await;
            assert_eq!(created.data("createUser.user.status"), "PENDING_INVITATION");
            return created.data("createUser.user.id");
        }
        db.provision(&email, "viewer", USER_PASSWORD).await.ok();
        let id = id_of(&admin, &name).await;
        let to = match state {
            "deactivated" => Some("mutation($id: ID!) { deactivateUser(id: $id) { id } }"),
            "deleted" => Some("mutation($id: ID!) { deleteUser(id: $id) }"),
            _ => None,
        };
        if let Some(to) = to {
            let reply = admin.query(to, json!({ "id": id })).await;
            assert!(reply.body["errors"].is_null(), "{}", reply.body);
        }
        id
    };
    // Read behind the API's back: deleted users are not shown by it.
    let status_of = async |id: &Value| -> String {
        let id = id.as_str().unwrap_or_default();
        db.strings(&format!("SELECT status FROM users WHERE id = '{id}'"))
            .await
            .concat()
    };
    let actions = [
        (
            "activate",
            "mutation($id: ID!) { activateUser(id: $id) { status } }",
        ),
        (
            "deactivate",
            "mutation($id: ID!) { deactivateUser(id: $id) { status } }",
        ),
        ("delete", "mutation($id: ID!) { deleteUser(id: $id) }"),
        (
            "resend",
            "mutation($id: ID!) { resendInvitation(id: $id) { invitationSent } }",
        ),
        (
            "reset",
            "mutation($id: ID!) { sendPasswordReset(id: $id) { sent } }",
        ),
    ];
    // (state, action) -> the state after, or the error code.
    let expected = |state: &str, action: &str| -> &'static str {
        match (state, action) {
            ("pending", "delete") | ("active", "delete") | ("deactivated", "delete") => "deleted",
            ("active", "deactivate") => "deactivated",
            ("deactivated", "activate") => "active",
            ("pending", "resend") => "pending_invitation",
            ("active", "reset") => "active",
            ("deleted", _) => "NOT_FOUND",
            _ => "CONFLICT",
        }
    };
    for state in ["pending", "active", "deactivated", "deleted"] {
        for (action, mutation) in actions {
            let id = user_in(state).await;
            let before = status_of(&id).await;
            let reply = admin.query(mutation, json!({ "id": id })).await;
            let want = expected(state, action);
            let after = status_of(&id).await;
            if reply.body["errors"].is_null() {
                assert_eq!(after, want, "{action} on a {state} user");
            } else {
                assert_eq!(
                    reply.code(),
                    want,
                    "{action} on a {state} user: {}",
                    reply.body
                );
                assert_eq!(after, before, "a refused {action} changed a {state} user");
                if want == "CONFLICT" {
                    assert!(
                        reply.message().starts_with("Cannot "),
                        "{action} on a {state} user: {}",
                        reply.message()
                    );
                }
            }
        }
    }
    // The last active superuser can be neither deactivated nor demoted.
    let root = id_of(&admin, "admin").await;
    for (mutation, vars) in [
        (
            "mutation($id: ID!) { deactivateUser(id: $id) { status } }",
            json!({ "id": root }),
        ),
        (
            "mutation($id: ID!, $r: [String!]!) { setUserRoles(id: $id, roles: $r) { roles } }",
            json!({ "id": root, "r": ["admin"] }),
        ),
    ] {
        let refused = admin.query(mutation, vars).await;
        assert_eq!(refused.code(), "CONFLICT", "{}", refused.body);
        assert!(refused.message().contains("last active superuser"));
    }
    assert_eq!(status_of(&root).await, "active");
}

/// The user drawer's sessions: an admin sees and ends anyone's, a user
/// their own, nobody else anyone's.
async fn admins_see_and_end_a_users_sessions(backend: Backend) {
    let (_db, server) = setup(backend).await;
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let (jane, login) = server.client().login("jane", USER_PASSWORD).await;
    let jane_id = login.data("login.viewer.user.id");
    let q = "query($id: ID!) { user(id: $id) { sessions { id current userAgent } } }";
    let seen = admin
        .query(q, json!({ "id": jane_id }))
        .await
        .data("user.sessions");
    assert_eq!(seen.as_array().map(Vec::len), Some(1), "{seen}");
    assert_eq!(seen[0]["current"], false);
    assert_eq!(seen[0]["userAgent"], "roster-tests/1.0");
    let own = jane
        .query(q, json!({ "id": jane_id }))
        .await
        .data("user.sessions");
    assert_eq!(own[0]["current"], true);
    let (ops, ops_login) = server.client().login("ops", USER_PASSWORD).await;
    let ops_id = ops_login.data("login.viewer.user.id");
    assert_eq!(
        jane.query(q, json!({ "id": ops_id })).await.code(),
        "FORBIDDEN"
    );
    let ended = admin
        .query(
            "mutation($id: ID!) { revokeSession(id: $id) }",
            json!({ "id": seen[0]["id"] }),
        )
        .await;
    assert_eq!(ended.data("revokeSession"), true);
    assert_eq!(
        jane.query("{ viewer { user { id } } }", json!({}))
            .await
            .data("viewer"),
        Value::Null
    );
    let left = ops
        .query(q, json!({ "id": jane_id }))
        .await
        .data("user.sessions");
    assert_eq!(left, json!([]));
}

/// Resending invitations, sending resets and setting quotas follow the
/// same rule as every other action: nobody manages someone more powerful.
async fn admins_cannot_act_on_someone_more_powerful(backend: Backend) {
    let (_db, server) = setup(backend).await;
    let (admin, login) = server.client().login("admin", ADMIN_PASSWORD).await;
    let super_id = login.data("login.viewer.user.id");
    let (ops, _) = server.client().login("ops", USER_PASSWORD).await;
    for (mutation, what) in [
        (
            "mutation($id: ID!) { sendPasswordReset(id: $id) { sent } }",
            "reset",
        ),
        (
            "mutation($id: ID!) { setUserQuota(id: $id, resource: TOKENS, limit: 1) { id } }",
            "quota",
        ),
    ] {
        let refused = ops.query(mutation, json!({ "id": super_id })).await;
        assert_eq!(refused.code(), "FORBIDDEN", "{what}");
    }
    let quota = admin
        .query(
            "query($id: ID!) { user(id: $id) { quotas { overridden } } }",
            json!({ "id": super_id }),
        )
        .await
        .data("user.quotas");
    assert_eq!(quota[0]["overridden"], false, "nothing was written");
    // A pending superuser's invitation is not the admin's to resend either.
    let invited = admin
        .query(
            "mutation { createUser(input: { username: \"root2\", email: \"root2@example.com\", roles: [\"superuser\"] }) { user { id } } }",
            json!({}),
        )
        .await
        .data("createUser.user.id");
    let resend = ops
        .query(
            "mutation($id: ID!) { resendInvitation(id: $id) { invitationSent } }",
            json!({ "id": invited }),
        )
        .await;
    assert_eq!(resend.code(), "FORBIDDEN");
    // On someone less powerful the same admin may.
    let (_, jane) = server.client().login("jane", USER_PASSWORD).await;
    let jane_id = jane.data("login.viewer.user.id");
    let allowed = ops
        .query(
            "mutation($id: ID!) { setUserQuota(id: $id, resource: TOKENS, limit: 3) { quotas { limit overridden } } }",
            json!({ "id": jane_id }),
        )
        .await
        .data("setUserQuota.quotas");
    assert_eq!(allowed[0], json!({ "limit": 3, "overridden": true }));
}

/// One display-name rule wherever a name comes in: createUser, updateUser
/// and `roster provision-user` refuse 101 characters and control characters
/// alike, accept 100, and store nothing when refused.
async fn display_names_follow_one_rule_everywhere(backend: Backend) {
    let (db, server) = setup(backend).await;
    let (ops, _) = server.client().login("ops", USER_PASSWORD).await;
    let long = "é".repeat(101);
    let create = "mutation($u: String!, $e: String!, $d: String) { createUser(input: { username: $u, email: $e, displayName: $d, roles: [\"viewer\"] }) { user { id displayName } } }";
    for bad in [long.as_str(), "Jane\nDoe"] {
        let reply = ops
            .query(
                create,
                json!({ "u": "longname", "e": "long@example.com", "d": bad }),
            )
            .await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{reply:?}");
        assert_eq!(
            reply.body["errors"][0]["extensions"]["fieldErrors"][0]["field"],
            "displayName"
        );
    }
    let fine = "é".repeat(100);
    let made = ops
        .query(
            create,
            json!({ "u": "longname", "e": "long@example.com", "d": format!("  {fine} ") }),
        )
        .await;
    assert_eq!(made.data("createUser.user.displayName"), fine.as_str());
    let id = made.data("createUser.user.id");
    let update = "mutation($id: ID!, $d: String) { updateUser(id: $id, input: { displayName: $d }) { displayName } }";
    let refused = ops.query(update, json!({ "id": id, "d": long })).await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    let cleared = ops.query(update, json!({ "id": id, "d": "   " })).await;
    assert_eq!(cleared.data("updateUser.displayName"), Value::Null);
    db.roster()
        .args([
            "provision-user",
            "--actor-email",
            roster_tests::ADMIN_EMAIL,
            "--actor-password",
            ADMIN_PASSWORD,
            "--email",
            "cli@example.com",
            "--display-name",
            &long,
            "--password",
            USER_PASSWORD,
        ])
        .run()
        .await
        .fails_with(7, "Display name must be at most 100 characters");
    let stored = db
        .strings("SELECT email FROM users WHERE email IN ('cli@example.com', 'long@example.com') ORDER BY email")
        .await;
    assert_eq!(stored, vec!["long@example.com".to_string()]);
}

on_both_backends!(
    display_names_follow_one_rule_everywhere,
    admins_cannot_act_on_someone_more_powerful,
    admins_see_and_end_a_users_sessions,
    every_transition_and_every_forbidden_one,
    quotas_are_overridden_per_user_and_shown_with_usage,
    custom_roles_are_managed_without_escalation,
    users_are_paged_by_cursor,
    users_are_searched_and_filtered,
    update_user_reports_conflicts_and_audits_changes,
    lifecycle_and_roles_follow_the_rules,
);
