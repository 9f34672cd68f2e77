//! Issue 12's audit benchmarks (`--audit`), each against a baseline taken in
//! the same run:
//!
//! (e) page times of `auditEvents` over 1,000,000 events: unfiltered,
//!     filtered by event types and a date range, by actor, all three, and
//!     the same deep in the listing (target: p99 < 30 ms; depth makes no
//!     difference);
//! (f) the CSV download of all 1,000,000 events, rows/s as a ratio to the
//!     database's own CSV export of the same rows in the same order
//!     (`COPY … TO STDOUT CSV` through `psql`, `sqlite3 -csv`; target ≥ 50 %),
//!     and how much the process's resident memory grows meanwhile (target
//!     < 20 MB);
//! (g) `updateUser` mutations/s from 16 concurrent writers with the audit
//!     sealer on, as a ratio to the same with it off (`AUDIT_SEALER=off`),
//!     alternating rounds (target ≥ 90 %).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use roster::service::audit_log::AuditCursor;
use serde_json::{Value, json};

use super::{
    Call, Database, database, drop_database, latencies, session_cookie, start_servers_with,
};

const EVENTS: u64 = 1_000_000;
const TYPES: [&str; 10] = [
    "user.login",
    "user.updated",
    "user.created",
    "user.deactivated",
    "org.created",
    "membership.added",
    "apikey.created",
    "session.revoked",
    "permission.denied",
    "user.login_failed",
];

/// The time of seeded event `i`: 30 s apart from 2025-01-01 (347 days).
fn event_at(i: u64) -> chrono::DateTime<chrono::Utc> {
    let start = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00+00:00")
        .map(|d| d.with_timezone(&chrono::Utc))
        .unwrap_or_default();
    start + chrono::Duration::seconds(i64::try_from(i * 30).unwrap_or(0))
}

/// Inserts `EVENTS` events straight into the database: 1,000 actors, 10
/// event types, 5,000 user resources, details like a real update's. They
/// are given places in the chain beyond the real ones, so the sealer leaves
/// them alone (their hashes are not real: this measures reading).
async fn seed_events(url: &str) -> Result<()> {
    let case = TYPES
        .iter()
        .enumerate()
        .map(|(k, t)| format!("WHEN {k} THEN '{t}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let sql = if url.starts_with("postgres") {
        format!(
            "INSERT INTO audit_events (id, occurred_at, actor_id, actor_username, channel, event_type, \
                 resource_type, resource_id, ip_address, user_agent, details, row_hash, seq, chain_hash) \
             SELECT '01EVENT' || lpad(i::text, 19, '0'), \
                    timestamptz '2025-01-01 00:00:00+00' + i * interval '30 seconds', \
                    'ACTOR' || lpad((i % 1000)::text, 4, '0'), 'user' || (i % 1000), 'api', \
                    CASE i % 10 {case} END, 'user', 'U' || (i % 5000), \
                    '10.0.' || (i % 250) || '.' || (i % 200), 'bench/1.0', \
                    jsonb_build_object('changes', jsonb_build_object('display_name', jsonb_build_object('old', 'a', 'new', 'b'))), \
                    'bench', 1000000000 + i, 'bench' \
             FROM generate_series(1, {EVENTS}) AS i"
        )
    } else {
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {EVENTS}) \
             INSERT INTO audit_events (id, occurred_at, actor_id, actor_username, channel, event_type, \
                 resource_type, resource_id, ip_address, user_agent, details, row_hash, seq, chain_hash) \
             SELECT printf('01EVENT%019d', i), \
                    strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', '2025-01-01 00:00:00', '+' || (i * 30) || ' seconds'), \
                    printf('ACTOR%04d', i % 1000), 'user' || (i % 1000), 'api', \
                    CASE i % 10 {case} END, 'user', 'U' || (i % 5000), \
                    '10.0.' || (i % 250) || '.' || (i % 200), 'bench/1.0', \
                    json_object('changes', json_object('display_name', json_object('old', 'a', 'new', 'b'))), \
                    'bench', 1000000000 + i, 'bench' \
             FROM n"
        )
    };
    super::seed(url, &sql).await
}

/// This process's resident memory, in bytes.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The database's own CSV export of the same rows, newest first: rows/s.
fn database_export(db: &Database, sqlite_file: &std::path::Path) -> Result<f64> {
    let select = "SELECT occurred_at, actor_username, event_type, resource_type || ':' || resource_id, \
                  ip_address, details FROM audit_events ORDER BY occurred_at DESC, id DESC";
    let started = Instant::now();
    let status = match &db.pg {
        Some(_) => std::process::Command::new("psql")
            .arg(&db.url)
            .arg("-q")
            .arg("-c")
            .arg(format!("COPY ({select}) TO STDOUT CSV"))
            .stdout(std::process::Stdio::null())
            .status()
            .context("psql")?,
        None => std::process::Command::new("sqlite3")
            .arg("-csv")
            .arg(sqlite_file)
            .arg(select)
            .stdout(std::process::Stdio::null())
            .status()
            .context("sqlite3")?,
    };
    if !status.success() {
        bail!("the database's own export failed: {status}");
    }
    Ok(EVENTS as f64 / started.elapsed().as_secs_f64())
}

/// Downloads the whole CSV; rows/s and the largest growth of resident
/// memory seen while it streamed.
async fn download(base: &str, cookie: &str) -> Result<(f64, u64, u64)> {
    let before = rss();
    let peak = Arc::new(AtomicU64::new(before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let started = Instant::now();
    let response = reqwest::Client::new()
        .get(format!("{base}/admin/api/audit.csv"))
        .header("cookie", cookie)
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("download: {}", response.status());
    }
    let mut response = response;
    let mut lines = 0u64;
    while let Some(chunk) = response.chunk().await? {
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
    }
    let elapsed = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    // Header line and the real events (bootstrap) aside.
    if lines < EVENTS {
        bail!("the download had {lines} lines");
    }
    Ok((
        EVENTS as f64 / elapsed,
        peak.load(Ordering::Relaxed).saturating_sub(before),
        lines,
    ))
}

/// (e) and (f) on one database.
async fn read_bench(db: &Database, rounds: u64) -> Result<()> {
    let (base, _bare, stop) = start_servers_with(&db.url, &[("AUDIT_SEALER", "off")])?;
    let started = Instant::now();
    seed_events(&db.url).await?;
    println!(
        "seeded {EVENTS} audit events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let client = reqwest::Client::new();
    let cookie = session_cookie(&client, &base).await?;
    let page = |variables: Value| Call {
        url: format!("{base}/graphql"),
        body: json!({
            "query": "query($a: String, $f: AuditEventsFilter) { auditEvents(first: 50, after: $a, filter: $f) { pageInfo { hasNextPage } edges { cursor node { id occurredAt actorName eventType resourceType resourceId resourceName ipAddress details } } } }",
            "variables": variables,
        }),
        headers: vec![("cookie", cookie.clone()), ("x-roster-csrf", "1".into())],
    };
    let cursor_at = |i: u64| {
        AuditCursor {
            occurred_at: event_at(i),
            id: format!("01EVENT{i:019}"),
        }
        .encode()
    };
    let types = json!(["user.updated", "org.created"]);
    let month = json!({ "from": "2025-06-01T00:00:00Z", "to": "2025-07-01T00:00:00Z" });
    let cases = [
        ("first page, no filter", page(json!({}))),
        (
            "event types + a month",
            page(json!({ "f": { "eventTypes": types, "from": month["from"], "to": month["to"] } })),
        ),
        (
            "one actor",
            page(json!({ "f": { "actorId": "ACTOR0042" } })),
        ),
        (
            "event types + a month + one actor",
            page(
                json!({ "f": { "eventTypes": types, "from": month["from"], "to": month["to"], "actorId": "ACTOR0041" } }),
            ),
        ),
        (
            "after 100,000 events",
            page(json!({ "a": cursor_at(900_000) })),
        ),
        (
            "after 900,000 events",
            page(json!({ "a": cursor_at(100_000) })),
        ),
        (
            "event types, after 900,000 events",
            page(json!({ "a": cursor_at(100_000), "f": { "eventTypes": types } })),
        ),
        (
            "one actor, after 900,000 events",
            page(json!({ "a": cursor_at(100_000), "f": { "actorId": "ACTOR0042" } })),
        ),
    ];
    println!("(e) auditEvents(first: 50), 100 sequential requests each [target p99 < 30 ms]");
    for (name, call) in &cases {
        // One warm-up pass, then the measured one.
        latencies(call, 20).await?;
        let (p50, p99) = latencies(call, 100).await?;
        println!(
            "    {name:<40} p50 {:>6.1} ms   p99 {:>6.1} ms",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
    }
    let sqlite_file = db._dir.path().join("bench.db");
    let mut ratios = Vec::new();
    for round in 1..=rounds {
        let baseline = database_export(db, &sqlite_file)?;
        let (rows, grew, lines) = download(&base, &cookie).await?;
        let ratio = 100.0 * rows / baseline;
        println!(
            "(f) round {round}: database's own CSV export {baseline:.0} rows/s; GET /admin/api/audit.csv {rows:.0} rows/s ({lines} lines) = {ratio:.0} % [target >= 50 %]; resident memory grew {:.1} MB [target < 20 MB]",
            grew as f64 / 1e6
        );
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "(f) median of {rounds} rounds: {:.0} % of the database's own export",
        ratios[ratios.len() / 2]
    );
    let _ = stop.send(());
    Ok(())
}

/// Creates `n` users through the API; their ids.
async fn writers(base: &str, cookie: &str, n: usize) -> Result<Vec<String>> {
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for i in 0..n {
        let reply: Value = client
            .post(format!("{base}/graphql"))
            .header("cookie", cookie)
            .header("x-roster-csrf", "1")
            .json(&json!({
                "query": "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }",
                "variables": { "i": { "username": format!("writer{i}"), "email": format!("writer{i}@bench.example") } },
            }))
            .send()
            .await?
            .json()
            .await?;
        ids.push(
            reply["data"]["createUser"]["user"]["id"]
                .as_str()
                .with_context(|| format!("createUser: {reply}"))?
                .to_string(),
        );
    }
    Ok(ids)
}

/// `updateUser` mutations/s from one writer per user, each changing its
/// own user's display name, for `seconds`.
async fn mutations(base: &str, cookie: &str, ids: &[String], seconds: u64) -> Result<f64> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(ids.len())
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = ids
        .iter()
        .cloned()
        .map(|id| {
            let (client, base, cookie) = (client.clone(), base.to_string(), cookie.to_string());
            tokio::spawn(async move {
                let mut done = 0u64;
                let mut failed = 0u64;
                while Instant::now() < deadline {
                    let reply = client
                        .post(format!("{base}/graphql"))
                        .header("cookie", &cookie)
                        .header("x-roster-csrf", "1")
                        .json(&json!({
                            "query": "mutation($id: ID!, $n: String) { updateUser(id: $id, input: { displayName: $n }) { id } }",
                            "variables": { "id": id, "n": format!("Writer {done}") },
                        }))
                        .send()
                        .await;
                    let ok = match reply {
                        Ok(r) => r.json::<Value>().await.is_ok_and(|v| v["errors"].is_null()),
                        Err(_) => false,
                    };
                    if ok { done += 1 } else { failed += 1 }
                }
                (done, failed)
            })
        })
        .collect();
    let mut done = 0;
    for t in tasks {
        let (d, f) = t.await?;
        if f > 0 {
            bail!("{f} mutations failed");
        }
        done += d;
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}

/// (g): mutations/s with the sealer on and off, alternating rounds.
async fn write_bench(postgres: bool, seconds: u64, rounds: u64) -> Result<()> {
    let mut ratios = Vec::new();
    for round in 1..=rounds {
        let mut rates = Vec::new();
        for sealer in ["on", "off"] {
            let db = database(postgres).await?;
            let (base, _bare, stop) = start_servers_with(&db.url, &[("AUDIT_SEALER", sealer)])?;
            let cookie = session_cookie(&reqwest::Client::new(), &base).await?;
            let ids = writers(&base, &cookie, 16).await?;
            let rate = mutations(&base, &cookie, &ids, seconds).await?;
            let _ = stop.send(());
            drop_database(&db).await;
            rates.push(rate);
        }
        let ratio = 100.0 * rates[0] / rates[1];
        println!(
            "(g) round {round}: updateUser mutations/s, 16 writers: sealer on {:.0}, off {:.0} = {ratio:.0} % [target >= 90 %]",
            rates[0], rates[1]
        );
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "(g) median of {rounds} rounds: {:.0} % with the sealer on",
        ratios[ratios.len() / 2]
    );
    Ok(())
}

/// `--audit`: (e), (f) and (g); with `--writes-only`, (g) alone.
pub async fn run(
    db: &Database,
    postgres: bool,
    seconds: u64,
    rounds: u64,
    writes_only: bool,
) -> Result<()> {
    if !writes_only {
        read_bench(db, rounds).await?;
    }
    write_bench(postgres, seconds, rounds).await
}
