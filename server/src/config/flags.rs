//! The feature flags of SPEC §4 ([`Flags`]): how they are read, with their
//! defaults and aliases, and how they are printed at startup.

use std::fmt;

use super::vars::Vars;

/// The feature flags of SPEC §4, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    pub core: bool,
    pub ui: bool,
    pub enforce: bool,
    pub rls_enforce: bool,
    pub oidc_auto_provision: bool,
}

impl Default for Flags {
    fn default() -> Self {
        Self {
            core: true,
            ui: true,
            enforce: true,
            rls_enforce: true,
            oidc_auto_provision: false,
        }
    }
}

impl Flags {
    /// `(variable, value)` pairs in the order operators know them.
    pub fn entries(&self) -> [(&'static str, bool); 5] {
        [
            ("USER_MGMT_CORE", self.core),
            ("USER_MGMT_UI", self.ui),
            ("USER_MGMT_ENFORCE", self.enforce),
            ("USER_MGMT_RLS_ENFORCE", self.rls_enforce),
            ("OIDC_AUTO_PROVISION_USERS", self.oidc_auto_provision),
        ]
    }

    /// Reads the flags: unset or empty takes the default, the UI flag also
    /// answers to `NEXT_PUBLIC_USER_MGMT_UI`, and RLS enforcement follows
    /// `USER_MGMT_ENFORCE` unless set itself. No value is ever rejected:
    /// anything but a truthy word is off.
    pub(super) fn from_vars(v: &Vars<'_>) -> Self {
        let enforce = v.flag("USER_MGMT_ENFORCE").unwrap_or(true);
        Self {
            core: v.flag("USER_MGMT_CORE").unwrap_or(true),
            ui: v
                .flag("USER_MGMT_UI")
                .or_else(|| v.flag("NEXT_PUBLIC_USER_MGMT_UI"))
                .unwrap_or(true),
            enforce,
            rls_enforce: v.flag("USER_MGMT_RLS_ENFORCE").unwrap_or(enforce),
            oidc_auto_provision: v.flag("OIDC_AUTO_PROVISION_USERS").unwrap_or(false),
        }
    }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .entries()
            .iter()
            .map(|(name, on)| format!("{name}={}", if *on { "on" } else { "off" }))
            .collect();
        f.write_str(&parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::tests::config;

    #[test]
    fn empty_flag_means_default_not_false() {
        let c = config(&[("USER_MGMT_CORE", ""), ("USER_MGMT_ENFORCE", "")]);
        assert!(c.flags.core);
        assert!(c.flags.enforce);
    }

    #[test]
    fn rls_enforce_follows_enforce_when_unset() {
        assert!(!config(&[("USER_MGMT_ENFORCE", "0")]).flags.rls_enforce);
        assert!(
            !config(&[("USER_MGMT_ENFORCE", "whatever")])
                .flags
                .rls_enforce
        );
        assert!(
            !config(&[("USER_MGMT_ENFORCE", "off"), ("USER_MGMT_RLS_ENFORCE", "")])
                .flags
                .rls_enforce
        );
        assert!(config(&[("USER_MGMT_ENFORCE", "yes")]).flags.rls_enforce);
    }

    #[test]
    fn rls_enforce_set_explicitly_wins() {
        let c = config(&[("USER_MGMT_ENFORCE", "0"), ("USER_MGMT_RLS_ENFORCE", "1")]);
        assert!(!c.flags.enforce);
        assert!(c.flags.rls_enforce);
        let c = config(&[("USER_MGMT_RLS_ENFORCE", "off")]);
        assert!(c.flags.enforce);
        assert!(!c.flags.rls_enforce);
    }

    #[test]
    fn ui_flag_accepts_the_next_public_alias() {
        assert!(!config(&[("NEXT_PUBLIC_USER_MGMT_UI", "0")]).flags.ui);
        // The plain name wins over the alias.
        assert!(
            config(&[("USER_MGMT_UI", "1"), ("NEXT_PUBLIC_USER_MGMT_UI", "0")])
                .flags
                .ui
        );
        // An empty plain name falls through to the alias.
        assert!(
            !config(&[("USER_MGMT_UI", ""), ("NEXT_PUBLIC_USER_MGMT_UI", "false")])
                .flags
                .ui
        );
    }

    #[test]
    fn auto_provisioning_is_opt_in() {
        assert!(
            config(&[("OIDC_AUTO_PROVISION_USERS", "TRUE")])
                .flags
                .oidc_auto_provision
        );
        assert!(
            !config(&[("OIDC_AUTO_PROVISION_USERS", "enabled")])
                .flags
                .oidc_auto_provision
        );
    }

    #[test]
    fn flags_print_as_operators_write_them() {
        let c = config(&[("USER_MGMT_ENFORCE", "0")]);
        assert_eq!(
            c.flags.to_string(),
            "USER_MGMT_CORE=on USER_MGMT_UI=on USER_MGMT_ENFORCE=off \
             USER_MGMT_RLS_ENFORCE=off OIDC_AUTO_PROVISION_USERS=off"
        );
    }
}
