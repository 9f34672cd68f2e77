//! A hostile identity provider for the OIDC attack tests: it serves
//! discovery, its RS256 key and an authorization endpoint that answers at
//! once, and its token endpoint returns the ID token the test asks for —
//! a good one, or one with the wrong nonce, audience or issuer, expired,
//! unsigned (`alg: none`), or HS256-signed with the provider's public key
//! as the secret. Keys and signatures come from the `openssl` command.
#![expect(clippy::expect_used, reason = "test harness: fails loudly")]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

/// Which ID token the token endpoint returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    None,
    WrongNonce,
    OtherAudience,
    WrongIssuer,
    Expired,
    AlgNone,
    Hs256WithPublicKey,
}

/// One RSA signing key.
struct Key {
    kid: String,
    path: PathBuf,
    public_pem: String,
    modulus: String,
}

impl Key {
    fn generate(dir: &std::path::Path, kid: &str) -> Self {
        let path = dir.join(format!("{kid}.pem"));
        let arg = path.to_str().expect("path");
        openssl(&["genrsa", "-out", arg, "2048"]);
        let public_pem = String::from_utf8(openssl(&["rsa", "-in", arg, "-pubout"])).expect("pem");
        let modulus_hex = String::from_utf8(openssl(&["rsa", "-in", arg, "-noout", "-modulus"]))
            .expect("modulus");
        let modulus = hex::decode(modulus_hex.trim().trim_start_matches("Modulus=")).expect("hex");
        Self {
            kid: kid.to_string(),
            path,
            public_pem,
            modulus: B64.encode(modulus),
        }
    }

    /// `header.claims.signature` with RS256.
    fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!("{}.{}", encode(header), encode(claims));
        let file = self.path.with_extension("input");
        std::fs::write(&file, &input).expect("input");
        let signature = openssl(&[
            "dgst",
            "-sha256",
            "-sign",
            self.path.to_str().expect("path"),
            file.to_str().expect("path"),
        ]);
        format!("{input}.{}", B64.encode(signature))
    }
}

impl Key {
    /// `header.claims` HS256-signed with this key's public PEM as the
    /// secret (the algorithm-confusion attack).
    fn hs256_with_public_key(&self, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            encode(&json!({ "alg": "HS256", "typ": "JWT", "kid": self.kid })),
            encode(claims)
        );
        let mut mac =
            Hmac::<sha2::Sha256>::new_from_slice(self.public_pem.as_bytes()).expect("hmac");
        mac.update(input.as_bytes());
        format!("{input}.{}", B64.encode(mac.finalize().into_bytes()))
    }
}

fn encode(v: &Value) -> String {
    B64.encode(v.to_string())
}

struct Shared {
    issuer: String,
    client_id: String,
    dir: PathBuf,
    /// Every key made so far; the last one signs and is the one published.
    keys: Vec<Key>,
    forgery: Forgery,
    /// The nonce of the last authorization request.
    nonce: Option<String>,
    /// How many times the key set was fetched.
    jwks_fetches: usize,
}

impl Shared {
    fn key(&self) -> &Key {
        self.keys.last().expect("a key")
    }
}

pub struct FakeIdp {
    pub issuer: String,
    shared: Arc<Mutex<Shared>>,
    _dir: tempfile::TempDir,
}

fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

impl FakeIdp {
    /// Starts on `port` for the client `client_id`.
    pub async fn start(port: u16, client_id: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let issuer = format!("http://127.0.0.1:{port}");
        let shared = Arc::new(Mutex::new(Shared {
            issuer: issuer.clone(),
            client_id: client_id.to_string(),
            dir: dir.path().to_path_buf(),
            keys: vec![Key::generate(dir.path(), "k1")],
            forgery: Forgery::None,
            nonce: None,
            jwks_fetches: 0,
        }));
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/auth", get(authorize))
            .route("/token", post(token))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            issuer,
            shared,
            _dir: dir,
        }
    }

    fn shared(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().expect("lock")
    }

    /// The ID token the next code exchange returns.
    pub fn forge(&self, forgery: Forgery) {
        self.shared().forgery = forgery;
    }

    /// A browser signing in to the Roster at `base` through this provider,
    /// which answers at once: Roster's answer to the callback (a redirect
    /// into the app, or a refusal page).
    pub async fn sign_in(&self, base: &str) -> reqwest::Response {
        let browser = crate::oidc::browser();
        let location = |r: &reqwest::Response| {
            r.headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .expect("location")
                .to_string()
        };
        let to_idp = browser
            .get(format!("{base}/auth/oidc/login"))
            .send()
            .await
            .expect("login");
        let back = browser
            .get(location(&to_idp))
            .send()
            .await
            .expect("authorize");
        browser.get(location(&back)).send().await.expect("callback")
    }

    /// A new signing key replaces the published one (key rotation).
    pub fn rotate(&self) {
        let mut s = self.shared();
        let kid = format!("k{}", s.keys.len() + 1);
        let key = Key::generate(&s.dir, &kid);
        s.keys.push(key);
    }

    /// How many times the key set was fetched so far.
    pub fn jwks_fetches(&self) -> usize {
        self.shared().jwks_fetches
    }

    /// `claims` signed with the current key (RS256, its `kid`).
    pub fn sign(&self, claims: &Value) -> String {
        let s = self.shared();
        let key = s.key();
        key.sign(
            &json!({ "alg": "RS256", "typ": "at+jwt", "kid": key.kid }),
            claims,
        )
    }

    /// `claims` signed with the current key under another `header`.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        self.shared().key().sign(header, claims)
    }

    /// `claims` unsigned (`alg: none`).
    pub fn unsigned(&self, claims: &Value) -> String {
        format!(
            "{}.{}.",
            encode(&json!({ "alg": "none", "typ": "JWT" })),
            encode(claims)
        )
    }

    /// `claims` HS256-signed with the current public key (PEM) as the secret.
    pub fn hs256_with_public_key(&self, claims: &Value) -> String {
        self.shared().key().hs256_with_public_key(claims)
    }
}

async fn discovery(State(s): State<Arc<Mutex<Shared>>>) -> Json<Value> {
    let issuer = s.lock().expect("lock").issuer.clone();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn jwks(State(s): State<Arc<Mutex<Shared>>>) -> Json<Value> {
    let mut s = s.lock().expect("lock");
    s.jwks_fetches += 1;
    let key = s.key();
    Json(
        json!({ "keys": [{ "kty": "RSA", "alg": "RS256", "use": "sig", "kid": key.kid, "n": key.modulus, "e": "AQAB" }] }),
    )
}

/// Signs everyone in at once: back to the client with a code.
async fn authorize(
    State(s): State<Arc<Mutex<Shared>>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    s.lock().expect("lock").nonce = q.get("nonce").cloned();
    let redirect = format!(
        "{}?code=the-code&state={}",
        q.get("redirect_uri").map_or("", String::as_str),
        q.get("state").map_or("", String::as_str)
    );
    Redirect::to(&redirect).into_response()
}

async fn token(State(s): State<Arc<Mutex<Shared>>>) -> Json<Value> {
    let s = s.lock().expect("lock");
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": s.issuer, "aud": s.client_id, "sub": "mallory",
        "iat": now, "exp": now + 300, "nonce": s.nonce,
        "email": "mallory@example.com", "email_verified": true,
    });
    match s.forgery {
        Forgery::WrongNonce => claims["nonce"] = json!("not-the-nonce"),
        Forgery::OtherAudience => claims["aud"] = json!("another-client"),
        Forgery::WrongIssuer => claims["iss"] = json!("https://evil.example"),
        Forgery::Expired => {
            claims["iat"] = json!(now - 7200);
            claims["exp"] = json!(now - 3600);
        }
        _ => {}
    }
    let key = s.key();
    let id_token = match s.forgery {
        Forgery::AlgNone => format!(
            "{}.{}.",
            encode(&json!({ "alg": "none", "typ": "JWT" })),
            encode(&claims)
        ),
        Forgery::Hs256WithPublicKey => key.hs256_with_public_key(&claims),
        _ => key.sign(
            &json!({ "alg": "RS256", "typ": "JWT", "kid": key.kid }),
            &claims,
        ),
    };
    Json(
        json!({ "access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token }),
    )
}
