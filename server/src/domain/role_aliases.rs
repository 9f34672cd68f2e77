//! Other names for roles (`ROLE_ALIASES`, default `user=viewer`): the
//! runbooks Roster replaces provision with `--role user`, so a role name
//! given anywhere is read through these first. A role is always shown and
//! stored under its own name.

use std::collections::BTreeMap;
use std::fmt;

use super::RoleName;

/// `alias → role`, each alias naming a role itself (never another alias).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleAliases(BTreeMap<RoleName, RoleName>);

/// The built-in default: seeds 000/001's "standard access" role.
pub const DEFAULT_ROLE_ALIASES: &str = "user=viewer";

impl RoleAliases {
    /// Reads `alias=role,alias=role` (spaces allowed, empty for none). Each
    /// entry's problem is named with its position.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut map = BTreeMap::new();
        for (index, entry) in raw.split(',').map(str::trim).enumerate() {
            if entry.is_empty() {
                continue;
            }
            let position = index + 1;
            let bad = |why: String| format!("entry {position} ({entry:?}): {why}");
            let (alias, role) = entry
                .split_once('=')
                .ok_or_else(|| bad("expected alias=role".into()))?;
            let alias = RoleName::parse(alias).map_err(|e| bad(e.to_string()))?;
            let role = RoleName::parse(role).map_err(|e| bad(e.to_string()))?;
            if alias == role {
                return Err(bad("an alias names another role".into()));
            }
            if map.insert(alias.clone(), role).is_some() {
                return Err(bad(format!("alias {alias} is given twice")));
            }
        }
        if let Some((alias, role)) = map.iter().find(|(_, role)| map.contains_key(*role)) {
            return Err(format!(
                "alias {alias} names {role}, itself an alias: name the role"
            ));
        }
        Ok(Self(map))
    }

    /// The role `name` stands for: itself unless it is an alias.
    pub fn canonical(&self, name: &RoleName) -> RoleName {
        self.0.get(name).cloned().unwrap_or_else(|| name.clone())
    }

    /// The role `alias` stands for, when it is one.
    pub fn target(&self, alias: &RoleName) -> Option<&RoleName> {
        self.0.get(alias)
    }

    /// The aliases of `role`.
    pub fn of<'a>(&'a self, role: &'a str) -> impl Iterator<Item = &'a RoleName> + 'a {
        self.0
            .iter()
            .filter(move |(_, target)| target.as_str() == role)
            .map(|(alias, _)| alias)
    }

    /// Every `(alias, role)`.
    pub fn iter(&self) -> impl Iterator<Item = (&RoleName, &RoleName)> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The built-in default ([`DEFAULT_ROLE_ALIASES`]), which gives way to
    /// a role of the same name.
    pub fn is_default(&self) -> bool {
        Self::parse(DEFAULT_ROLE_ALIASES).is_ok_and(|d| d == *self)
    }
}

impl fmt::Display for RoleAliases {
    /// `user=viewer, member=viewer`, as the variable takes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries: Vec<String> = self.0.iter().map(|(a, r)| format!("{a}={r}")).collect();
        f.write_str(&entries.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str) -> RoleName {
        RoleName::parse(name).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn aliases_read_through_to_their_role() {
        let aliases = RoleAliases::parse(" user = viewer , Member=editor,").expect("parses");
        assert_eq!(aliases.canonical(&role("user")), role("viewer"));
        assert_eq!(aliases.canonical(&role("member")), role("editor"));
        assert_eq!(aliases.canonical(&role("admin")), role("admin"));
        assert_eq!(aliases.of("viewer").collect::<Vec<_>>(), [&role("user")]);
        assert_eq!(aliases.to_string(), "member=editor, user=viewer");
        assert!(RoleAliases::parse("").expect("none").is_empty());
        assert_eq!(
            RoleAliases::parse(DEFAULT_ROLE_ALIASES)
                .expect("default")
                .target(&role("user")),
            Some(&role("viewer"))
        );
    }

    #[test]
    fn bad_entries_are_named() {
        for (raw, said) in [
            ("user", "entry 1 (\"user\"): expected alias=role"),
            (
                "a=viewer",
                "entry 1 (\"a=viewer\"): Invalid role name \"a\"",
            ),
            ("user=viewer,x y=admin", "entry 2"),
            ("user=user", "an alias names another role"),
            ("user=viewer,user=admin", "alias user is given twice"),
            ("user=member,member=viewer", "itself an alias"),
        ] {
            let err = RoleAliases::parse(raw).expect_err(raw);
            assert!(err.contains(said), "{raw}: {err}");
        }
    }
}
