//! Organizations (SPEC §7, seed 002) through the real binary on both
//! backends: the GraphQL API, its audit trail and permissions, and the
//! `roster org` commands.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster_tests::server::{Client, Reply, Server};
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

async fn setup(backend: Backend) -> (TestDb, Server, Client) {
    let db = TestDb::bootstrapped(backend).await;
    for (email, role) in [
        ("jane@example.com", "viewer"),
        ("ops@example.com", "admin"),
        ("gone@example.com", "viewer"),
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
    (db, server, admin)
}

const CREATE: &str = "mutation($i: CreateOrganizationInput!) {
    createOrganization(input: $i) { id slug name description isDefault memberCount } }";

async fn create(c: &Client, slug: &str, name: &str) -> Reply {
    c.query(CREATE, json!({ "i": { "slug": slug, "name": name } }))
        .await
}

async fn audit(db: &TestDb, event: &str) -> Vec<Value> {
    db.strings(&format!(
        "SELECT CAST(details AS TEXT) FROM audit_events WHERE event_type = '{event}' ORDER BY occurred_at, id"
    ))
    .await
    .iter()
    .map(|d| serde_json::from_str(d).expect("details are JSON"))
    .collect()
}

/// Creating checks the slug and name, refuses taken ones naming the field,
/// and the listing pages by slug with cursors, searches slug and name, and
/// counts members.
async fn organizations_are_created_paged_and_searched(backend: Backend) {
    let (db, _server, admin) = setup(backend).await;
    let acme = create(&admin, "acme", "Acme Corp").await;
    assert_eq!(acme.data("createOrganization.slug"), "acme");
    assert_eq!(acme.data("createOrganization.memberCount"), 0);
    assert_eq!(acme.data("createOrganization.isDefault"), false);
    create(&admin, "globex", "Globex")
        .await
        .data("createOrganization.id");

    let bad = create(&admin, "Not A Slug", "X").await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    assert!(bad.message().starts_with("Invalid slug"), "{bad:?}");
    let taken = create(&admin, "acme", "Another").await;
    assert_eq!(taken.code(), "CONFLICT");
    assert_eq!(taken.message(), "Slug is already taken");
    assert_eq!(taken.body["errors"][0]["extensions"]["field"], "slug");
    let same_name = create(&admin, "acme-2", "ACME CORP").await;
    assert_eq!(same_name.code(), "CONFLICT");
    assert_eq!(same_name.message(), "Name is already taken");
    assert_eq!(same_name.body["errors"][0]["extensions"]["field"], "name");

    let page = "query($a: String, $s: String) {
        organizations(first: 2, after: $a, filter: { search: $s }) {
            totalCount edges { cursor node { slug memberCount isDefault } } pageInfo { hasNextPage } } }";
    let first = admin.query(page, json!({})).await;
    assert_eq!(first.data("organizations.totalCount"), 3);
    let edges = first.data("organizations.edges");
    let slugs: Vec<&str> = edges
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["slug"].as_str())
        .collect();
    assert_eq!(slugs, ["acme", "default"]);
    assert_eq!(first.data("organizations.pageInfo.hasNextPage"), true);
    // Every live user is in the default organization; the deleted one is
    // not counted.
    assert_eq!(edges[1]["node"]["memberCount"], 3);
    assert_eq!(edges[1]["node"]["isDefault"], true);
    // A new organization sorting before the cursor does not shift the next
    // page.
    create(&admin, "aaa", "Aaa")
        .await
        .data("createOrganization.id");
    let next = admin.query(page, json!({ "a": edges[1]["cursor"] })).await;
    assert_eq!(
        next.data("organizations.edges")[0]["node"]["slug"],
        "globex"
    );
    assert_eq!(next.data("organizations.pageInfo.hasNextPage"), false);

    let found = admin.query(page, json!({ "s": "GLO" })).await;
    assert_eq!(found.data("organizations.totalCount"), 1);
    let by_name = admin.query(page, json!({ "s": "corp" })).await;
    assert_eq!(
        by_name.data("organizations.edges")[0]["node"]["slug"],
        "acme"
    );

    let one = admin
        .query("{ organization(slug: \"ACME\") { name } }", json!({}))
        .await;
    assert_eq!(one.data("organization.name"), "Acme Corp");
    let both = admin
        .query(
            "{ organization(slug: \"acme\", id: \"x\") { name } }",
            json!({}),
        )
        .await;
    assert_eq!(both.code(), "BAD_USER_INPUT");
    let missing = admin
        .query("{ organization(slug: \"nope\") { name } }", json!({}))
        .await;
    assert_eq!(missing.code(), "NOT_FOUND");

    let created = audit(&db, "org.created").await;
    assert_eq!(created.len(), 3, "{created:?}");
    assert_eq!(created[0]["new_values"]["slug"], "acme");
}

async fn org_id(c: &Client, slug: &str) -> Value {
    c.query(
        "query($s: String!) { organization(slug: $s) { id } }",
        json!({ "s": slug }),
    )
    .await
    .data("organization.id")
}

const ADD: &str = "mutation($id: ID!, $m: [String!]!) {
    addOrganizationMembers(id: $id, members: $m) {
        organization { memberCount } results { entry outcome userId } } }";
const REMOVE: &str = "mutation($id: ID!, $m: [String!]!) {
    removeOrganizationMembers(id: $id, members: $m) {
        organization { memberCount } results { entry outcome } } }";

fn outcomes(reply: &Reply, field: &str) -> Vec<(String, String)> {
    reply
        .data(&format!("{field}.results"))
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["entry"].as_str().unwrap_or_default().to_string(),
                r["outcome"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Members are added and removed per entry (id, email or username), the
/// rest applied whatever one entry says; each change is audited; users see
/// their organizations; nobody leaves the default organization.
async fn members_are_added_and_removed_per_entry(backend: Backend) {
    let (db, _server, admin) = setup(backend).await;
    let id = create(&admin, "acme", "Acme Corp")
        .await
        .data("createOrganization.id");
    let added = admin
        .query(
            ADD,
            json!({ "id": id, "m": ["JANE@example.com", "ops", "nobody@example.com", "gone@example.com", "jane"] }),
        )
        .await;
    assert_eq!(
        outcomes(&added, "addOrganizationMembers"),
        [
            ("JANE@example.com", "ADDED"),
            ("ops", "ADDED"),
            ("nobody@example.com", "UNKNOWN"),
            ("gone@example.com", "DELETED_USER"),
            ("jane", "ALREADY_MEMBER"),
        ]
        .map(|(e, o)| (e.to_string(), o.to_string()))
    );
    assert_eq!(
        added.data("addOrganizationMembers.organization.memberCount"),
        2
    );

    let members = admin
        .query(
            "{ organization(slug: \"acme\") { members(first: 10) { edges { node { username organizations { slug } } } } } }",
            json!({}),
        )
        .await;
    let edges = members.data("organization.members.edges");
    let names: Vec<&str> = edges
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["username"].as_str())
        .collect();
    assert_eq!(names, ["jane", "ops"]);
    assert_eq!(
        edges[0]["node"]["organizations"],
        json!([{ "slug": "acme" }, { "slug": "default" }])
    );

    let removed = admin
        .query(REMOVE, json!({ "id": id, "m": ["jane", "admin", "ghost"] }))
        .await;
    assert_eq!(
        outcomes(&removed, "removeOrganizationMembers"),
        [
            ("jane", "REMOVED"),
            ("admin", "NOT_MEMBER"),
            ("ghost", "UNKNOWN")
        ]
        .map(|(e, o)| (e.to_string(), o.to_string()))
    );
    assert_eq!(
        removed.data("removeOrganizationMembers.organization.memberCount"),
        1
    );

    let default_id = org_id(&admin, "default").await;
    let refused = admin
        .query(REMOVE, json!({ "id": default_id, "m": ["jane"] }))
        .await;
    assert_eq!(refused.code(), "CONFLICT", "{refused:?}");

    let added_events = audit(&db, "membership.added").await;
    assert_eq!(added_events.len(), 2);
    assert_eq!(added_events[0]["organization"], "acme");
    assert_eq!(added_events[0]["username"], "jane");
    assert_eq!(audit(&db, "membership.removed").await.len(), 1);
}

/// Updates record old and new values; the default organization cannot be
/// deleted; deleting another removes its memberships.
async fn organizations_are_updated_and_deleted(backend: Backend) {
    let (db, _server, admin) = setup(backend).await;
    let id = create(&admin, "acme", "Acme Corp")
        .await
        .data("createOrganization.id");
    admin
        .query(ADD, json!({ "id": id, "m": ["jane"] }))
        .await
        .data("addOrganizationMembers.organization.memberCount");
    let update = "mutation($id: ID!, $i: UpdateOrganizationInput!) {
        updateOrganization(id: $id, input: $i) { slug name description } }";
    let updated = admin
        .query(
            update,
            json!({ "id": id, "i": { "name": "Acme Inc", "description": "Makers of everything" } }),
        )
        .await;
    assert_eq!(updated.data("updateOrganization.name"), "Acme Inc");
    assert_eq!(updated.data("updateOrganization.slug"), "acme");
    let events = audit(&db, "org.updated").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["old_values"]["name"], "Acme Corp");
    assert_eq!(events[0]["new_values"]["name"], "Acme Inc");
    assert_eq!(events[0]["changed_fields"], json!(["name", "description"]));
    let cleared = admin
        .query(update, json!({ "id": id, "i": { "description": "" } }))
        .await;
    assert_eq!(cleared.data("updateOrganization.description"), Value::Null);
    let bad = admin
        .query(update, json!({ "id": id, "i": { "slug": "-x" } }))
        .await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    create(&admin, "globex", "Globex")
        .await
        .data("createOrganization.id");
    let taken = admin
        .query(update, json!({ "id": id, "i": { "slug": "globex" } }))
        .await;
    assert_eq!(taken.code(), "CONFLICT");
    assert_eq!(taken.body["errors"][0]["extensions"]["field"], "slug");
    let same = admin
        .query(
            update,
            json!({ "id": id, "i": { "slug": "acme", "name": "acme inc" } }),
        )
        .await;
    assert_eq!(
        same.data("updateOrganization.name"),
        "acme inc",
        "its own name in another case is free"
    );

    let delete = "mutation($id: ID!) { deleteOrganization(id: $id) }";
    let default_id = org_id(&admin, "default").await;
    let refused = admin.query(delete, json!({ "id": default_id })).await;
    assert_eq!(refused.code(), "CONFLICT");
    assert!(
        refused.message().contains("default organization"),
        "{refused:?}"
    );
    assert_eq!(
        admin
            .query(delete, json!({ "id": id }))
            .await
            .data("deleteOrganization"),
        true
    );
    let gone = admin
        .query("{ organization(slug: \"acme\") { name } }", json!({}))
        .await;
    assert_eq!(gone.code(), "NOT_FOUND");
    let memberships = db
        .strings(&format!(
            "SELECT user_id FROM organization_memberships WHERE organization_id = '{}'",
            id.as_str().expect("id")
        ))
        .await;
    assert!(memberships.is_empty());
    let deleted = audit(&db, "org.deleted").await;
    assert_eq!(deleted[0]["old_values"]["name"], "acme inc");
    assert_eq!(deleted[0]["members"], 1);
}

/// `orgs:read` lists and reads; changing needs `orgs:manage`.
async fn organizations_need_their_permissions(backend: Backend) {
    let (db, server, admin) = setup(backend).await;
    let id = create(&admin, "acme", "Acme Corp")
        .await
        .data("createOrganization.id");
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    let listed = jane
        .query("{ organizations { edges { node { slug } } } }", json!({}))
        .await;
    assert_eq!(
        listed.data("organizations.edges").as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(create(&jane, "mine", "Mine").await.code(), "FORBIDDEN");
    let add = jane.query(ADD, json!({ "id": id, "m": ["jane"] })).await;
    assert_eq!(add.code(), "FORBIDDEN");
    let anonymous = server
        .client()
        .query("{ organizations { edges { node { slug } } } }", json!({}))
        .await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    let denied = audit(&db, "permission.denied").await;
    assert_eq!(denied.len(), 2, "{denied:?}");
    assert_eq!(denied[0]["permissions"], json!(["orgs:manage"]));
}

/// `roster org create | list | add-members | remove-members`.
async fn the_cli_manages_organizations(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let created = db
        .roster()
        .args(["org", "create", "--slug", "acme", "--name", "Acme Corp"])
        .run()
        .await
        .ok();
    assert!(
        created.stdout.contains("Organization created: acme"),
        "{created:?}"
    );
    db.roster()
        .args(["org", "create", "--slug", "acme", "--name", "Other"])
        .run()
        .await
        .fails_with(6, "Slug is already taken");
    db.roster()
        .args(["org", "create", "--slug", "A", "--name", "Other"])
        .run()
        .await
        .fails_with(7, "Invalid slug");

    let added = db
        .roster()
        .args(["org", "add-members", "--org", "acme", "jane", "nobody"])
        .run()
        .await
        .fails_with(5, "Some users were not found");
    assert!(added.stdout.contains("jane: added"), "{added:?}");
    assert!(added.stdout.contains("nobody: unknown user"), "{added:?}");
    assert!(added.stdout.contains("acme has 1 member(s)"), "{added:?}");

    let listed = db.roster().args(["org", "list", "--json"]).run().await.ok();
    let rows: Vec<Value> = listed
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["slug"], "acme");
    assert_eq!(rows[0]["member_count"], 1);
    assert_eq!(rows[1]["is_default"], true);

    let removed = db
        .roster()
        .args(["org", "remove-members", "--org", "acme", "jane@example.com"])
        .run()
        .await
        .ok();
    assert!(
        removed.stdout.contains("jane@example.com: removed"),
        "{removed:?}"
    );
    db.roster()
        .args(["org", "remove-members", "--org", "default", "jane"])
        .run()
        .await
        .fails_with(6, "default organization");
    let ops = db
        .strings("SELECT channel FROM audit_events WHERE event_type LIKE 'membership.%'")
        .await;
    assert_eq!(ops, ["cli", "cli"]);
}

/// Names are unique in any case, beyond ASCII too, on both backends (the
/// database's `lower` folds only ASCII on SQLite), when creating and when
/// renaming; the default organization, seeded without a key, still holds
/// its name.
async fn names_are_unique_in_any_case_beyond_ascii(backend: Backend) {
    let (_db, _server, admin) = setup(backend).await;
    let ete = create(&admin, "ete", "Été Ops")
        .await
        .data("createOrganization.id");
    for name in ["été ops", "ÉTÉ OPS"] {
        let taken = create(&admin, "ete-2", name).await;
        assert_eq!(taken.code(), "CONFLICT", "{name}: {taken:?}");
        assert_eq!(taken.message(), "Name is already taken");
        assert_eq!(taken.body["errors"][0]["extensions"]["field"], "name");
    }
    let strasse = create(&admin, "strasse", "STRASSE").await;
    let strasse = strasse.data("createOrganization.id");
    let rename = "mutation($id: ID!, $i: UpdateOrganizationInput!) {
        updateOrganization(id: $id, input: $i) { name } }";
    let renamed = admin
        .query(rename, json!({ "id": strasse, "i": { "name": "été OPS" } }))
        .await;
    assert_eq!(renamed.code(), "CONFLICT", "{renamed:?}");
    // Renaming itself in another case is no clash.
    let own = admin
        .query(rename, json!({ "id": ete, "i": { "name": "ÉTÉ ops" } }))
        .await;
    assert_eq!(own.data("updateOrganization.name"), "ÉTÉ ops");
    let default = create(&admin, "default-2", "DEFAULT").await;
    assert_eq!(default.code(), "CONFLICT", "{default:?}");
}

on_both_backends!(
    names_are_unique_in_any_case_beyond_ascii,
    organizations_are_created_paged_and_searched,
    members_are_added_and_removed_per_entry,
    organizations_are_updated_and_deleted,
    organizations_need_their_permissions,
    the_cli_manages_organizations
);
