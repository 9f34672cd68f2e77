//! Email delivery (SPEC §6): SMTP through lettre, or — with no SMTP host or
//! `EMAIL_ENABLED=false` — `.eml` files in the outbox folder, with the links
//! logged, so a first run works without a mail server.

use std::path::PathBuf;

use anyhow::Context;
use lettre::message::MultiPart;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{EmailConfig, SmtpTls};

/// One email to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Whether an email went out. A failed send is not a failed change: the
/// user or the link stays, so the message can be sent again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Why the transport refused it (shown to the admin who asked).
    Failed {
        reason: String,
    },
}

impl Delivery {
    pub fn sent(&self) -> bool {
        matches!(self, Self::Sent)
    }

    pub fn failure(&self) -> Option<&str> {
        match self {
            Self::Sent => None,
            Self::Failed { reason } => Some(reason),
        }
    }
}

/// Where email goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: String,
    },
    Outbox {
        dir: PathBuf,
        from: String,
    },
}

impl Mailer {
    pub fn new(config: &EmailConfig) -> anyhow::Result<Self> {
        let from = config.from.clone();
        let Some(host) = config.smtp_host.as_deref().filter(|_| config.enabled) else {
            return Ok(Self::Outbox {
                dir: config.outbox_dir.clone(),
                from,
            });
        };
        let builder = match config.smtp_tls {
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        };
        let mut builder = builder
            .port(config.smtp_port)
            .timeout(Some(std::time::Duration::from_secs(15)));
        if let (Some(user), Some(password)) = (&config.smtp_username, &config.smtp_password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose().to_string(),
            ));
        }
        Ok(Self::Smtp {
            transport: builder.build(),
            from,
        })
    }

    fn build(&self, mail: &Outgoing) -> anyhow::Result<Message> {
        let from = match self {
            Self::Smtp { from, .. } | Self::Outbox { from, .. } => from,
        };
        Message::builder()
            .from(from.parse().context("EMAIL_FROM is not a valid mailbox")?)
            .to(mail.to.parse().context("invalid recipient")?)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .context("cannot build the message")
    }

    /// Sends one message, logging the outcome; what [`Delivery`] says is
    /// what the caller reports.
    pub async fn deliver(&self, mail: &Outgoing, what: &str) -> Delivery {
        match self.send(mail).await {
            Ok(()) => {
                tracing::info!(to = %mail.to, "{what} email sent");
                Delivery::Sent
            }
            Err(e) => {
                let reason = format!("{e:#}");
                tracing::error!(to = %mail.to, error = %reason, "{what} email failed");
                Delivery::Failed { reason }
            }
        }
    }

    /// Sends one message; an error says why it did not go out.
    pub async fn send(&self, mail: &Outgoing) -> anyhow::Result<()> {
        let message = self.build(mail)?;
        match self {
            Self::Smtp { transport, .. } => {
                transport
                    .send(message)
                    .await
                    .context("SMTP delivery failed")?;
            }
            Self::Outbox { dir, .. } => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .with_context(|| format!("cannot create outbox {}", dir.display()))?;
                let path = dir.join(format!("{}.eml", crate::domain::new_id()));
                tokio::fs::write(&path, message.formatted())
                    .await
                    .with_context(|| format!("cannot write {}", path.display()))?;
                tracing::info!(to = %mail.to, subject = %mail.subject, file = %path.display(), "email written to the outbox");
            }
        }
        Ok(())
    }
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Seed 004's invitation email.
pub fn invitation(
    to: &str,
    username: &str,
    roles: &[(String, Vec<String>)],
    link: &str,
    expires: chrono::DateTime<chrono::Utc>,
) -> Outgoing {
    let role_names: Vec<&str> = roles.iter().map(|(name, _)| name.as_str()).collect();
    let role_line = role_names.join(", ");
    let date = expires.format("%B %-d, %Y at %H:%M UTC");
    let mut permissions = String::new();
    let mut permissions_html = String::new();
    for (_, perms) in roles {
        for p in perms {
            permissions.push_str(&format!("- {p}\n"));
            permissions_html.push_str(&format!("<li>{}</li>", escape(p)));
        }
    }
    let text = format!(
        "Hi {username},\n\n\
         You've been invited to join the Roster admin interface as a {role_line}.\n\n\
         Click the link below to accept your invitation and set your password:\n{link}\n\n\
         This invitation expires on {date} (7 days from now).\n\n\
         Your Role: {role_line}\n{permissions}\n\
         If you didn't expect this invitation, please ignore this email.\n\n\
         Questions? Contact your administrator.\n"
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">\
         <p>Hi {u},</p>\
         <p>You've been invited to join the Roster admin interface as a <strong>{r}</strong>.</p>\
         <p><a href=\"{l}\">Accept your invitation and set your password</a></p>\
         <p>This invitation expires on {d} (7 days from now).</p>\
         <p>Your Role: <strong>{r}</strong></p><ul>{permissions_html}</ul>\
         <p>If you didn't expect this invitation, please ignore this email.</p>\
         <p>Questions? Contact your administrator.</p></body></html>",
        u = escape(username),
        r = escape(&role_line),
        l = escape(link),
        d = date,
    );
    Outgoing {
        to: to.to_string(),
        subject: "You've been invited to Roster".to_string(),
        text,
        html,
    }
}

/// The password-reset email (planned in seed 004, built like the invitation).
pub fn password_reset(
    to: &str,
    username: &str,
    link: &str,
    expires: chrono::DateTime<chrono::Utc>,
) -> Outgoing {
    let time = expires.format("%H:%M UTC on %B %-d, %Y");
    let text = format!(
        "Hi {username},\n\n\
         Someone asked to reset the password of your Roster account.\n\n\
         Click the link below to choose a new password:\n{link}\n\n\
         This link works once and expires at {time} (1 hour from now).\n\
         Resetting your password signs you out everywhere.\n\n\
         If you didn't ask for this, ignore this email: your password stays as it is.\n"
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">\
         <p>Hi {u},</p><p>Someone asked to reset the password of your Roster account.</p>\
         <p><a href=\"{l}\">Choose a new password</a></p>\
         <p>This link works once and expires at {time} (1 hour from now). \
         Resetting your password signs you out everywhere.</p>\
         <p>If you didn't ask for this, ignore this email: your password stays as it is.</p>\
         </body></html>",
        u = escape(username),
        l = escape(link),
    );
    Outgoing {
        to: to.to_string(),
        subject: "Reset your Roster password".to_string(),
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_invitation_says_what_seed_004_says() {
        let mail = invitation(
            "jane@example.com",
            "jane<script>",
            &[("editor".into(), vec!["bookmarks:manage".into()])],
            "https://id.example.com/admin/accept-invitation?token=abc",
            chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        );
        assert_eq!(mail.subject, "You've been invited to Roster");
        for part in [
            "Hi jane<script>,",
            "as a editor",
            "https://id.example.com/admin/accept-invitation?token=abc",
            "This invitation expires on January 15, 2027",
            "- bookmarks:manage",
            "If you didn't expect this invitation",
        ] {
            assert!(mail.text.contains(part), "{part} in {}", mail.text);
        }
        assert!(mail.html.contains("jane&lt;script&gt;"));
        assert!(!mail.html.contains("<script>"));
    }
}
