//! `roster enable-rls` and `roster disable-rls` (SPEC §10, seed 002
//! "Postgres Row-Level Security"): the report as one line per table, or
//! as JSON with `--json`. Exit 4 when Postgres refused a statement for want
//! of privilege (the rest was still done), 2 on SQLite.

use sea_orm::DbBackend;

use super::{Failure, as_operator};
use crate::app::App;
use crate::service::rls::{self, TableReport};

/// Enables (`true`) or disables row-level security and prints the report.
pub async fn run(app: &App, enable: bool, json: bool) -> Result<(), Failure> {
    if app.db.get_database_backend() != DbBackend::Postgres {
        return Err(Failure {
            message: "row-level security needs Postgres; this server uses SQLite".into(),
            code: 2,
        });
    }
    let reports = if enable {
        as_operator(app, async |w| rls::enable(w).await).await?
    } else {
        as_operator(app, async |w| rls::disable(w).await).await?
    };
    if json {
        let all: Vec<serde_json::Value> = reports.iter().map(TableReport::to_json).collect();
        println!("{}", serde_json::Value::Array(all));
    } else {
        for r in &reports {
            println!("{}", line(r));
        }
    }
    if reports.iter().any(|r| r.privilege_missing) {
        return Err(Failure {
            message: "Postgres refused some statements for want of privilege: connect as the tables' owner or a superuser, or ALTER TABLE … OWNER TO this role, and run it again".into(),
            code: 4,
        });
    }
    Ok(())
}

fn line(r: &TableReport) -> String {
    let policies: Vec<String> = r
        .policies
        .iter()
        .map(|(kind, change)| format!("{kind} {}", change.as_str()))
        .collect();
    let state = if !r.exists {
        "missing".to_string()
    } else {
        format!(
            "rls {}, {}",
            if r.rls_enabled { "on" } else { "off" },
            if r.forced { "forced" } else { "not forced" }
        )
    };
    let mut out = format!("{:<24} {state}; policies: {}", r.table, policies.join(", "));
    if let Some(message) = &r.message {
        out.push_str(&format!(" — {message}"));
    }
    out
}
