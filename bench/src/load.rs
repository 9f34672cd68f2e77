//! Load from a separate process (issue 17): `roster serve` runs as its own
//! process and `oha` (another process, on loopback) drives it, so what is
//! measured is the server, not an in-process client sharing its runtime.
//! Next to requests/s each measure reports the server's CPU time per
//! request (from `/proc/<pid>/stat`).
//!
//! 1. Overhead at fixed connections: an anonymous `serverInfo` and a
//!    `viewer` with a session cookie, against a bare axum endpoint in a
//!    process of its own (`roster-bench --bare-server`), same connections.
//! 2. A mixed workload at a fixed arrival rate for `--load-seconds`: 50 %
//!    `viewer` and 40 % `users(first: 20)` (authenticated reads), 9 %
//!    `updateUser` (admin writes, each with its audit event), 1 % `login`;
//!    one replica on SQLite, one and then two replicas on Postgres (the
//!    rate split evenly between them). Per class: requests/s, p50, p99,
//!    p99.9, errors (non-2xx, transport errors, and GraphQL errors from the
//!    server's own `/metrics`); per replica: RSS idle and at peak, CPU per
//!    request.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::{Database, PASSWORD};

/// A `roster serve` (or bare endpoint) process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// User plus system CPU seconds the process has used.
    fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // Fields after the command name, which ends at the last ')'.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        // utime and stime are fields 14 and 15 of stat (11 and 12 here).
        (ticks(11) + ticks(12)) / clock_ticks()
    }

    /// `VmRSS` (now) or `VmHWM` (peak) in MiB.
    fn memory_mib(&self, field: &str) -> f64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim_start_matches(':').split_whitespace().next())
            .and_then(|kib| kib.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The release `roster` binary beside this one, built when missing or
/// older than this benchmark.
fn roster_binary() -> Result<PathBuf> {
    let me = std::env::current_exe()?;
    let dir = me.parent().context("the benchmark's folder")?;
    let roster = dir.join("roster");
    let stale = |p: &Path| -> bool {
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        match (modified(p), modified(&me)) {
            (Some(bin), Some(bench)) => bin < bench,
            _ => true,
        }
    };
    if stale(&roster) {
        println!("building the release roster binary");
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "--locked", "-p", "roster"])
            .status()?;
        if !status.success() {
            bail!("cargo build -p roster failed");
        }
    }
    Ok(roster)
}

/// Waits until `url` answers 200.
async fn wait_ready(url: &str) -> Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("{url} never answered")
}

async fn start_roster(bin: &Path, url: &str) -> Result<Server> {
    let port = free_port()?;
    let child = Command::new(bin)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .env("LOGIN_MAX_FAILURES_PER_ADDRESS", "1000000")
        .env("AUDIT_LOG_FILE", "/dev/null")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    wait_ready(&format!("{}/readyz", server.base)).await?;
    Ok(server)
}

async fn start_bare() -> Result<Server> {
    let port = free_port()?;
    let child = Command::new(std::env::current_exe()?)
        .args(["--bare-server", &port.to_string()])
        .stdout(Stdio::null())
        .spawn()?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    wait_ready(&format!("{}/healthz", server.base)).await?;
    Ok(server)
}

/// `roster-bench --bare-server PORT`: the bare endpoint, one worker per
/// core like `roster serve`, until killed.
pub fn bare_server(port: u16) -> Result<()> {
    use axum::Router;
    use axum::routing::{get, post};
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(crate::cores())
        .enable_all()
        .build()?
        .block_on(async move {
            let app = Router::new()
                .route(
                    "/graphql",
                    post(|| async { axum::Json(json!({ "data": { "viewer": null } })) }),
                )
                .route("/healthz", get(|| async { "ok" }));
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            axum::serve(listener, app).await?;
            Ok(())
        })
}

/// One `oha` run: a GraphQL body with headers.
#[derive(Clone)]
struct Drive {
    url: String,
    query: String,
    headers: Vec<String>,
    connections: u32,
    /// Requests per second, or as fast as the connections go.
    rate: Option<f64>,
}

/// What `oha --json` said.
#[derive(Debug, Default, Clone)]
struct Driven {
    requests: f64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    /// Non-2xx answers plus transport errors.
    errors: f64,
}

fn spawn_oha(drive: &Drive, seconds: u64) -> Result<Child> {
    let mut cmd = Command::new("oha");
    // -w: requests running at the deadline finish and count, instead of
    // being aborted as errors.
    cmd.args([
        "--no-tui",
        "-w",
        "--output-format",
        "json",
        "-z",
        &format!("{seconds}s"),
    ])
    .args(["-c", &drive.connections.to_string(), "-m", "POST"])
    .args(["-H", "content-type: application/json"]);
    if let Some(rate) = drive.rate {
        cmd.args(["-q", &format!("{rate:.2}")]);
    }
    for h in &drive.headers {
        cmd.args(["-H", h]);
    }
    cmd.args([
        "-d",
        &json!({ "query": drive.query }).to_string(),
        &drive.url,
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    cmd.spawn().context(
        "oha is not installed: cargo install oha --version 1.x (cargo xtask bench installs it)",
    )
}

fn read_oha(child: Child) -> Result<Driven> {
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("oha failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let v: Value = serde_json::from_slice(&out.stdout).context("oha's JSON")?;
    let ms = |p: &str| v["latencyPercentiles"][p].as_f64().unwrap_or(f64::NAN) * 1000.0;
    let statuses = v["statusCodeDistribution"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let count = |ok: bool| -> f64 {
        statuses
            .iter()
            .filter(|(code, _)| code.starts_with('2') == ok)
            .filter_map(|(_, n)| n.as_f64())
            // (An empty float sum is -0.0.)
            .sum::<f64>()
            + 0.0
    };
    let transport: f64 = v["errorDistribution"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_f64).sum::<f64>() + 0.0)
        .unwrap_or(0.0);
    let requests = count(true) + count(false);
    Ok(Driven {
        requests,
        rps: v["summary"]["requestsPerSec"].as_f64().unwrap_or(0.0),
        p50_ms: ms("p50"),
        p99_ms: ms("p99"),
        p999_ms: ms("p99.9"),
        errors: count(false) + transport,
    })
}

/// Runs every drive at once for `seconds`.
fn drive_all(drives: &[Drive], seconds: u64) -> Result<Vec<Driven>> {
    let children = drives
        .iter()
        .map(|d| spawn_oha(d, seconds))
        .collect::<Result<Vec<_>>>()?;
    children.into_iter().map(read_oha).collect()
}

async fn post(
    base: &str,
    headers: &[(&str, &str)],
    query: &str,
) -> Result<(Value, Option<String>)> {
    let mut req = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .header("x-roster-csrf", "1")
        .json(&json!({ "query": query }));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await?;
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    Ok((resp.json().await?, cookie))
}

fn login_query(login: &str) -> String {
    format!(
        "mutation {{ login(usernameOrEmail: \"{login}\", password: \"{PASSWORD}\") {{ sessionExpiresAt }} }}"
    )
}

async fn login(base: &str, who: &str) -> Result<String> {
    let (body, cookie) = post(base, &[], &login_query(who)).await?;
    cookie.with_context(|| format!("login as {who}: {body}"))
}

/// GraphQL answers with errors, from a replica's own `/metrics`.
async fn graphql_errors(base: &str) -> Result<f64> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await?
        .text()
        .await?;
    Ok(text
        .lines()
        .filter(|l| {
            l.starts_with("roster_graphql_requests_total{") && !l.contains("outcome=\"ok\"")
        })
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum())
}

/// The users the workload needs: `admin` (the bootstrap superuser),
/// `reader` (a viewer who reads and logs in) and `target` (whom the
/// writes rename).
fn seed(bin: &Path, url: &str) -> Result<()> {
    let run = |args: &[&str]| -> Result<()> {
        let out = Command::new(bin)
            .args(args)
            .env("DATABASE_URL", url)
            .output()?;
        if !out.status.success() {
            bail!("roster {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    };
    run(&[
        "bootstrap-superuser",
        "--email",
        "admin@example.com",
        "--password",
        PASSWORD,
    ])?;
    for email in ["reader@example.com", "target@example.com"] {
        run(&[
            "provision-user",
            "--actor-email",
            "admin@example.com",
            "--actor-password",
            PASSWORD,
            "--email",
            email,
            "--role",
            "viewer",
            "--password",
            PASSWORD,
        ])?;
    }
    Ok(())
}

struct Mix {
    drives: Vec<Drive>,
    classes: Vec<&'static str>,
}

/// The workload at `rate` requests/s spread over `replicas`.
async fn mix(replicas: &[&Server], rate: f64) -> Result<Mix> {
    let mut drives = Vec::new();
    let mut classes = Vec::new();
    let share = rate / replicas.len() as f64;
    for server in replicas {
        let admin = login(&server.base, "admin").await?;
        let reader = login(&server.base, "reader").await?;
        let (found, _) = post(
            &server.base,
            &[("cookie", &admin)],
            "{ users(first: 1, filter: { search: \"target@\" }) { nodes { id } } }",
        )
        .await?;
        let target = found["data"]["users"]["nodes"][0]["id"]
            .as_str()
            .with_context(|| format!("no target user: {found}"))?
            .to_string();
        let url = format!("{}/graphql", server.base);
        let with = |cookie: &str| vec![format!("cookie: {cookie}"), "x-roster-csrf: 1".to_string()];
        for (class, query, headers, part, connections) in [
            ("viewer (read)", "{ viewer { user { id username roles } permissions } }".to_string(), with(&reader), 0.50, 24),
            ("users page (read)", "{ users(first: 20) { totalCount edges { node { id username email status roles } } } }".to_string(), with(&admin), 0.40, 24),
            ("updateUser (write)", format!("mutation {{ updateUser(id: \"{target}\", input: {{ displayName: \"Load Target\" }}) {{ id }} }}"), with(&admin), 0.09, 8),
            ("login", login_query("reader"), vec!["x-roster-csrf: 1".to_string()], 0.01, 4),
        ] {
            drives.push(Drive {
                url: url.clone(),
                query,
                headers,
                connections,
                rate: Some(share * part),
            });
            classes.push(class);
        }
    }
    Ok(Mix { drives, classes })
}

/// Runs the mix for `seconds` and prints what it measured; returns the
/// total requests/s and the worst p99 of the reads.
async fn run_mix(label: &str, replicas: &[&Server], rate: f64, seconds: u64) -> Result<(f64, f64)> {
    let mix = mix(replicas, rate).await?;
    let idle: Vec<f64> = replicas.iter().map(|s| s.memory_mib("VmRSS")).collect();
    let cpu_before: Vec<f64> = replicas.iter().map(|s| s.cpu_seconds()).collect();
    let errors_before = {
        let mut sum = 0.0;
        for s in replicas {
            sum += graphql_errors(&s.base).await?;
        }
        sum
    };
    let started = Instant::now();
    let driven = tokio::task::spawn_blocking({
        let drives = mix.drives.clone();
        move || drive_all(&drives, seconds)
    })
    .await??;
    let elapsed = started.elapsed().as_secs_f64();
    let mut errors_after = 0.0;
    for s in replicas {
        errors_after += graphql_errors(&s.base).await?;
    }
    println!("{label}: {rate:.0} requests/s offered for {seconds} s");
    let mut classes: Vec<(&str, Driven)> = Vec::new();
    for (class, d) in mix.classes.iter().zip(&driven) {
        match classes.iter_mut().find(|(c, _)| c == class) {
            // Two replicas: the sums, and the worse latency of the two.
            Some((_, sum)) => {
                sum.requests += d.requests;
                sum.rps += d.rps;
                sum.errors += d.errors;
                sum.p50_ms = sum.p50_ms.max(d.p50_ms);
                sum.p99_ms = sum.p99_ms.max(d.p99_ms);
                sum.p999_ms = sum.p999_ms.max(d.p999_ms);
            }
            None => classes.push((class, d.clone())),
        }
    }
    let mut total_rps = 0.0;
    let mut requests = 0.0;
    let mut transport = 0.0;
    let mut worst_read_p99: f64 = 0.0;
    for (class, d) in &classes {
        println!(
            "  {class:<20} {:>7.1} req/s  p50 {:>6.2} ms  p99 {:>7.2} ms  p99.9 {:>7.2} ms  errors {}",
            d.rps, d.p50_ms, d.p99_ms, d.p999_ms, d.errors
        );
        total_rps += d.rps;
        requests += d.requests;
        transport += d.errors;
        if class.ends_with("(read)") {
            worst_read_p99 = worst_read_p99.max(d.p99_ms);
        }
    }
    println!(
        "  total {total_rps:.1} req/s ({requests:.0} requests in {elapsed:.1} s); errors: {transport} HTTP, {} GraphQL",
        errors_after - errors_before
    );
    for (i, s) in replicas.iter().enumerate() {
        let cpu = s.cpu_seconds() - cpu_before[i];
        let share = requests / replicas.len() as f64;
        println!(
            "  replica {}: RSS idle {:.1} MiB, peak {:.1} MiB; CPU {:.1} s = {:.0} µs per request",
            i + 1,
            idle[i],
            s.memory_mib("VmHWM"),
            cpu,
            cpu * 1e6 / share.max(1.0)
        );
    }
    Ok((total_rps, worst_read_p99))
}

/// Overhead at fixed connections: requests/s and server CPU per request.
async fn overhead(roster: &Server, seconds: u64) -> Result<()> {
    let bare = start_bare().await?;
    let reader = login(&roster.base, "reader").await?;
    let connections = 16;
    let cases = [
        (
            "bare axum endpoint",
            &bare,
            "{ viewer { user { id } } }",
            vec![],
        ),
        (
            "serverInfo, anonymous",
            roster,
            "{ serverInfo { version } }",
            vec![],
        ),
        (
            "viewer, session cookie",
            roster,
            "{ viewer { user { id username roles } permissions } }",
            vec![format!("cookie: {reader}"), "x-roster-csrf: 1".to_string()],
        ),
    ];
    println!("(1) {connections} connections for {seconds} s each, oha in its own process:");
    let mut bare_rps = 0.0;
    let mut bare_cpu = 0.0;
    for (label, server, query, headers) in cases {
        let drive = Drive {
            url: format!("{}/graphql", server.base),
            query: query.to_string(),
            headers,
            connections,
            rate: None,
        };
        let before = server.cpu_seconds();
        let d = tokio::task::spawn_blocking(move || drive_all(&[drive], seconds)).await??;
        let d = &d[0];
        let cpu_us = (server.cpu_seconds() - before) * 1e6 / d.requests.max(1.0);
        if bare_rps == 0.0 {
            bare_rps = d.rps;
            bare_cpu = cpu_us;
        }
        println!(
            "  {label:<24} {:>8.0} req/s = {:>3.0} % of bare; server CPU {:>5.0} µs per request = {:.1}x bare; p99 {:.2} ms; errors {}",
            d.rps,
            100.0 * d.rps / bare_rps,
            cpu_us,
            cpu_us / bare_cpu.max(1e-9),
            d.p99_ms,
            d.errors
        );
    }
    Ok(())
}

/// `roster-bench --load [--postgres]`.
pub async fn run(
    db: &Database,
    postgres: bool,
    seconds: u64,
    load_seconds: u64,
    rate: f64,
) -> Result<()> {
    let bin = roster_binary()?;
    seed(&bin, &db.url)?;
    let a = start_roster(&bin, &db.url).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "roster serve idle: RSS {:.1} MiB (target < 30 MiB)",
        a.memory_mib("VmRSS")
    );
    overhead(&a, seconds).await?;
    let backend = if postgres { "Postgres" } else { "SQLite" };
    let (one, one_p99) = run_mix(
        &format!("(2) one replica on {backend}"),
        &[&a],
        rate,
        load_seconds,
    )
    .await?;
    let mut replicas = vec![a];
    if postgres {
        let b = start_roster(&bin, &db.url).await?;
        let (two, two_p99) = run_mix(
            "(3) two replicas on Postgres",
            &[&replicas[0], &b],
            rate,
            load_seconds,
        )
        .await?;
        println!(
            "two replicas / one: throughput {:.2}, worst read p99 {:.2}",
            two / one.max(1e-9),
            two_p99 / one_p99.max(1e-9)
        );
        replicas.push(b);
    }
    for (i, r) in replicas.iter().enumerate() {
        println!(
            "replica {}: peak RSS {:.1} MiB (target < 100 MiB)",
            i + 1,
            r.memory_mib("VmHWM")
        );
    }
    // The hashing threads give their memory back after 30 s without work,
    // one after the other.
    tokio::time::sleep(Duration::from_secs(65)).await;
    for (i, r) in replicas.iter().enumerate() {
        println!(
            "replica {}: RSS 65 s after the load {:.1} MiB (target < 30 MiB idle)",
            i + 1,
            r.memory_mib("VmRSS")
        );
    }
    Ok(())
}
