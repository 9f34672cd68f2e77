//! Issue 5: the admin app's initial load, compressed as served, and the time
//! until the users page is interactive in headless Chromium on loopback.
//!
//! Sizes: `GET /admin/` and every file the page references, asking for
//! `br, gzip` as browsers do (and for gzip alone), counting body bytes.
//! Time: from navigation start to the `roster:users-ready` performance mark
//! the app sets once the first page of users is on screen, for a fresh
//! browser (nothing cached) and a warm one; the baseline, in the same run, is
//! the same browser loading a page with no script (`/healthz`).

use anyhow::{Context, Result, bail};
use roster_tests::browser::{Driver, Window};
use serde_json::Value;

const TARGET_BYTES: usize = 350 * 1024;
const TARGET_MS: f64 = 1000.0;

/// The `/admin/...` files an HTML page references.
fn referenced(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\"", "'"] {
        for piece in html.split(attr).skip(1) {
            let end = piece.find(['"', '\'']).unwrap_or(piece.len());
            let path = &piece[..end];
            if path.starts_with("/admin/") && path.contains('.') && !out.iter().any(|p| p == path) {
                out.push(path.to_string());
            }
        }
    }
    out
}

async fn fetch_size(
    client: &reqwest::Client,
    url: &str,
    encoding: &str,
) -> Result<(usize, String)> {
    let response = client
        .get(url)
        .header("accept-encoding", encoding)
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("{url}: HTTP {}", response.status());
    }
    let used = response
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .to_string();
    Ok((response.bytes().await?.len(), used))
}

async fn sizes(base: &str) -> Result<()> {
    let client = reqwest::Client::new();
    let index = client.get(format!("{base}/admin/")).send().await?;
    if index.status() != reqwest::StatusCode::OK {
        bail!(
            "/admin/ answered {}: build the app first (`trunk build --release`), then this benchmark",
            index.status()
        );
    }
    let html = index.text().await?;
    let mut files = vec!["/admin/".to_string()];
    files.extend(referenced(&html));
    println!(
        "initial load, bytes on the wire (target ≤ {} KB):",
        TARGET_BYTES / 1024
    );
    for encoding in ["br, gzip", "gzip"] {
        let mut total = 0;
        let mut parts = Vec::new();
        for file in &files {
            let (bytes, used) = fetch_size(&client, &format!("{base}{file}"), encoding).await?;
            total += bytes;
            let name = file
                .rsplit('/')
                .next()
                .filter(|n| !n.is_empty())
                .unwrap_or("index.html");
            parts.push(format!("{name} {:.1} KB ({used})", bytes as f64 / 1024.0));
        }
        println!(
            "  accept-encoding {encoding:>8}: {:.1} KB = {:.0} % of the budget  [{}]",
            total as f64 / 1024.0,
            100.0 * total as f64 / TARGET_BYTES as f64,
            parts.join(", ")
        );
    }
    Ok(())
}

async fn mark(window: &Window, name: &str) -> Result<Option<f64>> {
    let value = window
        .client
        .execute(
            &format!("const m = performance.getEntriesByName('{name}'); return m.length ? m[0].startTime : null;"),
            vec![],
        )
        .await?;
    Ok(value.as_f64())
}

async fn load_event(window: &Window) -> Result<f64> {
    let value: Value = window
        .client
        .execute(
            "const n = performance.getEntriesByType('navigation')[0]; return n ? n.loadEventEnd : null;",
            vec![],
        )
        .await?;
    value.as_f64().context("no navigation timing")
}

/// Milliseconds from navigation start until the users page is interactive.
async fn users_ready(window: &Window, base: &str) -> Result<f64> {
    window.goto(&format!("{base}/admin/users")).await;
    window.wait("tr[data-user=admin]").await;
    for _ in 0..100 {
        if let Some(ms) = mark(window, "roster:users-ready").await? {
            return Ok(ms);
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    bail!("the users page never set its ready mark")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub async fn run(base: &str, rounds: usize) -> Result<()> {
    let client = reqwest::Client::new();
    sizes(base).await?;
    let driver = Driver::start();
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    let mut baseline = Vec::new();
    for _ in 0..rounds.max(1) * 3 {
        // A fresh browser has an empty cache: it gets only a session cookie
        // (set on a page of the same origin, the baseline) before the users
        // page loads cold.
        let window = driver.window().await;
        window.goto(&format!("{base}/healthz")).await;
        baseline.push(load_event(&window).await?);
        let cookie = super::session_cookie(&client, base).await?;
        let (name, value) = cookie.split_once('=').context("odd cookie")?;
        // (WebDriver cannot give an IP host a cookie; the page can.)
        window
            .client
            .execute(
                "document.cookie = arguments[0] + '=' + arguments[1] + '; path=/; SameSite=Lax'",
                vec![Value::from(name), Value::from(value)],
            )
            .await?;
        cold.push(users_ready(&window, base).await?);
        for _ in 0..3 {
            warm.push(users_ready(&window, base).await?);
        }
        window.close().await;
    }
    println!(
        "users page interactive, ms from navigation start (target < {TARGET_MS:.0} ms), headless Chromium on loopback:"
    );
    println!(
        "  cache cleared: median {:.0} ms, worst {:.0} ms ({} loads)",
        median(cold.clone()),
        cold.iter().copied().fold(0.0, f64::max),
        cold.len()
    );
    println!(
        "  cached:        median {:.0} ms, worst {:.0} ms ({} loads)",
        median(warm.clone()),
        warm.iter().copied().fold(0.0, f64::max),
        warm.len()
    );
    println!(
        "  baseline, a page with no script (/healthz) to its load event: median {:.0} ms",
        median(baseline)
    );
    Ok(())
}
