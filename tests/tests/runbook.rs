//! Every procedure of the runbooks (seeds 000 and 001), driven through the real
//! `roster` binary, on SQLite and on Postgres.
#![expect(
    clippy::expect_used,
    reason = "tests fail loudly on broken preconditions"
)]

use roster_tests::{
    ADMIN_PASSWORD, Backend, OTHER_PASSWORD, TestDb, USER_PASSWORD, on_both_backends,
};

const ADMIN: &str = roster_tests::ADMIN_EMAIL;

async fn status_of(db: &TestDb, email: &str) -> String {
    db.strings(&format!("SELECT status FROM users WHERE email = '{email}'"))
        .await
        .join(",")
}

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

async fn audit_types(db: &TestDb) -> Vec<String> {
    db.strings("SELECT event_type FROM audit_events ORDER BY occurred_at, id")
        .await
}

async fn live_sessions(db: &TestDb, email: &str) -> String {
    db.strings(&format!(
        "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE u.email = '{email}' AND s.revoked_at IS NULL"
    ))
    .await
    .join("")
}

async fn bootstrap_creates_one_active_superuser(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    assert_eq!(status_of(&db, ADMIN).await, "active");
    assert_eq!(roles_of(&db, ADMIN).await, vec!["superuser"]);
    let hash = db
        .strings(&format!(
            "SELECT password_hash FROM users WHERE email = '{ADMIN}'"
        ))
        .await
        .join("");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    // Every user joins the default organization.
    let orgs = db
        .strings(&format!(
            "SELECT o.slug FROM organization_memberships m JOIN organizations o ON o.id = m.organization_id \
             JOIN users u ON u.id = m.user_id WHERE u.email = '{ADMIN}'"
        ))
        .await;
    assert_eq!(orgs, vec!["default"]);
    // The creation is audited as a CLI action.
    let audit = db
        .strings("SELECT event_type || '/' || channel FROM audit_events")
        .await;
    assert_eq!(audit, vec!["user.created/cli"]);

    // "Run this only once": a second bootstrap is refused.
    db.roster()
        .args([
            "bootstrap-superuser",
            "--email",
            "second@example.com",
            "--password",
            OTHER_PASSWORD,
        ])
        .run()
        .await
        .fails_with(6, "A superuser already exists");
    assert_eq!(db.strings("SELECT COUNT(*) FROM users").await, vec!["1"]);
}

async fn bootstrap_reads_the_password_from_stdin(backend: Backend) {
    let db = TestDb::new(backend).await;
    db.roster()
        .args(["bootstrap-superuser", "--email", ADMIN, "--password-stdin"])
        .stdin(&format!("{ADMIN_PASSWORD}\n"))
        .run()
        .await
        .ok();
    // The password works: the admin can authorise a provisioning.
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
}

/// Runs roster on a pseudo-terminal (util-linux `script`), typing `input`.
async fn on_terminal(db: &TestDb, args: &str, input: &str) -> roster_tests::Output {
    let command = format!("{} {args}", roster_tests::roster_bin().display());
    db.roster()
        .program("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(input)
        .run()
        .await
}

/// Seed 000/001 interactive mode: hidden prompts, with confirmation.
async fn interactive_mode_prompts_for_passwords(backend: Backend) {
    let db = TestDb::new(backend).await;
    let out = on_terminal(
        &db,
        &format!("bootstrap-superuser --email {ADMIN}"),
        &format!("{ADMIN_PASSWORD}\nnot-the-same\n{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n"),
    )
    .await
    .ok();
    assert!(
        out.stdout.contains("Passwords do not match; try again."),
        "{out:#?}"
    );
    assert!(out.stdout.contains("Superuser created"), "{out:#?}");
    let out = on_terminal(
        &db,
        &format!("provision-user --actor-email {ADMIN} --email johndoe@example.com --role viewer"),
        &format!("{ADMIN_PASSWORD}\n{USER_PASSWORD}\n{USER_PASSWORD}\n"),
    )
    .await
    .ok();
    for prompt in [
        "Actor password:",
        "New user password:",
        "Confirm new user password:",
    ] {
        assert!(out.stdout.contains(prompt), "{prompt}: {out:#?}");
    }
    assert_eq!(status_of(&db, "johndoe@example.com").await, "active");
}

async fn bootstrap_without_a_password_off_a_terminal_is_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    db.roster()
        .args(["bootstrap-superuser", "--email", ADMIN])
        .run()
        .await
        .fails_with(7, "A password is required");
    assert_eq!(db.strings("SELECT COUNT(*) FROM users").await, vec!["0"]);
}

async fn weak_passwords_are_refused_with_every_broken_rule(backend: Backend) {
    let db = TestDb::new(backend).await;
    let out = db
        .roster()
        .args([
            "bootstrap-superuser",
            "--email",
            ADMIN,
            "--password",
            "password",
        ])
        .run()
        .await
        .fails_with(7, "Password must be at least 12 characters");
    for rule in [
        "Password must include an uppercase letter",
        "Password must include a number",
        "Password must include a special character",
        "Password is too common or easy to guess",
    ] {
        assert!(out.stderr.contains(rule), "{rule}: {out:#?}");
    }
    assert_eq!(db.strings("SELECT COUNT(*) FROM users").await, vec!["0"]);
}

async fn admin_provisions_users_with_roles(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let out = db
        .provision("johndoe@example.com", "editor", USER_PASSWORD)
        .await
        .ok();
    assert!(
        out.stdout
            .contains("User created: johndoe <johndoe@example.com>"),
        "{out:#?}"
    );
    assert_eq!(status_of(&db, "johndoe@example.com").await, "active");
    assert_eq!(roles_of(&db, "johndoe@example.com").await, vec!["editor"]);
    // The event names the admin who authorised it.
    let actor = db
        .strings("SELECT actor_username || '/' || channel FROM audit_events WHERE event_type = 'user.created' AND actor_id IS NOT NULL")
        .await;
    assert_eq!(actor, vec!["admin/cli"]);

    // An admin (not only a superuser) may provision too.
    db.provision("ops@example.com", "admin", USER_PASSWORD)
        .await
        .ok();
    db.roster()
        .args([
            "provision-user",
            "--actor-email",
            "ops@example.com",
            "--actor-password",
            USER_PASSWORD,
            "--email",
            "reader@example.com",
            "--password",
            OTHER_PASSWORD,
        ])
        .run()
        .await
        .ok();
    // No role given: the default, viewer.
    assert_eq!(roles_of(&db, "reader@example.com").await, vec!["viewer"]);
}

async fn provision_with_passwords_on_stdin(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.roster()
        .args([
            "provision-user",
            "--actor-email",
            ADMIN,
            "--actor-password-stdin",
            "--email",
            "jane@example.com",
            "--password-stdin",
        ])
        .stdin(&format!("{ADMIN_PASSWORD}\n{USER_PASSWORD}\n"))
        .run()
        .await
        .ok();
    assert_eq!(status_of(&db, "jane@example.com").await, "active");
}

async fn provision_without_password_invites(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let out = db
        .roster()
        .args([
            "provision-user",
            "--actor-email",
            ADMIN,
            "--actor-password",
            ADMIN_PASSWORD,
            "--email",
            "invitee@example.com",
        ])
        .run()
        .await
        .ok();
    assert!(
        out.stdout
            .contains("Invitation emailed to invitee@example.com"),
        "{out:#?}"
    );
    // No SMTP configured: the message is in the outbox.
    let outbox = std::fs::read_dir(db.dir.path().join("outbox"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(outbox, 1);
    assert!(
        out.stdout.contains("/admin/accept-invitation?token="),
        "{out:#?}"
    );
    assert_eq!(
        status_of(&db, "invitee@example.com").await,
        "pending_invitation"
    );
    let token = out
        .stdout
        .split("token=")
        .nth(1)
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    assert_eq!(token.len(), 64);
    // Only the digest is stored.
    let stored = db
        .strings("SELECT token_hash FROM one_time_tokens WHERE purpose = 'invitation'")
        .await;
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    assert!(audit_types(&db).await.contains(&"user.invited".to_string()));
}

async fn duplicate_user_is_refused(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("johndoe@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    // Same email in another case: the database itself refuses it.
    db.provision("JohnDoe@Example.com", "viewer", USER_PASSWORD)
        .await
        .fails_with(6, "User already exists");
    // Same username, other email.
    db.roster()
        .args([
            "provision-user",
            "--actor-email",
            ADMIN,
            "--actor-password",
            ADMIN_PASSWORD,
            "--email",
            "other@example.com",
            "--username",
            "JOHNDOE",
            "--password",
            USER_PASSWORD,
        ])
        .run()
        .await
        .fails_with(6, "Username is already taken");
    assert_eq!(db.strings("SELECT COUNT(*) FROM users").await, vec!["2"]);
}

async fn non_admin_actor_has_insufficient_permissions(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("editor@example.com", "editor", USER_PASSWORD)
        .await
        .ok();
    db.roster()
        .args([
            "provision-user",
            "--actor-email",
            "editor@example.com",
            "--actor-password",
            USER_PASSWORD,
            "--email",
            "new@example.com",
            "--password",
            OTHER_PASSWORD,
        ])
        .run()
        .await
        .fails_with(4, "Insufficient permissions");
    assert_eq!(status_of(&db, "new@example.com").await, "");
    let denied = db
        .strings("SELECT actor_username FROM audit_events WHERE event_type = 'permission.denied'")
        .await;
    assert_eq!(denied, vec!["editor"]);
}

async fn admin_cannot_create_a_superuser(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("ops@example.com", "admin", USER_PASSWORD)
        .await
        .ok();
    db.roster()
        .args([
            "provision-user",
            "--actor-email",
            "ops@example.com",
            "--actor-password",
            USER_PASSWORD,
            "--email",
            "root2@example.com",
            "--role",
            "superuser",
            "--password",
            OTHER_PASSWORD,
        ])
        .run()
        .await
        .fails_with(4, "Insufficient permissions");
    assert_eq!(status_of(&db, "root2@example.com").await, "");
}

async fn wrong_or_unknown_actor_is_invalid_admin_credentials(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    for (actor, password) in [
        (ADMIN, "Wrong-Password-123!"),
        ("nobody@example.com", ADMIN_PASSWORD),
    ] {
        db.roster()
            .args([
                "provision-user",
                "--actor-email",
                actor,
                "--actor-password",
                password,
                "--email",
                "new@example.com",
                "--password",
                USER_PASSWORD,
            ])
            .run()
            .await
            .fails_with(3, "Invalid admin credentials");
    }
    assert_eq!(status_of(&db, "new@example.com").await, "");
}

async fn unknown_role_lists_the_available_ones(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("u@example.com", "usr", USER_PASSWORD)
        .await
        .fails_with(
            7,
            "Unknown role 'usr'; available roles: superuser, admin, editor, viewer (aliases: user=viewer)",
        );
}

async fn set_password_changes_it_and_ends_sessions(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("ops@example.com", "admin", USER_PASSWORD)
        .await
        .ok();
    db.add_session("ops@example.com").await;
    db.add_session("ops@example.com").await;
    assert_eq!(live_sessions(&db, "ops@example.com").await, "2");
    let out = db
        .roster()
        .args([
            "set-password",
            "--email",
            "ops@example.com",
            "--password-stdin",
        ])
        .stdin(&format!("{OTHER_PASSWORD}\n"))
        .run()
        .await
        .ok();
    assert!(out.stdout.contains("2 session(s) ended"), "{out:#?}");
    assert_eq!(live_sessions(&db, "ops@example.com").await, "0");
    // The old password no longer works, the new one does.
    let attempt = |password: &'static str| {
        db.roster().args([
            "provision-user",
            "--actor-email",
            "ops@example.com",
            "--actor-password",
            password,
            "--email",
            "x@example.com",
            "--password",
            ADMIN_PASSWORD,
        ])
    };
    attempt(USER_PASSWORD)
        .run()
        .await
        .fails_with(3, "Invalid admin credentials");
    attempt(OTHER_PASSWORD).run().await.ok();
    assert!(
        audit_types(&db)
            .await
            .contains(&"password.changed".to_string())
    );
}

async fn set_password_checks_the_policy(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.roster()
        .args(["set-password", "--email", ADMIN, "--password", "admin123"])
        .run()
        .await
        .fails_with(7, "Password must be at least 12 characters");
    db.roster()
        .args([
            "set-password",
            "--email",
            "ghost@example.com",
            "--password",
            OTHER_PASSWORD,
        ])
        .run()
        .await
        .fails_with(5, "User not found");
}

async fn list_users_shows_everyone_in_creation_order(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("b@example.com", "editor", USER_PASSWORD)
        .await
        .ok();
    db.provision("c@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let out = db.roster().args(["list-users"]).run().await.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("ID") && lines[0].contains("EMAIL") && lines[0].contains("ROLES"));
    assert!(lines[1].contains(ADMIN) && lines[1].contains("superuser"));
    assert!(lines[2].contains("b@example.com") && lines[2].contains("editor"));
    assert!(lines[3].contains("c@example.com") && lines[3].contains("viewer"));
    assert_eq!(lines[4], "(3 users)");

    let json = db
        .roster()
        .args(["list-users", "--json", "--role", "editor"])
        .run()
        .await
        .ok();
    let users: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["email"], "b@example.com");
    assert_eq!(users[0]["roles"], serde_json::json!(["editor"]));
    assert_eq!(users[0]["status"], "active");
}

async fn set_role_changes_roles_and_what_they_allow(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("user@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let try_provision = || {
        db.roster().args([
            "provision-user",
            "--actor-email",
            "user@example.com",
            "--actor-password",
            USER_PASSWORD,
            "--email",
            "new@example.com",
            "--password",
            OTHER_PASSWORD,
        ])
    };
    try_provision()
        .run()
        .await
        .fails_with(4, "Insufficient permissions");
    db.roster()
        .args(["set-role", "--email", "user@example.com", "--role", "admin"])
        .run()
        .await
        .ok();
    assert_eq!(roles_of(&db, "user@example.com").await, vec!["admin"]);
    try_provision().run().await.ok();
    // Several roles at once; the change is audited with old and new values.
    db.roster()
        .args([
            "set-role",
            "--username",
            "user",
            "--role",
            "editor",
            "--role",
            "viewer",
        ])
        .run()
        .await
        .ok();
    assert_eq!(
        roles_of(&db, "user@example.com").await,
        vec!["editor", "viewer"]
    );
    let details = db
        .strings("SELECT details FROM audit_events WHERE event_type = 'user.updated' ORDER BY occurred_at DESC, id DESC")
        .await;
    let last: serde_json::Value = serde_json::from_str(&details[0]).expect("json");
    assert_eq!(last["old_values"]["roles"], serde_json::json!(["admin"]));
    assert_eq!(
        last["new_values"]["roles"],
        serde_json::json!(["editor", "viewer"])
    );
}

async fn the_last_superuser_cannot_be_demoted_deactivated_or_deleted(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    for args in [
        vec!["set-role", "--email", ADMIN, "--role", "admin"],
        vec!["deactivate-user", "--email", ADMIN],
        vec!["delete-user", "--email", ADMIN],
    ] {
        db.roster()
            .args(&args)
            .run()
            .await
            .fails_with(6, "the last active superuser");
    }
    assert_eq!(status_of(&db, ADMIN).await, "active");
    assert_eq!(roles_of(&db, ADMIN).await, vec!["superuser"]);
    // With a second superuser, the first may step down.
    db.provision("root2@example.com", "superuser", USER_PASSWORD)
        .await
        .ok();
    db.roster()
        .args(["set-role", "--email", ADMIN, "--role", "admin"])
        .run()
        .await
        .ok();
    // A deactivated superuser does not count as the other one.
    db.roster()
        .args(["deactivate-user", "--email", "root2@example.com"])
        .run()
        .await
        .fails_with(6, "the last active superuser");
}

async fn delete_user_is_soft_and_keeps_email_taken(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("gone@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    db.add_session("gone@example.com").await;
    db.roster()
        .args(["delete-user", "--email", "gone@example.com"])
        .run()
        .await
        .ok();
    // The row is kept, marked deleted, with its sessions ended.
    assert_eq!(status_of(&db, "gone@example.com").await, "deleted");
    let deleted_at = db
        .strings("SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL")
        .await;
    assert_eq!(deleted_at, vec!["1"]);
    assert_eq!(live_sessions(&db, "gone@example.com").await, "0");
    // Gone from normal lists, shown when asked for.
    let list = db.roster().args(["list-users"]).run().await.ok();
    assert!(!list.stdout.contains("gone@example.com"));
    let all = db
        .roster()
        .args(["list-users", "--include-deleted"])
        .run()
        .await
        .ok();
    assert!(all.stdout.contains("gone@example.com") && all.stdout.contains("deleted"));
    // The email stays taken; the user cannot be deleted twice.
    db.provision("gone@example.com", "viewer", USER_PASSWORD)
        .await
        .fails_with(6, "User already exists: Email is already taken");
    db.roster()
        .args(["delete-user", "--email", "gone@example.com"])
        .run()
        .await
        .fails_with(5, "User not found");
    assert!(audit_types(&db).await.contains(&"user.deleted".to_string()));
}

async fn deactivated_users_cannot_act_until_reactivated(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("ops@example.com", "admin", USER_PASSWORD)
        .await
        .ok();
    db.add_session("ops@example.com").await;
    db.roster()
        .args(["deactivate-user", "--email", "ops@example.com"])
        .run()
        .await
        .ok();
    assert_eq!(status_of(&db, "ops@example.com").await, "deactivated");
    assert_eq!(live_sessions(&db, "ops@example.com").await, "0");
    let attempt = || {
        db.roster().args([
            "provision-user",
            "--actor-email",
            "ops@example.com",
            "--actor-password",
            USER_PASSWORD,
            "--email",
            "x@example.com",
            "--password",
            OTHER_PASSWORD,
        ])
    };
    attempt()
        .run()
        .await
        .fails_with(3, "Invalid admin credentials");
    // Deactivating twice is a state conflict, not a silent success.
    db.roster()
        .args(["deactivate-user", "--email", "ops@example.com"])
        .run()
        .await
        .fails_with(6, "the account is deactivated");
    db.roster()
        .args(["activate-user", "--email", "ops@example.com"])
        .run()
        .await
        .ok();
    attempt().run().await.ok();
    let types = audit_types(&db).await;
    assert!(types.contains(&"user.deactivated".to_string()));
    assert!(types.contains(&"user.activated".to_string()));
}

async fn revoke_sessions_forces_a_new_login(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("user@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    db.add_session("user@example.com").await;
    db.add_session("user@example.com").await;
    db.add_session(ADMIN).await;
    let out = db
        .roster()
        .args(["revoke-sessions", "--email", "user@example.com"])
        .run()
        .await
        .ok();
    assert!(out.stdout.contains("2 session(s) revoked"), "{out:#?}");
    assert_eq!(live_sessions(&db, "user@example.com").await, "0");
    // Nobody else's sessions are touched.
    assert_eq!(live_sessions(&db, ADMIN).await, "1");
    assert!(
        audit_types(&db)
            .await
            .contains(&"user.sessions_revoked".to_string())
    );
}

async fn ensure_defaults_repairs_drift(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let out = db.roster().args(["ensure-defaults"]).run().await.ok();
    assert!(out.stdout.contains("nothing to repair"), "{out:#?}");
    // Break things the way hand-written SQL does.
    db.exec("DELETE FROM organization_memberships").await;
    db.exec("DELETE FROM role_permissions WHERE permission = 'users:manage'")
        .await;
    db.exec("INSERT INTO role_permissions (role_id, permission) SELECT id, 'system:manage' FROM roles WHERE name = 'viewer'").await;
    let out = db.roster().args(["ensure-defaults"]).run().await.ok();
    assert!(out.stdout.contains("Repaired"), "{out:#?}");
    assert_eq!(
        db.strings("SELECT COUNT(*) FROM organization_memberships")
            .await,
        vec!["1"]
    );
    let admin_perms = db
        .strings("SELECT COUNT(*) FROM role_permissions rp JOIN roles r ON r.id = rp.role_id WHERE r.name IN ('admin', 'superuser') AND rp.permission = 'users:manage'")
        .await;
    assert_eq!(admin_perms, vec!["2"]);
    let viewer_system = db
        .strings("SELECT COUNT(*) FROM role_permissions rp JOIN roles r ON r.id = rp.role_id WHERE r.name = 'viewer' AND rp.permission = 'system:manage'")
        .await;
    assert_eq!(viewer_system, vec!["0"]);
    let again = db.roster().args(["ensure-defaults"]).run().await.ok();
    assert!(again.stdout.contains("nothing to repair"));
    // One audit event for the repair, naming what was restored; none for
    // the runs that found nothing.
    let events = db
        .strings(
            "SELECT CAST(details AS TEXT) FROM audit_events WHERE event_type = 'defaults.repaired'",
        )
        .await;
    assert_eq!(events.len(), 1, "{events:?}");
    let details: serde_json::Value = serde_json::from_str(&events[0]).expect("JSON");
    assert_eq!(details["memberships_added"], 1);
    assert_eq!(details["permissions_added"], 2);
    assert_eq!(details["permissions_removed"], 1);
}

on_both_backends!(
    bootstrap_creates_one_active_superuser,
    bootstrap_reads_the_password_from_stdin,
    bootstrap_without_a_password_off_a_terminal_is_refused,
    interactive_mode_prompts_for_passwords,
    weak_passwords_are_refused_with_every_broken_rule,
    admin_provisions_users_with_roles,
    provision_with_passwords_on_stdin,
    provision_without_password_invites,
    duplicate_user_is_refused,
    non_admin_actor_has_insufficient_permissions,
    admin_cannot_create_a_superuser,
    wrong_or_unknown_actor_is_invalid_admin_credentials,
    unknown_role_lists_the_available_ones,
    set_password_changes_it_and_ends_sessions,
    set_password_checks_the_policy,
    list_users_shows_everyone_in_creation_order,
    set_role_changes_roles_and_what_they_allow,
    the_last_superuser_cannot_be_demoted_deactivated_or_deleted,
    delete_user_is_soft_and_keeps_email_taken,
    deactivated_users_cannot_act_until_reactivated,
    revoke_sessions_forces_a_new_login,
    ensure_defaults_repairs_drift,
);
