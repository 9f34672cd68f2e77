//! Row-level security's section (SPEC §10, seed 002 "Postgres Row-Level
//! Security"): the application tables whose rows belong to a user
//! (`RLS_TABLES`, default the seed's `bookmark, credential, feed, job,
//! siteconfig, cookie`) and the column naming the owner (`RLS_OWNER_COLUMN`,
//! default `owner_user_id`). Whether the startup hook runs is the flag
//! `USER_MGMT_RLS_ENFORCE` (`flags.rs`).

use super::ConfigError;
use super::vars::Vars;

const DEFAULT_TABLES: &str = "bookmark,credential,feed,job,siteconfig,cookie";
const DEFAULT_OWNER_COLUMN: &str = "owner_user_id";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RlsConfig {
    /// Table names, each an SQL identifier, optionally `schema.table`.
    pub tables: Vec<String>,
    pub owner_column: String,
}

/// `name` as Postgres would read it unquoted: letters, digits and `_`, not
/// starting with a digit, at most 63 bytes (the names are put in SQL).
fn identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
}

impl RlsConfig {
    pub(super) fn from_vars(v: &Vars<'_>) -> Result<Self, ConfigError> {
        let raw = v.get("RLS_TABLES").unwrap_or(DEFAULT_TABLES);
        let mut tables: Vec<String> = Vec::new();
        for (n, table) in raw
            .split([',', '\n', ' '])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .enumerate()
        {
            let parts: Vec<&str> = table.split('.').collect();
            if parts.len() > 2 || !parts.iter().all(|p| identifier(p)) {
                return Err(ConfigError {
                    variable: "RLS_TABLES",
                    value: raw.into(),
                    reason: format!(
                        "entry {}: {table:?} is not a lower-case table name (letters, digits, _; optionally schema.table)",
                        n + 1
                    ),
                });
            }
            if !tables.iter().any(|t| t == table) {
                tables.push(table.to_string());
            }
        }
        let owner_column = v
            .get("RLS_OWNER_COLUMN")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or(DEFAULT_OWNER_COLUMN);
        if !identifier(owner_column) {
            return Err(ConfigError {
                variable: "RLS_OWNER_COLUMN",
                value: owner_column.into(),
                reason: "is not a lower-case column name (letters, digits, _)".into(),
            });
        }
        Ok(Self {
            tables,
            owner_column: owner_column.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::tests::config;

    fn rejected(vars: &[(&str, &str)]) -> Option<&'static str> {
        let vars = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_vars(&vars).err().map(|e| e.variable)
    }

    #[test]
    fn the_seeds_tables_by_default() {
        let c = config(&[]).rls;
        assert_eq!(
            c.tables,
            [
                "bookmark",
                "credential",
                "feed",
                "job",
                "siteconfig",
                "cookie"
            ]
        );
        assert_eq!(c.owner_column, "owner_user_id");
    }

    #[test]
    fn names_are_checked_because_they_go_into_sql() {
        let c = config(&[
            ("RLS_TABLES", " notes, app.items ,notes"),
            ("RLS_OWNER_COLUMN", "owner"),
        ])
        .rls;
        assert_eq!(c.tables, ["notes", "app.items"]);
        assert_eq!(c.owner_column, "owner");
        for bad in [
            "notes; DROP TABLE users",
            "Notes",
            "a.b.c",
            "1notes",
            "no-tes",
        ] {
            assert_eq!(
                rejected(&[("RLS_TABLES", bad)]),
                Some("RLS_TABLES"),
                "{bad}"
            );
        }
        assert_eq!(
            rejected(&[("RLS_OWNER_COLUMN", "owner id")]),
            Some("RLS_OWNER_COLUMN")
        );
    }
}
