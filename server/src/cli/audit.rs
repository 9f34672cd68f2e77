//! `roster audit export`: the audit log as CSV, the same rows as the
//! download (`GET /admin/api/audit.csv`), to a file or standard output;
//! `roster audit verify` and `roster audit seal`: its hash chain
//! (`service::audit_chain`).

use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use futures_util::StreamExt;

use super::Failure;
use crate::app::App;
use crate::service::Actor;
use crate::service::audit_log::AuditFilter;
use crate::service::{audit_chain, audit_csv};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Write the audit log as CSV, newest first.
    Export {
        /// Only events by this user id.
        #[arg(long)]
        actor: Option<String>,
        /// Only events of this type; repeat for several.
        #[arg(long = "event-type")]
        event_types: Vec<String>,
        /// Only events about this kind of resource (user, organization, …).
        #[arg(long)]
        resource_type: Option<String>,
        /// Only events about this resource id.
        #[arg(long)]
        resource_id: Option<String>,
        /// Events at or after this RFC 3339 instant.
        #[arg(long)]
        from: Option<DateTime<Utc>>,
        /// Events before this RFC 3339 instant.
        #[arg(long)]
        to: Option<DateTime<Utc>>,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Walk the hash chain and name the first event edited, inserted or
    /// deleted outside Roster (exit code 8); events not sealed yet are
    /// counted, not checked.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Seal every committed event into the chain now (`serve` does it
    /// continuously; for databases no server runs against).
    Seal,
}

/// The exit code of an audit log that does not verify.
pub const TAMPERED: i32 = 8;

pub(super) async fn run(app: &App, command: AuditCommand) -> Result<(), Failure> {
    match command {
        AuditCommand::Export {
            actor,
            event_types,
            resource_type,
            resource_id,
            from,
            to,
            output,
        } => {
            let filter = AuditFilter {
                actor_id: actor,
                event_types,
                resource_type,
                resource_id,
                from,
                to,
                involving: None,
            };
            export(app, filter, output).await
        }
        AuditCommand::Verify { json } => verify(app, json).await,
        AuditCommand::Seal => {
            let report = audit_chain::seal_all(app).await?;
            println!(
                "Sealed {} events; the chain's head is seq {}.",
                report.sealed, report.head_seq
            );
            if report.refused > 0 {
                return Err(Failure {
                    message: format!(
                        "{} events were refused: their hashes do not match their content \
                         (written or edited outside Roster); run `roster audit verify`",
                        report.refused
                    ),
                    code: TAMPERED,
                });
            }
            Ok(())
        }
    }
}

async fn verify(app: &App, json: bool) -> Result<(), Failure> {
    let report = audit_chain::verify(app).await?;
    let message = match &report.tampering {
        Some(tampering) => format!("The audit log does not verify: {tampering}"),
        None => format!(
            "Audit log verified: {} sealed events (seq {} to {}, {} hashes); {} not sealed yet.",
            report.checked,
            report.start_seq,
            report.head_seq,
            if report.keyed { "keyed" } else { "unkeyed" },
            report.unsealed
        ),
    };
    if json {
        let mut value = serde_json::to_value(&report)
            .map_err(|e| anyhow::anyhow!("cannot print the report: {e}"))?;
        value["ok"] = report.tampering.is_none().into();
        value["message"] = message.clone().into();
        println!("{value}");
    }
    match report.tampering {
        Some(_) => Err(Failure {
            message,
            code: TAMPERED,
        }),
        None => {
            if !json {
                println!("{message}");
            }
            Ok(())
        }
    }
}

async fn export(app: &App, filter: AuditFilter, output: Option<PathBuf>) -> Result<(), Failure> {
    let stream = audit_csv::export(app, Actor::cli_operator(), filter).await?;
    let mut stream = std::pin::pin!(stream);
    let mut out: Box<dyn Write> = match &output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut bytes = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| anyhow::anyhow!("export failed: {e}"))?;
        bytes += chunk.len();
        out.write_all(&chunk)
            .map_err(|e| anyhow::anyhow!("cannot write the export: {e}"))?;
    }
    out.flush()
        .map_err(|e| anyhow::anyhow!("cannot write the export: {e}"))?;
    if let Some(path) = output {
        eprintln!("Audit log written to {} ({bytes} bytes)", path.display());
    }
    Ok(())
}
