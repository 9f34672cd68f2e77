//! The one domain error type.
//!
//! Services return [`DomainError`]. Each edge maps it once: GraphQL to an
//! error with a stable `extensions.code` (`graphql/error.rs`), the HTTP routes
//! to a status and the same JSON (`http/error.rs`), the CLI to a message and
//! an exit code (`cli/failure.rs`). Internal errors are logged in full and reach
//! clients only as "Internal server error".

use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// A problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The input field at fault, when there is one.
    pub field: Option<&'static str>,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field),
            message: message.into(),
        }
    }
}

/// Every way a domain operation can fail.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// No valid credentials (`UNAUTHENTICATED`).
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated but not allowed (`FORBIDDEN`).
    #[error("{0}")]
    Forbidden(String),
    /// The thing asked for does not exist, or is not visible (`NOT_FOUND`).
    #[error("{0}")]
    NotFound(String),
    /// Input that breaks a rule; every failed rule is listed (`BAD_USER_INPUT`).
    #[error("{}", join_messages(.0))]
    BadInput(Vec<FieldError>),
    /// The request clashes with the current state (`CONFLICT`).
    #[error("{message}")]
    Conflict {
        field: Option<&'static str>,
        message: String,
    },
    /// Too many attempts (`RATE_LIMITED`).
    #[error("Too many attempts; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    /// The service cannot answer now: too busy, out of time, or its
    /// database unreachable (`UNAVAILABLE`). Worth retrying after
    /// `retry_after_secs`; without it, not blindly (a change that ran out of
    /// time may still have been made).
    #[error("{message}")]
    Unavailable {
        message: String,
        retry_after_secs: Option<u64>,
    },
    /// Anything else: a bug (`INTERNAL`). Never shown to clients.
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

fn join_messages(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The message operators search for when the actor lacks a permission.
pub const INSUFFICIENT_PERMISSIONS: &str = "Insufficient permissions";

impl DomainError {
    pub fn forbidden() -> Self {
        Self::Forbidden(INSUFFICIENT_PERMISSIONS.into())
    }

    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        Self::BadInput(vec![FieldError::new(field, message)])
    }

    pub fn conflict(field: Option<&'static str>, message: impl Into<String>) -> Self {
        Self::Conflict {
            field,
            message: message.into(),
        }
    }

    /// `UNAVAILABLE`, to be retried in a second.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::Unavailable {
            message: message.into(),
            retry_after_secs: Some(1),
        }
    }

    /// `UNAVAILABLE` for a change whose outcome is unknown: no
    /// `Retry-After`, so nothing retries it blindly.
    pub fn unavailable_change(message: impl Into<String>) -> Self {
        Self::Unavailable {
            message: message.into(),
            retry_after_secs: None,
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    /// A missing row reported as `instead` (a link whose user is gone is as
    /// invalid as an unknown link); any other error, an outage above all,
    /// stays what it is.
    pub fn when_missing(self, instead: impl FnOnce() -> Self) -> Self {
        match self {
            Self::NotFound(_) => instead(),
            other => other,
        }
    }

    /// The stable `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadInput(_) => "BAD_USER_INPUT",
            Self::Conflict { .. } => "CONFLICT",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Unavailable { .. } => "UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }
}

/// Every database error goes through [`from_db`], so a unique-index
/// violation (two racing requests both passing a "is it free?" check) is the
/// field-named conflict wherever it happens, never an internal error.
impl From<DbErr> for DomainError {
    fn from(err: DbErr) -> Self {
        from_db(err)
    }
}

/// Names of unique indexes, and the conflict each one means.
const UNIQUE_CONFLICTS: &[(&str, &str, &str)] = &[
    ("users_email_ci", "email", "Email is already taken"),
    ("users_username_ci", "username", "Username is already taken"),
    ("roles_name_ci", "name", "Role name is already taken"),
    ("organizations_name_key", "name", "Name is already taken"),
    ("organizations.slug", "slug", "Slug is already taken"),
    ("organizations_slug_key", "slug", "Slug is already taken"),
];

/// Turns a unique-constraint violation into the conflict users understand,
/// and anything else into an internal error.
pub fn from_db(err: DbErr) -> DomainError {
    if let Some(SqlErr::UniqueConstraintViolation(detail)) = err.sql_err() {
        for (index, field, message) in UNIQUE_CONFLICTS {
            if detail.contains(index) {
                return DomainError::conflict(Some(*field), *message);
            }
        }
    }
    let code = db_code(&err);
    // Text Postgres cannot store (a NUL character) is the caller's input,
    // wherever it slipped past the edges' own check.
    if code
        .as_ref()
        .and_then(DbCode::sqlstate)
        .is_some_and(|state| matches!(state, "22021" | "22P05"))
    {
        return DomainError::BadInput(vec![FieldError {
            field: None,
            message: NUL_REFUSED.into(),
        }]);
    }
    match outage(&err) {
        // Nothing ran: worth retrying in a second.
        Some(Outage::NoConnection) => {
            tracing::warn!(error = %err, "the database is unreachable");
            return DomainError::unavailable(DATABASE_UNAVAILABLE);
        }
        // The connection went mid-work, maybe mid-commit: no retry hint.
        Some(Outage::Lost) => {
            tracing::warn!(error = %err, "the connection to the database was lost");
            return DomainError::unavailable_change(DATABASE_UNAVAILABLE);
        }
        None => {}
    }
    if code.as_ref().is_some_and(is_contention) {
        tracing::warn!(error = %err, "the database is busy");
        return DomainError::unavailable(DATABASE_BUSY);
    }
    DomainError::Internal(anyhow::Error::new(err))
}

/// A database's own error code.
#[derive(Debug)]
enum DbCode {
    /// SQLite's (extended) result code.
    Sqlite(u32),
    /// Postgres's SQLSTATE.
    Postgres(String),
}

impl DbCode {
    /// Postgres's SQLSTATE, when this is one.
    fn sqlstate(&self) -> Option<&str> {
        match self {
            Self::Postgres(state) => Some(state),
            Self::Sqlite(_) => None,
        }
    }
}

/// The database's own error code, when it answered with one.
fn db_code(err: &DbErr) -> Option<DbCode> {
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return None;
    };
    let found = e.as_database_error()?;
    let code = found.code()?;
    if found
        .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
        .is_some()
    {
        code.parse().ok().map(DbCode::Sqlite)
    } else {
        Some(DbCode::Postgres(code.into_owned()))
    }
}

/// A transaction that lost to another and was rolled back whole, so it may
/// be retried: SQLite's writer that waited out the busy timeout
/// (`SQLITE_BUSY`, `SQLITE_LOCKED` and their extended codes); Postgres's
/// deadlock, lock wait timeout and serialization failure.
fn is_contention(code: &DbCode) -> bool {
    match code {
        DbCode::Sqlite(c) => matches!(c & 0xff, 5 | 6),
        DbCode::Postgres(state) => matches!(state.as_str(), "40P01" | "55P03" | "40001"),
    }
}

/// What a client is told for text with U+0000 (Postgres cannot store it).
pub const NUL_REFUSED: &str = "Text may not contain the NUL character (U+0000)";

/// What a client is told while the database cannot be reached.
pub const DATABASE_UNAVAILABLE: &str = "The database is unavailable; try again shortly";

/// What a client is told when its change lost to another one (a lock held
/// too long, a deadlock): nothing of it was written.
pub const DATABASE_BUSY: &str = "The database is busy; nothing was changed, try again shortly";

/// How the database could not be reached.
enum Outage {
    /// No connection was had (none free in time, connecting failed or was
    /// refused): nothing ran.
    NoConnection,
    /// The connection broke mid-work (the server shut down, the socket
    /// failed): a commit may have gone through.
    Lost,
}

/// Whether `err` says the database could not be reached, and how; `None`
/// when a statement was wrong instead.
fn outage(err: &DbErr) -> Option<Outage> {
    use sea_orm::ConnAcquireErr;
    use sea_orm::sqlx::Error as Sqlx;
    let runtime = match err {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout | ConnAcquireErr::ConnectionClosed) => {
            return Some(Outage::NoConnection);
        }
        // Any failure to connect, whatever the peer said.
        DbErr::Conn(_) => return Some(Outage::NoConnection),
        DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return None,
    };
    let RuntimeErr::SqlxError(e) = runtime else {
        return None;
    };
    match e.as_ref() {
        Sqlx::PoolTimedOut | Sqlx::PoolClosed => return Some(Outage::NoConnection),
        Sqlx::Io(_) | Sqlx::WorkerCrashed => return Some(Outage::Lost),
        _ => {}
    }
    // Postgres: admin_shutdown and crash_shutdown end a session mid-work;
    // cannot_connect_now refuses one.
    match db_code(err)?.sqlstate()? {
        "57P01" | "57P02" => Some(Outage::Lost),
        "57P03" => Some(Outage::NoConnection),
        _ => None,
    }
}

impl DomainError {
    /// The message a client may see: internal errors are logged in full here
    /// and answered as "Internal server error".
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(inner) => {
                tracing::error!(error = ?inner, "internal error");
                "Internal server error".to_string()
            }
            other => other.to_string(),
        }
    }

    /// What every edge reports besides the message: `code`, and
    /// `fieldErrors` (bad input), `field` (a conflict) or
    /// `retryAfterSeconds` (rate limited). GraphQL puts it in `extensions`;
    /// the HTTP routes answer it in the same shape.
    pub fn extensions(&self) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::{Value, json};
        let mut ext = serde_json::Map::new();
        ext.insert("code".into(), Value::from(self.code()));
        match self {
            Self::BadInput(errors) => {
                let list = errors
                    .iter()
                    .map(|e| match e.field {
                        Some(field) => json!({ "field": field, "message": e.message }),
                        None => json!({ "message": e.message }),
                    })
                    .collect();
                ext.insert("fieldErrors".into(), Value::Array(list));
            }
            Self::Conflict {
                field: Some(field), ..
            } => {
                ext.insert("field".into(), Value::from(*field));
            }
            Self::RateLimited { retry_after_secs }
            | Self::Unavailable {
                retry_after_secs: Some(retry_after_secs),
                ..
            } => {
                ext.insert("retryAfterSeconds".into(), Value::from(*retry_after_secs));
            }
            _ => {}
        }
        ext
    }
}

/// Shorthand for service results.
pub type Result<T, E = DomainError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_lists_every_rule_in_its_message() {
        let err = DomainError::BadInput(vec![
            FieldError::new("password", "at least 12 characters"),
            FieldError::new("password", "an uppercase letter"),
        ]);
        assert_eq!(
            err.to_string(),
            "at least 12 characters; an uppercase letter"
        );
    }

    #[test]
    fn internal_errors_are_masked() {
        let err = DomainError::Internal(anyhow::anyhow!("password=hunter2 at db.example"));
        assert_eq!(err.public_message(), "Internal server error");
        assert_eq!(err.extensions()["code"], "INTERNAL");
    }

    #[test]
    fn contention_is_told_apart_from_other_database_errors() {
        let sqlite = DbCode::Sqlite;
        let postgres = |c: &str| DbCode::Postgres(c.into());
        for code in [5, 517, 261, 773, 6, 262].map(sqlite) {
            assert!(is_contention(&code), "{code:?}");
        }
        for code in ["40P01", "55P03", "40001"].map(postgres) {
            assert!(is_contention(&code), "{code:?}");
        }
        for code in [19, 2067, 1, 21].map(sqlite) {
            assert!(!is_contention(&code), "{code:?}");
        }
        // SQLSTATEs can be all digits: 22021 would look like SQLite's 5.
        for code in ["23505", "22021", "57P01", "42P01"].map(postgres) {
            assert!(!is_contention(&code), "{code:?}");
        }
    }
}
