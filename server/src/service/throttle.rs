//! Brute-force defence for logins (SPEC §5): failed attempts are counted per
//! account and per client address in the database, so every roster process
//! sees the same numbers. Each failure on an account doubles the wait before
//! the next attempt; reaching the limit locks the account (or address) out.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, Value,
};

use crate::config::AuthConfig;
use crate::entity::login_attempt;
use crate::error::{DomainError, Result};

/// What a counter is kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Account,
    Address,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Address => "address",
        }
    }

    fn limit(self, config: &AuthConfig) -> u32 {
        match self {
            Self::Account => config.max_failures_per_account,
            Self::Address => config.max_failures_per_address,
        }
    }
}

fn to_chrono(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::MAX)
}

fn seconds_until(now: DateTime<Utc>, until: DateTime<Utc>) -> u64 {
    let millis = (until - now).num_milliseconds().max(0);
    u64::try_from(millis).unwrap_or(0).div_ceil(1000).max(1)
}

/// The wait required after `failures` failures on an account.
fn retry_delay(config: &AuthConfig, failures: i32) -> Duration {
    let doublings = u32::try_from(failures.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    let delay = to_chrono(config.retry_delay) * 2_i32.pow(doublings);
    delay.min(to_chrono(config.lockout))
}

/// Fails with `RATE_LIMITED` when the account or the client address may not
/// try to log in now (one query for both). Returns whether the account has
/// failures on record, which a successful login then clears.
pub async fn check(
    db: &impl ConnectionTrait,
    config: &AuthConfig,
    account: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let key = |scope: Scope, subject: &str| {
        Condition::all()
            .add(login_attempt::Column::Scope.eq(scope.as_str()))
            .add(login_attempt::Column::Subject.eq(subject))
    };
    let rows = login_attempt::Entity::find()
        .filter(
            Condition::any()
                .add(key(Scope::Account, account))
                .add(key(Scope::Address, address)),
        )
        .all(db)
        .await?;
    let mut account_failures = false;
    for row in rows {
        let scope = if row.scope == Scope::Account.as_str() {
            account_failures = true;
            Scope::Account
        } else {
            Scope::Address
        };
        if let Some(until) = row.locked_until
            && until > now
        {
            metrics::counter!("roster_login_throttled_total", "scope" => scope.as_str(), "reason" => "locked")
                .increment(1);
            return Err(DomainError::RateLimited {
                retry_after_secs: seconds_until(now, until),
            });
        }
        // Failures older than the window no longer count.
        if row.window_started_at + to_chrono(config.lockout) <= now {
            continue;
        }
        if scope == Scope::Account {
            let next = row.last_failure_at + retry_delay(config, row.failures);
            if next > now {
                metrics::counter!("roster_login_throttled_total", "scope" => scope.as_str(), "reason" => "retry_delay")
                    .increment(1);
                return Err(DomainError::RateLimited {
                    retry_after_secs: seconds_until(now, next),
                });
            }
        }
    }
    Ok(account_failures)
}

/// Counts a failure, locking the subject out when it reaches its limit.
/// One atomic upsert, so concurrent failures are all counted.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    config: &AuthConfig,
    scope: Scope,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let window_start = now - to_chrono(config.lockout);
    let locked_until = now + to_chrono(config.lockout);
    let limit = i64::from(scope.limit(config));
    // `$n` placeholders; SQLite reads them as `?n`.
    let sql = "INSERT INTO login_attempts (scope, subject, failures, window_started_at, last_failure_at, locked_until) \
         VALUES ($1, $2, 1, $3, $3, CASE WHEN 1 >= $6 THEN $5 ELSE NULL END) \
         ON CONFLICT (scope, subject) DO UPDATE SET \
           failures = CASE WHEN login_attempts.window_started_at <= $4 THEN 1 ELSE login_attempts.failures + 1 END, \
           window_started_at = CASE WHEN login_attempts.window_started_at <= $4 THEN $3 ELSE login_attempts.window_started_at END, \
           last_failure_at = $3, \
           locked_until = CASE \
             WHEN (CASE WHEN login_attempts.window_started_at <= $4 THEN 1 ELSE login_attempts.failures + 1 END) >= $6 THEN $5 \
             ELSE login_attempts.locked_until END";
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        sql.to_string()
    } else {
        sql.replace('$', "?")
    };
    let values: Vec<Value> = vec![
        scope.as_str().into(),
        subject.into(),
        now.into(),
        window_start.into(),
        locked_until.into(),
        limit.into(),
    ];
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(())
}

/// Forgets an account's failures after a successful login.
pub async fn clear(db: &impl ConnectionTrait, scope: Scope, subject: &str) -> Result<()> {
    login_attempt::Entity::delete_by_id((scope.as_str().to_string(), subject.to_string()))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_and_is_capped_by_the_lockout() {
        let config = AuthConfig::default();
        assert_eq!(retry_delay(&config, 1), Duration::seconds(1));
        assert_eq!(retry_delay(&config, 2), Duration::seconds(2));
        assert_eq!(retry_delay(&config, 4), Duration::seconds(8));
        assert_eq!(retry_delay(&config, 40), Duration::minutes(15));
    }

    #[test]
    fn retry_after_rounds_up() {
        let now = Utc::now();
        assert_eq!(seconds_until(now, now + Duration::milliseconds(1200)), 2);
        assert_eq!(seconds_until(now, now), 1);
    }
}
