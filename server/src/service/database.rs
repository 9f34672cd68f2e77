//! "Prepare Postgres" (SPEC §10): installs `pg_trgm` and the trigram indexes
//! that user and organization search use. Idempotent: what is there already
//! is reported as present. SQLite needs nothing (its trigram index comes with
//! the migrations).

use sea_orm::{ConnectionTrait, DbBackend, DbErr, RuntimeErr, Statement};
use serde_json::json;

use super::audit::AuditEvent;
use super::policy;
use super::work::Work;
use crate::error::{DomainError, Result};

/// The trigram indexes: name, table, indexed expression.
const TRIGRAM_INDEXES: &[(&str, &str, &str)] = &[
    ("users_username_trgm", "users", "lower(username)"),
    ("users_email_trgm", "users", "lower(email)"),
    ("users_display_name_trgm", "users", "lower(display_name)"),
    ("organizations_name_trgm", "organizations", "lower(name)"),
];

/// What happened to one part of the preparation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// Made now.
    Created,
    /// There already.
    Present,
    /// Could not be made; the message says why.
    Failed,
    /// Not tried, because something it needs failed.
    Skipped,
}

/// One line of the preparation report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    pub status: StepStatus,
    pub message: Option<String>,
}

impl Step {
    fn new(name: &str, status: StepStatus, message: Option<String>) -> Self {
        Self {
            name: name.to_string(),
            status,
            message,
        }
    }
}

pub(super) fn sqlstate(err: &DbErr) -> Option<String> {
    let runtime = match err {
        DbErr::Exec(e) | DbErr::Query(e) | DbErr::Conn(e) => e,
        _ => return None,
    };
    match runtime {
        RuntimeErr::SqlxError(sqlx) => match sqlx.as_ref() {
            sea_orm::sqlx::Error::Database(db) => db.code().map(|c| c.to_string()),
            _ => None,
        },
        _ => None,
    }
}

async fn exists(db: &impl ConnectionTrait, sql: &str, name: &str) -> Result<bool> {
    Ok(db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [name.into()],
        ))
        .await?
        .is_some())
}

/// Installs `pg_trgm` and the trigram indexes (needs `system:manage`), in one
/// transaction with its audit event. A database role without the privilege to
/// create the extension gets a report saying so, and nothing changes.
pub async fn prepare_postgres(work: &Work) -> Result<Vec<Step>> {
    policy::require_system_manager(work)?;
    if work.app().db.get_database_backend() != DbBackend::Postgres {
        return Err(DomainError::bad_input(
            "database",
            "Prepare Postgres applies to Postgres only; SQLite search has its trigram index already",
        ));
    }
    let txn = work.db().await?;
    let mut steps = Vec::new();
    let extension_present = exists(
        txn,
        "SELECT 1 FROM pg_extension WHERE extname = $1",
        "pg_trgm",
    )
    .await?;
    if extension_present {
        steps.push(Step::new("extension pg_trgm", StepStatus::Present, None));
    } else {
        // In a savepoint: a refusal must not abort the work's transaction.
        let created = crate::db::savepoint(txn, async |sp| {
            sp.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                .await
        })
        .await?;
        match created {
            Ok(_) => steps.push(Step::new("extension pg_trgm", StepStatus::Created, None)),
            Err(e) if sqlstate(&e).as_deref() == Some("42501") => {
                let mut report = vec![Step::new(
                    "extension pg_trgm",
                    StepStatus::Failed,
                    Some(
                        "Permission denied: ask a database superuser to run \
                         CREATE EXTENSION pg_trgm, then prepare again"
                            .into(),
                    ),
                )];
                report.extend(TRIGRAM_INDEXES.iter().map(|(name, _, _)| {
                    Step::new(
                        &format!("index {name}"),
                        StepStatus::Skipped,
                        Some("needs pg_trgm".into()),
                    )
                }));
                return Ok(report);
            }
            Err(e) => return Err(e.into()),
        }
    }
    for (name, table, expression) in TRIGRAM_INDEXES {
        let label = format!("index {name}");
        if exists(
            txn,
            "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1",
            name,
        )
        .await?
        {
            steps.push(Step::new(&label, StepStatus::Present, None));
            continue;
        }
        txn.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)"
        ))
        .await?;
        steps.push(Step::new(&label, StepStatus::Created, None));
    }
    let created: Vec<&str> = steps
        .iter()
        .filter(|s| s.status == StepStatus::Created)
        .map(|s| s.name.as_str())
        .collect();
    if created.is_empty() {
        return Ok(steps);
    }
    txn.execute_unprepared("ANALYZE users").await?;
    let event = AuditEvent::new("database.prepared").details(json!({ "created": created }));
    work.record(event);
    Ok(steps)
}
