//! Row-level security's cost (issue 14), on Postgres only: Roster connects
//! as a role that owns its tables and is neither a superuser nor exempt
//! from RLS (as a production deployment should), so the policies bind it
//! when they are on. Each round measures, with RLS off then on (`disable`
//! and `enable` of `service::rls`, as `roster disable-rls`/`enable-rls`):
//!
//! - `viewer` with a session cookie,
//! - `users(first: 50)` over 1,000 users,
//! - `mySessions` and `myTokens` with a personal access token (reads of
//!   Roster's own tables, which the policies filter),
//!
//! 16 clients for `--seconds` each; a request's unit of work (its
//! transaction and the `set_config` of `app.user_id` and `roster.scope`) is
//! in both. The ratio on/off of each round is taken against the off run
//! right before it, and the median of `--rounds` is reported (target:
//! ≥ 85 %).

use anyhow::{Result, bail};
use roster::service::work::{Mode, Work};
use roster::service::{Actor, rls};
use serde_json::json;

use super::{Call, Database, load, personal_token, session_cookie, start_servers, viewer_call};

/// The role Roster runs as here.
const OWNER: &str = "roster_bench_owner";

/// Users in the database, for `users(first: 50)`.
const USERS: u64 = 1_000;

pub async fn run(db: &Database, seconds: u64, rounds: u64) -> Result<()> {
    let Some((admin, name)) = &db.pg else {
        bail!("--rls needs --postgres: row-level security is Postgres's");
    };
    let superuser = sea_orm::Database::connect(format!("{admin}/{name}")).await?;
    roster_tests::ensure_login_role(&superuser, OWNER).await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &superuser,
        &format!("ALTER DATABASE \"{name}\" OWNER TO {OWNER}"),
    )
    .await?;
    let url = format!("{}/{name}", roster_tests::url_as(admin, OWNER));

    let (base, _bare, stop) = start_servers(&url)?;
    sea_orm::ConnectionTrait::execute_unprepared(
        &superuser,
        &format!(
            "INSERT INTO users (id, username, email, display_name, status, claims, created_at, updated_at) \
             SELECT '01RLS' || lpad(i::text, 21, '0'), 'member' || i, 'member' || i || '@bench.example', \
                    'Member ' || i, 'active', '{{}}', now(), now() \
             FROM generate_series(1, {USERS}) AS i; ANALYZE"
        ),
    )
    .await?;
    superuser.close().await?;

    // The library on the same database, as the operator, to switch RLS.
    let vars = std::collections::HashMap::from([("DATABASE_URL".to_string(), url.clone())]);
    let config = roster::Config::from_vars(&vars)?;
    let app = roster::App::new(roster::db::connect(&url).await?, config)?;
    let switch = async |on: bool| -> Result<()> {
        let reports = Work::run(&app, Actor::cli_operator(), Mode::Write, async |w| {
            if on {
                rls::enable(w).await
            } else {
                rls::disable(w).await
            }
        })
        .await?;
        let roster_tables: Vec<_> = reports.iter().filter(|r| r.roster).collect();
        if roster_tables.len() != rls::ROSTER_TABLES.len()
            || roster_tables
                .iter()
                .any(|r| r.rls_enabled != on || r.forced != on)
        {
            bail!(
                "RLS was not switched {}: {reports:?}",
                if on { "on" } else { "off" }
            );
        }
        Ok(())
    };

    let client = reqwest::Client::new();
    let cookie = session_cookie(&client, &base).await?;
    let token = personal_token(&base, &cookie).await?;
    let graphql = format!("{base}/graphql");
    let calls = [
        (
            "viewer (cookie)",
            viewer_call(&base, ("cookie", cookie.clone())),
        ),
        (
            "users(first: 50) (cookie)",
            Call {
                url: graphql.clone(),
                body: json!({ "query": "{ users(first: 50) { edges { node { id username email status } } } }" }),
                headers: vec![("cookie", cookie.clone()), ("x-roster-csrf", "1".into())],
            },
        ),
        (
            "mySessions + myTokens (token)",
            Call {
                url: graphql.clone(),
                body: json!({ "query": "{ mySessions { id } myTokens { id name } }" }),
                headers: vec![
                    ("authorization", format!("Bearer {token}")),
                    ("x-roster-csrf", "1".into()),
                ],
            },
        ),
    ];

    let workers = 16;
    println!(
        "Roster as {OWNER} (not a superuser, owns its tables: FORCE binds it); {workers} clients, {seconds} s per run"
    );
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); calls.len()];
    for round in 1..=rounds {
        let mut off = Vec::new();
        switch(false).await?;
        for (_, call) in &calls {
            off.push(load(call.clone(), workers, seconds, None).await?.0);
        }
        switch(true).await?;
        for (i, (label, call)) in calls.iter().enumerate() {
            let on = load(call.clone(), workers, seconds, None).await?.0;
            let ratio = 100.0 * on / off[i];
            println!(
                "round {round}: {label:<30} RLS off {:.0} req/s, on {on:.0} req/s = {ratio:.0} %",
                off[i]
            );
            ratios[i].push(ratio);
        }
    }
    for (i, (label, _)) in calls.iter().enumerate() {
        let mut r = ratios[i].clone();
        r.sort_by(f64::total_cmp);
        println!(
            "(j) {label:<30} RLS on / off, median of {}: {:.0} % [target >= 85 %]",
            r.len(),
            r[r.len() / 2]
        );
    }
    let _ = stop.send(());
    Ok(())
}
