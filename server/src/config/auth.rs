//! Sign-in settings (SPEC §5): [`AuthConfig`] holds session lifetimes, login
//! throttling (failures per account and per address, lockout, retry delay),
//! the personal-access-token quota and how long credentials are cached.

use std::time::Duration;

use super::ConfigError;
use super::vars::Vars;

/// Sessions, brute-force limits and token quotas (SPEC §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthConfig {
    /// A session unused for this long ends.
    pub session_idle: Duration,
    /// A session ends this long after login, used or not.
    pub session_max_age: Duration,
    /// Failed logins for one account before it is locked out.
    pub max_failures_per_account: u32,
    /// Failed logins from one client address before it is locked out.
    pub max_failures_per_address: u32,
    /// How long a lockout lasts; also the window in which failures add up.
    pub lockout: Duration,
    /// The first retry delay after a failure; it doubles with each failure.
    pub retry_delay: Duration,
    /// Personal access tokens a user may hold, unless overridden per user.
    pub token_quota: u32,
    /// How long an authenticated session or token is remembered in memory
    /// at most (changes invalidate it sooner); zero reads the database on
    /// every request.
    pub credential_cache: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_idle: Duration::from_secs(60 * 60),
            session_max_age: Duration::from_secs(12 * 60 * 60),
            max_failures_per_account: 5,
            max_failures_per_address: 50,
            lockout: Duration::from_secs(15 * 60),
            retry_delay: Duration::from_secs(1),
            token_quota: 20,
            credential_cache: Duration::from_secs(10),
        }
    }
}

impl AuthConfig {
    /// Reads the settings (durations in seconds, the retry delay in
    /// milliseconds); session lifetimes and failure limits must be at least 1.
    pub(super) fn from_vars(v: &Vars<'_>) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let seconds = |d: Duration| d.as_secs();
        let auth = Self {
            session_idle: Duration::from_secs(
                v.parse("SESSION_IDLE_SECONDS", seconds(defaults.session_idle))?,
            ),
            session_max_age: Duration::from_secs(
                v.parse("SESSION_MAX_AGE_SECONDS", seconds(defaults.session_max_age))?,
            ),
            max_failures_per_account: v.parse(
                "LOGIN_MAX_FAILURES_PER_ACCOUNT",
                defaults.max_failures_per_account,
            )?,
            max_failures_per_address: v.parse(
                "LOGIN_MAX_FAILURES_PER_ADDRESS",
                defaults.max_failures_per_address,
            )?,
            lockout: Duration::from_secs(
                v.parse("LOGIN_LOCKOUT_SECONDS", seconds(defaults.lockout))?,
            ),
            retry_delay: Duration::from_millis(v.parse(
                "LOGIN_RETRY_DELAY_MS",
                u64::try_from(defaults.retry_delay.as_millis()).unwrap_or(1000),
            )?),
            token_quota: v.parse("TOKEN_QUOTA", defaults.token_quota)?,
            credential_cache: Duration::from_secs(v.parse(
                "CREDENTIAL_CACHE_SECONDS",
                seconds(defaults.credential_cache),
            )?),
        };
        for (variable, value) in [
            ("SESSION_IDLE_SECONDS", auth.session_idle.as_secs()),
            ("SESSION_MAX_AGE_SECONDS", auth.session_max_age.as_secs()),
            (
                "LOGIN_MAX_FAILURES_PER_ACCOUNT",
                u64::from(auth.max_failures_per_account),
            ),
            (
                "LOGIN_MAX_FAILURES_PER_ADDRESS",
                u64::from(auth.max_failures_per_address),
            ),
        ] {
            if value == 0 {
                return Err(ConfigError {
                    variable,
                    value: "0".into(),
                    reason: "must be at least 1".into(),
                });
            }
        }
        Ok(auth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::config::tests::config;

    #[test]
    fn auth_limits_are_configurable_and_never_zero() {
        let c = config(&[
            ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "3"),
            ("TOKEN_QUOTA", "2"),
        ]);
        assert_eq!(c.auth.max_failures_per_account, 3);
        assert_eq!(c.auth.token_quota, 2);
        assert_eq!(c.auth.session_idle, AuthConfig::default().session_idle);
        let vars = [("SESSION_IDLE_SECONDS".to_string(), "0".to_string())]
            .into_iter()
            .collect();
        assert_eq!(
            Config::from_vars(&vars).err().map(|e| e.variable),
            Some("SESSION_IDLE_SECONDS")
        );
    }
}
