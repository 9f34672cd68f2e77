//! Postgres row-level security for the tables whose rows belong to a user
//! (SPEC §10, seed 002 "Postgres Row-Level Security"): Roster's own
//! ([`ROSTER_TABLES`], owner column `user_id`) and the application's
//! (`RLS_TABLES`, owner column `RLS_OWNER_COLUMN`). [`enable`] turns it on
//! for each, [`disable`] is the seed's manual rollback, and [`status`] what
//! the database page shows.
//!
//! For each table, [`enable`] runs `ENABLE ROW LEVEL SECURITY` and `FORCE
//! ROW LEVEL SECURITY` (so the table's owner is bound too, not only other
//! roles), and creates the policies `select_owner`, `mod_owner` and
//! `del_owner` of the seed, plus `ins_owner` (without an insert policy,
//! forced RLS refuses every insert), all on `(owner)::text =
//! current_setting('app.user_id', true)`: every unit of work sets
//! `app.user_id` to its actor's id, local to its transaction
//! (`service::work`), so a pooled connection never carries one user's id
//! into another's request, and a request without a user sees no rows.
//!
//! What is there already is reported `present` and left alone, so it is
//! safe to repeat. A missing table or owner column is reported, not fatal;
//! a statement Postgres refuses (`must be owner of table`, `permission
//! denied`) is reported `failed` with Postgres's message, in a savepoint so
//! the rest still happens. One `rls.enabled` (or `rls.disabled`) audit event
//! carries the report, committed with the changes.
//!
//! Roster's own tables have a second branch in each policy, for Roster's
//! administration: the row's owner is among `roster.read_ids` (select) or
//! `roster.write_ids` (insert, update, delete), the users whose accounts
//! Roster's policy granted the unit of work, or `roster.scope` is `read` or
//! `all` (select) or `all` (the others): every owner's rows, for the
//! operator, a credential lookup, and the one read a check needs before it
//! decides (`service::work`). All are local to the transaction. The
//! application's tables have no such branch: Roster never reads them.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement};
use serde_json::{Value, json};

use super::audit::AuditEvent;
use super::policy;
use super::work::Work;
use crate::error::{DomainError, Result};

/// Roster's own tables whose rows belong to one user (by `user_id`).
pub const ROSTER_TABLES: [&str; 3] = ["sessions", "personal_access_tokens", "user_quotas"];
const ROSTER_OWNER_COLUMN: &str = "user_id";

/// A table row-level security manages.
struct Managed<'a> {
    table: &'a str,
    column: &'a str,
    /// One of [`ROSTER_TABLES`] (its policies have Roster's branch).
    roster: bool,
}

/// Roster's own tables, then the configured application tables (one that
/// names a table of Roster's is Roster's).
fn managed(app: &crate::app::App) -> Vec<Managed<'_>> {
    let config = &app.config.rls;
    let roster = ROSTER_TABLES.iter().map(|table| Managed {
        table,
        column: ROSTER_OWNER_COLUMN,
        roster: true,
    });
    let application = config
        .tables
        .iter()
        .filter(|t| !ROSTER_TABLES.contains(&t.as_str()))
        .map(|table| Managed {
            table,
            column: &config.owner_column,
            roster: false,
        });
    roster.chain(application).collect()
}

impl Managed<'_> {
    /// The policy's test for `command`: the row's owner is the work's user,
    /// or (Roster's tables) one the work was granted, or the work reaches
    /// every owner's rows.
    fn test(&self, command: &str) -> String {
        let column = format!("(\"{}\")::text", self.column);
        let owner = format!("{column} = current_setting('app.user_id', true)");
        if !self.roster {
            return owner;
        }
        let (ids, scopes) = if command == "SELECT" {
            ("roster.read_ids", "('read', 'all')")
        } else {
            ("roster.write_ids", "('all')")
        };
        format!(
            "{owner} OR {column} = ANY (string_to_array(current_setting('{ids}', true), ',')) \
             OR current_setting('roster.scope', true) IN {scopes}"
        )
    }

    fn report(&self) -> TableReport {
        TableReport {
            table: self.table.to_string(),
            roster: self.roster,
            exists: false,
            owner_column: false,
            rls_enabled: false,
            forced: false,
            policies: Vec::new(),
            message: None,
            privilege_missing: false,
            altered: false,
        }
    }
}

/// The owner policies: name, command, and where the owner test goes.
const POLICIES: [(&str, &str, Clause); 4] = [
    ("select_owner", "SELECT", Clause::Using),
    ("ins_owner", "INSERT", Clause::Check),
    ("mod_owner", "UPDATE", Clause::Both),
    ("del_owner", "DELETE", Clause::Using),
];

#[derive(Clone, Copy)]
enum Clause {
    Using,
    Check,
    Both,
}

/// What happened to one part of a table's setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    Present,
    Dropped,
    Absent,
    Failed,
    /// Not tried: the table or its owner column is missing.
    Skipped,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Present => "present",
            Self::Dropped => "dropped",
            Self::Absent => "absent",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
}

/// One managed table, after [`enable`] or [`disable`] (or as it is, for
/// [`status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    pub table: String,
    /// One of Roster's own tables (else one of `RLS_TABLES`).
    pub roster: bool,
    pub exists: bool,
    pub owner_column: bool,
    pub rls_enabled: bool,
    pub forced: bool,
    /// `select`, `insert`, `update`, `delete`.
    pub policies: Vec<(&'static str, Change)>,
    /// Why something failed or was skipped (Postgres's own words).
    pub message: Option<String>,
    /// Postgres refused a statement for want of privilege.
    pub privilege_missing: bool,
    /// RLS was turned on or off (or forced, or unforced) by this run.
    pub altered: bool,
}

impl TableReport {
    /// `{table, kind, exists, owner_column, rls_enabled, forced, policies:
    /// {select, insert, update, delete}, message}`, `kind` being `roster`
    /// or `application`.
    pub fn to_json(&self) -> Value {
        let policies: serde_json::Map<String, Value> = self
            .policies
            .iter()
            .map(|(kind, change)| ((*kind).to_string(), json!(change.as_str())))
            .collect();
        json!({
            "table": self.table,
            "kind": if self.roster { "roster" } else { "application" },
            "exists": self.exists,
            "owner_column": self.owner_column,
            "rls_enabled": self.rls_enabled,
            "forced": self.forced,
            "policies": policies,
            "message": self.message,
        })
    }
}

fn kind(command: &str) -> &'static str {
    match command {
        "SELECT" => "select",
        "INSERT" => "insert",
        "UPDATE" => "update",
        _ => "delete",
    }
}

/// A table's name in SQL: each part quoted (the names were checked at
/// startup, `config::rls`).
fn quoted(table: &str) -> String {
    table
        .split('.')
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(".")
}

fn require_postgres(work: &Work) -> Result<()> {
    if work.app().db.get_database_backend() != DbBackend::Postgres {
        return Err(DomainError::bad_input(
            "database",
            "Row-level security needs Postgres; this server uses SQLite",
        ));
    }
    Ok(())
}

/// What the catalog says of a table: RLS enabled, forced, owner column
/// present; `None` when there is no such table.
async fn state(
    db: &impl ConnectionTrait,
    table: &str,
    owner_column: &str,
) -> Result<Option<(bool, bool, bool)>> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT c.relrowsecurity, c.relforcerowsecurity, \
                    EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid \
                            AND a.attname = $2 AND NOT a.attisdropped) AS owner \
             FROM pg_class c WHERE c.oid = to_regclass($1)",
            [table.into(), owner_column.into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some((
        row.try_get::<bool>("", "relrowsecurity")?,
        row.try_get::<bool>("", "relforcerowsecurity")?,
        row.try_get::<bool>("", "owner")?,
    )))
}

async fn policy_present(db: &impl ConnectionTrait, table: &str, name: &str) -> Result<bool> {
    Ok(db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 FROM pg_policy WHERE polrelid = to_regclass($1) AND polname = $2",
            [table.into(), name.into()],
        ))
        .await?
        .is_some())
}

/// Runs `sql` in a savepoint: `Ok(None)` when done, `Ok(Some(error))` when
/// Postgres refused it (the work's transaction goes on).
async fn attempt(txn: &DatabaseTransaction, sql: &str) -> Result<Option<DbErr>> {
    let outcome = crate::db::savepoint(txn, async |sp| sp.execute_unprepared(sql).await).await?;
    Ok(outcome.err())
}

/// Whether Postgres refused for want of privilege (SQLSTATE 42501:
/// `must be owner of table`, `permission denied`).
fn privilege(err: &DbErr) -> bool {
    super::database::sqlstate(err).as_deref() == Some("42501")
}

/// Postgres's own message for a refused statement.
fn message_of(err: &DbErr) -> String {
    let text = err.to_string();
    text.rsplit(": ").next().unwrap_or(&text).trim().to_string()
}

/// A table that is missing, or lacks its owner column.
fn skipped(managed: &Managed<'_>, exists: bool) -> TableReport {
    TableReport {
        exists,
        policies: POLICIES
            .iter()
            .map(|(_, command, _)| (kind(command), Change::Skipped))
            .collect(),
        message: Some(if exists {
            format!("the table has no column {}", managed.column)
        } else {
            "no such table".into()
        }),
        ..managed.report()
    }
}

/// Turns row-level security on for every managed table (needs
/// `system:manage`; Postgres only), and records the report as one
/// `rls.enabled` event. See the module's description.
pub async fn enable(work: &Work) -> Result<Vec<TableReport>> {
    let reports = apply(work).await?;
    record_enabled(work, &reports);
    Ok(reports)
}

fn record_enabled(work: &Work, reports: &[TableReport]) {
    let report: Vec<Value> = reports.iter().map(TableReport::to_json).collect();
    work.record(AuditEvent::new("rls.enabled").details(json!({ "tables": report })));
}

/// Whether [`apply`] changed or failed anything (else it only found what
/// was there, or missing tables).
fn eventful(reports: &[TableReport]) -> bool {
    reports.iter().any(|r| {
        r.altered
            || r.message.is_some() && r.exists && r.owner_column
            || r.policies
                .iter()
                .any(|(_, c)| matches!(c, Change::Created | Change::Failed))
    })
}

async fn apply(work: &Work) -> Result<Vec<TableReport>> {
    policy::require_system_manager(work)?;
    require_postgres(work)?;
    let txn = work.db().await?;
    let mut reports = Vec::new();
    for managed in managed(work.app()) {
        let table = managed.table;
        let Some((enabled, forced, has_owner)) = state(txn, table, managed.column).await? else {
            reports.push(skipped(&managed, false));
            continue;
        };
        if !has_owner {
            reports.push(skipped(&managed, true));
            continue;
        }
        let name = quoted(table);
        let mut failures: Vec<DbErr> = Vec::new();
        let mut altered = false;
        for (already, verb) in [(enabled, "ENABLE"), (forced, "FORCE")] {
            if already {
                continue;
            }
            match attempt(
                txn,
                &format!("ALTER TABLE {name} {verb} ROW LEVEL SECURITY"),
            )
            .await?
            {
                None => altered = true,
                Some(e) => failures.push(e),
            }
        }
        let mut policies = Vec::new();
        for (policy, command, clause) in POLICIES {
            if policy_present(txn, table, policy).await? {
                policies.push((kind(command), Change::Present));
                continue;
            }
            let owner = managed.test(command);
            let test = match clause {
                Clause::Using => format!("USING ({owner})"),
                Clause::Check => format!("WITH CHECK ({owner})"),
                Clause::Both => format!("USING ({owner}) WITH CHECK ({owner})"),
            };
            let sql = format!("CREATE POLICY {policy} ON {name} FOR {command} {test}");
            match attempt(txn, &sql).await? {
                None => policies.push((kind(command), Change::Created)),
                Some(e) => {
                    failures.push(e);
                    policies.push((kind(command), Change::Failed));
                }
            }
        }
        reports.push(outcome(txn, &managed, policies, &failures, altered).await?);
    }
    Ok(reports)
}

/// An existing table's report after a run: its state as the catalog now
/// says, the policies' changes, and the first refusal's message.
async fn outcome(
    txn: &DatabaseTransaction,
    managed: &Managed<'_>,
    policies: Vec<(&'static str, Change)>,
    failures: &[DbErr],
    altered: bool,
) -> Result<TableReport> {
    let (rls_enabled, forced, owner_column) = state(txn, managed.table, managed.column)
        .await?
        .unwrap_or((false, false, false));
    Ok(TableReport {
        exists: true,
        owner_column,
        rls_enabled,
        forced,
        policies,
        privilege_missing: failures.iter().any(privilege),
        message: failures.first().map(message_of),
        altered,
        ..managed.report()
    })
}

/// The seed's manual rollback as a command (needs `system:manage`;
/// Postgres only): drops the owner policies and turns row-level security
/// off (and unforced) on every managed table.
pub async fn disable(work: &Work) -> Result<Vec<TableReport>> {
    policy::require_system_manager(work)?;
    require_postgres(work)?;
    let txn = work.db().await?;
    let mut reports = Vec::new();
    for managed in managed(work.app()) {
        let table = managed.table;
        let Some((enabled, forced, _)) = state(txn, table, managed.column).await? else {
            reports.push(skipped(&managed, false));
            continue;
        };
        let name = quoted(table);
        let mut failures: Vec<DbErr> = Vec::new();
        let mut policies = Vec::new();
        for (policy, command, _) in POLICIES {
            if !policy_present(txn, table, policy).await? {
                policies.push((kind(command), Change::Absent));
                continue;
            }
            match attempt(txn, &format!("DROP POLICY IF EXISTS {policy} ON {name}")).await? {
                None => policies.push((kind(command), Change::Dropped)),
                Some(e) => {
                    failures.push(e);
                    policies.push((kind(command), Change::Failed));
                }
            }
        }
        let mut altered = false;
        for (on, verb) in [(forced, "NO FORCE"), (enabled, "DISABLE")] {
            if !on {
                continue;
            }
            match attempt(
                txn,
                &format!("ALTER TABLE {name} {verb} ROW LEVEL SECURITY"),
            )
            .await?
            {
                None => altered = true,
                Some(e) => failures.push(e),
            }
        }
        reports.push(outcome(txn, &managed, policies, &failures, altered).await?);
    }
    let report: Vec<Value> = reports.iter().map(TableReport::to_json).collect();
    work.record(AuditEvent::new("rls.disabled").details(json!({ "tables": report })));
    Ok(reports)
}

/// What the database page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseStatus {
    /// `postgres` or `sqlite`.
    pub backend: &'static str,
    pub server_version: String,
    /// Postgres only.
    pub pg_trgm: bool,
    /// Postgres only: each managed table as it is.
    pub tables: Vec<TableReport>,
}

/// The backend, its version, `pg_trgm`, and each managed table's RLS state
/// (needs `system:manage`). Writes nothing.
pub async fn status(work: &Work) -> Result<DatabaseStatus> {
    policy::require_system_manager(work)?;
    let db = work.db().await?;
    if db.get_database_backend() != DbBackend::Postgres {
        let version = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT sqlite_version() AS v",
            ))
            .await?
            .and_then(|r| r.try_get::<String>("", "v").ok())
            .unwrap_or_default();
        return Ok(DatabaseStatus {
            backend: "sqlite",
            server_version: version,
            pg_trgm: false,
            tables: Vec::new(),
        });
    }
    let version = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_setting('server_version') AS v, \
                    EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') AS trgm",
        ))
        .await?;
    let (server_version, pg_trgm) = match version {
        Some(row) => (
            row.try_get::<String>("", "v")?,
            row.try_get::<bool>("", "trgm")?,
        ),
        None => (String::new(), false),
    };
    let mut tables = Vec::new();
    for managed in managed(work.app()) {
        let table = managed.table;
        let Some((rls_enabled, forced, has_owner)) = state(db, table, managed.column).await? else {
            let mut missing = skipped(&managed, false);
            missing.policies = POLICIES
                .iter()
                .map(|(_, c, _)| (kind(c), Change::Absent))
                .collect();
            tables.push(missing);
            continue;
        };
        let mut policies = Vec::new();
        for (policy, command, _) in POLICIES {
            let change = if policy_present(db, table, policy).await? {
                Change::Present
            } else {
                Change::Absent
            };
            policies.push((kind(command), change));
        }
        tables.push(TableReport {
            exists: true,
            owner_column: has_owner,
            rls_enabled,
            forced,
            policies,
            ..managed.report()
        });
    }
    Ok(DatabaseStatus {
        backend: "postgres",
        server_version,
        pg_trgm,
        tables,
    })
}

/// The startup hook (seed 002 "Automatic enablement"): on Postgres with
/// `USER_MGMT_RLS_ENFORCE` on, [`enable`] as the system, one log line per
/// table; a refused statement is a warning, never a reason not to start.
/// Its `rls.enabled` event is recorded only when something was created or
/// refused (a restart that finds everything in place records nothing).
pub async fn startup_hook(app: &crate::app::App) {
    if app.db.get_database_backend() != DbBackend::Postgres || !app.config.flags.rls_enforce {
        return;
    }
    let outcome = Work::run(
        app,
        super::actor::Actor::system(),
        super::work::Mode::Write,
        async |w| {
            let reports = apply(w).await?;
            if eventful(&reports) {
                record_enabled(w, &reports);
            }
            Ok(reports)
        },
    )
    .await;
    match outcome {
        Ok(reports) => {
            for r in &reports {
                let policies: Vec<String> = r
                    .policies
                    .iter()
                    .map(|(k, c)| format!("{k}={}", c.as_str()))
                    .collect();
                let policies = policies.join(",");
                if r.privilege_missing || (r.exists && r.message.is_some()) {
                    tracing::warn!(table = %r.table, exists = r.exists, rls_enabled = r.rls_enabled, forced = r.forced, policies = %policies, message = r.message.as_deref().unwrap_or_default(), "row-level security");
                } else {
                    tracing::info!(table = %r.table, exists = r.exists, rls_enabled = r.rls_enabled, forced = r.forced, policies = %policies, "row-level security");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "row-level security was not enabled at startup"),
    }
}
