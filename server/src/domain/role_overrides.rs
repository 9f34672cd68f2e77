//! Role overrides (seed 002 "Override storage"): an operator's corrections
//! to the roles a user's identity provider grants, kept in the user's
//! `claims` under `role_overrides`. `preserved` roles are never revoked by a
//! sync, `suppressed` roles are withheld from what the provider grants, and
//! while `enabled` is true a sync revokes nothing (additions still apply).
//! And the merge itself: what one sync grants and revokes.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::RoleName;
use crate::error::{DomainError, FieldError};

/// The claim's key in `users.claims`.
pub const CLAIM: &str = "role_overrides";

/// A user's overrides, normalised: role names trimmed, lowercased, each
/// once, never both preserved and suppressed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleOverrides {
    /// Automatic revocations paused.
    pub enabled: bool,
    pub preserved: BTreeSet<RoleName>,
    pub suppressed: BTreeSet<RoleName>,
}

impl RoleOverrides {
    /// Parses input: every bad role name is listed, and a role both
    /// preserved and suppressed is refused.
    pub fn parse<S: AsRef<str>>(
        enabled: bool,
        preserved: &[S],
        suppressed: &[S],
    ) -> Result<Self, DomainError> {
        let mut errors = Vec::new();
        let mut names = |field: &'static str, raw: &[S]| -> BTreeSet<RoleName> {
            raw.iter()
                .filter_map(|r| match RoleName::parse(r.as_ref()) {
                    Ok(role) => Some(role),
                    Err(e) => {
                        errors.push(FieldError::new(field, e.to_string()));
                        None
                    }
                })
                .collect()
        };
        let preserved = names("preserved", preserved);
        let suppressed = names("suppressed", suppressed);
        if !errors.is_empty() {
            return Err(DomainError::BadInput(errors));
        }
        Self::checked(enabled, preserved, suppressed)
    }

    fn checked(
        enabled: bool,
        preserved: BTreeSet<RoleName>,
        suppressed: BTreeSet<RoleName>,
    ) -> Result<Self, DomainError> {
        if let Some(both) = preserved.intersection(&suppressed).next() {
            return Err(DomainError::bad_input(
                "suppressed",
                format!("Role {both} cannot be both preserved and suppressed"),
            ));
        }
        Ok(Self {
            enabled,
            preserved,
            suppressed,
        })
    }

    /// The same overrides with roles named by an alias named by their role
    /// (`ROLE_ALIASES`), as they are stored.
    pub fn with_aliases(self, aliases: &super::RoleAliases) -> Result<Self, DomainError> {
        let canonical = |set: BTreeSet<RoleName>| -> BTreeSet<RoleName> {
            set.iter().map(|r| aliases.canonical(r)).collect()
        };
        Self::checked(
            self.enabled,
            canonical(self.preserved),
            canonical(self.suppressed),
        )
    }

    /// The overrides stored in a user's claims; none when absent. Stored
    /// values that are not valid role names are left out (they were written
    /// by hand).
    pub fn from_claims(claims: &Value) -> Option<Self> {
        let stored = claims.get(CLAIM)?;
        let names = |key: &str| -> BTreeSet<RoleName> {
            stored
                .get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .filter_map(|r| RoleName::parse(r).ok())
                        .collect()
                })
                .unwrap_or_default()
        };
        Some(Self {
            enabled: stored
                .get("enabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            preserved: names("preserved"),
            suppressed: names("suppressed"),
        })
    }

    /// As stored in the claim.
    pub fn to_json(&self) -> Value {
        let names = |set: &BTreeSet<RoleName>| -> Vec<String> {
            set.iter().map(|r| r.as_str().to_string()).collect()
        };
        json!({
            "enabled": self.enabled,
            "preserved": names(&self.preserved),
            "suppressed": names(&self.suppressed),
        })
    }

    /// Nothing set: storing this removes the claim (as clearing does).
    pub fn is_empty(&self) -> bool {
        !self.enabled && self.preserved.is_empty() && self.suppressed.is_empty()
    }
}

/// What one sync of a user's provider-granted roles does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdpRoleChanges {
    /// Roles to grant with source `idp`.
    pub grant: BTreeSet<RoleName>,
    /// `idp` roles to revoke.
    pub revoke: BTreeSet<RoleName>,
    /// Roles the provider grants that the overrides withhold.
    pub withheld: BTreeSet<RoleName>,
    /// `idp` roles kept although the provider no longer grants them, and
    /// why: preserved, or revocations paused.
    pub kept: BTreeSet<RoleName>,
}

/// The merge of seed 002: the provider's resolved roles, less the
/// suppressed ones, replace the user's `idp` roles — except that preserved
/// roles are never revoked, nothing is revoked while revocations are paused,
/// and roles granted by hand (`manual`) are never touched (a role held by
/// hand is not granted again from the provider).
pub fn merge_idp_roles(
    resolved: &BTreeSet<RoleName>,
    current_idp: &BTreeSet<RoleName>,
    manual: &BTreeSet<RoleName>,
    overrides: Option<&RoleOverrides>,
) -> IdpRoleChanges {
    let none = RoleOverrides::default();
    let overrides = overrides.unwrap_or(&none);
    let withheld: BTreeSet<RoleName> = resolved
        .intersection(&overrides.suppressed)
        .cloned()
        .collect();
    let wanted: BTreeSet<RoleName> = resolved.difference(&withheld).cloned().collect();
    let grant = wanted
        .iter()
        .filter(|r| !current_idp.contains(*r) && !manual.contains(*r))
        .cloned()
        .collect();
    let mut revoke = BTreeSet::new();
    let mut kept = BTreeSet::new();
    for role in current_idp.difference(&wanted) {
        if overrides.enabled || overrides.preserved.contains(role) {
            kept.insert(role.clone());
        } else {
            revoke.insert(role.clone());
        }
    }
    IdpRoleChanges {
        grant,
        revoke,
        withheld,
        kept,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn set(names: &[&str]) -> BTreeSet<RoleName> {
        names
            .iter()
            .map(|n| RoleName::parse(n).unwrap_or_else(|e| panic!("{e}")))
            .collect()
    }

    fn overrides(enabled: bool, preserved: &[&str], suppressed: &[&str]) -> RoleOverrides {
        RoleOverrides::parse(enabled, preserved, suppressed).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn input_is_normalised_and_checked() {
        let o = overrides(false, &[" Admin ", "admin", "EDITOR"], &["viewer"]);
        assert_eq!(o.preserved, set(&["admin", "editor"]));
        let both = RoleOverrides::parse(false, &["admin"], &["ADMIN"]);
        assert!(
            both.as_ref()
                .err()
                .is_some_and(|e| e.to_string().contains("both")),
            "{both:?}"
        );
        let bad = RoleOverrides::parse(false, &["no way"], &["x"]);
        match bad {
            Err(DomainError::BadInput(errors)) => assert_eq!(errors.len(), 2),
            other => panic!("{other:?}"),
        }
        assert!(RoleOverrides::default().is_empty());
    }

    #[test]
    fn the_claim_round_trips() {
        let o = overrides(true, &["admin"], &["viewer", "editor"]);
        let claims = json!({ "other": 1, CLAIM: o.to_json() });
        assert_eq!(RoleOverrides::from_claims(&claims), Some(o));
        assert_eq!(RoleOverrides::from_claims(&json!({})), None);
    }

    #[test]
    fn a_sync_follows_the_seed() {
        let resolved = set(&["admin", "auditor", "reader"]);
        let current = set(&["admin", "publisher", "old"]);
        // No overrides: the provider's set replaces the idp roles.
        let plain = merge_idp_roles(&resolved, &current, &set(&[]), None);
        assert_eq!(plain.grant, set(&["auditor", "reader"]));
        assert_eq!(plain.revoke, set(&["old", "publisher"]));
        // Suppressed roles are withheld (and revoked), preserved ones kept.
        let o = overrides(false, &["publisher"], &["admin"]);
        let merged = merge_idp_roles(&resolved, &current, &set(&[]), Some(&o));
        assert_eq!(merged.grant, set(&["auditor", "reader"]));
        assert_eq!(merged.revoke, set(&["admin", "old"]));
        assert_eq!(merged.withheld, set(&["admin"]));
        assert_eq!(merged.kept, set(&["publisher"]));
        // Paused: additions apply, nothing is revoked.
        let paused = overrides(true, &[], &["admin"]);
        let merged = merge_idp_roles(&resolved, &current, &set(&[]), Some(&paused));
        assert_eq!(merged.grant, set(&["auditor", "reader"]));
        assert!(merged.revoke.is_empty());
        assert_eq!(merged.kept, set(&["admin", "old", "publisher"]));
        // A role held by hand is never granted again from the provider.
        let merged = merge_idp_roles(&resolved, &current, &set(&["reader"]), None);
        assert_eq!(merged.grant, set(&["auditor"]));
    }

    fn roles() -> impl Strategy<Value = BTreeSet<RoleName>> {
        prop::collection::btree_set(
            prop::sample::select(vec!["admin", "editor", "viewer", "reader", "ops", "audit"])
                .prop_map(|r| RoleName::parse(r).unwrap_or_else(|e| panic!("{e}"))),
            0..6,
        )
    }

    proptest! {
        /// The rules hold for any sets: nothing granted is suppressed or
        /// held by hand or already held; nothing revoked is preserved, or
        /// revoked while paused, or still wanted; every idp role is either
        /// still wanted, revoked or kept.
        #[test]
        fn the_merge_keeps_its_promises(
            resolved in roles(), current in roles(), manual in roles(),
            preserved in roles(), suppressed in roles(), enabled in any::<bool>(),
        ) {
            let suppressed: BTreeSet<RoleName> = suppressed.difference(&preserved).cloned().collect();
            let o = RoleOverrides { enabled, preserved: preserved.clone(), suppressed: suppressed.clone() };
            let c = merge_idp_roles(&resolved, &current, &manual, Some(&o));
            for r in &c.grant {
                prop_assert!(resolved.contains(r) && !suppressed.contains(r));
                prop_assert!(!manual.contains(r) && !current.contains(r));
            }
            for r in &c.revoke {
                prop_assert!(!enabled && !preserved.contains(r) && current.contains(r));
                prop_assert!(!resolved.contains(r) || suppressed.contains(r));
            }
            for r in &current {
                let wanted = resolved.contains(r) && !suppressed.contains(r);
                prop_assert_eq!(wanted || c.revoke.contains(r) || c.kept.contains(r), true);
                prop_assert!(!(c.revoke.contains(r) && c.kept.contains(r)));
            }
        }
    }
}
