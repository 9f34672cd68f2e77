//! Roles from identity-provider groups (seed 002 "Mapping configuration"):
//! `OIDC_GROUP_ROLE_MAP` is `group=role` pairs separated by commas or
//! newlines — real newlines, and the two characters `\n` of the seed's own
//! example `"admins=admin\nops=publisher\nops=auditor"` — with whitespace
//! trimmed, groups compared in any case, and a repeated group adding roles.
//! `OIDC_GROUP_ROLE_DEFAULTS` lists the roles everyone gets. A malformed
//! entry is an error naming the entry and its position, so a deployment
//! with a typo does not start.

use std::collections::{BTreeMap, BTreeSet};

use super::RoleName;

/// Where one role of the configuration was named: for the startup check
/// that every role exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// `OIDC_GROUP_ROLE_MAP` or `OIDC_GROUP_ROLE_DEFAULTS`.
    pub variable: &'static str,
    /// 1-based, among the entries that are not blank.
    pub position: usize,
    /// The entry as written (trimmed).
    pub entry: String,
    pub role: RoleName,
}

/// A malformed entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: entry {position} ({entry:?}): {reason}")]
pub struct MapError {
    pub variable: &'static str,
    pub position: usize,
    pub entry: String,
    pub reason: String,
}

/// The parsed mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupRoleMap {
    /// Group (lower case) → its roles.
    by_group: BTreeMap<String, BTreeSet<RoleName>>,
    defaults: BTreeSet<RoleName>,
    mentions: Vec<Mention>,
}

/// The non-blank entries of a list separated by commas, newlines or the two
/// characters `\n`, trimmed, with their 1-based positions.
fn entries(raw: &str) -> impl Iterator<Item = (usize, &str)> {
    raw.split("\\n")
        .flat_map(|part| part.split([',', '\n', '\r']))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .enumerate()
        .map(|(i, e)| (i + 1, e))
}

/// A group as compared: trimmed, in lower case.
pub fn group_key(group: &str) -> String {
    group.trim().to_lowercase()
}

impl GroupRoleMap {
    pub const MAP_VARIABLE: &'static str = "OIDC_GROUP_ROLE_MAP";
    pub const DEFAULTS_VARIABLE: &'static str = "OIDC_GROUP_ROLE_DEFAULTS";

    /// Parses both variables (unset is empty).
    pub fn parse(map: &str, defaults: &str) -> Result<Self, MapError> {
        let mut parsed = Self::default();
        for (position, entry) in entries(map) {
            let error = |reason: &str| MapError {
                variable: Self::MAP_VARIABLE,
                position,
                entry: entry.to_string(),
                reason: reason.to_string(),
            };
            let (group, role) = entry
                .split_once('=')
                .ok_or_else(|| error("expected group=role"))?;
            let group = group_key(group);
            if group.is_empty() {
                return Err(error("the group is empty"));
            }
            if role.trim().is_empty() {
                return Err(error("the role is empty"));
            }
            let role = RoleName::parse(role).map_err(|e| error(&e.to_string()))?;
            parsed.mention(Self::MAP_VARIABLE, position, entry, &role);
            parsed.by_group.entry(group).or_default().insert(role);
        }
        for (position, entry) in entries(defaults) {
            let role = RoleName::parse(entry).map_err(|e| MapError {
                variable: Self::DEFAULTS_VARIABLE,
                position,
                entry: entry.to_string(),
                reason: e.to_string(),
            })?;
            parsed.mention(Self::DEFAULTS_VARIABLE, position, entry, &role);
            parsed.defaults.insert(role);
        }
        Ok(parsed)
    }

    fn mention(&mut self, variable: &'static str, position: usize, entry: &str, role: &RoleName) {
        self.mentions.push(Mention {
            variable,
            position,
            entry: entry.to_string(),
            role: role.clone(),
        });
    }

    /// The roles a member of `groups` gets: the defaults and every mapped
    /// group's roles (groups in any case; unmapped ones add nothing).
    pub fn resolve<S: AsRef<str>>(&self, groups: &[S]) -> BTreeSet<RoleName> {
        let mut roles = self.defaults.clone();
        for group in groups {
            if let Some(mapped) = self.by_group.get(&group_key(group.as_ref())) {
                roles.extend(mapped.iter().cloned());
            }
        }
        roles
    }

    /// Why a member of `groups` gets `role`: each of their groups that
    /// maps to it (as the member's group is spelled), and whether it is a
    /// default.
    pub fn sources_of<S: AsRef<str>>(&self, role: &RoleName, groups: &[S]) -> (Vec<String>, bool) {
        let via: Vec<String> = groups
            .iter()
            .map(AsRef::as_ref)
            .filter(|g| {
                self.by_group
                    .get(&group_key(g))
                    .is_some_and(|roles| roles.contains(role))
            })
            .map(str::to_string)
            .collect();
        (via, self.defaults.contains(role))
    }

    /// The same mapping with every role named by an alias named by its role
    /// (`ROLE_ALIASES`): `admins=user` grants `viewer` under `user=viewer`.
    pub fn with_aliases(mut self, aliases: &super::RoleAliases) -> Self {
        let canonical = |set: BTreeSet<RoleName>| -> BTreeSet<RoleName> {
            set.iter().map(|r| aliases.canonical(r)).collect()
        };
        self.by_group = std::mem::take(&mut self.by_group)
            .into_iter()
            .map(|(group, roles)| (group, canonical(roles)))
            .collect();
        self.defaults = canonical(std::mem::take(&mut self.defaults));
        for mention in &mut self.mentions {
            mention.role = aliases.canonical(&mention.role);
        }
        self
    }

    /// Every role the configuration names, where it names it.
    pub fn mentions(&self) -> &[Mention] {
        &self.mentions
    }

    pub fn is_empty(&self) -> bool {
        self.by_group.is_empty() && self.defaults.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn roles(names: &[&str]) -> BTreeSet<RoleName> {
        names
            .iter()
            .map(|n| RoleName::parse(n).unwrap_or_else(|e| panic!("{e}")))
            .collect()
    }

    fn parse(map: &str, defaults: &str) -> GroupRoleMap {
        GroupRoleMap::parse(map, defaults).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_seeds_example_maps_as_the_seed_says() {
        let map = parse("admins=admin\\nops=publisher\\nops=auditor", "reader");
        assert_eq!(map.resolve(&["admins"]), roles(&["admin", "reader"]));
        assert_eq!(
            map.resolve(&["OPS"]),
            roles(&["auditor", "publisher", "reader"])
        );
        assert_eq!(map.resolve(&["unmapped"]), roles(&["reader"]));
        assert_eq!(map.resolve::<&str>(&[]), roles(&["reader"]));
    }

    #[test]
    fn aliases_are_read_through_to_their_roles() {
        let aliases =
            crate::domain::RoleAliases::parse("user=viewer").unwrap_or_else(|e| panic!("{e}"));
        let map = parse("staff=user,admins=admin", "user").with_aliases(&aliases);
        assert_eq!(map.resolve(&["staff"]), roles(&["viewer"]));
        assert_eq!(map.resolve(&["admins"]), roles(&["admin", "viewer"]));
        let named: Vec<&str> = map.mentions().iter().map(|m| m.role.as_str()).collect();
        assert_eq!(named, ["viewer", "admin", "viewer"]);
    }

    #[test]
    fn separators_whitespace_and_case_do_not_matter() {
        let a = parse(" Admins = Admin ,\n ops=publisher\r\n\n,ops = auditor,", "");
        let b = parse("admins=admin,ops=publisher,ops=auditor", "");
        assert_eq!(a.resolve(&["ADMINS", "Ops"]), b.resolve(&["admins", "ops"]));
        assert_eq!(a.by_group, b.by_group);
    }

    #[test]
    fn malformed_entries_are_named_with_their_position() {
        let cases = [
            ("admins=admin,ops", 2, "ops", "expected group=role"),
            ("admins=admin\\n=viewer", 2, "=viewer", "the group is empty"),
            ("a=b1, ops=", 2, "ops=", "the role is empty"),
            ("x=Not A Role", 1, "x=Not A Role", "Invalid role name"),
        ];
        for (raw, position, entry, reason) in cases {
            let e = GroupRoleMap::parse(raw, "")
                .err()
                .unwrap_or_else(|| panic!("{raw}"));
            assert_eq!(
                (e.variable, e.position, e.entry.as_str()),
                ("OIDC_GROUP_ROLE_MAP", position, entry),
                "{raw}"
            );
            assert!(e.reason.contains(reason), "{raw}: {e}");
        }
        let e = GroupRoleMap::parse("", "viewer, a b").err();
        assert_eq!(
            e.map(|e| (e.variable, e.position)),
            Some(("OIDC_GROUP_ROLE_DEFAULTS", 2))
        );
    }

    #[test]
    fn each_role_names_its_sources() {
        let map = parse("admins=admin,ops=admin,ops=auditor", "reader, admin");
        let admin = RoleName::parse("admin").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            map.sources_of(&admin, &["Ops", "admins", "dev"]),
            (vec!["Ops".to_string(), "admins".to_string()], true)
        );
        let reader = RoleName::parse("reader").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(map.sources_of(&reader, &["ops"]), (Vec::new(), true));
    }

    #[test]
    fn every_role_named_is_listed_for_the_startup_check() {
        let map = parse("admins=admin,ops=auditor", "reader");
        let named: Vec<(&str, usize, &str)> = map
            .mentions()
            .iter()
            .map(|m| (m.variable, m.position, m.role.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("OIDC_GROUP_ROLE_MAP", 1, "admin"),
                ("OIDC_GROUP_ROLE_MAP", 2, "auditor"),
                ("OIDC_GROUP_ROLE_DEFAULTS", 1, "reader"),
            ]
        );
    }

    fn group() -> impl Strategy<Value = String> {
        "[A-Za-z][A-Za-z0-9 _.-]{0,12}[A-Za-z0-9]".prop_map(|g| g.trim().to_string())
    }

    fn role() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9_-]{1,10}"
    }

    proptest! {
        /// However the pairs are separated, spaced and cased, the map
        /// resolves every group to exactly the roles its pairs name.
        #[test]
        fn any_spelling_of_the_pairs_resolves_the_same(
            pairs in prop::collection::vec((group(), role()), 0..8),
            seps in prop::collection::vec(prop::sample::select(vec![",", "\n", "\\n", " ,\n ", "\r\n"]), 8),
            upper in any::<bool>(),
        ) {
            let raw: String = pairs
                .iter()
                .zip(&seps)
                .map(|((g, r), sep)| {
                    let g = if upper { g.to_uppercase() } else { g.clone() };
                    format!(" {g} = {r} {sep}")
                })
                .collect();
            let map = GroupRoleMap::parse(&raw, "").map_err(|e| TestCaseError::fail(e.to_string()))?;
            for (g, _) in &pairs {
                let expected: BTreeSet<RoleName> = pairs
                    .iter()
                    .filter(|(other, _)| other.to_lowercase() == g.to_lowercase())
                    .filter_map(|(_, r)| RoleName::parse(r).ok())
                    .collect();
                prop_assert_eq!(map.resolve(&[g.as_str()]), expected);
            }
        }

        /// The parser never panics, and what it accepts it accepts whole:
        /// every mention is a valid role from a non-blank entry.
        #[test]
        fn any_input_parses_or_fails_cleanly(map in ".{0,80}", defaults in ".{0,40}") {
            if let Ok(parsed) = GroupRoleMap::parse(&map, &defaults) {
                for m in parsed.mentions() {
                    prop_assert!(!m.entry.is_empty());
                    prop_assert!(RoleName::parse(m.role.as_str()).is_ok());
                }
            }
        }
    }
}
