//! A running `roster serve` and an HTTP client that speaks to it the way the
//! admin app and scripts do.
#![expect(clippy::expect_used, reason = "a test harness fails loudly")]

use std::io::{BufRead, BufReader};
use std::process::Child;
use std::sync::mpsc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

use crate::TestDb;

/// A running server and everything it has logged so far.
pub struct Server {
    child: Child,
    pub base: String,
    log: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    /// Starts `roster serve` on a free port with extra environment.
    pub fn start(db: &TestDb, env: &[(&str, &str)]) -> Self {
        Self::start_at(db, "127.0.0.1:0", env)
    }

    /// Starts `roster serve` on a free port that is also its public address
    /// (`ROSTER_PUBLIC_URL`), so the links in its emails open it.
    pub fn start_public(db: &TestDb, env: &[(&str, &str)]) -> Self {
        let port = crate::free_port();
        let public = format!("http://127.0.0.1:{port}");
        let mut all = env.to_vec();
        all.push(("ROSTER_PUBLIC_URL", public.as_str()));
        Self::start_at(db, &format!("127.0.0.1:{port}"), &all)
    }

    /// Starts `roster serve` on a free port of 127.0.0.1 whose public
    /// address is `http://<host>:<port>` (e.g. `localhost`: another site
    /// than a peer on `127.0.0.1`, for a browser); `base` is that address.
    pub fn start_public_as(db: &TestDb, host: &str, env: &[(&str, &str)]) -> Self {
        let port = crate::free_port();
        let public = format!("http://{host}:{port}");
        let mut all = env.to_vec();
        all.push(("ROSTER_PUBLIC_URL", public.as_str()));
        let mut server = Self::start_at(db, &format!("127.0.0.1:{port}"), &all);
        server.base = public;
        server
    }

    fn start_at(db: &TestDb, bind: &str, env: &[(&str, &str)]) -> Self {
        let mut server = Self::spawn_at(db, bind, env);
        server.ready();
        server
    }

    /// Starts several servers on one database at once (each on `binds[i]`
    /// with `envs[i]`), so that they start up (and migrate) concurrently,
    /// and waits until each listens.
    pub fn start_together(db: &TestDb, servers: &[(&str, &[(&str, &str)])]) -> Vec<Self> {
        let mut all: Vec<Self> = servers
            .iter()
            .map(|(bind, env)| Self::spawn_at(db, bind, env))
            .collect();
        for server in &mut all {
            server.ready();
        }
        all
    }

    fn spawn_at(db: &TestDb, bind: &str, env: &[(&str, &str)]) -> Self {
        let mut cmd = db.roster().args(["serve", "--bind", bind]);
        for (k, v) in env {
            cmd = cmd.env(k, v);
        }
        let mut child = cmd.spawn();
        let stderr = child.stderr.take().expect("stderr");
        let (tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            base: String::new(),
            log,
            seen: Vec::new(),
        }
    }

    /// Waits until the server listens and takes its address.
    fn ready(&mut self) {
        let line = self.wait_for("listening on http://");
        let addr = line
            .split("listening on http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("address");
        if self.base.is_empty() {
            self.base = format!("http://{addr}");
        }
    }

    /// Waits for a log line containing `needle`.
    pub fn wait_for(&mut self, needle: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        loop {
            match self.log.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "server never logged {needle:?}; log so far: {:#?}",
                    self.seen
                ),
            }
        }
    }

    /// Whether the server has logged a line containing `needle` by now (what
    /// it logged up to a quarter second ago is read first).
    pub fn log_contains(&mut self, needle: &str) -> bool {
        while let Ok(line) = self.log.recv_timeout(Duration::from_millis(250)) {
            self.seen.push(line);
        }
        self.seen.iter().any(|l| l.contains(needle))
    }

    /// The lines logged so far that contain `needle`.
    pub fn log_lines(&mut self, needle: &str) -> Vec<String> {
        self.log_contains(needle);
        self.seen
            .iter()
            .filter(|l| l.contains(needle))
            .cloned()
            .collect()
    }

    /// An anonymous browser-like client (it sends the CSRF header).
    pub fn client(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::new(),
            cookie: None,
            bearer: None,
            csrf: true,
            extra: HeaderMap::new(),
        }
    }

    /// Posts a GraphQL body as an anonymous browser-like client.
    pub async fn post(&self, body: Value) -> (u16, Value) {
        let reply = self.client().send(body).await;
        (reply.status, reply.body)
    }

    /// The value of a Prometheus metric line starting with `prefix`.
    pub async fn metric(&self, prefix: &str) -> f64 {
        let text = reqwest::get(format!("{}/metrics", self.base))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    /// Sends `signal` (`TERM`, `KILL`, …) and returns at once.
    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits at most `limit` for the process to exit: its exit code, or
    /// `None` (killed by a signal, or still running).
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Sends SIGTERM and returns the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        for _ in 0..100 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One GraphQL answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub set_cookie: Vec<String>,
}

impl Reply {
    /// `data.<path>` after asserting there were no errors.
    pub fn data(&self, path: &str) -> Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {:#}",
            self.body
        );
        let mut v = &self.body["data"];
        for part in path.split('.') {
            v = &v[part];
        }
        v.clone()
    }

    /// The first error's `extensions.code`.
    pub fn code(&self) -> String {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn message(&self) -> String {
        self.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// A client holding a session cookie or a bearer token.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    pub cookie: Option<String>,
    pub bearer: Option<String>,
    pub csrf: bool,
    extra: HeaderMap,
}

impl Client {
    pub fn with_bearer(&self, token: &str) -> Self {
        let mut c = self.clone();
        c.bearer = Some(token.to_string());
        c.cookie = None;
        c.csrf = false;
        c
    }

    pub fn without_csrf(&self) -> Self {
        let mut c = self.clone();
        c.csrf = false;
        c
    }

    pub fn with_header(&self, name: &'static str, value: &str) -> Self {
        let mut c = self.clone();
        c.extra.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).expect("header value"),
        );
        c
    }

    fn graphql_request(&self, body: &Value) -> reqwest::RequestBuilder {
        let mut req = self
            .http
            .post(format!("{}/graphql", self.base))
            .headers(self.extra.clone())
            .header("user-agent", "roster-tests/1.0")
            .json(body);
        if self.csrf {
            req = req.header("x-roster-csrf", "1");
        }
        self.authorized(req)
    }

    /// Like [`Self::send`], for a server that may die mid-request: the
    /// answer's body, or `None` when there was no whole answer.
    pub async fn try_send(&self, body: Value) -> Option<Value> {
        let resp = self.graphql_request(&body).send().await.ok()?;
        resp.json().await.ok()
    }

    pub async fn send(&self, body: Value) -> Reply {
        let resp = self.graphql_request(&body).send().await.expect("request");
        let status = resp.status().as_u16();
        let set_cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        let body = resp.json().await.unwrap_or(Value::Null);
        Reply {
            status,
            body,
            set_cookie,
        }
    }

    /// This client's credentials on a request.
    fn authorized(&self, mut req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if let Some(cookie) = &self.cookie {
            req = req.header("cookie", cookie);
        }
        if let Some(token) = &self.bearer {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        req
    }

    /// `GET path` with this client's credentials (and extra headers):
    /// status, headers, body.
    pub async fn get(&self, path: &str) -> (u16, HeaderMap, String) {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// `method path` with this client's credentials and headers (and the
    /// CSRF header on a change, unless [`Self::without_csrf`]), and `body`
    /// as JSON when given: status, headers, body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, HeaderMap, String) {
        let change = !matches!(method, reqwest::Method::GET | reqwest::Method::HEAD);
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .headers(self.extra.clone());
        if change && self.csrf {
            req = req.header("x-roster-csrf", "1");
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = self.authorized(req).send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.text().await.unwrap_or_default())
    }

    /// The signed-in user's id.
    pub async fn viewer_id(&self) -> String {
        let id = self
            .query("{ viewer { user { id } } }", json!({}))
            .await
            .data("viewer.user.id");
        id.as_str().expect("a user id").to_string()
    }

    /// `PUT /api/v1/admin/users/{id}` setting the display name (seed 004).
    pub async fn rename_over_rest(&self, id: &str, name: &str) -> (u16, HeaderMap, String) {
        self.call(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/users/{id}"),
            Some(json!({ "display_name": name })),
        )
        .await
    }

    pub async fn query(&self, query: &str, variables: Value) -> Reply {
        self.send(json!({ "query": query, "variables": variables }))
            .await
    }

    /// Logs in and returns a client carrying the session cookie.
    pub async fn login(&self, login: &str, password: &str) -> (Self, Reply) {
        let reply = self
            .query(
                "mutation($l: String!, $p: String!) { login(usernameOrEmail: $l, password: $p) { sessionExpiresAt firstLogin viewer { user { id username } permissions authentication } } }",
                json!({ "l": login, "p": password }),
            )
            .await;
        let mut c = self.clone();
        if let Some(cookie) = reply.set_cookie.first() {
            c.cookie = cookie.split(';').next().map(str::to_string);
        }
        (c, reply)
    }
}

/// The usernames on a `users` connection page, in order.
pub fn usernames(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e["node"]["username"].as_str().map(str::to_string))
        .collect()
}
