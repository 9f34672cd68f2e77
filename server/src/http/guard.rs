//! The limits every API request passes (SPEC §5, issue 17): at most
//! `MAX_CONCURRENT_REQUESTS` at once, one more answered `UNAVAILABLE` at
//! once rather than queued; and at most `REQUEST_TIMEOUT_SECONDS` each,
//! answered `UNAVAILABLE` when the time is up. Health and metrics routes
//! stay outside, so a busy server still reports on itself.
//!
//! Every 5xx the guarded routes answer (the guard's own included) is
//! counted in `roster_http_server_errors_total{status}`.
//!
//! A request out of time is answered at once, and what it was doing
//! depends on what it asked: a read stops where it stands, and its answer
//! says to retry in a second (`Retry-After: 1`); a change runs on in a task
//! of its own to its end, commit and all, and shutdown waits for it (a
//! GraphQL mutation in `http::graphql`; a REST request other than
//! `GET`/`HEAD` here, [`Guard::finishing_changes`], once its body has been
//! read within the time). So nothing is half-applied and no commit is cut
//! off; the answer says the change may or may not have been made, carries
//! no `Retry-After` (a blind retry could make it twice), and its outcome is
//! logged when it ends. [`MayChange`] tells the guard which kind it has.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;

use super::lifecycle::Lifecycle;
use crate::config::LimitsConfig;
use crate::error::DomainError;

/// The shared state of the guard: one pool of slots for every API route.
#[derive(Clone)]
pub struct Guard {
    slots: Arc<Semaphore>,
    limits: LimitsConfig,
    /// How an edge writes its errors (GraphQL's shape or REST's).
    render: fn(DomainError) -> Response,
    /// Set for an edge whose changes run in the handler itself (REST):
    /// those run in a task of their own that shutdown waits for.
    changes_finish: Option<Finishing>,
}

/// How changes are run to their end: with a lifecycle token, once their
/// body (at most `max_body` bytes are read) has come.
#[derive(Clone)]
struct Finishing {
    lifecycle: Lifecycle,
    max_body: usize,
}

/// In each guarded request's extensions: whether it may change something
/// (set by the guard for a REST change once its body is read, by
/// `http::graphql` for a mutation), whether the guard answered it at the
/// timeout, and whether the change has finished. Whichever of the last two
/// comes second logs that a change answered at the timeout has finished.
#[derive(Clone, Default)]
pub struct MayChange(Arc<AtomicU8>);

const MARKED: u8 = 1;
const TIMED_OUT: u8 = 2;
const FINISHED: u8 = 4;

impl MayChange {
    /// This request may change something.
    pub fn mark(&self) {
        self.0.fetch_or(MARKED, Ordering::SeqCst);
    }

    /// The change has ended (`outcome`: its status or error count); logged
    /// when its answer had already gone out at the timeout.
    pub fn finished(&self, outcome: &str) {
        if self.0.fetch_or(FINISHED, Ordering::SeqCst) & TIMED_OUT != 0 {
            tracing::warn!(
                outcome,
                "a change answered UNAVAILABLE at the timeout has finished"
            );
        }
    }

    /// The guard answers at the timeout: whether a change was marked.
    fn timed_out(&self) -> bool {
        let before = self.0.fetch_or(TIMED_OUT, Ordering::SeqCst);
        if before & FINISHED != 0 && before & MARKED != 0 {
            tracing::warn!("a change answered UNAVAILABLE at the timeout has finished");
        }
        before & MARKED != 0
    }
}

impl Guard {
    pub fn new(limits: LimitsConfig) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limits.max_concurrent_requests)),
            limits,
            render: axum::response::IntoResponse::into_response,
            changes_finish: None,
        }
    }

    /// The same slots, answering errors through `render`.
    pub fn rendering(&self, render: fn(DomainError) -> Response) -> Self {
        Self {
            render,
            ..self.clone()
        }
    }

    /// The same guard, running each request that may change something
    /// (any method but `GET` and `HEAD`) to its end even when its answer
    /// has gone out at the timeout; `lifecycle` keeps shutdown waiting.
    /// Its body, of at most `max_body` bytes, is read first, within the
    /// time: a client that sends it slowly holds nothing afterwards.
    pub fn finishing_changes(&self, lifecycle: Lifecycle, max_body: usize) -> Self {
        Self {
            changes_finish: Some(Finishing {
                lifecycle,
                max_body,
            }),
            ..self.clone()
        }
    }
}

/// The body, read whole; reading stops once it is over `max` bytes (the
/// handler's own limit then answers 413).
async fn read_body(body: Body, max: usize) -> Result<Body, axum::Error> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk?);
        if bytes.len() > max {
            break;
        }
    }
    Ok(Body::from(bytes))
}

/// Reads the body of `request`, then runs it in a task of its own holding
/// `slot` and a lifecycle token until it ends, logging the outcome of one
/// answered at the timeout meanwhile. Resolves with its answer.
async fn run_to_its_end(
    next: Next,
    request: Request,
    slot: tokio::sync::OwnedSemaphorePermit,
    finishing: Finishing,
    may_change: MayChange,
    render: fn(DomainError) -> Response,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = match read_body(body, finishing.max_body).await {
        Ok(body) => body,
        Err(e) => {
            tracing::debug!(error = %e, "a request body could not be read");
            return render(DomainError::bad_input(
                "body",
                "The request body could not be read",
            ));
        }
    };
    let request = Request::from_parts(parts, body);
    let what = format!("{} {}", request.method(), request.uri().path());
    may_change.mark();
    let task = finishing.lifecycle.spawn_held(async move {
        let _slot = slot;
        let response = next.run(request).await;
        may_change.finished(&format!("{what}: {}", response.status().as_u16()));
        response
    });
    task.await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "a request's task failed");
        render(DomainError::Internal(anyhow::anyhow!(
            "request task failed"
        )))
    })
}

/// The middleware (`axum::middleware::from_fn_with_state`).
pub async fn guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let Ok(slot) = Arc::clone(&guard.slots).try_acquire_owned() else {
        metrics::counter!("roster_requests_refused_total", "reason" => "busy").increment(1);
        metrics::counter!("roster_http_server_errors_total", "status" => "503").increment(1);
        return (guard.render)(DomainError::unavailable(
            "The server is busy; try again shortly",
        ));
    };
    let limit = guard.limits.request_timeout;
    let mut request = request;
    let may_change = MayChange::default();
    request.extensions_mut().insert(may_change.clone());
    let reads = matches!(*request.method(), Method::GET | Method::HEAD);
    let answered = match &guard.changes_finish {
        Some(finishing) if !reads => {
            let run = run_to_its_end(
                next,
                request,
                slot,
                finishing.clone(),
                may_change.clone(),
                guard.render,
            );
            tokio::time::timeout(limit, run).await
        }
        _ => {
            let _slot = slot;
            tokio::time::timeout(limit, next.run(request)).await
        }
    };
    match answered {
        Ok(response) => {
            if response.status().is_server_error() {
                metrics::counter!("roster_http_server_errors_total", "status" => response.status().as_u16().to_string())
                    .increment(1);
            }
            response
        }
        Err(_) => {
            let change = may_change.timed_out();
            metrics::counter!("roster_requests_refused_total", "reason" => "timeout").increment(1);
            metrics::counter!("roster_http_server_errors_total", "status" => "503").increment(1);
            tracing::warn!(
                timeout_ms = limit.as_millis() as u64,
                change,
                "a request ran out of time"
            );
            let message = format!(
                "The request did not finish within {}; a change it asked for may or may not have been made",
                seconds(limit)
            );
            (guard.render)(if change {
                DomainError::unavailable_change(message)
            } else {
                DomainError::unavailable(message)
            })
        }
    }
}

/// `30 s`, `0.5 s`.
fn seconds(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    fn app(limits: LimitsConfig) -> Router {
        let guard = Guard::new(limits);
        Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "done"
                }),
            )
            .route("/fast", get(|| async { "done" }))
            .layer(axum::middleware::from_fn_with_state(guard, super::guard))
    }

    async fn call(app: &Router, path: &str) -> (u16, serde_json::Value) {
        let response = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap_or_default())
            .await
            .map_err(|e| e.to_string());
        let Ok(response) = response else {
            return (0, serde_json::Value::Null);
        };
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap_or_default();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    #[tokio::test(start_paused = true)]
    async fn out_of_time_is_unavailable() {
        let app = app(LimitsConfig {
            request_timeout: Duration::from_millis(500),
            max_concurrent_requests: 4,
        });
        let (status, body) = call(&app, "/slow").await;
        assert_eq!(status, 503);
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("within 0.5 s")),
            "{body}"
        );
        assert_eq!(call(&app, "/fast").await.0, 200);
    }

    /// A change out of time is answered at the timeout and still runs to
    /// its end; a read is dropped where it stands.
    #[tokio::test(start_paused = true)]
    async fn a_change_out_of_time_runs_to_its_end() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let done = Arc::new(AtomicUsize::new(0));
        let finishing = {
            let done = Arc::clone(&done);
            move || {
                let done = Arc::clone(&done);
                async move {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    done.fetch_add(1, Ordering::SeqCst);
                    "done"
                }
            }
        };
        let (lifecycle, _drain) = crate::http::lifecycle::lifecycle();
        let guard = Guard::new(LimitsConfig {
            request_timeout: Duration::from_millis(500),
            max_concurrent_requests: 1,
        })
        .finishing_changes(lifecycle, 1024);
        let app = Router::new()
            .route("/change", get(finishing.clone()).post(finishing))
            .layer(axum::middleware::from_fn_with_state(guard, super::guard));
        let send = |app: Router, method: Method| async move {
            app.oneshot(
                Request::builder()
                    .method(method)
                    .uri("/change")
                    .body(Body::empty())
                    .unwrap_or_default(),
            )
            .await
            .map(|r| {
                let retry = r.headers().get("retry-after").cloned();
                (r.status().as_u16(), retry)
            })
            .unwrap_or_default()
        };
        // Answered at the timeout, with no Retry-After: it may yet be made.
        assert_eq!(send(app.clone(), Method::POST).await, (503, None));
        // Still running, and holding its slot.
        let (status, body) = call(&app, "/change").await;
        assert_eq!(status, 503);
        assert_eq!(
            body["errors"][0]["message"],
            "The server is busy; try again shortly"
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(done.load(Ordering::SeqCst), 1, "the change ran to its end");
        // A read out of time stops, and may be retried in a second.
        let (status, retry) = send(app.clone(), Method::GET).await;
        assert_eq!(status, 503);
        assert_eq!(retry.as_ref().and_then(|v| v.to_str().ok()), Some("1"));
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(done.load(Ordering::SeqCst), 1, "the read was dropped");
    }

    #[tokio::test(start_paused = true)]
    async fn one_more_than_the_cap_is_refused_at_once() {
        let app = app(LimitsConfig {
            request_timeout: Duration::from_secs(60),
            max_concurrent_requests: 2,
        });
        let slow: Vec<_> = (0..2)
            .map(|_| {
                let app = app.clone();
                tokio::spawn(async move { call(&app, "/slow").await.0 })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(10)).await;
        let (status, body) = call(&app, "/fast").await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(
            body["errors"][0]["message"],
            "The server is busy; try again shortly"
        );
        for task in slow {
            assert_eq!(task.await.unwrap_or_default(), 200);
        }
        // The slots come back.
        assert_eq!(call(&app, "/fast").await.0, 200);
    }
}
