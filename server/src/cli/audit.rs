//! `roster audit export`: the audit log as CSV, the same rows as the
//! download (`GET /admin/api/audit.csv`), to a file or standard output.

use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use futures_util::StreamExt;

use super::Failure;
use crate::app::App;
use crate::service::Actor;
use crate::service::audit_csv;
use crate::service::audit_log::AuditFilter;

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
}

pub(super) async fn run(app: &App, command: AuditCommand) -> Result<(), Failure> {
    let AuditCommand::Export {
        actor,
        event_types,
        resource_type,
        resource_id,
        from,
        to,
        output,
    } = command;
    let filter = AuditFilter {
        actor_id: actor,
        event_types,
        resource_type,
        resource_id,
        from,
        to,
        involving: None,
    };
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
