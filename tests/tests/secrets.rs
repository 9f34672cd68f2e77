//! The database holds no usable secret (issue 17): after a workout of every
//! credential Roster hands out or receives — passwords, sessions (local and
//! OIDC), a personal access token, invitations and resets (used and not),
//! the OIDC client secret, an authorization code and an IdP access token —
//! every row of every table is dumped as text and searched for each secret
//! in clear (and in hex).
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster_tests::oidc::{CLIENT_ID, CLIENT_SECRET, Provider, browser};
use roster_tests::server::{Client, Server};
use roster_tests::smtp::{SmtpSink, token_in};
use roster_tests::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Backend, OTHER_PASSWORD, TestDb, USER_PASSWORD, on_both_backends,
};
use serde_json::json;

const API: &str = "urn:roster:api";
const NEW_PASSWORD: &str = "Quiet-Harbor-Lemon-77";

/// The session id a client carries.
fn session_of(client: &Client) -> String {
    let cookie = client.cookie.clone().expect("a session cookie");
    cookie.split_once('=').expect("name=value").1.to_string()
}

/// Every row of every table, as text.
async fn dump(db: &TestDb) -> Vec<String> {
    let tables = match db.backend {
        Backend::Sqlite => {
            db.strings("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .await
        }
        Backend::Postgres => {
            db.strings(
                "SELECT table_name FROM information_schema.tables \
                 WHERE table_schema = 'public' ORDER BY table_name",
            )
            .await
        }
    };
    assert!(tables.len() > 10, "{tables:?}");
    let mut rows = Vec::new();
    for table in tables {
        let select = match db.backend {
            Backend::Postgres => format!("SELECT t::text FROM \"{table}\" t"),
            Backend::Sqlite => {
                let columns = db
                    .strings(&format!("SELECT name FROM pragma_table_info('{table}')"))
                    .await;
                let row = columns
                    .iter()
                    .map(|c| format!("COALESCE(quote(\"{c}\"), '')"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                format!("SELECT {row} FROM \"{table}\"")
            }
        };
        rows.extend(
            db.strings(&select)
                .await
                .into_iter()
                .map(|r| format!("{table}: {r}")),
        );
    }
    rows
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

async fn no_secret_is_stored_in_clear(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    db.provision("jane@example.com", "viewer", USER_PASSWORD)
        .await
        .ok();
    let sink = SmtpSink::start();
    let port = Provider::port();
    let issuer = Provider::issuer_at(port);
    let smtp_port = sink.port.to_string();
    let server = Server::start_public(
        &db,
        &[
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_PORT", smtp_port.as_str()),
            ("SMTP_TLS", "none"),
            ("EMAIL_FROM", "Roster <roster@example.com>"),
            ("OIDC_ISSUER_URL", issuer.as_str()),
            ("OIDC_CLIENT_ID", CLIENT_ID),
            ("OIDC_CLIENT_SECRET", CLIENT_SECRET),
            ("OIDC_SCOPES", "openid email profile groups"),
            ("OIDC_AUDIENCE", API),
            ("OIDC_AUTO_PROVISION_USERS", "on"),
            ("OIDC_GROUP_ROLE_MAP", "staff=editor"),
        ],
    );
    let provider = Provider::start(
        port,
        &format!("{}/auth/oidc/callback", server.base),
        &json!({ "kim": {
            "email": "kim@example.com", "email_verified": true,
            "name": "Kim Lee", "preferred_username": "kim", "groups": ["staff"],
        } }),
    );
    let mut secrets: Vec<(&str, String)> = vec![
        ("the admin's password", ADMIN_PASSWORD.into()),
        ("jane's first password", USER_PASSWORD.into()),
        ("the OIDC client secret", CLIENT_SECRET.into()),
    ];

    // Sessions, and a personal access token.
    let anon = server.client();
    let (admin, _) = anon.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    secrets.push(("the admin's session", session_of(&admin)));
    let (jane, _) = anon.login("jane", USER_PASSWORD).await;
    secrets.push(("jane's session", session_of(&jane)));
    let token = admin
        .query(
            "mutation { createToken(name: \"script\", scopes: [\"users:read\"]) { secret } }",
            json!({}),
        )
        .await
        .data("createToken.secret");
    let token = token.as_str().expect("secret").to_string();
    assert_eq!(
        admin
            .with_bearer(&token)
            .query("{ viewer { authentication } }", json!({}))
            .await
            .data("viewer.authentication"),
        "TOKEN"
    );
    secrets.push(("the access token", token.clone()));
    secrets.push((
        "the access token without its prefix",
        token.trim_start_matches("roster_pat_").to_string(),
    ));

    // Invitations: one accepted, one left pending.
    let create = "mutation($u: String!, $e: String!) { createUser(input: { username: $u, email: $e }) { invitationSent } }";
    for (username, email) in [
        ("newcomer", "new@example.com"),
        ("pending", "pending@example.com"),
    ] {
        let sent = admin
            .query(create, json!({ "u": username, "e": email }))
            .await
            .data("createUser.invitationSent");
        assert_eq!(sent, true);
    }
    let mails = sink.wait_for(2);
    let invitations: Vec<String> = mails.iter().map(|m| token_in(m)).collect();
    assert!(invitations.iter().all(|t| t.len() >= 32), "{invitations:?}");
    let accepted = anon
        .query(
            "mutation($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p, passwordConfirm: $p) { username } }",
            json!({ "t": invitations[0], "p": OTHER_PASSWORD }),
        )
        .await;
    assert!(accepted.body["errors"].is_null(), "{}", accepted.body);
    secrets.push(("the accepted invitation", invitations[0].clone()));
    secrets.push(("the pending invitation", invitations[1].clone()));
    secrets.push(("the newcomer's password", OTHER_PASSWORD.into()));

    // Resets: one used, one left pending.
    let ask = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    anon.query(ask, json!({ "e": "jane@example.com" })).await;
    let used = token_in(&sink.wait_for(3)[2]);
    let reset = anon
        .query(
            "mutation($t: String!, $p: String!) { resetPassword(token: $t, password: $p, passwordConfirm: $p) }",
            json!({ "t": used, "p": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(reset.data("resetPassword"), true);
    anon.query(ask, json!({ "e": "jane@example.com" })).await;
    let pending = token_in(&sink.wait_for(4)[3]);
    secrets.push(("the used reset", used));
    secrets.push(("the pending reset", pending));
    secrets.push(("jane's new password", NEW_PASSWORD.into()));

    // OIDC: a browser login (its code and session), and a script's access
    // token from the provider.
    let walker = browser();
    let start = format!("{}/auth/oidc/login", server.base);
    let callback = provider.sign_in(&walker, &start, "kim").await;
    let code = callback
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .expect("code")
        .to_string();
    let done = walker.get(&callback).send().await.expect("callback");
    assert_eq!(done.status(), 303);
    let kim_session = done
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("roster_session="))
        .and_then(|c| c.split(';').next())
        .expect("kim's session cookie")
        .to_string();
    secrets.push(("kim's OIDC session", kim_session));
    secrets.push(("the authorization code", code));
    let idp_token = provider.access_token("kim", API).await;
    let me = server
        .client()
        .with_bearer(&idp_token)
        .query("{ viewer { authentication } }", json!({}))
        .await;
    assert_eq!(me.data("viewer.authentication"), "IDP_TOKEN");
    secrets.push(("the IdP access token", idp_token));

    let rows = dump(&db).await;
    // The dump does see credentials: the admin session's SHA-256 is there.
    use sha2::Digest as _;
    let digest: String = sha2::Sha256::digest(session_of(&admin).as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        rows.iter()
            .any(|r| r.starts_with("sessions:") && r.contains(&digest)),
        "the dump reads the sessions' hashes"
    );
    for (what, secret) in &secrets {
        assert!(secret.len() >= 12, "{what}: {secret:?}");
        for needle in [secret.clone(), hex(secret)] {
            if let Some(row) = rows.iter().find(|r| r.contains(&needle)) {
                panic!("{what} is stored in clear: {row}");
            }
        }
    }
}

on_both_backends!(no_secret_is_stored_in_clear);
