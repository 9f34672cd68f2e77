//! An OpenID Certified provider for the OIDC tests: npm `oidc-provider`
//! run by `tests/peers/provider.mjs` (installed by `cargo xtask setup`),
//! with accounts from a file the test may rewrite between logins, and a
//! browser-like walk through its dev login and consent forms.
#![expect(clippy::expect_used, reason = "test harness: fails loudly")]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The client Roster is registered as at the provider.
pub const CLIENT_ID: &str = "roster";
pub const CLIENT_SECRET: &str = "roster-test-secret";

/// How the provider shapes its tokens.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// The ID token carries only `sub`: email, names and groups come from
    /// the userinfo endpoint.
    pub sparse_id_token: bool,
    /// JWT access tokens carry the account's claims (email, names, groups),
    /// as many providers' do; else only `sub` and the token's own.
    pub token_claims: bool,
}

pub struct Provider {
    child: Child,
    pub issuer: String,
    accounts: PathBuf,
    _dir: tempfile::TempDir,
}

impl Provider {
    /// A port for a provider that starts later (Roster needs its issuer
    /// before the provider needs Roster's callback).
    pub fn port() -> u16 {
        crate::free_port()
    }

    /// The issuer a provider on `port` will have.
    pub fn issuer_at(port: u16) -> String {
        format!("http://127.0.0.1:{port}")
    }

    /// Starts the provider on `port`, accepting `redirect_uri`, with
    /// `accounts` (`{ "<sub>": { "email": …, "groups": […] } }`).
    pub fn start(port: u16, redirect_uri: &str, accounts: &Value) -> Self {
        Self::start_with(port, redirect_uri, accounts, Options::default())
    }

    /// As [`start`](Self::start), with [`Options`].
    pub fn start_with(port: u16, redirect_uri: &str, accounts: &Value, options: Options) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("accounts.json");
        std::fs::write(&file, accounts.to_string()).expect("accounts");
        let peers = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers");
        let mut child = Command::new("node")
            .arg(peers.join("provider.mjs"))
            .arg(port.to_string())
            .arg(&file)
            .arg(redirect_uri)
            .current_dir(&peers)
            .env(
                "SPARSE_ID_TOKEN",
                if options.sparse_id_token { "1" } else { "0" },
            )
            .env("TOKEN_CLAIMS", if options.token_claims { "1" } else { "0" })
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node tests/peers/provider.mjs (run `cargo xtask setup`)");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.contains("listening") => break,
                Ok(_) => {}
                Err(_) => panic!("the OIDC provider did not start"),
            }
        }
        Self {
            child,
            issuer: Self::issuer_at(port),
            accounts: file,
            _dir: dir,
        }
    }

    /// Replaces the accounts (a user's groups change at the provider).
    pub fn set_accounts(&self, accounts: &Value) {
        std::fs::write(&self.accounts, accounts.to_string()).expect("accounts");
    }

    /// Walks a browser from Roster's `/auth/oidc/login` URL through the
    /// provider's dev login (as `account`) and consent, following
    /// redirects until one leaves the provider: that URL (Roster's
    /// callback, with its code and state). `browser` keeps cookies and does
    /// not follow redirects.
    pub async fn sign_in(&self, browser: &reqwest::Client, start: &str, account: &str) -> String {
        let mut url = start.to_string();
        for _ in 0..20 {
            let response = browser.get(&url).send().await.expect("GET");
            if response.status().is_redirection() {
                let location = location(&response);
                let next = if location.starts_with('/') {
                    let origin = if url.starts_with(&self.issuer) {
                        &self.issuer
                    } else {
                        start.split("/auth/").next().unwrap_or(start)
                    };
                    format!("{origin}{location}")
                } else {
                    location
                };
                if !next.starts_with(&self.issuer) && url.starts_with(&self.issuer) {
                    return next;
                }
                url = next;
                continue;
            }
            let body = response.text().await.expect("body");
            let prompt = if body.contains("name=\"prompt\" value=\"login\"")
                || body.contains("value=\"login\" name=\"prompt\"")
            {
                "login"
            } else if body.contains("consent") {
                "consent"
            } else {
                panic!("unexpected page at {url}: {body}");
            };
            let form = [("prompt", prompt), ("login", account), ("password", "any")];
            let response = browser.post(&url).form(&form).send().await.expect("POST");
            assert!(
                response.status().is_redirection(),
                "{prompt} form: {}",
                response.status()
            );
            let location = location(&response);
            url = if location.starts_with('/') {
                format!("{}{location}", self.issuer)
            } else {
                location
            };
        }
        panic!("the provider did not redirect back");
    }
}

impl Provider {
    /// What a script does to call Roster's API as `account`: signs in at
    /// the provider as the public client `roster-cli` (PKCE), asking for an
    /// access token for `resource`, and returns it (an RS256 JWT whose
    /// `aud` is `resource`).
    pub async fn access_token(&self, account: &str, resource: &str) -> String {
        use base64::Engine as _;
        use sha2::Digest as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let verifier = b64.encode(ulid::Ulid::new().to_string().repeat(2));
        let challenge = b64.encode(sha2::Sha256::digest(verifier.as_bytes()));
        let redirect = "http://127.0.0.1/cli-callback";
        let start = reqwest::Url::parse_with_params(
            &format!("{}/auth", self.issuer),
            [
                ("client_id", "roster-cli"),
                ("response_type", "code"),
                ("redirect_uri", redirect),
                ("scope", "openid api"),
                ("resource", resource),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
                ("state", "script"),
                ("nonce", "script"),
            ],
        )
        .expect("url");
        let callback = self.sign_in(&browser(), start.as_str(), account).await;
        let code = reqwest::Url::parse(&callback)
            .expect("callback")
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no code in {callback}"));
        let response: Value = reqwest::Client::new()
            .post(format!("{}/token", self.issuer))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", redirect),
                ("client_id", "roster-cli"),
                ("code_verifier", verifier.as_str()),
                ("resource", resource),
            ])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("json");
        response["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {response}"))
            .to_string()
    }
}

/// A redirect's `Location`.
fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("location")
        .to_string()
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client that keeps cookies and does not follow redirects, as a browser
/// walked step by step.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}
