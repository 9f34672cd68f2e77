//! The identity provider's section (SPEC §8, seed 002): OIDC login is on
//! when `OIDC_ISSUER_URL` is set, and then needs `OIDC_CLIENT_ID`.
//! `OIDC_CLIENT_SECRET`, `OIDC_SCOPES` (default `openid email profile`; add
//! `groups` where the provider needs it), `OIDC_AUDIENCE` (the `aud` an IdP
//! access token must carry; default the client id), `OIDC_USERINFO_ENDPOINT`
//! (else discovery's), `OIDC_GROUPS_CLAIM` (default `groups`),
//! `OIDC_DISPLAY_NAME_CLAIM` (default `name`, then `preferred_username`),
//! `OIDC_LINK_BY_EMAIL` (default off) and the group → role mapping
//! (`OIDC_GROUP_ROLE_MAP`, `OIDC_GROUP_ROLE_DEFAULTS`; `domain::group_roles`).
//! Auto-provisioning is the flag `OIDC_AUTO_PROVISION_USERS` (`flags.rs`).

use super::vars::Vars;
use super::{ConfigError, Secret};
use crate::domain::GroupRoleMap;

/// The provider Roster trusts for login and bearer tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// `OIDC_ISSUER_URL`, without a trailing `/`: discovery is at
    /// `<issuer>/.well-known/openid-configuration`.
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    /// Always includes `openid`.
    pub scopes: Vec<String>,
    pub audience: String,
    pub userinfo_endpoint: Option<String>,
    pub groups_claim: String,
    /// None: `name`, then `preferred_username`.
    pub display_name_claim: Option<String>,
    pub link_by_email: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OidcConfig {
    /// None when `OIDC_ISSUER_URL` is unset: no OIDC login, no IdP tokens.
    pub provider: Option<OidcProvider>,
    /// Read whether or not a provider is configured, so a typo fails at
    /// start either way.
    pub group_roles: GroupRoleMap,
}

impl OidcConfig {
    /// The group → role mapping with aliases read through (`ROLE_ALIASES`).
    pub(super) fn with_aliases(mut self, aliases: &crate::domain::RoleAliases) -> Self {
        self.group_roles = self.group_roles.with_aliases(aliases);
        self
    }

    /// The claim holding a user's groups (`OIDC_GROUPS_CLAIM`, `groups`
    /// when no provider is configured).
    pub fn groups_claim(&self) -> &str {
        self.provider
            .as_ref()
            .map_or("groups", |p| p.groups_claim.as_str())
    }
}

const DEFAULT_SCOPES: &str = "openid email profile";

fn http_url(v: &Vars<'_>, variable: &'static str) -> Result<Option<String>, ConfigError> {
    match v.get(variable).map(str::trim).filter(|u| !u.is_empty()) {
        None => Ok(None),
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
            Ok(Some(url.trim_end_matches('/').to_string()))
        }
        Some(url) => Err(ConfigError {
            variable,
            value: url.into(),
            reason: "must start with https:// or http://".into(),
        }),
    }
}

impl OidcConfig {
    pub(super) fn from_vars(v: &Vars<'_>) -> Result<Self, ConfigError> {
        let group_roles = GroupRoleMap::parse(
            v.get("OIDC_GROUP_ROLE_MAP").unwrap_or_default(),
            v.get("OIDC_GROUP_ROLE_DEFAULTS").unwrap_or_default(),
        )
        .map_err(|e| ConfigError {
            variable: e.variable,
            value: e.entry.clone(),
            reason: format!("entry {}: {}", e.position, e.reason),
        })?;
        let Some(issuer_url) = http_url(v, "OIDC_ISSUER_URL")? else {
            return Ok(Self {
                provider: None,
                group_roles,
            });
        };
        let client_id = v
            .get("OIDC_CLIENT_ID")
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| ConfigError {
                variable: "OIDC_CLIENT_ID",
                value: String::new(),
                reason: "required when OIDC_ISSUER_URL is set".into(),
            })?
            .to_string();
        let raw_scopes = v.get("OIDC_SCOPES").unwrap_or(DEFAULT_SCOPES);
        let mut scopes: Vec<String> = Vec::new();
        for scope in raw_scopes.split([' ', ',']).filter(|s| !s.is_empty()) {
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_string());
            }
        }
        if !scopes.iter().any(|s| s == "openid") {
            return Err(ConfigError {
                variable: "OIDC_SCOPES",
                value: raw_scopes.into(),
                reason: "must include openid".into(),
            });
        }
        let claim = |variable: &'static str| {
            v.get(variable)
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
        };
        Ok(Self {
            provider: Some(OidcProvider {
                audience: claim("OIDC_AUDIENCE").unwrap_or_else(|| client_id.clone()),
                issuer_url,
                client_id,
                client_secret: v
                    .get("OIDC_CLIENT_SECRET")
                    .filter(|s| !s.is_empty())
                    .map(Secret::new),
                scopes,
                userinfo_endpoint: http_url(v, "OIDC_USERINFO_ENDPOINT")?,
                groups_claim: claim("OIDC_GROUPS_CLAIM").unwrap_or_else(|| "groups".into()),
                display_name_claim: claim("OIDC_DISPLAY_NAME_CLAIM"),
                link_by_email: v.flag("OIDC_LINK_BY_EMAIL").unwrap_or(false),
            }),
            group_roles,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::tests::config;

    fn rejected(vars: &[(&str, &str)]) -> Option<(&'static str, String)> {
        let vars = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_vars(&vars)
            .err()
            .map(|e| (e.variable, e.reason))
    }

    #[test]
    fn unset_means_no_provider() {
        let c = config(&[]).oidc;
        assert_eq!(c.provider, None);
        assert!(c.group_roles.is_empty());
    }

    #[test]
    fn a_provider_gets_its_defaults() {
        let c = config(&[
            ("OIDC_ISSUER_URL", "https://idp.example/realms/x/"),
            ("OIDC_CLIENT_ID", "roster"),
            ("OIDC_CLIENT_SECRET", "s3cret"),
        ])
        .oidc;
        let p = c.provider.unwrap_or_else(|| panic!("a provider"));
        assert_eq!(p.issuer_url, "https://idp.example/realms/x");
        assert_eq!(p.scopes, ["openid", "email", "profile"]);
        assert_eq!(p.audience, "roster");
        assert_eq!(p.groups_claim, "groups");
        assert_eq!(p.display_name_claim, None);
        assert!(!p.link_by_email);
        assert!(!format!("{p:?}").contains("s3cret"));
    }

    #[test]
    fn mistakes_stop_startup_naming_the_variable() {
        let issuer = ("OIDC_ISSUER_URL", "https://idp.example");
        assert_eq!(rejected(&[issuer]).map(|e| e.0), Some("OIDC_CLIENT_ID"));
        assert_eq!(
            rejected(&[("OIDC_ISSUER_URL", "idp.example"), ("OIDC_CLIENT_ID", "r")]).map(|e| e.0),
            Some("OIDC_ISSUER_URL")
        );
        assert_eq!(
            rejected(&[
                issuer,
                ("OIDC_CLIENT_ID", "r"),
                ("OIDC_SCOPES", "email profile")
            ])
            .map(|e| e.0),
            Some("OIDC_SCOPES")
        );
        // The mapping is checked even without a provider.
        let bad_map = rejected(&[("OIDC_GROUP_ROLE_MAP", "admins=admin,ops")]);
        assert_eq!(
            bad_map,
            Some((
                "OIDC_GROUP_ROLE_MAP",
                "entry 2: expected group=role".to_string()
            ))
        );
    }
}
