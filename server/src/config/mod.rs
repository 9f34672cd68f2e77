//! Typed configuration, read once at startup from the process environment.
//!
//! [`Config::from_vars`] takes the variables as a map so tests can feed any
//! environment without touching the real one; nothing else in Roster reads
//! environment variables.
//!
//! This file holds [`Config`] itself, the error every section reports
//! ([`ConfigError`]), the built-in defaults, [`Secret`] and [`redact_url`],
//! and reads the addresses (`ROSTER_BIND`, `ROSTER_PUBLIC_URL`) and
//! `DATABASE_URL`. Each other concern is a section in its own file, with a
//! `from_vars` that reads its variables through the reader of `vars.rs`
//! (`Vars`, and [`parse_flag`]):
//! - `flags.rs`: the feature flags ([`Flags`]);
//! - `passwords.rs`: password rules and Argon2id cost ([`PasswordProfile`],
//!   [`Argon2Config`]);
//! - `email.rs`: email delivery ([`EmailConfig`], [`SmtpTls`]);
//! - `auth.rs`: sessions, login throttling, token quota, credential cache and
//!   proxy trust ([`AuthConfig`]);
//! - `audit.rs`: the audit log's lines, hash chain and retention
//!   ([`AuditConfig`]);
//! - `oidc.rs`: the identity provider and the group → role mapping
//!   ([`OidcConfig`]);
//! - `rls.rs`: the tables row-level security manages ([`RlsConfig`]);
//! - `limits.rs`: the request timeout and concurrency cap ([`LimitsConfig`]);
//! - `proxies.rs`: the reverse proxies whose `X-Forwarded-For` is believed
//!   ([`TrustedProxies`]).
//!
//! `ROLE_ALIASES` is read here too ([`RoleAliases`]).

mod audit;
mod auth;
mod email;
mod flags;
mod limits;
mod oidc;
mod passwords;
mod proxies;
mod rls;
mod vars;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;

pub use audit::AuditConfig;
pub use auth::AuthConfig;
pub use email::{EmailConfig, SmtpTls};
pub use flags::Flags;
pub use limits::LimitsConfig;
pub use oidc::{OidcConfig, OidcProvider};
pub use passwords::{Argon2Config, PasswordProfile};
pub use proxies::TrustedProxies;
pub use rls::RlsConfig;
use vars::Vars;

use crate::domain::RoleAliases;
use crate::domain::role_aliases::DEFAULT_ROLE_ALIASES;
pub use vars::parse_flag;

/// A value that must never be printed (passwords, keys).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself, for the one place that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Roster's whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    /// Base of every link Roster sends (never taken from a request's Host).
    pub public_url: String,
    /// True when `ROSTER_PUBLIC_URL` is unset and `public_url` follows `bind`.
    public_url_from_bind: bool,
    pub flags: Flags,
    pub argon2: Argon2Config,
    pub password_profile: PasswordProfile,
    pub email: EmailConfig,
    pub auth: AuthConfig,
    pub audit: AuditConfig,
    pub oidc: OidcConfig,
    pub rls: RlsConfig,
    pub limits: LimitsConfig,
    /// `TRUSTED_PROXIES`.
    pub trusted_proxies: TrustedProxies,
    /// `ROLE_ALIASES`: other names for roles, read wherever a role is named.
    pub role_aliases: RoleAliases,
}

/// A variable that is set to something Roster cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {variable}={value:?}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub reason: String,
}

/// The SQLite file used when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://roster.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

impl Config {
    /// Listens on `bind` instead (`serve --bind`); links follow it unless
    /// `ROSTER_PUBLIC_URL` names the public address.
    pub fn set_bind(&mut self, bind: SocketAddr) {
        self.bind = bind;
        if self.public_url_from_bind {
            self.public_url = format!("http://{bind}");
        }
    }

    /// True when links and cookies are served over https.
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Reads the real process environment. Call once, at startup.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Builds the configuration from a set of variables.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let v = Vars(vars);
        // In this order, so that of several bad variables the same one is
        // reported first.
        let flags = Flags::from_vars(&v);
        let argon2 = Argon2Config::from_vars(&v)?;
        let password_profile = PasswordProfile::from_vars(&v)?;
        let email = EmailConfig::from_vars(&v)?;
        let (bind, public_url, public_url_from_bind) = addresses(&v)?;
        let auth = AuthConfig::from_vars(&v)?;
        let trusted_proxies = TrustedProxies::from_vars(&v)?;
        let database_url = database_url(&v)?;
        let audit = AuditConfig::from_vars(&v)?;
        let oidc = OidcConfig::from_vars(&v)?;
        let rls = RlsConfig::from_vars(&v)?;
        let limits = LimitsConfig::from_vars(&v)?;
        let role_aliases = role_aliases(&v)?;
        // The mapping may name roles by their aliases too.
        let oidc = oidc.with_aliases(&role_aliases);
        Ok(Self {
            database_url,
            bind,
            public_url,
            public_url_from_bind,
            flags,
            argon2,
            password_profile,
            email,
            auth,
            audit,
            oidc,
            rls,
            limits,
            trusted_proxies,
            role_aliases,
        })
    }
}

/// `ROLE_ALIASES`: `alias=role,…`, [`DEFAULT_ROLE_ALIASES`] when unset,
/// none when empty.
fn role_aliases(v: &Vars<'_>) -> Result<RoleAliases, ConfigError> {
    let raw = v.raw("ROLE_ALIASES").unwrap_or(DEFAULT_ROLE_ALIASES);
    RoleAliases::parse(raw).map_err(|reason| ConfigError {
        variable: "ROLE_ALIASES",
        value: raw.to_string(),
        reason,
    })
}

/// `ROSTER_BIND` and `ROSTER_PUBLIC_URL`: the address to listen on, the base
/// of links (without a trailing `/`), and whether that base follows the
/// bind address because `ROSTER_PUBLIC_URL` is unset.
fn addresses(v: &Vars<'_>) -> Result<(SocketAddr, String, bool), ConfigError> {
    let bind: SocketAddr = v.parse(
        "ROSTER_BIND",
        DEFAULT_BIND.parse().map_err(|_| ConfigError {
            variable: "ROSTER_BIND",
            value: DEFAULT_BIND.into(),
            reason: "bad built-in default".into(),
        })?,
    )?;
    let public_url_from_bind = v.get("ROSTER_PUBLIC_URL").is_none();
    let public_url = v
        .get("ROSTER_PUBLIC_URL")
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("http://{bind}"));
    if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
        return Err(ConfigError {
            variable: "ROSTER_PUBLIC_URL",
            value: public_url,
            reason: "must start with http:// or https://".into(),
        });
    }
    Ok((bind, public_url, public_url_from_bind))
}

/// `DATABASE_URL`: a `sqlite:` or `postgres://` URL, [`DEFAULT_DATABASE_URL`]
/// when unset.
fn database_url(v: &Vars<'_>) -> Result<String, ConfigError> {
    let database_url = v
        .get("DATABASE_URL")
        .unwrap_or(DEFAULT_DATABASE_URL)
        .to_string();
    if !(database_url.starts_with("sqlite:")
        || database_url.starts_with("postgres://")
        || database_url.starts_with("postgresql://"))
    {
        return Err(ConfigError {
            variable: "DATABASE_URL",
            value: redact_url(&database_url),
            reason: "expected a sqlite: or postgres:// URL".into(),
        });
    }
    Ok(database_url)
}

/// The URL with any password replaced, fit for logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RoleName;

    /// The configuration these variables give; panics if they are rejected.
    /// Shared by the tests of every section.
    pub(in crate::config) fn config(pairs: &[(&str, &str)]) -> Config {
        let vars = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        match Config::from_vars(&vars) {
            Ok(c) => c,
            Err(e) => panic!("config rejected: {e}"),
        }
    }

    #[test]
    fn defaults_enable_everything_but_auto_provisioning() {
        let c = config(&[]);
        assert_eq!(c.flags, Flags::default());
        assert!(c.flags.core && c.flags.ui && c.flags.enforce && c.flags.rls_enforce);
        assert!(!c.flags.oidc_auto_provision);
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.argon2, Argon2Config::default());
    }

    #[test]
    fn role_aliases_default_to_user_and_empty_means_none() {
        let user = RoleName::parse("user").unwrap_or_else(|e| panic!("{e}"));
        let default = config(&[]).role_aliases;
        assert!(default.is_default());
        assert_eq!(default.canonical(&user).as_str(), "viewer");
        assert!(config(&[("ROLE_ALIASES", "  ")]).role_aliases.is_empty());
        let set = config(&[("ROLE_ALIASES", "user=editor")]).role_aliases;
        assert_eq!(set.canonical(&user).as_str(), "editor");
        assert!(!set.is_default());
        // The mapping reads them too.
        let mapped = config(&[("OIDC_GROUP_ROLE_MAP", "staff=user")]);
        assert_eq!(
            mapped.oidc.group_roles.mentions()[0].role.as_str(),
            "viewer"
        );
    }

    #[test]
    fn password_profile_and_database_url() {
        let c = config(&[
            ("PASSWORD_POLICY", "NIST"),
            ("DATABASE_URL", "postgres://u:pw@db/roster"),
        ]);
        assert_eq!(c.password_profile, PasswordProfile::Nist);
        assert_eq!(c.database_url, "postgres://u:pw@db/roster");
        let vars = [("DATABASE_URL".to_string(), "mysql://x".to_string())]
            .into_iter()
            .collect();
        assert!(Config::from_vars(&vars).is_err());
    }

    #[test]
    fn secrets_and_urls_are_redacted() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
        assert_eq!(
            redact_url("postgres://u:pw@db:5432/roster"),
            "postgres://u:***@db:5432/roster"
        );
        assert_eq!(redact_url("sqlite://roster.db"), "sqlite://roster.db");
    }

    #[test]
    fn public_url_defaults_to_the_bind_address() {
        let c = config(&[("ROSTER_BIND", "0.0.0.0:9000")]);
        assert_eq!(c.public_url, "http://0.0.0.0:9000");
        let mut moved = c.clone();
        moved.set_bind("127.0.0.1:7000".parse().expect("addr"));
        assert_eq!(
            moved.public_url, "http://127.0.0.1:7000",
            "links follow --bind"
        );
        let mut c = config(&[("ROSTER_PUBLIC_URL", "https://id.example.com/")]);
        c.set_bind("127.0.0.1:7000".parse().expect("addr"));
        assert_eq!(c.public_url, "https://id.example.com");
    }
}
