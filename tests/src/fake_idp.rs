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

struct Shared {
    issuer: String,
    client_id: String,
    key: PathBuf,
    public_pem: String,
    modulus: String,
    forgery: Forgery,
    /// The nonce of the last authorization request.
    nonce: Option<String>,
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
        let key = dir.path().join("key.pem");
        let key_arg = key.to_str().expect("path");
        openssl(&["genrsa", "-out", key_arg, "2048"]);
        let public_pem =
            String::from_utf8(openssl(&["rsa", "-in", key_arg, "-pubout"])).expect("pem");
        let modulus_hex =
            String::from_utf8(openssl(&["rsa", "-in", key_arg, "-noout", "-modulus"]))
                .expect("modulus");
        let modulus = hex::decode(modulus_hex.trim().trim_start_matches("Modulus=")).expect("hex");
        let issuer = format!("http://127.0.0.1:{port}");
        let shared = Arc::new(Mutex::new(Shared {
            issuer: issuer.clone(),
            client_id: client_id.to_string(),
            key,
            public_pem,
            modulus: B64.encode(modulus),
            forgery: Forgery::None,
            nonce: None,
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

    /// The ID token the next code exchange returns.
    pub fn forge(&self, forgery: Forgery) {
        self.shared.lock().expect("lock").forgery = forgery;
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
    let modulus = s.lock().expect("lock").modulus.clone();
    Json(
        json!({ "keys": [{ "kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1", "n": modulus, "e": "AQAB" }] }),
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
    let encode = |v: &Value| B64.encode(v.to_string());
    let id_token = match s.forgery {
        Forgery::AlgNone => format!(
            "{}.{}.",
            encode(&json!({ "alg": "none", "typ": "JWT" })),
            encode(&claims)
        ),
        Forgery::Hs256WithPublicKey => {
            let input = format!(
                "{}.{}",
                encode(&json!({ "alg": "HS256", "typ": "JWT", "kid": "k1" })),
                encode(&claims)
            );
            let mut mac =
                Hmac::<sha2::Sha256>::new_from_slice(s.public_pem.as_bytes()).expect("hmac");
            mac.update(input.as_bytes());
            format!("{input}.{}", B64.encode(mac.finalize().into_bytes()))
        }
        _ => {
            let input = format!(
                "{}.{}",
                encode(&json!({ "alg": "RS256", "typ": "JWT", "kid": "k1" })),
                encode(&claims)
            );
            let file = s.key.with_file_name("input");
            std::fs::write(&file, &input).expect("input");
            let signature = openssl(&[
                "dgst",
                "-sha256",
                "-sign",
                s.key.to_str().expect("path"),
                file.to_str().expect("path"),
            ]);
            format!("{input}.{}", B64.encode(signature))
        }
    };
    Json(
        json!({ "access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token }),
    )
}
