//! Headless Chromium driven through chromedriver (WebDriver), for the admin
//! app's end-to-end tests. Screenshots go to `test-output/screenshots/`.
#![expect(clippy::expect_used, reason = "a test harness fails loudly")]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// How long a step may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(15);

/// Where Debian's packages put them (`apt-get install chromium chromium-driver`).
fn program(env: &str, default: &str) -> String {
    std::env::var(env).unwrap_or_else(|_| default.to_string())
}

/// A chromedriver process; each [`Driver::window`] is a separate browser
/// with its own cookies.
pub struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    pub fn start() -> Self {
        let chromedriver = program("ROSTER_TEST_CHROMEDRIVER", "/usr/bin/chromedriver");
        assert!(
            std::path::Path::new(&chromedriver).exists(),
            "{chromedriver} is missing: install Debian's chromium and chromium-driver (.ci/run does)"
        );
        let port = crate::free_port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < PATIENCE, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, url }
    }

    /// A new headless browser.
    pub async fn window(&self) -> Window {
        let chromium = program("ROSTER_TEST_CHROMIUM", "/usr/bin/chromium");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                    "--window-size=1280,900",
                ],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("start a chromium session");
        Window { client }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser window.
pub struct Window {
    pub client: Client,
}

impl Window {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// Waits until `css` matches a visible element and returns it.
    pub async fn wait(&self, css: &str) -> Element {
        let start = Instant::now();
        loop {
            if let Ok(found) = self.client.find(Locator::Css(css)).await
                && found.is_displayed().await.unwrap_or(false)
            {
                return found;
            }
            if start.elapsed() > PATIENCE {
                let url = self
                    .client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let body = self.body_text().await;
                panic!("no visible {css} at {url} after {PATIENCE:?}; the page says:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the element `css` shows text containing `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let start = Instant::now();
        loop {
            if let Ok(found) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = found.text().await
                && text.contains(needle)
            {
                return text;
            }
            if start.elapsed() > PATIENCE {
                let body = self.body_text().await;
                panic!("{css} never said {needle:?}; the page says:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let start = Instant::now();
        while self
            .client
            .find_all(Locator::Css(css))
            .await
            .is_ok_and(|all| !all.is_empty())
        {
            assert!(start.elapsed() < PATIENCE, "{css} is still there");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether anything matches `css` right now.
    pub async fn has(&self, css: &str) -> bool {
        self.client
            .find_all(Locator::Css(css))
            .await
            .is_ok_and(|all| !all.is_empty())
    }

    /// Clicks `css`. The app re-renders lists when data arrives, so an
    /// element found a moment ago may be replaced: then it is found again.
    pub async fn click(&self, css: &str) {
        let start = Instant::now();
        loop {
            match self.wait(css).await.click().await {
                Ok(_) => return,
                Err(e) if start.elapsed() < PATIENCE && retryable(&e) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("click {css}: {e}"),
            }
        }
    }

    /// Replaces the text of the input `css` (found again if re-rendered).
    pub async fn fill(&self, css: &str, text: &str) {
        let start = Instant::now();
        loop {
            let input = self.wait(css).await;
            let typed = match input.clear().await {
                Ok(()) => input.send_keys(text).await,
                Err(e) => Err(e),
            };
            match typed {
                Ok(()) => return,
                Err(e) if start.elapsed() < PATIENCE && retryable(&e) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("fill {css}: {e}"),
            }
        }
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Waits until the address bar's path starts with `prefix`.
    pub async fn wait_path(&self, prefix: &str) -> String {
        let start = Instant::now();
        loop {
            let path = self.path().await;
            if path.starts_with(prefix) {
                return path;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "still at {path}, expected {prefix}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(e) => format!("(no body: {e})"),
        }
    }

    /// Saves a screenshot as `test-output/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("save screenshot");
    }

    /// Presses keys (WebDriver key codes for modifiers) on the focused element.
    pub async fn keys(&self, css: &str, keys: &str) {
        self.wait(css).await.send_keys(keys).await.expect("keys");
    }

    /// Signs in on the app's login page at `base` (the outcome is the
    /// caller's to wait for).
    pub async fn log_in(&self, base: &str, login: &str, password: &str) {
        self.goto(&format!("{base}/admin/login")).await;
        self.fill("#login", login).await;
        self.fill("#password", password).await;
        self.click("#login-form button[type=submit]").await;
    }

    /// The page's accessibility violations of impact `serious` or
    /// `critical`, one line each (rule, help, elements): axe-core (npm, in
    /// `tests/peers`, installed by `cargo xtask setup`) run in the page
    /// through WebDriver, whose scripts the page's CSP does not block.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let axe = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("peers/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&axe)
            .unwrap_or_else(|e| panic!("{}: {e} (run `cargo xtask setup`)", axe.display()));
        self.client
            .execute(&source, vec![])
            .await
            .expect("inject axe-core");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at '
                          + v.nodes.map(n => n.target.join(' ')).join(', '))))
                   .catch(e => done(['axe-core failed: ' + e]));",
                vec![],
            )
            .await
            .expect("run axe-core");
        serde_json::from_value(found).expect("a list of violations")
    }

    /// Takes the screenshot `name` and fails on any serious or critical
    /// accessibility violation of the screen as it is.
    pub async fn checked(&self, name: &str) {
        self.screenshot(name).await;
        let violations = self.accessibility_violations().await;
        assert!(violations.is_empty(), "{name}: {violations:#?}");
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// Errors that mean "the page changed under the step": try again.
fn retryable(e: &fantoccini::error::CmdError) -> bool {
    let text = e.to_string();
    ["stale element", "not interactable", "click intercepted"]
        .iter()
        .any(|m| text.contains(m))
}

/// `test-output/screenshots` at the root of the repository.
pub fn screenshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("test-output")
        .join("screenshots")
}

/// Whether the admin app has been built (`trunk build --release`).
pub fn app_is_built() -> bool {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../web/dist/index.html")
        .exists()
}

/// Fails the test unless the admin app has been built.
pub fn require_app() {
    assert!(
        app_is_built(),
        "the admin app is not built: run `trunk build --release` (.ci/run does)"
    );
}
