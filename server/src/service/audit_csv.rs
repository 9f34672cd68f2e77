//! The audit log as CSV (seed 004's export): the columns `Timestamp, User,
//! Event Type, Resource, IP Address, Details`, RFC 4180 quoting, streamed a
//! page at a time in constant memory, each page in a read unit of work of
//! its own. The HTTP download and `roster audit export` write the same rows.

use bytes::Bytes;
use futures_util::Stream;

use super::actor::Actor;
use super::audit_log::{self, AuditCursor, AuditFilter, EventView, Page};
use super::work::{Mode, Work};
use crate::app::App;
use crate::error::{DomainError, Result};

/// The header row.
pub const COLUMNS: [&str; 6] = [
    "Timestamp",
    "User",
    "Event Type",
    "Resource",
    "IP Address",
    "Details",
];

/// The download's file name for a day: `activity_log_YYYYMMDD.csv`.
pub fn file_name(app: &App) -> String {
    format!("activity_log_{}.csv", app.clock.now().format("%Y%m%d"))
}

/// Who acted, as the export shows it.
fn user_column(view: &EventView) -> String {
    match &view.actor_name {
        Some(name) => name.clone(),
        None if view.event.channel == "cli" => "operator (CLI)".into(),
        None => "anonymous".into(),
    }
}

/// The details, summarised: "Changed: name, start_date" for a change,
/// else the recorded values as compact JSON (empty when there are none).
fn details_column(view: &EventView) -> String {
    let details = &view.event.details;
    if let Some(fields) = details.get("changed_fields").and_then(|f| f.as_array()) {
        let names: Vec<&str> = fields.iter().filter_map(|f| f.as_str()).collect();
        return format!("Changed: {}", names.join(", "));
    }
    match details.as_object() {
        Some(map) if map.is_empty() => String::new(),
        _ => details.to_string(),
    }
}

/// A cell a spreadsheet will not run as a formula: one starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return gets a leading `'` (values such
/// as a forwarded address come from clients).
fn inert(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// One page as CSV rows (CRLF line ends), after the header when `header`.
pub fn render(events: &[EventView], header: bool) -> Result<Vec<u8>> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(events.len() * 160));
    let failed = |e: csv::Error| DomainError::Internal(anyhow::anyhow!("writing CSV: {e}"));
    if header {
        out.write_record(COLUMNS).map_err(failed)?;
    }
    for view in events {
        let e = &view.event;
        let resource = match (&e.resource_type, &e.resource_id) {
            (Some(kind), Some(id)) => format!("{kind}:{id}"),
            (Some(kind), None) => kind.clone(),
            _ => String::new(),
        };
        let cells = [
            e.occurred_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            user_column(view),
            e.event_type.clone(),
            resource,
            e.ip_address.clone().unwrap_or_default(),
            details_column(view),
        ];
        out.write_record(cells.map(inert)).map_err(failed)?;
    }
    out.into_inner()
        .map_err(|e| DomainError::Internal(anyhow::anyhow!("writing CSV: {e}")))
}

/// One page of the export, in a read unit of work of its own.
async fn next_page(
    app: &App,
    actor: &Actor,
    filter: &AuditFilter,
    after: Option<&AuditCursor>,
) -> Result<Page> {
    Work::run(app, actor.clone(), Mode::Read, async |w| match after {
        None => audit_log::export_page(w, filter).await,
        Some(cursor) => audit_log::export_next_page(w, filter, cursor).await,
    })
    .await
}

/// The export of every event matching `filter`, newest first, for `actor`
/// (`audit:read`). The first page is read before this returns, so a refusal
/// or a bad filter is an error here rather than a broken download; after
/// that a failure ends the stream with an error. While one page is rendered
/// and sent, the next is read (one page ahead, so memory stays bounded).
pub async fn export(
    app: &App,
    actor: Actor,
    filter: AuditFilter,
) -> Result<impl Stream<Item = std::io::Result<Bytes>> + Send + 'static> {
    let first = next_page(app, &actor, &filter, None).await?;
    let state = Some(Export {
        app: app.clone(),
        actor,
        filter,
        ready: Some(first),
        ahead: None,
        header: true,
    });
    Ok(futures_util::stream::unfold(state, |state| async move {
        let mut state = state?;
        let page = match state.ready.take() {
            Some(page) => page,
            None => match state.ahead.take() {
                Some(ahead) => match ahead.await {
                    Ok(Ok(page)) => page,
                    Ok(Err(e)) => return Some(state.fail(&e.to_string())),
                    Err(e) => return Some(state.fail(&e.to_string())),
                },
                None => return None,
            },
        };
        // Read the next page while this one is rendered and sent.
        if page.has_next_page
            && let Some(last) = page.events.last()
        {
            let cursor = AuditCursor::of(&last.event);
            let (app, actor, filter) =
                (state.app.clone(), state.actor.clone(), state.filter.clone());
            state.ahead = Some(tokio::spawn(async move {
                next_page(&app, &actor, &filter, Some(&cursor)).await
            }));
        }
        let bytes = match render(&page.events, state.header) {
            Ok(bytes) => Bytes::from(bytes),
            Err(e) => return Some(state.fail(&e.to_string())),
        };
        state.header = false;
        let more = state.ahead.is_some();
        Some((Ok(bytes), more.then_some(state)))
    }))
}

/// An export under way.
struct Export {
    app: App,
    actor: Actor,
    filter: AuditFilter,
    /// The first page, read before the stream began.
    ready: Option<Page>,
    /// The next page, being read.
    ahead: Option<tokio::task::JoinHandle<Result<Page>>>,
    header: bool,
}

impl Drop for Export {
    /// A download the client left: the page being read is not needed.
    fn drop(&mut self) {
        if let Some(ahead) = self.ahead.take() {
            ahead.abort();
        }
    }
}

impl Export {
    /// Ends the stream with an error (logged here; the client sees a broken
    /// download).
    fn fail(self, error: &str) -> (std::io::Result<Bytes>, Option<Self>) {
        tracing::error!(error, "audit export stopped");
        (Err(std::io::Error::other("audit export failed")), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::audit_event;
    use serde_json::json;

    fn view(details: serde_json::Value, actor: Option<&str>, channel: &str) -> EventView {
        EventView {
            event: audit_event::Model {
                id: "01J".into(),
                occurred_at: chrono::DateTime::parse_from_rfc3339("2026-02-05T14:30:00Z")
                    .map(|d| d.with_timezone(&chrono::Utc))
                    .unwrap_or_default(),
                actor_id: actor.map(|_| "U1".into()),
                actor_username: actor.map(str::to_string),
                channel: channel.into(),
                event_type: "user.updated".into(),
                resource_type: Some("user".into()),
                resource_id: Some("U2".into()),
                ip_address: Some("10.0.0.1".into()),
                user_agent: None,
                details,
                row_hash: None,
                seq: None,
                chain_hash: None,
            },
            actor_name: actor.map(str::to_string),
            resource_name: None,
        }
    }

    #[test]
    fn cells_never_run_as_formulas() {
        assert_eq!(inert("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        for risky in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(inert(risky.into()).starts_with('\''), "{risky:?}");
        }
        assert_eq!(inert("10.0.0.1".into()), "10.0.0.1");
    }

    #[test]
    fn rows_follow_the_seed_and_quote_as_rfc_4180_says() {
        let rows = [
            view(
                json!({ "changed_fields": ["name", "start_date"] }),
                Some("jane"),
                "api",
            ),
            view(json!({ "note": "a \"quoted\", comma\nline" }), None, "cli"),
            view(json!({}), None, "api"),
        ];
        let text = String::from_utf8(render(&rows, true).unwrap_or_default()).unwrap_or_default();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "Timestamp,User,Event Type,Resource,IP Address,Details"
        );
        assert_eq!(
            lines[1],
            "2026-02-05T14:30:00Z,jane,user.updated,user:U2,10.0.0.1,\"Changed: name, start_date\""
        );
        assert!(
            text.contains(r#"operator (CLI),user.updated,user:U2,10.0.0.1,"{""note"":""a \""quoted\"", comma\nline""}""#),
            "{text}"
        );
        assert!(
            text.contains("anonymous,user.updated,user:U2,10.0.0.1,\r\n"),
            "{text}"
        );
    }
}
