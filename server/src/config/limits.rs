//! Request limits (SPEC §5, issue 17): [`LimitsConfig`] holds how long one
//! request may run and how many may run at once. The limits on a GraphQL
//! document's shape are constants of `graphql::limits`.

use std::time::Duration;

use super::ConfigError;
use super::vars::Vars;

/// The most `MAX_CONCURRENT_REQUESTS` may say.
const MAX_CONCURRENCY: usize = 1_000_000;

/// How long and how many requests at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitsConfig {
    /// A request still running after this long is answered `UNAVAILABLE`
    /// (a query is stopped; a mutation already running completes).
    pub request_timeout: Duration,
    /// Requests served at once; one more is answered `UNAVAILABLE` at once.
    pub max_concurrent_requests: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 512,
        }
    }
}

impl LimitsConfig {
    /// Reads `REQUEST_TIMEOUT_SECONDS` (a decimal number of seconds, more
    /// than 0 and at most a day) and `MAX_CONCURRENT_REQUESTS` (1 to a
    /// million).
    pub(super) fn from_vars(v: &Vars<'_>) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let seconds: f64 = v.parse(
            "REQUEST_TIMEOUT_SECONDS",
            defaults.request_timeout.as_secs_f64(),
        )?;
        let request_timeout = Duration::try_from_secs_f64(seconds)
            .ok()
            .filter(|d| !d.is_zero() && *d <= Duration::from_secs(24 * 60 * 60))
            .ok_or_else(|| ConfigError {
                variable: "REQUEST_TIMEOUT_SECONDS",
                value: seconds.to_string(),
                reason: "must be more than 0 and at most 86400".into(),
            })?;
        let max_concurrent_requests: usize =
            v.parse("MAX_CONCURRENT_REQUESTS", defaults.max_concurrent_requests)?;
        if !(1..=MAX_CONCURRENCY).contains(&max_concurrent_requests) {
            return Err(ConfigError {
                variable: "MAX_CONCURRENT_REQUESTS",
                value: max_concurrent_requests.to_string(),
                reason: format!("must be 1 to {MAX_CONCURRENCY}"),
            });
        }
        Ok(Self {
            request_timeout,
            max_concurrent_requests,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<LimitsConfig, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        LimitsConfig::from_vars(&Vars(&map))
    }

    #[test]
    fn defaults_and_fractions() {
        assert_eq!(read(&[]), Ok(LimitsConfig::default()));
        let limits = read(&[
            ("REQUEST_TIMEOUT_SECONDS", "0.25"),
            ("MAX_CONCURRENT_REQUESTS", "3"),
        ]);
        assert_eq!(
            limits,
            Ok(LimitsConfig {
                request_timeout: Duration::from_millis(250),
                max_concurrent_requests: 3,
            })
        );
    }

    #[test]
    fn nonsense_names_the_variable() {
        for (name, value) in [
            ("REQUEST_TIMEOUT_SECONDS", "0"),
            ("REQUEST_TIMEOUT_SECONDS", "-1"),
            ("REQUEST_TIMEOUT_SECONDS", "NaN"),
            ("REQUEST_TIMEOUT_SECONDS", "inf"),
            ("REQUEST_TIMEOUT_SECONDS", "soon"),
            ("MAX_CONCURRENT_REQUESTS", "0"),
            ("MAX_CONCURRENT_REQUESTS", "-3"),
            ("MAX_CONCURRENT_REQUESTS", "18446744073709551615"),
        ] {
            assert_eq!(
                read(&[(name, value)]).map_err(|e| e.variable),
                Err(name),
                "{name}={value}"
            );
        }
    }
}
