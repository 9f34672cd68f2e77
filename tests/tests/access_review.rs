//! The access review (issue 13): `permissionHolders(permission)` through
//! the real binary on both backends — who holds a permission, through which
//! role and how it was granted, by username with stable cursors, deleted
//! users left out, `users:read` needed.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster_tests::server::Server;
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

const HOLDERS: &str = "query($p: String!, $first: Int, $after: String) {
    permissionHolders(permission: $p, first: $first, after: $after) {
        edges { cursor node { username email status role source grantedAt } }
        pageInfo { hasNextPage } } }";

async fn who_holds_a_permission_and_how(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    for (email, role) in [
        ("zoe@example.com", "admin"),
        ("jane@example.com", "viewer"),
        ("ed@example.com", "editor"),
        ("gone@example.com", "admin"),
    ] {
        db.provision(email, role, USER_PASSWORD).await.ok();
    }
    db.roster()
        .args(["delete-user", "--email", "gone@example.com"])
        .run()
        .await
        .ok();
    let server = Server::start(&db, &[]);
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;

    let reply = admin.query(HOLDERS, json!({ "p": "users:manage" })).await;
    let nodes: Vec<Value> = reply
        .data("permissionHolders.edges")
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let who: Vec<(&str, &str, &str)> = nodes
        .iter()
        .map(|n| {
            (
                n["username"].as_str().expect("username"),
                n["role"].as_str().expect("role"),
                n["source"].as_str().expect("source"),
            )
        })
        .collect();
    // Not jane (viewer), not ed (editor), not the deleted admin.
    assert_eq!(
        who,
        [("admin", "superuser", "manual"), ("zoe", "admin", "manual")]
    );
    assert_eq!(nodes[1]["email"], "zoe@example.com");
    assert_eq!(nodes[1]["status"], "ACTIVE");
    assert!(
        nodes[1]["grantedAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z') || t.contains('+'))
    );

    // One at a time, by cursor: the same holders, each once, in order.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = admin
            .query(
                HOLDERS,
                json!({ "p": "orgs:read", "first": 1, "after": after }),
            )
            .await;
        let edges = page.data("permissionHolders.edges");
        let edge = &edges.as_array().expect("edges")[0];
        seen.push(
            edge["node"]["username"]
                .as_str()
                .expect("username")
                .to_string(),
        );
        if page.data("permissionHolders.pageInfo.hasNextPage") != json!(true) {
            break;
        }
        after = edge["cursor"].as_str().map(str::to_string);
    }
    // ("ed" is too short for a username: provisioning made it `ed_user`.)
    assert_eq!(seen, ["admin", "ed_user", "jane", "zoe"]);

    // A permission nobody's role carries has no holders.
    let nobody = admin.query(HOLDERS, json!({ "p": "system:manage" })).await;
    let edges = nobody.data("permissionHolders.edges");
    assert_eq!(
        edges.as_array().map(Vec::len),
        Some(1),
        "only the superuser: {edges}"
    );

    // The same review as CSV, every holder with who granted the role.
    let (status, headers, body) = admin
        .get("/admin/api/permission-holders.csv?permission=users:manage")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        headers["content-disposition"]
            .to_str()
            .is_ok_and(|d| d.starts_with("attachment; filename=\"permission_holders_users_manage_")),
        "{headers:?}"
    );
    let rows: Vec<Vec<String>> = body
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "Username",
            "Email",
            "Status",
            "Role",
            "Source",
            "Granted At",
            "Granted By"
        ]
    );
    let cells = |r: &Vec<String>| {
        let mut r = r.clone();
        r.remove(5);
        r
    };
    assert_eq!(
        rows[1..].iter().map(cells).collect::<Vec<_>>(),
        [
            [
                "admin",
                "admin@example.com",
                "active",
                "superuser",
                "manual",
                ""
            ],
            [
                "zoe",
                "zoe@example.com",
                "active",
                "admin",
                "manual",
                "admin"
            ],
        ]
    );
    let second = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| t.timestamp())
            .unwrap_or_else(|e| panic!("{t}: {e}"))
    };
    assert_eq!(
        second(&rows[2][5]),
        second(nodes[1]["grantedAt"].as_str().expect("grantedAt"))
    );
    for (path, code) in [
        (
            "/admin/api/permission-holders.csv?permission=users:fly",
            400,
        ),
        ("/admin/api/permission-holders.csv", 400),
        (
            "/admin/api/permission-holders.csv?permission=users:read&x=1",
            400,
        ),
    ] {
        let (status, _, body) = admin.get(path).await;
        assert_eq!(status, code, "{path}: {body}");
        assert!(body.contains("BAD_USER_INPUT"), "{path}: {body}");
    }

    for bad in ["users:fly", "not a permission"] {
        let reply = admin.query(HOLDERS, json!({ "p": bad })).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{bad}: {reply:?}");
    }
    let bad_cursor = admin
        .query(HOLDERS, json!({ "p": "users:read", "after": "zz" }))
        .await;
    assert_eq!(bad_cursor.code(), "BAD_USER_INPUT");
    let (viewer, _) = server.client().login("jane", USER_PASSWORD).await;
    assert_eq!(
        viewer
            .query(HOLDERS, json!({ "p": "users:read" }))
            .await
            .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        server
            .client()
            .query(HOLDERS, json!({ "p": "users:read" }))
            .await
            .code(),
        "UNAUTHENTICATED"
    );
    let csv = "/admin/api/permission-holders.csv?permission=users:read";
    assert_eq!(viewer.get(csv).await.0, 403);
    assert_eq!(server.client().get(csv).await.0, 401);
}

on_both_backends!(who_holds_a_permission_and_how);
