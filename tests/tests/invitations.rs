//! Invitations by email (issue 4, partial): create → email over real SMTP →
//! accept → log in; single use, superseded links, failed sends, the outbox.

use roster_tests::server::{Client, Server};
use roster_tests::smtp::{SmtpSink, token_in};
use roster_tests::{ADMIN_PASSWORD, Backend, OTHER_PASSWORD, TestDb, on_both_backends};
use serde_json::json;

const CREATE: &str = "mutation($u: String!, $e: String!, $r: [String!]) {
  createUser(input: { username: $u, email: $e, roles: $r }) {
    invitationSent emailError expiresAt user { id username status roles }
  }
}";
const ACCEPT: &str = "mutation($t: String!, $p: String!, $c: String!) {
  acceptInvitation(token: $t, password: $p, passwordConfirm: $c) { username status }
}";
const LOOKUP: &str =
    "query($t: String!) { invitation(token: $t) { username email roles expiresAt } }";

fn smtp_env(sink: &SmtpSink) -> Vec<(&'static str, String)> {
    vec![
        ("SMTP_HOST", "127.0.0.1".into()),
        ("SMTP_PORT", sink.port.to_string()),
        ("SMTP_TLS", "none".into()),
        ("EMAIL_FROM", "Roster <roster@example.com>".into()),
        ("ROSTER_PUBLIC_URL", "https://id.example.com".into()),
    ]
}

fn start(db: &TestDb, env: &[(&'static str, String)]) -> Server {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Server::start(db, &pairs)
}

async fn admin(server: &Server) -> Client {
    server.client().login("admin", ADMIN_PASSWORD).await.0
}

async fn invite_accept_and_log_in(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let sink = SmtpSink::start();
    let server = start(&db, &smtp_env(&sink));
    let admin = admin(&server).await;
    let created = admin
        .query(
            CREATE,
            json!({ "u": "newbie", "e": "newbie@example.com", "r": ["editor"] }),
        )
        .await
        .data("createUser");
    assert_eq!(created["invitationSent"], true, "{created}");
    assert_eq!(created["user"]["status"], "PENDING_INVITATION");
    let mail = sink.wait_for(1).remove(0);
    for part in [
        "Subject: You've been invited to Roster",
        "To: newbie@example.com",
        "Hi newbie,",
        "as a editor",
        "- bookmarks:manage",
        "https://id.example.com/admin/accept-invitation?token=",
        "This invitation expires on",
        "Content-Type: text/html",
    ] {
        assert!(mail.contains(part), "{part} missing in {mail}");
    }
    let token = token_in(&mail);
    assert_eq!(token.len(), 64);
    // The accept page can show who is invited.
    let anon = server.client();
    let shown = anon
        .query(LOOKUP, json!({ "t": token }))
        .await
        .data("invitation");
    assert_eq!(shown["username"], "newbie");
    assert_eq!(shown["roles"], json!(["editor"]));
    // Policy errors do not burn the link.
    let weak = anon
        .query(ACCEPT, json!({ "t": token, "p": "short", "c": "short" }))
        .await;
    assert_eq!(weak.code(), "BAD_USER_INPUT");
    let mismatch = anon
        .query(
            ACCEPT,
            json!({ "t": token, "p": OTHER_PASSWORD, "c": "Something-Else-99!" }),
        )
        .await;
    assert_eq!(mismatch.code(), "BAD_USER_INPUT");
    let accepted = anon
        .query(
            ACCEPT,
            json!({ "t": token, "p": OTHER_PASSWORD, "c": OTHER_PASSWORD }),
        )
        .await
        .data("acceptInvitation");
    assert_eq!(
        accepted,
        json!({ "username": "newbie", "status": "ACTIVE" })
    );
    // Single use.
    let again = anon
        .query(
            ACCEPT,
            json!({ "t": token, "p": OTHER_PASSWORD, "c": OTHER_PASSWORD }),
        )
        .await;
    assert_eq!(again.code(), "NOT_FOUND");
    assert_eq!(again.message(), "Invalid or expired invitation token");
    let (_, login) = anon.login("newbie", OTHER_PASSWORD).await;
    assert_eq!(login.data("login.viewer.user.username"), "newbie");
    let types = db
        .strings("SELECT event_type FROM audit_events ORDER BY occurred_at, id")
        .await;
    for t in [
        "user.created",
        "user.invited",
        "invitation.accepted",
        "user.login",
    ] {
        assert!(types.contains(&t.to_string()), "{t} in {types:?}");
    }
}

async fn resending_supersedes_the_old_link(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let sink = SmtpSink::start();
    let server = start(&db, &smtp_env(&sink));
    let admin = admin(&server).await;
    let created = admin
        .query(CREATE, json!({ "u": "late", "e": "late@example.com" }))
        .await
        .data("createUser");
    let first = token_in(&sink.wait_for(1)[0]);
    let resent = admin
        .query(
            "mutation($id: ID!) { resendInvitation(id: $id) { invitationSent } }",
            json!({ "id": created["user"]["id"] }),
        )
        .await;
    assert_eq!(resent.data("resendInvitation.invitationSent"), true);
    let second = token_in(&sink.wait_for(2)[1]);
    assert_ne!(first, second);
    let anon = server.client();
    let old = anon.query(LOOKUP, json!({ "t": first })).await;
    assert_eq!(old.code(), "NOT_FOUND");
    let ok = anon
        .query(
            ACCEPT,
            json!({ "t": second, "p": OTHER_PASSWORD, "c": OTHER_PASSWORD }),
        )
        .await;
    assert_eq!(ok.data("acceptInvitation.status"), "ACTIVE");
    // Active users are not re-invited.
    let refused = admin
        .query(
            "mutation($id: ID!) { resendInvitation(id: $id) { invitationSent } }",
            json!({ "id": created["user"]["id"] }),
        )
        .await;
    assert_eq!(refused.code(), "CONFLICT");
}

async fn a_failed_send_keeps_the_user_for_a_resend(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    // Nothing listens on this port.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(1);
    let env = vec![
        ("SMTP_HOST", "127.0.0.1".to_string()),
        ("SMTP_PORT", dead.to_string()),
        ("SMTP_TLS", "none".to_string()),
    ];
    let server = start(&db, &env);
    let admin1 = admin(&server).await;
    let created = admin1
        .query(
            CREATE,
            json!({ "u": "unlucky", "e": "unlucky@example.com" }),
        )
        .await
        .data("createUser");
    assert_eq!(created["invitationSent"], false);
    assert!(
        created["emailError"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{created}"
    );
    assert_eq!(created["user"]["status"], "PENDING_INVITATION");
    drop(server);
    // With the mail server back, a resend delivers.
    let sink = SmtpSink::start();
    let server = start(&db, &smtp_env(&sink));
    let admin2 = admin(&server).await;
    let resent = admin2
        .query(
            "mutation($id: ID!) { resendInvitation(id: $id) { invitationSent } }",
            json!({ "id": created["user"]["id"] }),
        )
        .await;
    assert_eq!(resent.data("resendInvitation.invitationSent"), true);
    assert!(sink.wait_for(1)[0].contains("To: unlucky@example.com"));
}

async fn without_smtp_invitations_land_in_the_outbox(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let server = start(&db, &[]);
    let admin = admin(&server).await;
    let created = admin
        .query(CREATE, json!({ "u": "boxed", "e": "boxed@example.com" }))
        .await
        .data("createUser");
    assert_eq!(created["invitationSent"], true);
    let outbox = db.dir.path().join("outbox");
    let files: Vec<_> = std::fs::read_dir(&outbox)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert_eq!(files.len(), 1, "{outbox:?}");
    let eml = std::fs::read_to_string(&files[0]).unwrap_or_default();
    let eml = roster_tests::smtp::decode_quoted_printable(&eml);
    assert!(eml.contains("To: boxed@example.com"));
    assert_eq!(token_in(&eml).len(), 64);
    // Viewers cannot create users.
    db.provision("viewer@example.com", "viewer", OTHER_PASSWORD)
        .await
        .ok();
    let (viewer, _) = server.client().login("viewer", OTHER_PASSWORD).await;
    let denied = viewer
        .query(CREATE, json!({ "u": "nope", "e": "nope@example.com" }))
        .await;
    assert_eq!(denied.code(), "FORBIDDEN");
    let duplicate = admin
        .query(CREATE, json!({ "u": "other", "e": "BOXED@example.com" }))
        .await;
    assert_eq!(duplicate.code(), "CONFLICT");
    assert_eq!(duplicate.message(), "Email is already taken");
    assert_eq!(duplicate.body["errors"][0]["extensions"]["field"], "email");
    let duplicate = admin
        .query(CREATE, json!({ "u": "Boxed", "e": "fresh@example.com" }))
        .await;
    assert_eq!(duplicate.code(), "CONFLICT");
    assert_eq!(duplicate.message(), "Username is already taken");
    // Nothing was half made: no user, no second invitation.
    assert_eq!(
        db.strings(
            "SELECT count(*) FROM users WHERE email IN ('other@example.com', 'fresh@example.com')"
        )
        .await,
        vec!["0"]
    );
}

const RESET: &str = "mutation($t: String!, $p: String!, $c: String!) {
  resetPassword(token: $t, password: $p, passwordConfirm: $c)
}";

async fn password_reset_by_email(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", roster_tests::USER_PASSWORD)
        .await
        .ok();
    let sink = SmtpSink::start();
    let server = start(&db, &smtp_env(&sink));
    let anon = server.client();
    let (jane, _) = anon.login("jane", roster_tests::USER_PASSWORD).await;
    let ask = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    let known = anon.query(ask, json!({ "e": "JANE@example.com" })).await;
    let unknown = anon.query(ask, json!({ "e": "nobody@example.com" })).await;
    // No enumeration: the same answer for both.
    assert_eq!(known.body, unknown.body);
    assert_eq!(known.data("requestPasswordReset"), true);
    let mail = sink.wait_for(1).remove(0);
    assert!(
        mail.contains("Subject: Reset your Roster password"),
        "{mail}"
    );
    assert!(mail.contains("To: jane@example.com"));
    assert!(mail.contains("https://id.example.com/admin/reset-password?token="));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        sink.messages().len(),
        1,
        "nothing went to the unknown address"
    );
    let token = token_in(&mail);
    let weak = anon
        .query(
            RESET,
            json!({ "t": token, "p": "password1", "c": "password1" }),
        )
        .await;
    assert_eq!(weak.code(), "BAD_USER_INPUT");
    let done = anon
        .query(
            RESET,
            json!({ "t": token, "p": OTHER_PASSWORD, "c": OTHER_PASSWORD }),
        )
        .await;
    assert_eq!(done.data("resetPassword"), true);
    // Every session ended; the new password works; the link is spent.
    assert_eq!(
        jane.query("{ viewer { user { id } } }", json!({}))
            .await
            .data("viewer"),
        serde_json::Value::Null
    );
    let (_, login) = anon.login("jane", OTHER_PASSWORD).await;
    assert_eq!(login.data("login.viewer.user.username"), "jane");
    let reused = anon
        .query(
            RESET,
            json!({ "t": token, "p": OTHER_PASSWORD, "c": OTHER_PASSWORD }),
        )
        .await;
    assert_eq!(reused.code(), "NOT_FOUND");
    assert_eq!(reused.message(), "Invalid or expired password reset token");
    // An admin can send one; a newer request supersedes it.
    let admin = admin(&server).await;
    let jane_id = admin
        .query(
            "{ users(first: 5, filter: { search: \"jane\" }) { edges { node { id } } } }",
            json!({}),
        )
        .await
        .data("users")["edges"][0]["node"]["id"]
        .clone();
    let sent = admin
        .query(
            "mutation($id: ID!) { sendPasswordReset(id: $id) { sent emailError } }",
            json!({ "id": jane_id }),
        )
        .await;
    assert_eq!(sent.data("sendPasswordReset.sent"), true);
    let by_admin = token_in(&sink.wait_for(2)[1]);
    anon.query(ask, json!({ "e": "jane@example.com" }))
        .await
        .data("requestPasswordReset");
    let newest = token_in(&sink.wait_for(3)[2]);
    let stale = anon
        .query(
            RESET,
            json!({ "t": by_admin, "p": OTHER_PASSWORD, "c": OTHER_PASSWORD }),
        )
        .await;
    assert_eq!(stale.code(), "NOT_FOUND");
    let fresh = anon
        .query(
            RESET,
            json!({ "t": newest, "p": "Tidal-Compass-Ember-31", "c": "Tidal-Compass-Ember-31" }),
        )
        .await;
    assert_eq!(fresh.data("resetPassword"), true);
    let types = db.strings("SELECT event_type FROM audit_events").await;
    assert_eq!(types.iter().filter(|t| *t == "password.reset").count(), 2);
}

async fn expired_links_are_refused(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let sink = SmtpSink::start();
    let server = start(&db, &smtp_env(&sink));
    let admin = admin(&server).await;
    admin
        .query(
            CREATE,
            json!({ "u": "slowpoke", "e": "slowpoke@example.com" }),
        )
        .await
        .data("createUser");
    let token = token_in(&sink.wait_for(1)[0]);
    // Eight days later (moved in the database rather than waited for).
    let past = match backend {
        Backend::Sqlite => "'2020-01-01T00:00:00+00:00'",
        Backend::Postgres => "'2020-01-01T00:00:00+00:00'::timestamptz",
    };
    db.exec(&format!("UPDATE one_time_tokens SET expires_at = {past}"))
        .await;
    let anon = server.client();
    let lookup = anon.query(LOOKUP, json!({ "t": token })).await;
    assert_eq!(lookup.message(), "Invalid or expired invitation token");
    let accept = anon
        .query(
            ACCEPT,
            json!({ "t": token, "p": OTHER_PASSWORD, "c": OTHER_PASSWORD }),
        )
        .await;
    assert_eq!(accept.code(), "NOT_FOUND");
    assert_eq!(
        db.strings("SELECT status FROM users WHERE username = 'slowpoke'")
            .await,
        vec!["pending_invitation"]
    );
}

on_both_backends!(
    expired_links_are_refused,
    password_reset_by_email,
    invite_accept_and_log_in,
    resending_supersedes_the_old_link,
    a_failed_send_keeps_the_user_for_a_resend,
    without_smtp_invitations_land_in_the_outbox,
);
