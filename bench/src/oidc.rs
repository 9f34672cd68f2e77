//! OIDC benchmarks (issue 13), against the OpenID Certified provider of the
//! tests (npm `oidc-provider`, `tests/peers`, installed by `cargo xtask
//! setup`) on loopback:
//!
//! (h) `viewer` requests/s with the provider's JWT access token as a ratio
//!     to a personal access token of the same user, 16 clients, alternating
//!     for `--rounds` rounds, the median ratio (target: ≥ 70 %);
//! (i) time per login through the whole flow, as a browser does it: Roster
//!     redirects to the provider (`begin`), the provider's login and
//!     consent pages (`provider`), the callback (`callback`), which Roster
//!     splits into the code exchange with the provider (`token_exchange`,
//!     from `roster_oidc_login_step_seconds`) and the account work
//!     (`account`: provisioning or finding the user, the role sync, the
//!     session); first logins (each provisions an account) and returning
//!     ones.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use roster_tests::oidc::{CLIENT_ID, CLIENT_SECRET, Provider, browser};
use serde_json::{Value, json};

use super::{Database, load, personal_token, start_servers_with, viewer_call};

/// The audience of the provider's tokens for Roster's API.
const API: &str = "urn:roster:api";

/// The public address Roster is configured with: the provider sends the
/// browser there, and the benchmark sends it to the real port instead.
const PUBLIC: &str = "http://roster.bench";

/// Logins timed of each kind.
const LOGINS: usize = 40;

pub async fn run(db: &Database, seconds: u64, rounds: u64) -> Result<()> {
    let port = Provider::port();
    let issuer = Provider::issuer_at(port);
    let (base, _bare, stop) = start_servers_with(
        &db.url,
        &[
            ("ROSTER_PUBLIC_URL", PUBLIC),
            ("OIDC_ISSUER_URL", issuer.as_str()),
            ("OIDC_CLIENT_ID", CLIENT_ID),
            ("OIDC_CLIENT_SECRET", CLIENT_SECRET),
            ("OIDC_SCOPES", "openid email profile groups"),
            ("OIDC_AUDIENCE", API),
            ("OIDC_AUTO_PROVISION_USERS", "on"),
            ("OIDC_GROUP_ROLE_MAP", "staff=admin"),
            ("OIDC_GROUP_ROLE_DEFAULTS", "viewer"),
        ],
    )?;
    let accounts: serde_json::Map<String, Value> = (0..LOGINS)
        .map(|i| {
            (
                format!("user{i}"),
                json!({ "email": format!("user{i}@example.com"), "email_verified": true,
                        "name": format!("User {i}"), "preferred_username": format!("user{i}"),
                        "groups": ["staff"] }),
            )
        })
        .collect();
    let provider = Provider::start(
        port,
        &format!("{PUBLIC}/auth/oidc/callback"),
        &Value::Object(accounts),
    );

    // (i) first logins (provisioning), then the same people again.
    let mut cookie = String::new();
    for kind in ["first", "returning"] {
        let before = steps(&base).await?;
        let mut timings = Vec::new();
        for i in 0..LOGINS {
            let (timing, session) = login(&provider, &base, &format!("user{i}")).await?;
            timings.push(timing);
            if i == 0 {
                cookie = session;
            }
        }
        let after = steps(&base).await?;
        report(kind, &timings, &before, &after);
    }

    // (h) the same user's personal access token and provider token.
    let pat = personal_token(&base, &cookie).await?;
    let workers = 16;
    let mut ratios = Vec::new();
    for round in 1..=rounds {
        // A fresh provider token each round: they last five minutes.
        let jwt = provider.access_token("user0", API).await;
        let (pat_rps, _) = load(
            viewer_call(&base, ("authorization", format!("Bearer {pat}"))),
            workers,
            seconds,
            None,
        )
        .await?;
        let (jwt_rps, _) = load(
            viewer_call(&base, ("authorization", format!("Bearer {jwt}"))),
            workers,
            seconds,
            None,
        )
        .await?;
        let ratio = 100.0 * jwt_rps / pat_rps;
        println!(
            "round {round}: (h) viewer req/s ({workers} clients) with a personal access token {pat_rps:.0}, with the provider's JWT {jwt_rps:.0} = {ratio:.0} %"
        );
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "(h) median of {} rounds: {:.0} % of the personal access token [target >= 70 %]",
        ratios.len(),
        ratios[ratios.len() / 2]
    );
    let _ = stop.send(());
    Ok(())
}

/// One login's client-side times.
struct Timing {
    begin: Duration,
    provider: Duration,
    callback: Duration,
}

/// Signs `account` in through the whole flow with a fresh browser: its
/// times, and the session cookie (`roster_session=…`).
async fn login(provider: &Provider, base: &str, account: &str) -> Result<(Timing, String)> {
    let browser = browser();
    let started = Instant::now();
    let to_provider = browser
        .get(format!("{base}/auth/oidc/login?return_to=/admin/"))
        .send()
        .await?;
    let location = to_provider
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .context("no redirect to the provider")?
        .to_string();
    let begin = started.elapsed();
    let at_provider = Instant::now();
    let callback = provider.sign_in(&browser, &location, account).await;
    let provider_time = at_provider.elapsed();
    let callback = callback.replacen(PUBLIC, base, 1);
    let at_callback = Instant::now();
    let done = browser.get(&callback).send().await?;
    let callback_time = at_callback.elapsed();
    if done.status().as_u16() != 303 {
        bail!(
            "the callback answered {}: {}",
            done.status(),
            done.text().await.unwrap_or_default()
        );
    }
    let session = done
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with("roster_session="))
        .and_then(|c| c.split(';').next())
        .context("no session cookie")?
        .to_string();
    Ok((
        Timing {
            begin,
            provider: provider_time,
            callback: callback_time,
        },
        session,
    ))
}

/// The sum and count of `roster_oidc_login_step_seconds` by step.
async fn steps(base: &str) -> Result<Vec<(String, f64, f64)>> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await?
        .text()
        .await?;
    let mut out = Vec::new();
    for step in ["token_exchange", "account"] {
        let value = |suffix: &str| {
            let prefix = format!("roster_oidc_login_step_seconds_{suffix}{{step=\"{step}\"}} ");
            text.lines()
                .find_map(|l| l.strip_prefix(prefix.as_str()))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        out.push((step.to_string(), value("sum"), value("count")));
    }
    Ok(out)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn report(
    kind: &str,
    timings: &[Timing],
    before: &[(String, f64, f64)],
    after: &[(String, f64, f64)],
) {
    let column = |f: fn(&Timing) -> Duration| median(timings.iter().map(|t| ms(f(t))).collect());
    let total = median(
        timings
            .iter()
            .map(|t| ms(t.begin + t.provider + t.callback))
            .collect(),
    );
    println!(
        "(i) {kind} logins ({}): median per login {total:.1} ms = begin {:.1} ms + provider pages {:.1} ms + callback {:.1} ms",
        timings.len(),
        column(|t| t.begin),
        column(|t| t.provider),
        column(|t| t.callback),
    );
    for ((step, sum_before, count_before), (_, sum_after, count_after)) in before.iter().zip(after)
    {
        let count = count_after - count_before;
        if count > 0.0 {
            println!(
                "    callback step {step}: mean {:.1} ms over {count} logins",
                1000.0 * (sum_after - sum_before) / count
            );
        }
    }
}
