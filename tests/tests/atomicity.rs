//! A failure in the middle of a mutation leaves neither the change nor its
//! audit event behind. The failure is real: a database trigger refuses one of
//! the writes the mutation makes, after others have already been made.

use roster_tests::{ADMIN_PASSWORD, Backend, TestDb, USER_PASSWORD, on_both_backends};

const ADMIN: &str = "admin@example.com";

/// Makes every insert into `table` fail.
async fn sabotage(db: &TestDb, table: &str) {
    match db.backend {
        Backend::Sqlite => {
            db.exec(&format!(
                "CREATE TRIGGER sabotage_{table} BEFORE INSERT ON {table} \
                 BEGIN SELECT RAISE(ABORT, 'simulated failure'); END"
            ))
            .await
        }
        Backend::Postgres => {
            db.exec(
                "CREATE OR REPLACE FUNCTION sabotage() RETURNS trigger AS $$ \
                 BEGIN RAISE EXCEPTION 'simulated failure'; END $$ LANGUAGE plpgsql",
            )
            .await;
            db.exec(&format!(
                "CREATE TRIGGER sabotage_{table} BEFORE INSERT ON {table} \
                 FOR EACH ROW EXECUTE FUNCTION sabotage()"
            ))
            .await
        }
    }
}

async fn snapshot(db: &TestDb) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for sql in [
        "SELECT id || ':' || status || ':' || COALESCE(password_hash, '') FROM users ORDER BY id",
        "SELECT user_id || ':' || role_id FROM user_roles ORDER BY user_id, role_id",
        "SELECT user_id FROM organization_memberships ORDER BY user_id",
        "SELECT id || ':' || CASE WHEN revoked_at IS NULL THEN 'live' ELSE 'revoked' END FROM sessions ORDER BY id",
        "SELECT id FROM one_time_tokens ORDER BY id",
        "SELECT id FROM audit_events ORDER BY id",
    ] {
        out.push(db.strings(sql).await);
    }
    out
}

async fn setup(backend: Backend) -> TestDb {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "editor", USER_PASSWORD)
        .await
        .ok();
    db.add_session("jane@example.com").await;
    db
}

async fn failed_audit_write_undoes_every_mutation(backend: Backend) {
    let db = setup(backend).await;
    sabotage(&db, "audit_events").await;
    let before = snapshot(&db).await;
    let attempts: &[&[&str]] = &[
        &[
            "provision-user",
            "--actor-email",
            ADMIN,
            "--actor-password",
            ADMIN_PASSWORD,
            "--email",
            "new@example.com",
            "--password",
            USER_PASSWORD,
        ],
        &[
            "provision-user",
            "--actor-email",
            ADMIN,
            "--actor-password",
            ADMIN_PASSWORD,
            "--email",
            "invited@example.com",
            "--invite",
        ],
        &["set-role", "--email", "jane@example.com", "--role", "admin"],
        &[
            "set-password",
            "--email",
            "jane@example.com",
            "--password",
            "Quiet-Harbor-Maple-57",
        ],
        &["deactivate-user", "--email", "jane@example.com"],
        &["delete-user", "--email", "jane@example.com"],
        &["revoke-sessions", "--email", "jane@example.com"],
    ];
    for args in attempts {
        let out = db.roster().args(*args).run().await;
        assert_eq!(out.code, 1, "{args:?} should fail: {out:#?}");
        assert!(out.stderr.contains("simulated failure"), "{out:#?}");
        assert_eq!(
            snapshot(&db).await,
            before,
            "{args:?} left something behind"
        );
    }
}

async fn failure_after_the_user_row_leaves_no_user(backend: Backend) {
    let db = setup(backend).await;
    // The user row is written first; the membership insert then fails.
    sabotage(&db, "organization_memberships").await;
    let before = snapshot(&db).await;
    let out = db
        .roster()
        .args([
            "provision-user",
            "--actor-email",
            ADMIN,
            "--actor-password",
            ADMIN_PASSWORD,
            "--email",
            "new@example.com",
            "--password",
            USER_PASSWORD,
        ])
        .run()
        .await;
    assert_eq!(out.code, 1, "{out:#?}");
    assert_eq!(snapshot(&db).await, before);
    // Nothing half-written blocks a retry once the fault is gone.
    db.exec(match backend {
        Backend::Sqlite => "DROP TRIGGER sabotage_organization_memberships",
        Backend::Postgres => {
            "DROP TRIGGER sabotage_organization_memberships ON organization_memberships"
        }
    })
    .await;
    db.roster()
        .args([
            "provision-user",
            "--actor-email",
            ADMIN,
            "--actor-password",
            ADMIN_PASSWORD,
            "--email",
            "new@example.com",
            "--password",
            USER_PASSWORD,
        ])
        .run()
        .await
        .ok();
    assert_eq!(
        db.strings("SELECT status FROM users WHERE email = 'new@example.com'")
            .await,
        vec!["active"]
    );
}

on_both_backends!(
    failed_audit_write_undoes_every_mutation,
    failure_after_the_user_row_leaves_no_user,
);
