//! Typed configuration, read once at startup from the process environment.
//!
//! [`Config::from_vars`] takes the variables as a map so tests can feed any
//! environment without touching the real one; nothing else in Roster reads
//! environment variables.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

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

/// Which password rules apply (SPEC §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProfile {
    /// Seed 004: 12+ characters with upper, lower, digit and special.
    Default,
    /// NIST 800-63B-4: 15+ characters, no composition rules.
    Nist,
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

/// How SMTP connections are secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    StartTls,
    Tls,
}

/// Email delivery (SPEC §6).
#[derive(Debug, Clone)]
pub struct EmailConfig {
    pub enabled: bool,
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Secret>,
    pub smtp_tls: SmtpTls,
    pub from: String,
    pub outbox_dir: PathBuf,
}

impl EmailConfig {
    /// True when messages go to an SMTP server rather than the outbox folder.
    pub fn uses_smtp(&self) -> bool {
        self.enabled && self.smtp_host.is_some()
    }
}

/// Sessions, brute-force limits and token quotas (SPEC §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthConfig {
    /// A session unused for this long ends.
    pub session_idle: std::time::Duration,
    /// A session ends this long after login, used or not.
    pub session_max_age: std::time::Duration,
    /// Failed logins for one account before it is locked out.
    pub max_failures_per_account: u32,
    /// Failed logins from one client address before it is locked out.
    pub max_failures_per_address: u32,
    /// How long a lockout lasts; also the window in which failures add up.
    pub lockout: std::time::Duration,
    /// The first retry delay after a failure; it doubles with each failure.
    pub retry_delay: std::time::Duration,
    /// Personal access tokens a user may hold, unless overridden per user.
    pub token_quota: u32,
    /// Take the client address from `X-Forwarded-For` (behind a proxy only).
    pub trust_proxy_headers: bool,
    /// How long an authenticated session or token is remembered in memory
    /// at most (changes invalidate it sooner); zero reads the database on
    /// every request.
    pub credential_cache: std::time::Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_idle: std::time::Duration::from_secs(60 * 60),
            session_max_age: std::time::Duration::from_secs(12 * 60 * 60),
            max_failures_per_account: 5,
            max_failures_per_address: 50,
            lockout: std::time::Duration::from_secs(15 * 60),
            retry_delay: std::time::Duration::from_secs(1),
            token_quota: 20,
            trust_proxy_headers: false,
            credential_cache: std::time::Duration::from_secs(10),
        }
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

struct Vars<'a>(&'a HashMap<String, String>);

impl Vars<'_> {
    /// The value, or `None` when unset or blank.
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn flag(&self, name: &str) -> Option<bool> {
        parse_flag(self.0.get(name).map(String::as_str))
    }

    fn parse<T: std::str::FromStr>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
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
        let enforce = v.flag("USER_MGMT_ENFORCE").unwrap_or(true);
        let flags = Flags {
            core: v.flag("USER_MGMT_CORE").unwrap_or(true),
            ui: v
                .flag("USER_MGMT_UI")
                .or_else(|| v.flag("NEXT_PUBLIC_USER_MGMT_UI"))
                .unwrap_or(true),
            enforce,
            rls_enforce: v.flag("USER_MGMT_RLS_ENFORCE").unwrap_or(enforce),
            oidc_auto_provision: v.flag("OIDC_AUTO_PROVISION_USERS").unwrap_or(false),
        };

        let defaults = Argon2Config::default();
        let argon2 = Argon2Config {
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

        let password_profile = match v.get("PASSWORD_POLICY").map(str::to_ascii_lowercase) {
            None => PasswordProfile::Default,
            Some(p) if p == "default" => PasswordProfile::Default,
            Some(p) if p == "nist" => PasswordProfile::Nist,
            Some(other) => {
                return Err(ConfigError {
                    variable: "PASSWORD_POLICY",
                    value: other,
                    reason: "expected `default` or `nist`".into(),
                });
            }
        };

        let smtp_tls = match v.get("SMTP_TLS").map(str::to_ascii_lowercase) {
            None => SmtpTls::StartTls,
            Some(t) => match t.as_str() {
                "starttls" => SmtpTls::StartTls,
                "tls" | "ssl" | "implicit" => SmtpTls::Tls,
                "none" | "off" | "false" | "0" => SmtpTls::None,
                _ => {
                    return Err(ConfigError {
                        variable: "SMTP_TLS",
                        value: t,
                        reason: "expected `starttls`, `tls` or `none`".into(),
                    });
                }
            },
        };
        let email = EmailConfig {
            enabled: v.flag("EMAIL_ENABLED").unwrap_or(true),
            smtp_host: v.get("SMTP_HOST").map(str::to_string),
            smtp_port: v.parse(
                "SMTP_PORT",
                if smtp_tls == SmtpTls::Tls { 465 } else { 587 },
            )?,
            smtp_username: v.get("SMTP_USERNAME").map(str::to_string),
            smtp_password: v.get("SMTP_PASSWORD").map(Secret::new),
            smtp_tls,
            from: v
                .get("EMAIL_FROM")
                .unwrap_or("Roster <roster@localhost>")
                .to_string(),
            outbox_dir: PathBuf::from(v.get("ROSTER_OUTBOX_DIR").unwrap_or("outbox")),
        };

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

        let auth_defaults = AuthConfig::default();
        let seconds = |d: std::time::Duration| d.as_secs();
        let auth = AuthConfig {
            session_idle: std::time::Duration::from_secs(
                v.parse("SESSION_IDLE_SECONDS", seconds(auth_defaults.session_idle))?,
            ),
            session_max_age: std::time::Duration::from_secs(v.parse(
                "SESSION_MAX_AGE_SECONDS",
                seconds(auth_defaults.session_max_age),
            )?),
            max_failures_per_account: v.parse(
                "LOGIN_MAX_FAILURES_PER_ACCOUNT",
                auth_defaults.max_failures_per_account,
            )?,
            max_failures_per_address: v.parse(
                "LOGIN_MAX_FAILURES_PER_ADDRESS",
                auth_defaults.max_failures_per_address,
            )?,
            lockout: std::time::Duration::from_secs(
                v.parse("LOGIN_LOCKOUT_SECONDS", seconds(auth_defaults.lockout))?,
            ),
            retry_delay: std::time::Duration::from_millis(v.parse(
                "LOGIN_RETRY_DELAY_MS",
                u64::try_from(auth_defaults.retry_delay.as_millis()).unwrap_or(1000),
            )?),
            token_quota: v.parse("TOKEN_QUOTA", auth_defaults.token_quota)?,
            trust_proxy_headers: v.flag("TRUST_PROXY_HEADERS").unwrap_or(false),
            credential_cache: std::time::Duration::from_secs(v.parse(
                "CREDENTIAL_CACHE_SECONDS",
                seconds(auth_defaults.credential_cache),
            )?),
        };
        for (variable, value) in [
            ("SESSION_IDLE_SECONDS", auth.session_idle.as_secs()),
            ("SESSION_MAX_AGE_SECONDS", auth.session_max_age.as_secs()),
            (
                "LOGIN_MAX_FAILURES_PER_ACCOUNT",
                u64::from(auth.max_failures_per_account),
            ),
            (
                "LOGIN_MAX_FAILURES_PER_ADDRESS",
                u64::from(auth.max_failures_per_address),
            ),
        ] {
            if value == 0 {
                return Err(ConfigError {
                    variable,
                    value: "0".into(),
                    reason: "must be at least 1".into(),
                });
            }
        }

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
        })
    }
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

    fn config(pairs: &[(&str, &str)]) -> Config {
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
    fn defaults_enable_everything_but_auto_provisioning() {
        let c = config(&[]);
        assert_eq!(c.flags, Flags::default());
        assert!(c.flags.core && c.flags.ui && c.flags.enforce && c.flags.rls_enforce);
        assert!(!c.flags.oidc_auto_provision);
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.argon2, Argon2Config::default());
    }

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

    #[test]
    fn bad_numbers_name_the_variable() {
        let vars = [("ARGON2_MEMORY_KIB".to_string(), "lots".to_string())]
            .into_iter()
            .collect();
        let err = Config::from_vars(&vars).err();
        assert_eq!(err.map(|e| e.variable), Some("ARGON2_MEMORY_KIB"));
    }

    #[test]
    fn argon2_parameters_are_validated() {
        let vars = [("ARGON2_ITERATIONS".to_string(), "0".to_string())]
            .into_iter()
            .collect();
        assert!(Config::from_vars(&vars).is_err());
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
    fn auth_limits_are_configurable_and_never_zero() {
        let c = config(&[
            ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "3"),
            ("TOKEN_QUOTA", "2"),
        ]);
        assert_eq!(c.auth.max_failures_per_account, 3);
        assert_eq!(c.auth.token_quota, 2);
        assert_eq!(c.auth.session_idle, AuthConfig::default().session_idle);
        let vars = [("SESSION_IDLE_SECONDS".to_string(), "0".to_string())]
            .into_iter()
            .collect();
        assert_eq!(
            Config::from_vars(&vars).err().map(|e| e.variable),
            Some("SESSION_IDLE_SECONDS")
        );
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
