//! The audit log's section: where its lines go (`AUDIT_LOG_FILE`), the key of
//! its hash chain (`AUDIT_CHAIN_KEY`), whether this process seals
//! (`AUDIT_SEALER`) and how long events are kept (`AUDIT_RETENTION_DAYS`).

use super::vars::Vars;
use super::{ConfigError, Secret};

/// Shortest key accepted for `AUDIT_CHAIN_KEY`, in bytes.
const MIN_KEY_BYTES: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// `AUDIT_LOG_FILE`: where each audit event's seed-004 line is appended
    /// (else `serve` prints it on standard output).
    pub log_file: Option<std::path::PathBuf>,
    /// `AUDIT_CHAIN_KEY`: when set, event and chain hashes are HMAC-SHA-256
    /// under this key, so someone who can write to the database but does not
    /// know the key cannot forge them; else plain SHA-256.
    pub chain_key: Option<Secret>,
    /// `AUDIT_SEALER` (default on): this `serve` process seals new events
    /// into the chain. Every process still streams sealed events.
    pub sealer: bool,
    /// `AUDIT_RETENTION_DAYS`: events older than this are pruned; unset
    /// keeps them forever.
    pub retention_days: Option<u32>,
}

impl AuditConfig {
    pub(super) fn from_vars(v: &Vars<'_>) -> Result<Self, ConfigError> {
        let chain_key = match v.get("AUDIT_CHAIN_KEY") {
            Some(key) if key.len() < MIN_KEY_BYTES => {
                return Err(ConfigError {
                    variable: "AUDIT_CHAIN_KEY",
                    value: "***".into(),
                    reason: format!("must be at least {MIN_KEY_BYTES} characters"),
                });
            }
            Some(key) => Some(Secret::new(key)),
            None => None,
        };
        let retention_days = match v.get("AUDIT_RETENTION_DAYS") {
            None => None,
            Some(raw) => match raw.parse::<u32>() {
                Ok(days) if (1..=36_500).contains(&days) => Some(days),
                _ => {
                    return Err(ConfigError {
                        variable: "AUDIT_RETENTION_DAYS",
                        value: raw.into(),
                        reason: "expected a whole number of days from 1 to 36500".into(),
                    });
                }
            },
        };
        Ok(Self {
            log_file: v.get("AUDIT_LOG_FILE").map(std::path::PathBuf::from),
            chain_key,
            sealer: v.flag("AUDIT_SEALER").unwrap_or(true),
            retention_days,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::tests::config;

    fn rejected(name: &str, value: &str) -> Option<&'static str> {
        let vars = [(name.to_string(), value.to_string())]
            .into_iter()
            .collect();
        Config::from_vars(&vars).err().map(|e| e.variable)
    }

    #[test]
    fn defaults_keep_everything_and_seal() {
        let c = config(&[]).audit;
        assert_eq!(
            (c.log_file, c.chain_key, c.sealer, c.retention_days),
            (None, None, true, None)
        );
    }

    #[test]
    fn retention_and_key_are_checked() {
        let c = config(&[
            ("AUDIT_RETENTION_DAYS", "90"),
            ("AUDIT_CHAIN_KEY", "0123456789abcdef0123456789abcdef"),
            ("AUDIT_SEALER", "off"),
        ])
        .audit;
        assert_eq!(c.retention_days, Some(90));
        assert!(c.chain_key.is_some() && !c.sealer);
        for bad in ["0", "-1", "ninety", "36501"] {
            assert_eq!(
                rejected("AUDIT_RETENTION_DAYS", bad),
                Some("AUDIT_RETENTION_DAYS")
            );
        }
        assert_eq!(
            rejected("AUDIT_CHAIN_KEY", "short"),
            Some("AUDIT_CHAIN_KEY")
        );
    }
}
