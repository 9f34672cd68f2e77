//! `GET /admin/api/audit.csv?<filters>`: the audit log as a CSV download
//! (seed 004), authenticated by the shared extractor and streamed in
//! constant memory. A read that changes nothing, so a plain download link
//! works (no CSRF header needed): a cross-site page can start the download
//! but never read it.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{Caller, HttpState};
use crate::error::{DomainError, FieldError};
use crate::service::audit_csv;
use crate::service::audit_log::{self, AuditFilter};

/// The filters, as `auditEvents` takes them: `actorId`, `eventTypes`
/// (comma-separated), `resourceType`, `resourceId`, `from`, `to` (RFC 3339).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CsvQuery {
    actor_id: Option<String>,
    event_types: Option<String>,
    resource_type: Option<String>,
    resource_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

pub(crate) fn instant(
    field: &'static str,
    raw: Option<&str>,
) -> Result<Option<DateTime<Utc>>, FieldError> {
    raw.filter(|r| !r.trim().is_empty())
        .map(|r| {
            DateTime::parse_from_rfc3339(r.trim())
                .map(|d| d.with_timezone(&Utc))
                .map_err(|_| FieldError::new(field, format!("{field} must be an RFC 3339 instant")))
        })
        .transpose()
}

impl CsvQuery {
    fn filter(self) -> Result<AuditFilter, DomainError> {
        let from = instant("from", self.from.as_deref());
        let to = instant("to", self.to.as_deref());
        let errors: Vec<FieldError> = [&from, &to]
            .into_iter()
            .filter_map(|r| r.as_ref().err().cloned())
            .collect();
        if !errors.is_empty() {
            return Err(DomainError::BadInput(errors));
        }
        let none_if_blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        Ok(AuditFilter {
            actor_id: none_if_blank(self.actor_id),
            event_types: audit_log::event_types(self.event_types.as_deref()),
            resource_type: none_if_blank(self.resource_type),
            resource_id: none_if_blank(self.resource_id),
            from: from.ok().flatten(),
            to: to.ok().flatten(),
            involving: None,
        })
    }
}

pub(super) async fn get(
    State(state): State<HttpState>,
    caller: Caller,
    query: Result<Query<CsvQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(actor) = caller.state.actor else {
        return DomainError::Unauthenticated("Authentication required".into()).into_response();
    };
    let filter = match query {
        Ok(Query(q)) => q.filter(),
        Err(e) => Err(DomainError::bad_input("query", e.body_text())),
    };
    let filter = match filter {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let stream = match audit_csv::export(&state.app, actor, filter).await {
        Ok(stream) => stream,
        Err(e) => return e.into_response(),
    };
    download(Body::from_stream(stream), &audit_csv::file_name(&state.app))
}

/// `body` as a CSV file download named `file_name`, never cached.
pub(super) fn download(body: Body, file_name: &str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let disposition = format!("attachment; filename=\"{file_name}\"");
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
