//! The runbooks' role names (issue 16; seeds 000 and 001) through the real
//! binary on both backends: seed 000's and 001's provisioning commands run
//! as written (`--role user`, then `contributor` once `roster role create`
//! made it), role aliases (`ROLE_ALIASES`, default `user=viewer`) read
//! wherever a role is named and stored under the role's own name, the
//! `roster role` commands, and an alias naming no role stopping `serve`.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use std::time::Duration;

use roster_tests::server::Server;
use roster_tests::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Backend, OTHER_PASSWORD, Output, TestDb, USER_PASSWORD,
    on_both_backends,
};
use serde_json::{Value, json};

async fn roles_of(db: &TestDb, email: &str) -> Vec<String> {
    let mut roles = db
        .strings(&format!(
            "SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
             JOIN users u ON u.id = ur.user_id WHERE u.email = '{email}'"
        ))
        .await;
    roles.sort();
    roles
}

/// `roster <args>` with the test database.
async fn roster(db: &TestDb, args: &[&str]) -> Output {
    db.roster().args(args).run().await
}

/// Seed 000 §2 and seed 001 §1–2, the commands as the runbooks give them
/// (after `python -m skriptoteket.cli`), placeholders filled in.
async fn the_seed_runbooks_run_as_written(backend: Backend) {
    let db = TestDb::new(backend).await;
    // Seed 001 §1: bootstrap-superuser --email 'admin@example.com' --password 'SECURE_PASSWORD'
    roster(
        &db,
        &[
            "bootstrap-superuser",
            "--email",
            "admin@example.com",
            "--password",
            ADMIN_PASSWORD,
        ],
    )
    .await
    .ok();
    // Seed 001 §2: provision-user --actor-email 'admin@example.com'
    // --actor-password 'ADMIN_PASSWORD' --email 'newuser@example.com'
    // --password 'USER_PASSWORD' --role user
    let out = roster(
        &db,
        &[
            "provision-user",
            "--actor-email",
            "admin@example.com",
            "--actor-password",
            ADMIN_PASSWORD,
            "--email",
            "newuser@example.com",
            "--password",
            USER_PASSWORD,
            "--role",
            "user",
        ],
    )
    .await
    .ok();
    assert!(
        out.stdout
            .contains("User created: newuser <newuser@example.com>"),
        "{out:#?}"
    );
    // "Standard access": stored and shown as viewer, the role it stands for.
    assert_eq!(roles_of(&db, "newuser@example.com").await, ["viewer"]);
    let listed = roster(&db, &["list-users", "--json", "--role", "user"])
        .await
        .ok();
    let users: Vec<Value> = listed
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(users.len(), 1, "{listed:#?}");
    assert_eq!(users[0]["email"], "newuser@example.com");
    assert_eq!(users[0]["roles"], json!(["viewer"]));

    // Seed 000 §2's example, its passwords typed at the prompts.
    let command = format!(
        "{} provision-user --actor-email \"admin@example.com\" --email \"johndoe@example.com\" --role \"user\"",
        roster_tests::roster_bin().display()
    );
    db.roster()
        .program("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(&format!(
            "{ADMIN_PASSWORD}\n{OTHER_PASSWORD}\n{OTHER_PASSWORD}\n"
        ))
        .run()
        .await
        .ok();
    assert_eq!(roles_of(&db, "johndoe@example.com").await, ["viewer"]);

    // Seed 001's `contributor` is one command away, then provisioned by name.
    let out = roster(
        &db,
        &[
            "role",
            "create",
            "contributor",
            "--description",
            "Browse, run tools and submit suggestions",
            "--permission",
            "users:read,orgs:read",
        ],
    )
    .await
    .ok();
    assert!(
        out.stdout
            .contains("Role created: contributor (2 permissions)"),
        "{out:#?}"
    );
    roster(
        &db,
        &[
            "provision-user",
            "--actor-email",
            "admin@example.com",
            "--actor-password",
            ADMIN_PASSWORD,
            "--email",
            "contrib@example.com",
            "--password",
            USER_PASSWORD,
            "--role",
            "contributor",
        ],
    )
    .await
    .ok();
    assert_eq!(roles_of(&db, "contrib@example.com").await, ["contributor"]);
    // set-role takes the alias too.
    roster(
        &db,
        &[
            "set-role",
            "--email",
            "contrib@example.com",
            "--role",
            "user",
        ],
    )
    .await
    .ok();
    assert_eq!(roles_of(&db, "contrib@example.com").await, ["viewer"]);
    // A name that is neither a role nor an alias lists both.
    roster(
        &db,
        &[
            "provision-user",
            "--actor-email",
            ADMIN_EMAIL,
            "--actor-password",
            ADMIN_PASSWORD,
            "--email",
            "x@example.com",
            "--password",
            USER_PASSWORD,
            "--role",
            "usr",
        ],
    )
    .await
    .fails_with(
        7,
        "Unknown role 'usr'; available roles: superuser, admin, editor, viewer, contributor (aliases: user=viewer)",
    );
}

/// `roster role list|create|update|delete`, each audited, with the refusals
/// an operator meets.
async fn roles_are_managed_from_the_command_line(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let list = roster(&db, &["role", "list", "--json"]).await.ok();
    let roles: Vec<Value> = list
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let names: Vec<&str> = roles.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["superuser", "admin", "editor", "viewer"]);
    assert_eq!(roles[3]["aliases"], json!(["user"]));
    assert_eq!(roles[3]["builtin"], json!(true));
    let table = roster(&db, &["role", "list"]).await.ok();
    assert!(table.stdout.contains("(also: user)"), "{table:#?}");

    roster(
        &db,
        &["role", "create", "auditor", "--permission", "audit:read"],
    )
    .await
    .ok();
    // Added and removed, or replaced; the description kept unless given.
    let out = roster(
        &db,
        &[
            "role",
            "update",
            "auditor",
            "--description",
            "Reads the log",
            "--add-permission",
            "users:read",
        ],
    )
    .await
    .ok();
    assert!(
        out.stdout.contains("Role updated: auditor (2 permissions)"),
        "{out:#?}"
    );
    roster(
        &db,
        &[
            "role",
            "update",
            "auditor",
            "--remove-permission",
            "audit:read",
        ],
    )
    .await
    .ok();
    let shown = roster(&db, &["role", "list", "--json"]).await.ok();
    let auditor: Value = shown
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|r| r["name"] == "auditor")
        .expect("auditor listed");
    assert_eq!(auditor["permissions"], json!(["users:read"]));
    assert_eq!(auditor["description"], "Reads the log");

    // Refusals, each with its exit code.
    roster(&db, &["role", "update", "auditor"])
        .await
        .fails_with(2, "Nothing to change");
    db.roster()
        .args(["role", "create", "user"])
        .env("ROLE_ALIASES", "user=viewer,member=viewer")
        .run()
        .await
        .fails_with(6, "user is an alias of role viewer (ROLE_ALIASES)");
    roster(&db, &["role", "create", "auditor"])
        .await
        .fails_with(6, "Role name is already taken");
    roster(&db, &["role", "update", "viewer", "--description", "x"])
        .await
        .fails_with(6, "Built-in role viewer cannot be changed");
    roster(&db, &["role", "delete", "nobody"])
        .await
        .fails_with(5, "Role not found: nobody");
    roster(&db, &["role", "create", "bad", "--permission", "users:fly"])
        .await
        .fails_with(7, "users:fly");
    // A role an alias names stays while the alias does.
    db.roster()
        .args(["role", "delete", "auditor"])
        .env("ROLE_ALIASES", "user=viewer,reader=auditor")
        .run()
        .await
        .fails_with(
            6,
            "Role auditor is named by the alias reader (ROLE_ALIASES)",
        );
    roster(&db, &["role", "delete", "auditor"]).await.ok();
    let events = db
        .strings(
            "SELECT event_type FROM audit_events WHERE event_type LIKE 'role.%' ORDER BY occurred_at, id",
        )
        .await;
    assert_eq!(
        events,
        [
            "role.created",
            "role.updated",
            "role.updated",
            "role.deleted"
        ]
    );
    // The default alias gives way to a role of its name: created, it is
    // what `--role user` grants from then on.
    roster(
        &db,
        &["role", "create", "user", "--permission", "orgs:read"],
    )
    .await
    .ok();
    roster(
        &db,
        &[
            "set-role",
            "--email",
            ADMIN_EMAIL,
            "--role",
            "superuser",
            "--role",
            "user",
        ],
    )
    .await
    .ok();
    assert_eq!(roles_of(&db, ADMIN_EMAIL).await, ["superuser", "user"]);
    // ROLE_ALIASES empty: no aliases at all.
    db.roster()
        .args(["set-role", "--email", ADMIN_EMAIL, "--role", "member"])
        .env("ROLE_ALIASES", "")
        .run()
        .await
        .fails_with(
            7,
            "Unknown role 'member'; available roles: superuser, admin, editor, viewer, user\n",
        );
    // A malformed ROLE_ALIASES stops every command, naming the entry.
    db.roster()
        .args(["role", "list"])
        .env("ROLE_ALIASES", "user=viewer,staff")
        .run()
        .await
        .fails_with(
            2,
            r#"ROLE_ALIASES="user=viewer,staff": entry 2 ("staff"): expected alias=role"#,
        );
}

async fn serve(db: &TestDb, aliases: &str) -> Output {
    let run = db
        .roster()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("ROLE_ALIASES", aliases)
        .run();
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("serve stopped at start instead of running")
}

/// An alias naming no role, or a role's own name, stops the server.
async fn a_bad_alias_stops_the_server(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    serve(&db, "member=contributor").await.fails_with(
        1,
        "ROLE_ALIASES: alias member names role contributor, which does not exist; available roles: superuser, admin, editor, viewer",
    );
    serve(&db, "admin=viewer")
        .await
        .fails_with(1, "ROLE_ALIASES: admin is the name of a role");
}

/// The API reads aliases too, and answers with the role's own name; no
/// role is created under a set alias's name.
async fn the_api_reads_aliases(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "editor", USER_PASSWORD)
        .await
        .ok();
    let server = Server::start_public(&db, &[("ROLE_ALIASES", "user=viewer,member=viewer")]);
    let (api, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let jane = api
        .query(
            r#"{ users(filter: { search: "jane" }) { nodes { id } } }"#,
            json!({}),
        )
        .await
        .data("users.nodes")[0]["id"]
        .as_str()
        .expect("jane")
        .to_string();
    let invited = api
        .query(
            r#"mutation { createUser(input: { username: "tom", email: "tom@example.com", roles: ["user"] }) { user { roles } } }"#,
            json!({}),
        )
        .await
        .data("createUser.user.roles");
    assert_eq!(invited, json!(["viewer"]));
    let roles = api
        .query(
            "mutation($id: ID!) { setUserRoles(id: $id, roles: [\"user\"]) { roles } }",
            json!({ "id": jane }),
        )
        .await
        .data("setUserRoles.roles");
    assert_eq!(roles, json!(["viewer"]));
    let listed = api
        .query(
            r#"{ users(filter: { roles: ["user"] }) { nodes { username } } }"#,
            json!({}),
        )
        .await
        .data("users.nodes");
    assert_eq!(
        listed,
        json!([{ "username": "jane" }, { "username": "tom" }])
    );
    let overrides = api
        .query(
            "mutation($id: ID!) { setRoleOverrides(userId: $id, input: { preserved: [\"user\"] }) { roleOverrides { preserved } } }",
            json!({ "id": jane }),
        )
        .await
        .data("setRoleOverrides.roleOverrides.preserved");
    assert_eq!(overrides, json!(["viewer"]));
    // An alias and its role, one preserved and one suppressed, clash.
    let clash = api
        .query(
            "mutation($id: ID!) { setRoleOverrides(userId: $id, input: { preserved: [\"user\"], suppressed: [\"viewer\"] }) { id } }",
            json!({ "id": jane }),
        )
        .await;
    assert_eq!(clash.code(), "BAD_USER_INPUT");
    let created = api
        .query(
            r#"mutation { createRole(name: "member", definition: { permissions: [] }) { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(created.code(), "CONFLICT");
}

on_both_backends!(
    the_seed_runbooks_run_as_written,
    roles_are_managed_from_the_command_line,
    a_bad_alias_stops_the_server,
    the_api_reads_aliases
);
