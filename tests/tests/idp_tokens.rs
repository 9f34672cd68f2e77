//! The identity provider's JWT access tokens as bearer credentials (SPEC
//! §8, issue 13), through the real binary on both backends.
//!
//! Against a real provider (npm `oidc-provider`): a script signs in as a
//! user already linked to a Roster account and calls the API with the
//! provider's access token for Roster's audience; a token for another
//! audience is refused.
//!
//! Against a provider the test controls (`roster_tests::fake_idp`): every
//! check one by one — issuer, audience, expiry and `nbf` with 60 s of clock
//! skew, `alg: none`, HS256 signed with the public key, a tampered payload,
//! an identity linked to nobody, a deactivated user —, and key rotation
//! (a token signed with a new key is accepted after one fetch of the keys;
//! made-up key ids do not make Roster fetch the keys again, and so does a
//! login whose ID token is signed with a new key).
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster_tests::fake_idp::{FakeIdp, Forgery};
use roster_tests::oidc::{CLIENT_ID, CLIENT_SECRET, Provider, browser};
use roster_tests::server::{Client, Server};
use roster_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestDb, on_both_backends};
use serde_json::{Value, json};

const VIEWER: &str = "{ viewer { authentication user { id username roles } } }";

const API: &str = "urn:roster:api";

async fn a_scripts_access_token_from_the_provider_calls_the_api(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let port = Provider::port();
    let issuer = Provider::issuer_at(port);
    let server = Server::start(
        &db,
        &[
            ("OIDC_ISSUER_URL", issuer.as_str()),
            ("OIDC_CLIENT_ID", CLIENT_ID),
            ("OIDC_CLIENT_SECRET", CLIENT_SECRET),
            ("OIDC_SCOPES", "openid email profile groups"),
            ("OIDC_AUDIENCE", API),
            ("OIDC_AUTO_PROVISION_USERS", "on"),
            ("OIDC_GROUP_ROLE_MAP", "admins=admin"),
        ],
    );
    let accounts = json!({
        "kim": { "email": "kim@example.com", "email_verified": true,
                 "preferred_username": "kim", "groups": ["admins"] },
        "lou": { "email": "lou@example.com", "email_verified": true,
                 "preferred_username": "lou", "groups": [] },
    });
    let provider = Provider::start(
        port,
        &format!("{}/auth/oidc/callback", server.base),
        &accounts,
    );

    // Before kim ever signed in to Roster, her token names nobody here.
    let early = provider.access_token("kim", API).await;
    let reply = server
        .client()
        .with_bearer(&early)
        .query(VIEWER, json!({}))
        .await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");
    assert!(
        reply.message().contains("sign in through SSO once"),
        "{}",
        reply.message()
    );
    assert!(
        db.strings("SELECT id FROM users WHERE username = 'kim'")
            .await
            .is_empty()
    );

    // Her first sign-in provisions and links her account.
    let browser = browser();
    let start = format!("{}/auth/oidc/login", server.base);
    let callback = provider.sign_in(&browser, &start, "kim").await;
    let done = browser.get(&callback).send().await.expect("callback");
    assert_eq!(done.status(), 303);

    // The same kind of token now acts as kim, with her roles.
    let token = provider.access_token("kim", API).await;
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    let me = server
        .client()
        .with_bearer(&token)
        .query(VIEWER, json!({}))
        .await;
    assert_eq!(me.data("viewer.authentication"), "IDP_TOKEN");
    assert_eq!(me.data("viewer.user.username"), "kim");
    assert_eq!(me.data("viewer.user.roles"), json!(["admin"]));
    let users = server
        .client()
        .with_bearer(&token)
        .query("{ users(first: 5) { totalCount } }", json!({}))
        .await;
    assert!(users.data("users.totalCount").as_i64() >= Some(2));
    // No cookie, no CSRF header: a bearer token may change state.
    let renamed = server
        .client()
        .with_bearer(&token)
        .without_csrf()
        .query(
            "mutation($id: ID!) { updateUser(id: $id, input: { displayName: \"Kim by script\" }) { displayName } }",
            json!({ "id": me.data("viewer.user.id") }),
        )
        .await;
    assert_eq!(renamed.data("updateUser.displayName"), "Kim by script");

    // A token the provider made for another API is not Roster's.
    let elsewhere = provider.access_token("kim", "urn:another:api").await;
    let reply = server
        .client()
        .with_bearer(&elsewhere)
        .query(VIEWER, json!({}))
        .await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");
    assert_eq!(reply.message(), "Invalid or expired token");
}

/// A Roster server trusting `idp`, with `OIDC_AUDIENCE=roster-api`.
fn server_for(db: &TestDb, idp: &FakeIdp) -> Server {
    Server::start(
        db,
        &[
            ("OIDC_ISSUER_URL", idp.issuer.as_str()),
            ("OIDC_CLIENT_ID", "roster"),
            ("OIDC_CLIENT_SECRET", "roster-secret"),
            ("OIDC_AUDIENCE", "roster-api"),
            ("OIDC_AUTO_PROVISION_USERS", "on"),
        ],
    )
}

/// Signs mallory in through the fake provider's flow: the HTTP status of
/// Roster's callback.
async fn sign_in(server: &Server) -> u16 {
    let browser = browser();
    let location = |r: &reqwest::Response| {
        r.headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .expect("location")
            .to_string()
    };
    let to_idp = browser
        .get(format!("{}/auth/oidc/login", server.base))
        .send()
        .await
        .expect("login");
    let back = browser
        .get(location(&to_idp))
        .send()
        .await
        .expect("authorize");
    let done = browser.get(location(&back)).send().await.expect("callback");
    done.status().as_u16()
}

fn claims(idp: &FakeIdp, sub: &str, exp_in: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "iss": idp.issuer, "aud": "roster-api", "sub": sub,
            "iat": now, "exp": now + exp_in, "scope": "api" })
}

async fn accepted(api: &Client, token: String) {
    let me = api.with_bearer(&token).query(VIEWER, json!({})).await;
    assert_eq!(me.data("viewer.user.username"), "mallory");
    assert_eq!(me.data("viewer.authentication"), "IDP_TOKEN");
}

async fn refused(api: &Client, token: String, why: &str) {
    let reply = api.with_bearer(&token).query(VIEWER, json!({})).await;
    assert_eq!(reply.code(), "UNAUTHENTICATED", "{why}: {:?}", reply.body);
    assert_eq!(reply.message(), "Invalid or expired token", "{why}");
}

async fn every_check_of_an_access_token(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let port = roster_tests::free_port();
    let idp = FakeIdp::start(port, "roster").await;
    let server = server_for(&db, &idp);
    idp.forge(Forgery::None);
    assert_eq!(sign_in(&server).await, 303);

    let api = server.client();
    let accepted = |token: String| accepted(&api, token);
    let refused = |token: String, why: &'static str| refused(&api, token, why);

    accepted(idp.sign(&claims(&idp, "mallory", 300))).await;
    // Clock skew: a token expired 30 s ago still works; 2 minutes ago not.
    accepted(idp.sign(&claims(&idp, "mallory", -30))).await;
    refused(idp.sign(&claims(&idp, "mallory", -120)), "expired").await;
    let mut early = claims(&idp, "mallory", 600);
    early["nbf"] = json!(chrono::Utc::now().timestamp() + 300);
    refused(idp.sign(&early), "not yet valid").await;
    let mut other_aud = claims(&idp, "mallory", 300);
    other_aud["aud"] = json!("roster");
    refused(
        idp.sign(&other_aud),
        "the client id is not the API's audience",
    )
    .await;
    let mut list_aud = claims(&idp, "mallory", 300);
    list_aud["aud"] = json!(["billing", "roster-api"]);
    accepted(idp.sign(&list_aud)).await;
    let mut other_iss = claims(&idp, "mallory", 300);
    other_iss["iss"] = json!("https://evil.example");
    refused(idp.sign(&other_iss), "another issuer").await;
    let mut no_exp = claims(&idp, "mallory", 300);
    no_exp.as_object_mut().expect("object").remove("exp");
    refused(idp.sign(&no_exp), "no expiry").await;
    refused(idp.unsigned(&claims(&idp, "mallory", 300)), "alg none").await;
    refused(
        idp.hs256_with_public_key(&claims(&idp, "mallory", 300)),
        "HS256 with the public key",
    )
    .await;
    // Someone else's valid token with mallory's claims pasted in.
    let honest = idp.sign(&claims(&idp, "someone", 300));
    let forged_payload = {
        use base64::Engine as _;
        let mut parts: Vec<String> = honest.split('.').map(str::to_string).collect();
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(claims(&idp, "mallory", 300).to_string());
        parts.join(".")
    };
    refused(forged_payload, "tampered payload").await;

    // A valid token of an identity linked to nobody says so.
    let reply = server
        .client()
        .with_bearer(&idp.sign(&claims(&idp, "nobody", 300)))
        .query(VIEWER, json!({}))
        .await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");
    assert!(
        reply.message().contains("No account is linked"),
        "{}",
        reply.message()
    );

    // Key rotation: a token signed with the new key works after one fetch.
    let fetches = idp.jwks_fetches();
    idp.rotate();
    accepted(idp.sign(&claims(&idp, "mallory", 300))).await;
    assert_eq!(idp.jwks_fetches(), fetches + 1);
    // Made-up key ids are refused without asking the provider again.
    for n in 0..10 {
        let token = idp.sign_with_header(
            &json!({ "alg": "RS256", "typ": "at+jwt", "kid": format!("made-up-{n}") }),
            &claims(&idp, "mallory", 300),
        );
        refused(token, "an unknown key id").await;
    }
    assert_eq!(idp.jwks_fetches(), fetches + 1);

    // A token in use stops working when its user is deactivated.
    let token = idp.sign(&claims(&idp, "mallory", 300));
    accepted(token.clone()).await;
    let (admin, _) = server.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mallory = db
        .strings("SELECT id FROM users WHERE username = 'mallory'")
        .await;
    admin
        .query(
            "mutation($id: ID!) { deactivateUser(id: $id) { status } }",
            json!({ "id": mallory[0] }),
        )
        .await
        .data("deactivateUser");
    refused(token, "deactivated").await;
}

async fn a_login_signed_with_a_new_key_fetches_the_keys(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let port = roster_tests::free_port();
    let idp = FakeIdp::start(port, "roster").await;
    let server = server_for(&db, &idp);
    idp.forge(Forgery::None);
    assert_eq!(sign_in(&server).await, 303);
    let fetches = idp.jwks_fetches();
    idp.rotate();
    assert_eq!(sign_in(&server).await, 303);
    assert_eq!(idp.jwks_fetches(), fetches + 1);
    let logins = db
        .strings("SELECT COUNT(*) FROM audit_events WHERE event_type = 'user.login'")
        .await;
    assert_eq!(logins, ["2"]);
}

on_both_backends!(
    a_scripts_access_token_from_the_provider_calls_the_api,
    every_check_of_an_access_token,
    a_login_signed_with_a_new_key_fetches_the_keys,
);
