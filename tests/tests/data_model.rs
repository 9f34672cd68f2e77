//! The schema means the same on SQLite and Postgres: constraints the database
//! itself enforces, seeded roles and organization, cascades.

use roster_tests::{Backend, TestDb, on_both_backends};

async fn migrated(backend: Backend) -> TestDb {
    let db = TestDb::new(backend).await;
    let out = db.roster().args(["migrate"]).run().await.ok();
    assert!(out.stdout.contains("Migrations applied"), "{out:#?}");
    db
}

fn ts(db: &TestDb) -> &'static str {
    match db.backend {
        Backend::Sqlite => "'2026-01-01T00:00:00+00:00'",
        Backend::Postgres => "'2026-01-01T00:00:00+00:00'::timestamptz",
    }
}

fn insert_user(
    db: &TestDb,
    id: &str,
    username: &str,
    email: &str,
    status: &str,
    deleted: bool,
) -> String {
    let t = ts(db);
    let deleted_at = if deleted { t } else { "NULL" };
    format!(
        "INSERT INTO users (id, username, email, status, claims, created_at, updated_at, deleted_at) \
         VALUES ('{id}', '{username}', '{email}', '{status}', '{{}}', {t}, {t}, {deleted_at})"
    )
}

async fn fails(db: &TestDb, sql: &str) -> bool {
    let conn = db.connect().await;
    let result = sea_orm::ConnectionTrait::execute_unprepared(&conn, sql).await;
    conn.close().await.ok();
    result.is_err()
}

async fn uniqueness_is_case_insensitive_in_the_database(backend: Backend) {
    let db = migrated(backend).await;
    db.exec(&insert_user(
        &db,
        "U1",
        "Jane",
        "jane@example.com",
        "active",
        false,
    ))
    .await;
    assert!(
        fails(
            &db,
            &insert_user(&db, "U2", "JANE", "other@example.com", "active", false)
        )
        .await
    );
    assert!(
        fails(
            &db,
            &insert_user(&db, "U3", "other", "JANE@EXAMPLE.COM", "active", false)
        )
        .await
    );
    // Soft-deleted users keep their names taken.
    db.exec(&insert_user(
        &db,
        "U4",
        "gone",
        "gone@example.com",
        "deleted",
        true,
    ))
    .await;
    assert!(
        fails(
            &db,
            &insert_user(&db, "U5", "Gone", "new@example.com", "active", false)
        )
        .await
    );
    assert!(
        fails(
            &db,
            &insert_user(&db, "U6", "new", "Gone@Example.com", "active", false)
        )
        .await
    );
}

async fn states_are_checked_by_the_database(backend: Backend) {
    let db = migrated(backend).await;
    assert!(
        fails(
            &db,
            &insert_user(&db, "U1", "a1x", "a@example.com", "inactive", false)
        )
        .await
    );
    // `deleted` and `deleted_at` go together.
    assert!(
        fails(
            &db,
            &insert_user(&db, "U2", "b1x", "b@example.com", "deleted", false)
        )
        .await
    );
    assert!(
        fails(
            &db,
            &insert_user(&db, "U3", "c1x", "c@example.com", "active", true)
        )
        .await
    );
    db.exec(&insert_user(
        &db,
        "U4",
        "d1x",
        "d@example.com",
        "pending_invitation",
        false,
    ))
    .await;
    // Role assignments record a known source.
    let t = ts(&db);
    assert!(
        fails(
            &db,
            &format!("INSERT INTO user_roles (user_id, role_id, source, created_at) SELECT 'U4', id, 'magic', {t} FROM roles WHERE name = 'viewer'")
        )
        .await
    );
    db.exec(&format!(
        "INSERT INTO user_roles (user_id, role_id, source, created_at) SELECT 'U4', id, 'idp', {t} FROM roles WHERE name = 'viewer'"
    ))
    .await;
}

async fn migrations_seed_builtin_roles_and_the_default_organization(backend: Backend) {
    let db = migrated(backend).await;
    let roles = db
        .strings("SELECT name FROM roles WHERE is_builtin ORDER BY name")
        .await;
    assert_eq!(roles, vec!["admin", "editor", "superuser", "viewer"]);
    let count = |role: &'static str| {
        let db = &db;
        async move {
            db.strings(&format!(
                "SELECT rp.permission FROM role_permissions rp JOIN roles r ON r.id = rp.role_id \
                 WHERE r.name = '{role}' ORDER BY rp.permission"
            ))
            .await
        }
    };
    let superuser = count("superuser").await;
    assert_eq!(superuser.len(), 14, "{superuser:?}");
    let admin = count("admin").await;
    assert!(admin.contains(&"users:manage".to_string()));
    assert!(admin.contains(&"site_configs:manage".to_string()));
    assert!(!admin.contains(&"system:manage".to_string()));
    let viewer = count("viewer").await;
    assert!(viewer.iter().all(|p| p.ends_with(":read")), "{viewer:?}");

    assert_eq!(
        db.strings("SELECT slug FROM organizations WHERE is_default")
            .await,
        vec!["default"]
    );
    // Only one organization can be the default.
    let t = ts(&db);
    let second = if backend == Backend::Postgres {
        "TRUE"
    } else {
        "1"
    };
    assert!(
        fails(
            &db,
            &format!("INSERT INTO organizations (id, slug, name, is_default, created_at, updated_at) VALUES ('O2', 'other', 'Other', {second}, {t}, {t})")
        )
        .await
    );
    // Running migrations again changes nothing.
    db.roster().args(["migrate"]).run().await.ok();
    assert_eq!(db.strings("SELECT COUNT(*) FROM roles").await, vec!["4"]);
    assert_eq!(
        db.strings("SELECT COUNT(*) FROM organizations").await,
        vec!["1"]
    );
}

async fn memberships_cascade_with_either_side(backend: Backend) {
    let db = migrated(backend).await;
    let t = ts(&db);
    let no = if backend == Backend::Postgres {
        "FALSE"
    } else {
        "0"
    };
    db.exec(&insert_user(
        &db,
        "U1",
        "jane",
        "jane@example.com",
        "active",
        false,
    ))
    .await;
    db.exec(&format!(
        "INSERT INTO organizations (id, slug, name, is_default, created_at, updated_at) VALUES ('O2', 'acme', 'Acme', {no}, {t}, {t})"
    ))
    .await;
    db.exec(&format!(
        "INSERT INTO organization_memberships (organization_id, user_id, created_at) VALUES ('O2', 'U1', {t})"
    ))
    .await;
    db.exec("DELETE FROM organizations WHERE id = 'O2'").await;
    assert_eq!(
        db.strings("SELECT COUNT(*) FROM organization_memberships")
            .await,
        vec!["0"]
    );
    db.exec(&format!(
        "INSERT INTO organization_memberships (organization_id, user_id, created_at) SELECT id, 'U1', {t} FROM organizations WHERE is_default"
    ))
    .await;
    db.exec("DELETE FROM users WHERE id = 'U1'").await;
    assert_eq!(
        db.strings("SELECT COUNT(*) FROM organization_memberships")
            .await,
        vec!["0"]
    );
}

async fn a_bad_setting_stops_the_binary_naming_the_variable(backend: Backend) {
    let db = TestDb::new(backend).await;
    let out = db
        .roster()
        .env("ARGON2_MEMORY_KIB", "plenty")
        .args(["migrate"])
        .run()
        .await;
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(out.stderr.contains("ARGON2_MEMORY_KIB"), "{out:#?}");
}

on_both_backends!(
    uniqueness_is_case_insensitive_in_the_database,
    states_are_checked_by_the_database,
    migrations_seed_builtin_roles_and_the_default_organization,
    memberships_cascade_with_either_side,
    a_bad_setting_stops_the_binary_naming_the_variable,
);
