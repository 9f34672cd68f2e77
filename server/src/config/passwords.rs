//! Password settings (SPEC §5): the rules passwords must follow
//! ([`PasswordProfile`], `PASSWORD_POLICY`) and the Argon2id cost of hashing
//! them ([`Argon2Config`], `ARGON2_*`, checked against what Argon2 accepts).

use super::ConfigError;
use super::vars::Vars;

/// Which password rules apply (SPEC §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProfile {
    /// Seed 004: 12+ characters with upper, lower, digit and special.
    Default,
    /// NIST 800-63B-4: 15+ characters, no composition rules.
    Nist,
}

impl PasswordProfile {
    /// `PASSWORD_POLICY`: `default` (also when unset) or `nist`, any case.
    pub(super) fn from_vars(v: &Vars<'_>) -> Result<Self, ConfigError> {
        match v.get("PASSWORD_POLICY").map(str::to_ascii_lowercase) {
            None => Ok(Self::Default),
            Some(p) if p == "default" => Ok(Self::Default),
            Some(p) if p == "nist" => Ok(Self::Nist),
            Some(other) => Err(ConfigError {
                variable: "PASSWORD_POLICY",
                value: other,
                reason: "expected `default` or `nist`".into(),
            }),
        }
    }
}

/// Argon2id cost parameters (SPEC §5; OWASP defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Config {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Config {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl Argon2Config {
    /// The `ARGON2_*` parameters, each defaulting on its own; a combination
    /// Argon2 refuses is reported against `ARGON2_MEMORY_KIB`.
    pub(super) fn from_vars(v: &Vars<'_>) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let argon2 = Self {
            memory_kib: v.parse("ARGON2_MEMORY_KIB", defaults.memory_kib)?,
            iterations: v.parse("ARGON2_ITERATIONS", defaults.iterations)?,
            parallelism: v.parse("ARGON2_PARALLELISM", defaults.parallelism)?,
        };
        if let Err(e) = argon2::Params::new(
            argon2.memory_kib,
            argon2.iterations,
            argon2.parallelism,
            None,
        ) {
            return Err(ConfigError {
                variable: "ARGON2_MEMORY_KIB",
                value: format!(
                    "m={} t={} p={}",
                    argon2.memory_kib, argon2.iterations, argon2.parallelism
                ),
                reason: e.to_string(),
            });
        }
        Ok(argon2)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn argon2_parameters_are_validated() {
        let vars = [("ARGON2_ITERATIONS".to_string(), "0".to_string())]
            .into_iter()
            .collect();
        assert!(Config::from_vars(&vars).is_err());
    }
}
