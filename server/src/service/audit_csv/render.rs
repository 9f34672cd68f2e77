//! One event as the export shows it, and the CSV it becomes.

use std::borrow::Cow;

use bytes::Bytes;
use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};

use super::{CHUNK_BYTES, COLUMNS};
use crate::error::{DomainError, Result};
use crate::service::audit_log::DELETED_USER;

/// One event, as the export reads it: borrowed from the page it was read
/// from where the backend allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    pub occurred_at: When<'a>,
    pub actor_id: Option<Cow<'a, str>>,
    /// The username recorded with the event.
    pub actor_username: Option<Cow<'a, str>>,
    /// The actor's username now, when they still exist.
    pub actor_name: Option<Cow<'a, str>>,
    pub actor_deleted: bool,
    pub channel: Cow<'a, str>,
    pub event_type: Cow<'a, str>,
    pub resource_type: Option<Cow<'a, str>>,
    pub resource_id: Option<Cow<'a, str>>,
    pub ip_address: Option<Cow<'a, str>>,
    pub details: Details<'a>,
}

/// When an event happened.
#[derive(Debug, Clone, PartialEq)]
pub enum When<'a> {
    At(DateTime<Utc>),
    /// As SQLite stores it (RFC 3339 as its driver writes it, or SQLite's
    /// own `YYYY-MM-DD HH:MM:SS`, UTC).
    Stored(&'a str),
}

/// An event's details.
#[derive(Debug, Clone, PartialEq)]
pub enum Details<'a> {
    Value(serde_json::Value),
    /// Compact JSON text.
    Json(&'a str),
}

/// Who acted, as the export shows it (as `auditEvents` names them).
fn user_column<'r>(row: &'r Row) -> &'r str {
    match (&row.actor_id, &row.actor_name) {
        (Some(_), Some(_)) if row.actor_deleted => DELETED_USER,
        (Some(_), Some(name)) => name,
        (Some(_), None) => row.actor_username.as_deref().unwrap_or(DELETED_USER),
        (None, _) if row.channel == "cli" => "operator (CLI)",
        (None, _) => "anonymous",
    }
}

/// The details, summarised into `out`: "Changed: name, start_date" for a
/// change, else the recorded values as compact JSON (empty when there are
/// none).
fn details_column(details: &Details, out: &mut Vec<u8>) -> Result<()> {
    out.clear();
    let parsed;
    let details = match details {
        Details::Value(value) => value,
        // Text that summarises as itself is written as it is.
        Details::Json(text) if !text.contains("\"changed_fields\"") => {
            if !matches!(*text, "{}" | "null") {
                out.extend_from_slice(text.as_bytes());
            }
            return Ok(());
        }
        Details::Json(text) => {
            parsed = serde_json::from_str::<serde_json::Value>(text).map_err(failed)?;
            &parsed
        }
    };
    if let Some(fields) = details.get("changed_fields").and_then(|f| f.as_array()) {
        out.extend_from_slice(b"Changed: ");
        for (i, name) in fields.iter().filter_map(|f| f.as_str()).enumerate() {
            if i > 0 {
                out.extend_from_slice(b", ");
            }
            out.extend_from_slice(name.as_bytes());
        }
        return Ok(());
    }
    if details.as_object().is_some_and(|m| m.is_empty()) || details.is_null() {
        return Ok(());
    }
    serde_json::to_writer(&mut *out, details).map_err(failed)
}

/// Appends `n` as two digits (four for a year).
fn digits(out: &mut Vec<u8>, n: u32, width: usize) {
    let mut buf = [b'0'; 4];
    let mut n = n;
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&buf[..width]);
}

/// Writes the time as `2026-02-05T14:30:00Z` into `out`.
fn time_column(when: &When, out: &mut Vec<u8>) -> Result<()> {
    out.clear();
    let at = match when {
        When::At(at) => *at,
        When::Stored(text) => {
            let b = text.as_bytes();
            // RFC 3339 in UTC as the driver writes it: the first 19
            // characters are the answer.
            if b.len() >= 19 && b[10] == b'T' && (text.ends_with("+00:00") || text.ends_with('Z')) {
                out.extend_from_slice(&b[..19]);
                out.push(b'Z');
                return Ok(());
            }
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%F %T%.f").map(|t| t.and_utc()))
                .map_err(|e| failed(format!("event time {text:?}: {e}")))?
        }
    };
    let year = u32::try_from(at.year()).map_err(|_| failed("a year before 0"))?;
    digits(out, year, 4);
    for (sep, n) in [
        (b'-', at.month()),
        (b'-', at.day()),
        (b'T', at.hour()),
        (b':', at.minute()),
        (b':', at.second()),
    ] {
        out.push(sep);
        digits(out, n, 2);
    }
    out.push(b'Z');
    Ok(())
}

/// Whether a spreadsheet would run the cell as a formula: one starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return (values such as a
/// forwarded address come from clients). Such a cell gets a leading `'`.
fn risky(cell: &[u8]) -> bool {
    matches!(
        cell.first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// `cell`, with a leading `'` when a spreadsheet would run it as a formula
/// (for other CSV exports).
pub fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    if risky(cell.as_bytes()) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Writes rows as CSV, reusing its buffers from row to row.
pub struct Renderer {
    out: csv::Writer<Vec<u8>>,
    time: Vec<u8>,
    resource: Vec<u8>,
    details: Vec<u8>,
    inert: Vec<u8>,
}

fn failed(e: impl std::fmt::Display) -> DomainError {
    DomainError::Internal(anyhow::anyhow!("writing CSV: {e}"))
}

impl Renderer {
    /// A renderer whose output begins with the header row.
    pub fn new() -> Result<Self> {
        let mut out = Self::writer();
        out.write_record(COLUMNS).map_err(failed)?;
        Ok(Self {
            out,
            time: Vec::with_capacity(20),
            resource: Vec::with_capacity(64),
            details: Vec::with_capacity(256),
            inert: Vec::with_capacity(64),
        })
    }

    fn writer() -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::with_capacity(CHUNK_BYTES + 16 * 1024))
    }

    /// One cell, made inert when risky.
    fn cell(&mut self, cell: &[u8]) -> Result<()> {
        if risky(cell) {
            self.inert.clear();
            self.inert.push(b'\'');
            self.inert.extend_from_slice(cell);
            self.out.write_field(&self.inert).map_err(failed)
        } else {
            self.out.write_field(cell).map_err(failed)
        }
    }

    /// Appends one row (CRLF line end).
    pub fn row(&mut self, row: &Row) -> Result<()> {
        time_column(&row.occurred_at, &mut self.time)?;
        self.resource.clear();
        if let Some(kind) = &row.resource_type {
            self.resource.extend_from_slice(kind.as_bytes());
            if let Some(id) = &row.resource_id {
                self.resource.push(b':');
                self.resource.extend_from_slice(id.as_bytes());
            }
        }
        details_column(&row.details, &mut self.details)?;
        let time = std::mem::take(&mut self.time);
        let resource = std::mem::take(&mut self.resource);
        let details = std::mem::take(&mut self.details);
        let written = [
            time.as_slice(),
            user_column(row).as_bytes(),
            row.event_type.as_bytes(),
            resource.as_slice(),
            row.ip_address.as_deref().unwrap_or_default().as_bytes(),
            details.as_slice(),
        ]
        .into_iter()
        .try_for_each(|cell| self.cell(cell));
        (self.time, self.resource, self.details) = (time, resource, details);
        written?;
        self.out.write_record(None::<&[u8]>).map_err(failed)
    }

    /// How many bytes wait to be taken, give or take the writer's own
    /// buffer.
    pub fn pending(&self) -> usize {
        self.out.get_ref().len()
    }

    /// The bytes written so far; the renderer goes on empty.
    pub fn take(&mut self) -> Result<Bytes> {
        let full = std::mem::replace(&mut self.out, Self::writer());
        Ok(Bytes::from(full.into_inner().map_err(failed)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row<'a>(details: serde_json::Value, actor: Option<&'a str>, channel: &'a str) -> Row<'a> {
        Row {
            occurred_at: When::At(
                chrono::DateTime::parse_from_rfc3339("2026-02-05T14:30:00.123456Z")
                    .map(|d| d.with_timezone(&chrono::Utc))
                    .unwrap_or_default(),
            ),
            actor_id: actor.map(|_| "U1".into()),
            actor_username: actor.map(Cow::Borrowed),
            actor_name: actor.map(Cow::Borrowed),
            actor_deleted: false,
            channel: channel.into(),
            event_type: "user.updated".into(),
            resource_type: Some("user".into()),
            resource_id: Some("U2".into()),
            ip_address: Some("10.0.0.1".into()),
            details: Details::Value(details),
        }
    }

    fn render(rows: &[Row]) -> String {
        let mut renderer = Renderer::new().unwrap_or_else(|e| panic!("{e}"));
        for r in rows {
            renderer.row(r).unwrap_or_else(|e| panic!("{e}"));
        }
        let bytes = renderer.take().unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8(bytes.to_vec()).unwrap_or_default()
    }

    #[test]
    fn cells_never_run_as_formulas() {
        let mut r = row(json!({}), Some("jane"), "api");
        r.ip_address = Some("=HYPERLINK(\"x\")".into());
        r.event_type = "+1".into();
        r.resource_type = Some("@SUM(A1)".into());
        r.resource_id = None;
        let text = render(&[r]);
        assert!(
            text.ends_with(",'+1,'@SUM(A1),\"'=HYPERLINK(\"\"x\"\")\",\r\n"),
            "{text}"
        );
        for risky_cell in ["-1", "\tx", "\rx"] {
            assert!(risky(risky_cell.as_bytes()), "{risky_cell:?}");
        }
        assert!(!risky(b"10.0.0.1"));
    }

    #[test]
    fn times_and_details_read_from_sqlite_render_as_the_others() {
        let value = row(
            json!({ "a": 1, "changed_fields": ["name"] }),
            Some("jane"),
            "api",
        );
        let expected = render(std::slice::from_ref(&value));
        for stored in [
            "2026-02-05T14:30:00.123456+00:00",
            "2026-02-05T14:30:00Z",
            "2026-02-05 14:30:00.5",
            "2026-02-05T15:30:00+01:00",
        ] {
            let mut text = value.clone();
            text.occurred_at = When::Stored(stored);
            text.details = Details::Json(r#"{"a":1,"changed_fields":["name"]}"#);
            assert_eq!(render(&[text]), expected, "{stored}");
        }
        let mut plain = value.clone();
        plain.details = Details::Json(r#"{"a":"x, y"}"#);
        assert!(render(&[plain]).ends_with(",\"{\"\"a\"\":\"\"x, y\"\"}\"\r\n"));
        let mut empty = value;
        empty.details = Details::Json("{}");
        assert!(render(&[empty]).ends_with("10.0.0.1,\r\n"));
    }

    #[test]
    fn rows_follow_the_seed_and_quote_as_rfc_4180_says() {
        let mut deleted = row(json!(null), Some("gone"), "api");
        deleted.actor_deleted = true;
        let mut vanished = row(json!({}), Some("old_name"), "api");
        vanished.actor_name = None;
        let rows = [
            row(
                json!({ "changed_fields": ["name", "start_date"] }),
                Some("jane"),
                "api",
            ),
            row(json!({ "note": "a \"quoted\", comma\nline" }), None, "cli"),
            row(json!({}), None, "api"),
            deleted,
            vanished,
        ];
        let text = render(&rows);
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
        assert!(
            text.contains("Z,[Deleted User],user.updated,user:U2,10.0.0.1,\r\n"),
            "{text}"
        );
        assert!(
            text.contains("Z,old_name,user.updated,user:U2,10.0.0.1,\r\n"),
            "{text}"
        );
    }
}
