//! User search through the trigram indexes (SQLite FTS5, Postgres `pg_trgm`
//! after `roster prepare-postgres`): the same answers as a plain scan for
//! rare, common, short and odd terms, and in step with every edit.

use roster_tests::server::{Client, Server, usernames};
use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};
use serde_json::{Value, json};

const PAGE: &str = "query($f: Int, $a: String, $filter: UsersFilter) {
  users(first: $f, after: $a, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id username } }
  }
}";

/// More users than the SQLite search checks one by one (2,000).
const CROWD: usize = 2_100;

/// Adds `CROWD` users straight into the database, one second apart, in 2030.
async fn add_crowd(db: &TestDb) {
    let sql = match db.backend {
        Backend::Postgres => format!(
            "INSERT INTO users (id, username, email, display_name, status, claims, created_at, updated_at) \
             SELECT '01CROWD' || lpad(i::text, 19, '0'), 'crowd' || i, 'crowd' || i || '@many.example', \
                    'Crowd Member ' || i, 'active', '{{}}', \
                    timestamptz '2030-01-01 00:00:00+00' + i * interval '1 second', \
                    timestamptz '2030-01-01 00:00:00+00' + i * interval '1 second' \
             FROM generate_series(1, {CROWD}) AS i"
        ),
        Backend::Sqlite => format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {CROWD}) \
             INSERT INTO users (id, username, email, display_name, status, claims, created_at, updated_at) \
             SELECT printf('01CROWD%019d', i), 'crowd' || i, 'crowd' || i || '@many.example', \
                    'Crowd Member ' || i, 'active', '{{}}', \
                    strftime('%Y-%m-%dT%H:%M:%S+00:00', '2030-01-01 00:00:00', '+' || i || ' seconds'), \
                    strftime('%Y-%m-%dT%H:%M:%S+00:00', '2030-01-01 00:00:00', '+' || i || ' seconds') \
             FROM n"
        ),
    };
    db.exec(&sql).await;
}

async fn search(admin: &Client, term: &str, first: u64, after: Option<&str>) -> Value {
    let reply = admin
        .query(
            PAGE,
            json!({ "f": first, "a": after, "filter": { "search": term } }),
        )
        .await;
    assert!(reply.body["errors"].is_null(), "{term}: {}", reply.body);
    reply.data("users")
}

async fn search_is_exact_through_the_index(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    add_crowd(&db).await;
    if backend == Backend::Postgres {
        db.roster().args(["prepare-postgres"]).run().await.ok();
    }
    let server = Server::start(&db, &[]);
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;

    // A rare term: the index narrows it to a handful.
    let rare = search(&admin, "crowd1234", 50, None).await;
    assert_eq!(usernames(&rare), vec!["crowd1234"]);
    assert_eq!(search(&admin, "CROWD1234", 50, None).await["totalCount"], 1);
    // A term in display names only: "Crowd Member 77" and 770–779.
    let members = search(&admin, "member 77", 100, None).await;
    assert_eq!(members["totalCount"], 11);
    assert_eq!(usernames(&members)[0], "crowd77");

    // A common term (more than the index is asked to narrow): pages walk
    // the creation order and meet every match exactly once.
    let common = search(&admin, "crowd", 100, None).await;
    assert_eq!(common["totalCount"], CROWD);
    assert_eq!(usernames(&common)[0], "crowd1");
    let mut seen = usernames(&common).len();
    let mut after = common["pageInfo"]["endCursor"].as_str().map(str::to_string);
    while let Some(cursor) = after {
        let next = search(&admin, "crowd", 100, Some(&cursor)).await;
        seen += usernames(&next).len();
        after = (next["pageInfo"]["hasNextPage"] == true)
            .then(|| next["pageInfo"]["endCursor"].as_str().map(str::to_string))
            .flatten();
    }
    assert_eq!(seen, CROWD);

    // Too short for trigrams, and characters the index syntax would treat
    // specially: the same answers, no errors.
    assert_eq!(
        search(&admin, "wd", 1, None).await["totalCount"],
        CROWD,
        "two-letter term"
    );
    for odd in [
        "a\"b",
        "crowd1234\"",
        "*",
        "crowd1234 OR x",
        "NEAR(a b)",
        "%1234",
    ] {
        let found = usernames(&search(&admin, odd, 50, None).await);
        assert!(found.is_empty(), "{odd}: {found:?}");
    }
    assert_eq!(
        usernames(&search(&admin, "1234@MANY.", 50, None).await),
        vec!["crowd1234"]
    );
    // Case is folded as Rust folds it, beyond what the index knows (Cherokee
    // lower case is newer than SQLite's tables); a NUL is refused
    // (Postgres text cannot hold one).
    db.exec("UPDATE users SET display_name = 'ꭰꭱꭲ Person' WHERE username = 'crowd5'")
        .await;
    assert_eq!(
        usernames(&search(&admin, "ᎠᎡᎢ", 50, None).await),
        vec!["crowd5"]
    );
    let nul = admin
        .query(
            PAGE,
            json!({ "f": 5, "filter": { "search": "crowd\u{0}5" } }),
        )
        .await;
    assert_eq!(nul.code(), "BAD_USER_INPUT", "{}", nul.body);
}

async fn search_follows_every_edit(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    if backend == Backend::Postgres {
        db.roster().args(["prepare-postgres"]).run().await.ok();
    }
    let server = Server::start(&db, &[]);
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    // Created through GraphQL: found at once.
    let created = admin
        .query(
            "mutation { createUser(input: { username: \"quillon\", email: \"quill@corp.example\", displayName: \"Quentin Hale\", roles: [\"viewer\"] }) { user { id } } }",
            json!({}),
        )
        .await;
    let id = created.data("createUser.user.id");
    assert_eq!(
        usernames(&search(&admin, "quentin", 50, None).await),
        vec!["quillon"]
    );
    // Renamed: found under the new names only.
    admin
        .query(
            "mutation($id: ID!) { updateUser(id: $id, input: { username: \"marlowe\", email: \"marlowe@corp.example\", displayName: \"Mara Lowe\" }) { id } }",
            json!({ "id": id }),
        )
        .await;
    for gone in ["quillon", "quill@", "quentin"] {
        assert!(
            usernames(&search(&admin, gone, 50, None).await).is_empty(),
            "{gone}"
        );
    }
    for found in ["marlowe", "MARLOWE@CORP", "mara lowe"] {
        assert_eq!(
            usernames(&search(&admin, found, 50, None).await),
            vec!["marlowe"],
            "{found}"
        );
    }
    // Changed by hand in SQL: the index follows too.
    db.exec("UPDATE users SET display_name = 'Zebulon Fray' WHERE username = 'jane'")
        .await;
    assert_eq!(
        usernames(&search(&admin, "zebulon", 50, None).await),
        vec!["jane"]
    );
    db.exec("DELETE FROM users WHERE username = 'jane'").await;
    assert!(usernames(&search(&admin, "zebulon", 50, None).await).is_empty());
}

/// "Prepare Postgres" (SPEC §10) from the CLI and GraphQL.
async fn prepare_postgres_installs_the_trigram_indexes(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    if backend == Backend::Sqlite {
        db.roster()
            .args(["prepare-postgres"])
            .run()
            .await
            .fails_with(7, "Prepare Postgres applies to Postgres only");
        return;
    }
    let first = db.roster().args(["prepare-postgres"]).run().await.ok();
    for line in [
        "extension pg_trgm",
        "index users_username_trgm",
        "index users_email_trgm",
        "index users_display_name_trgm",
        "index organizations_name_trgm",
    ] {
        assert!(
            first
                .stdout
                .lines()
                .any(|l| l.starts_with(line) && l.ends_with("created")),
            "{line} created in:\n{}",
            first.stdout
        );
    }
    let indexes = db
        .strings(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE '%_trgm' ORDER BY indexname",
        )
        .await;
    assert_eq!(indexes.len(), 4, "{indexes:?}");
    let audit = db
        .strings("SELECT event_type FROM audit_events WHERE event_type = 'database.prepared'")
        .await;
    assert_eq!(audit.len(), 1);
    // Again: everything is present, nothing is audited twice.
    let again = db.roster().args(["prepare-postgres"]).run().await.ok();
    assert_eq!(
        again
            .stdout
            .lines()
            .filter(|l| l.ends_with("present"))
            .count(),
        5,
        "{}",
        again.stdout
    );
    let server = Server::start(&db, &[]);
    let (admin, _) = server.client().login("admin", ADMIN_PASSWORD).await;
    let report = admin
        .query(
            "mutation { preparePostgres { name status message } }",
            json!({}),
        )
        .await;
    let statuses: Vec<Value> = report
        .data("preparePostgres")
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| s["status"].clone())
        .collect();
    assert_eq!(statuses, vec![json!("PRESENT"); 5]);
    let (jane, _) = server.client().login("jane", USER_PASSWORD).await;
    let denied = jane
        .query("mutation { preparePostgres { name } }", json!({}))
        .await;
    assert_eq!(denied.code(), "FORBIDDEN");
}

on_both_backends!(
    search_is_exact_through_the_index,
    search_follows_every_edit,
    prepare_postgres_installs_the_trigram_indexes,
);
