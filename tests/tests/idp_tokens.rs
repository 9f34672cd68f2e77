//! The identity provider's JWT access tokens as bearer credentials (SPEC
//! §8, issue 13), through the real binary on both backends.
//!
//! Against a real provider (npm `oidc-provider`): a script's first token
//! signs its person in (provisioned with their group's role, once), the
//! browser login then finds the same account, the token calls the API and
//! changes state without a CSRF header, and a token for another audience
//! is refused; a token that carries only `sub`, for a person not yet
//! known, is refused because the provider's userinfo endpoint will not
//! answer it, writing nothing but the refusal, and works once the person
//! signed in through the browser.
//!
//! Against a provider the test controls (`roster_tests::fake_idp`): every
//! check one by one — issuer, audience, expiry and `nbf` with 60 s of clock
//! skew, `alg: none`, HS256 signed with the public key, a tampered payload,
//! a new person without an email, a deactivated user —, and key rotation
//! (a token signed with a new key is accepted after one fetch of the keys;
//! made-up key ids do not make Roster fetch the keys again, and so does a
//! login whose ID token is signed with a new key).
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use roster_tests::fake_idp::{FakeIdp, Forgery};
use roster_tests::oidc::{CLIENT_ID, CLIENT_SECRET, Options, Provider, browser};
use roster_tests::server::{Client, Server};
use roster_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestDb, on_both_backends};
use serde_json::{Value, json};

const VIEWER: &str = "{ viewer { authentication user { id username roles } } }";

const API: &str = "urn:roster:api";

/// A Roster trusting a real provider whose JWT access tokens for `API`
/// carry the account's claims (`token_claims`) or only `sub`.
fn real_pair(db: &TestDb, accounts: &Value, token_claims: bool) -> (Server, Provider) {
    let port = Provider::port();
    let issuer = Provider::issuer_at(port);
    let server = Server::start(
        db,
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
    let provider = Provider::start_with(
        port,
        &format!("{}/auth/oidc/callback", server.base),
        accounts,
        Options {
            token_claims,
            ..Options::default()
        },
    );
    (server, provider)
}

async fn count(db: &TestDb, event: &str) -> usize {
    db.strings(&format!(
        "SELECT id FROM audit_events WHERE event_type = '{event}'"
    ))
    .await
    .len()
}

async fn a_scripts_access_token_from_the_provider_calls_the_api(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let accounts = json!({
        "kim": { "email": "kim@example.com", "email_verified": true,
                 "preferred_username": "kim", "groups": ["admins"] },
    });
    let (server, provider) = real_pair(&db, &accounts, true);

    // Kim never signed in to Roster: her first token signs her in as a
    // first login would, provisioning her account with her group's role.
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
    assert_eq!(count(&db, "user.provisioned").await, 1);
    assert_eq!(count(&db, "identity.linked").await, 1);
    // Again, and with a new token: the same account, nothing new.
    let again = provider.access_token("kim", API).await;
    for t in [&token, &again] {
        let me = server
            .client()
            .with_bearer(t)
            .query(VIEWER, json!({}))
            .await;
        assert_eq!(me.data("viewer.user.username"), "kim");
    }
    assert_eq!(count(&db, "user.provisioned").await, 1);

    // Her browser login finds the same account.
    let browser = browser();
    let start = format!("{}/auth/oidc/login", server.base);
    let callback = provider.sign_in(&browser, &start, "kim").await;
    let done = browser.get(&callback).send().await.expect("callback");
    assert_eq!(done.status(), 303);
    assert_eq!(count(&db, "user.provisioned").await, 1);
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
    // The seeds' REST paths take the same token (issue 16).
    let (status, _, body) = server
        .client()
        .with_bearer(&token)
        .without_csrf()
        .get("/api/v1/admin/users?search=kim")
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Kim by script"), "{body}");

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

async fn a_sparse_token_of_a_new_person_needs_the_userinfo_endpoint(backend: Backend) {
    let db = TestDb::bootstrapped(backend).await;
    let accounts = json!({
        "lou": { "email": "lou@example.com", "email_verified": true,
                 "preferred_username": "lou", "groups": [] },
    });
    let (server, provider) = real_pair(&db, &accounts, false);
    // The token carries only `sub`; the provider's userinfo endpoint will
    // not answer a token issued for another audience: refused, and nothing
    // written but the refusal.
    let users = db.strings("SELECT id FROM users").await.len();
    let token = provider.access_token("lou", API).await;
    let reply = server
        .client()
        .with_bearer(&token)
        .query(VIEWER, json!({}))
        .await;
    assert_eq!(reply.code(), "UNAUTHENTICATED", "{:?}", reply.body);
    assert!(
        reply
            .message()
            .contains("would not give the user information"),
        "{}",
        reply.message()
    );
    assert_eq!(db.strings("SELECT id FROM users").await.len(), users);
    let failed = db
        .strings("SELECT details FROM audit_events WHERE event_type = 'user.login_failed'")
        .await;
    assert_eq!(failed.len(), 1);
    let details: Value = serde_json::from_str(&failed[0]).expect("json");
    assert_eq!(details["method"], "oidc_token");
    assert_eq!(details["reason"], "userinfo_refused");

    // Once lou signed in through the browser, her tokens work: her
    // identity is linked, nothing more is needed from the provider. (The
    // refused one stays refused for a minute, from memory: no new event.)
    let browser = browser();
    let start = format!("{}/auth/oidc/login", server.base);
    let callback = provider.sign_in(&browser, &start, "lou").await;
    assert_eq!(
        browser
            .get(&callback)
            .send()
            .await
            .expect("callback")
            .status(),
        303
    );
    let again = server
        .client()
        .with_bearer(&token)
        .query(VIEWER, json!({}))
        .await;
    assert_eq!(again.code(), "UNAUTHENTICATED");
    let fresh = provider.access_token("lou", API).await;
    let me = server
        .client()
        .with_bearer(&fresh)
        .query(VIEWER, json!({}))
        .await;
    assert_eq!(me.data("viewer.user.username"), "lou");
    assert_eq!(count(&db, "user.login_failed").await, 1);
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

/// A fresh database, a provider the test controls and a Roster trusting
/// it, after mallory's first sign-in provisioned her.
async fn mallory_signed_in(backend: Backend) -> (TestDb, FakeIdp, Server) {
    let db = TestDb::bootstrapped(backend).await;
    let idp = FakeIdp::start(roster_tests::free_port(), "roster").await;
    let server = server_for(&db, &idp);
    idp.forge(Forgery::None);
    assert_eq!(idp.sign_in(&server.base).await.status(), 303);
    (db, idp, server)
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
    let (db, idp, server) = mallory_signed_in(backend).await;

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
    // An ID token (it carries a nonce, or says it is one) never opens the
    // API, whatever its audience; nor does a token of another type.
    let mut id_token = claims(&idp, "mallory", 300);
    id_token["nonce"] = json!("n-0S6_WzA2Mj");
    refused(idp.sign(&id_token), "an ID token").await;
    let mut keycloak_id = claims(&idp, "mallory", 300);
    keycloak_id["typ"] = json!("ID");
    refused(idp.sign(&keycloak_id), "an ID token, Keycloak style").await;
    let header = |typ: &str| json!({ "alg": "RS256", "typ": typ, "kid": "k1" });
    refused(
        idp.sign_with_header(&header("logout+jwt"), &claims(&idp, "mallory", 300)),
        "a logout token",
    )
    .await;
    accepted(idp.sign_with_header(&header("JWT"), &claims(&idp, "mallory", 300))).await;
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

    // A valid token of a new person without an email (and no userinfo
    // endpoint to ask) cannot provision anyone, and says why.
    let reply = server
        .client()
        .with_bearer(&idp.sign(&claims(&idp, "nobody", 300)))
        .query(VIEWER, json!({}))
        .await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");
    assert_eq!(
        reply.message(),
        "The identity provider sent no email address"
    );
    // The same token again is refused from memory: no second audit event.
    let nobody = idp.sign(&claims(&idp, "nobody", 301));
    for _ in 0..2 {
        let reply = server
            .client()
            .with_bearer(&nobody)
            .query(VIEWER, json!({}))
            .await;
        assert_eq!(
            reply.message(),
            "The identity provider sent no email address"
        );
    }
    let refusals = db
        .strings("SELECT details FROM audit_events WHERE event_type = 'user.login_failed'")
        .await;
    assert_eq!(refusals.len(), 2, "one per token: {refusals:?}");
    assert!(
        refusals.iter().all(|d| d.contains("oidc_token")),
        "{refusals:?}"
    );
    // With one, it does.
    let mut newcomer = claims(&idp, "newcomer", 300);
    newcomer["email"] = json!("newcomer@example.com");
    let me = server
        .client()
        .with_bearer(&idp.sign(&newcomer))
        .query(VIEWER, json!({}))
        .await;
    assert_eq!(me.data("viewer.user.username"), "newcomer");

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
    let (db, idp, server) = mallory_signed_in(backend).await;
    let fetches = idp.jwks_fetches();
    idp.rotate();
    assert_eq!(idp.sign_in(&server.base).await.status(), 303);
    assert_eq!(idp.jwks_fetches(), fetches + 1);
    let logins = db
        .strings("SELECT COUNT(*) FROM audit_events WHERE event_type = 'user.login'")
        .await;
    assert_eq!(logins, ["2"]);
}

on_both_backends!(
    a_scripts_access_token_from_the_provider_calls_the_api,
    a_sparse_token_of_a_new_person_needs_the_userinfo_endpoint,
    every_check_of_an_access_token,
    a_login_signed_with_a_new_key_fetches_the_keys,
);
