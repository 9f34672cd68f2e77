//! Email delivery (SPEC §6): [`EmailConfig`], read from `EMAIL_*`, `SMTP_*`
//! and `ROSTER_OUTBOX_DIR`, and how SMTP connections are secured
//! ([`SmtpTls`], whose choice also sets the default port).

use std::path::PathBuf;

use super::vars::Vars;
use super::{ConfigError, Secret};

/// How SMTP connections are secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    StartTls,
    Tls,
}

impl SmtpTls {
    /// `SMTP_TLS`: `starttls` (also when unset), `tls` (or `ssl`,
    /// `implicit`) or `none` (or `off`, `false`, `0`), any case.
    fn from_vars(v: &Vars<'_>) -> Result<Self, ConfigError> {
        match v.get("SMTP_TLS").map(str::to_ascii_lowercase) {
            None => Ok(Self::StartTls),
            Some(t) => match t.as_str() {
                "starttls" => Ok(Self::StartTls),
                "tls" | "ssl" | "implicit" => Ok(Self::Tls),
                "none" | "off" | "false" | "0" => Ok(Self::None),
                _ => Err(ConfigError {
                    variable: "SMTP_TLS",
                    value: t,
                    reason: "expected `starttls`, `tls` or `none`".into(),
                }),
            },
        }
    }
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

    /// Reads the email settings; `SMTP_PORT` defaults to 465 with implicit
    /// TLS and to 587 otherwise.
    pub(super) fn from_vars(v: &Vars<'_>) -> Result<Self, ConfigError> {
        let smtp_tls = SmtpTls::from_vars(v)?;
        Ok(Self {
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
        })
    }
}
