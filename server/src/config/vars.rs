//! The reader through which every section reads its variables: [`Vars`]
//! (`get`, `flag`, `parse`) over the map given to
//! [`Config::from_vars`](super::Config::from_vars), and [`parse_flag`], the
//! one rule for what counts as "on".
//!
//! `tests/tests/docs.rs` finds the variables Roster reads by looking for calls
//! of `Vars` methods (`v.get("X")`, …) on a binding of type `Vars`, so each
//! section takes its reader as a parameter `v: &Vars<'_>`.

use std::collections::HashMap;
use std::fmt;

use super::ConfigError;

/// The variables a configuration is built from.
pub(super) struct Vars<'a>(pub(super) &'a HashMap<String, String>);

impl Vars<'_> {
    /// The value, or `None` when unset or blank.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// The value trimmed, blank included: `None` only when unset (for a
    /// variable whose empty value means "none").
    pub(super) fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim())
    }

    pub(super) fn flag(&self, name: &str) -> Option<bool> {
        parse_flag(self.0.get(name).map(String::as_str))
    }

    pub(super) fn parse<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
    ) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|e: T::Err| ConfigError {
                variable: name,
                value: raw.to_string(),
                reason: e.to_string(),
            }),
        }
    }
}

/// Parses a flag as seed 002 does: `1`, `true`, `yes`, `on` (any case) are
/// true; unset or empty is `None` (take the default); anything else is false.
pub fn parse_flag(raw: Option<&str>) -> Option<bool> {
    let value = raw?.trim();
    if value.is_empty() {
        return None;
    }
    Some(matches!(
        value.to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn truthy_values_in_any_case_are_true() {
        for raw in [
            "1", "true", "TRUE", "True", "yes", "YES", "on", "On", " on ",
        ] {
            assert_eq!(parse_flag(Some(raw)), Some(true), "{raw:?}");
        }
    }

    #[test]
    fn unset_and_empty_take_the_default() {
        assert_eq!(parse_flag(None), None);
        assert_eq!(parse_flag(Some("")), None);
        assert_eq!(parse_flag(Some("   ")), None);
    }

    #[test]
    fn any_other_value_is_false() {
        for raw in ["0", "false", "no", "off", "2", "enabled", "y", "t", "nope"] {
            assert_eq!(parse_flag(Some(raw)), Some(false), "{raw:?}");
        }
    }

    #[test]
    fn bad_numbers_name_the_variable() {
        let vars = [("ARGON2_MEMORY_KIB".to_string(), "lots".to_string())]
            .into_iter()
            .collect();
        let err = Config::from_vars(&vars).err();
        assert_eq!(err.map(|e| e.variable), Some("ARGON2_MEMORY_KIB"));
    }
}
