//! Every HTTP route Roster serves, in one place.

mod access_review_csv;
pub mod admin;
pub(crate) mod audit_csv;
pub mod auth;
pub mod cookies;
mod error;
mod graphql;
mod graphql_metrics;
mod graphql_ws;
mod guard;
mod json_object;
mod lifecycle;
mod oidc;
pub mod rest;

use std::future::Future;
use std::net::SocketAddr;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::ConnectionTrait;
use tower_http::limit::RequestBodyLimitLayer;

use crate::app::App;
use crate::graphql::{self as schema, RosterSchema};

pub use auth::{CSRF_HEADER, Caller};

/// Largest request body accepted (SPEC §5).
const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Clone)]
struct HttpState {
    app: App,
    schema: RosterSchema,
    /// The schema of `/graphql/ws`: subscriptions only.
    socket_schema: RosterSchema,
    /// The same schema for requests that already passed validation.
    prevalidated: RosterSchema,
    validated: std::sync::Arc<graphql::ValidatedQueries>,
    metrics: Option<PrometheusHandle>,
    /// The schema's mutation fields (labels of `roster_admin_mutations_total`).
    mutation_fields: std::sync::Arc<std::collections::BTreeSet<String>>,
    /// Root fields the flags hide (SPEC §4): refused as unknown.
    hidden_fields: std::sync::Arc<std::collections::BTreeSet<String>>,
    /// The admin app's files.
    assets: std::sync::Arc<dyn admin::Assets>,
    /// Whether the server is stopping (subscription sockets close then).
    lifecycle: lifecycle::Lifecycle,
}

/// The process-wide Prometheus recorder, installed on first use.
fn metrics_handle() -> Option<PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<PrometheusHandle>> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            match PrometheusBuilder::new()
                // Latencies as histograms with buckets from 1 ms to 10 s.
                .set_buckets_for_metric(
                    Matcher::Suffix("_seconds".into()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
                    ],
                )
                .and_then(PrometheusBuilder::install_recorder)
            {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder unavailable");
                    None
                }
            }
        })
        .clone()
}

/// The router: `/healthz`, `/readyz`, `/metrics`, `/graphql` (and its subscriptions
/// at `/graphql/ws`), the seeds' REST paths (`rest`) and the admin app
/// under `/admin`.
pub async fn router(app: App) -> Router {
    router_with(app, lifecycle::lifecycle().0).await
}

async fn router_with(app: App, lifecycle: lifecycle::Lifecycle) -> Router {
    let schema = schema::schema(app.clone());
    let state = HttpState {
        hidden_fields: std::sync::Arc::new(schema::hidden_root_fields(&schema).await),
        mutation_fields: std::sync::Arc::new(schema::mutation_field_names(&schema).await),
        schema,
        prevalidated: schema::prevalidated_schema(app.clone()),
        socket_schema: schema::socket_schema(app.clone()),
        validated: Default::default(),
        assets: std::sync::Arc::new(admin::Embedded),
        metrics: metrics_handle(),
        lifecycle,
        app,
    };
    // Every API route passes one guard (concurrency cap, timeout); health
    // and metrics stay outside it.
    let guard = guard::Guard::new(state.app.config.limits);
    // The REST paths read their bodies through their own limit, so an
    // oversized one is answered in their error shape (after 401).
    let rest = if state.app.config.flags.core {
        rest::routes(MAX_BODY_BYTES).layer(axum::middleware::from_fn_with_state(
            guard
                .rendering(|e| rest::error::RestError::from(e).into_response())
                .finishing_changes(state.lifecycle.clone(), MAX_BODY_BYTES),
            guard::guard,
        ))
    } else {
        Router::new()
    };
    let api = Router::new()
        .route("/api/openapi.json", get(rest::openapi_json))
        .route("/graphql", post(graphql::post))
        .route("/graphql/ws", get(graphql_ws::get))
        .route("/admin/api/audit.csv", get(audit_csv::get))
        .route(
            "/admin/api/permission-holders.csv",
            get(access_review_csv::get),
        )
        .route("/auth/oidc/login", get(oidc::login))
        .route("/auth/oidc/callback", get(oidc::callback))
        .route("/admin", get(admin::root))
        .route("/admin/", get(admin::root))
        .route("/admin/{*path}", get(admin::path))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(guard, guard::guard));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(api)
        .merge(rest)
        .with_state(state)
}

/// Whether the database answers, within a second. A pool whose every
/// connection is in use is a busy replica, not a broken one: it answers
/// yes without queueing for a connection (a database that went away closes
/// the connections that used it, so the pool is not full then).
async fn database_up(state: &HttpState) -> bool {
    if crate::db::pool_saturated(&state.app.db) {
        return true;
    }
    let probe = state.app.db.execute_unprepared("SELECT 1");
    matches!(
        tokio::time::timeout(std::time::Duration::from_secs(1), probe).await,
        Ok(Ok(_))
    )
}

/// Liveness: 200 while the process serves, whatever the database does;
/// the body reports the database's state (`"up"` or `"down"`).
async fn healthz(State(state): State<HttpState>) -> impl IntoResponse {
    let up = database_up(&state).await;
    let body = serde_json::json!({
        "status": "ok",
        "database": crate::db::backend_name(&state.app.db),
        "databaseState": if up { "up" } else { "down" },
        "version": crate::VERSION,
    });
    (StatusCode::OK, Json(body))
}

/// Readiness: 200 when this replica can serve requests (its database
/// answers), 503 otherwise, so a load balancer sends traffic elsewhere.
async fn readyz(State(state): State<HttpState>) -> impl IntoResponse {
    let up = database_up(&state).await;
    let status = if up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if up { "ready" } else { "unavailable" },
        "databaseState": if up { "up" } else { "down" },
    });
    (status, Json(body))
}

/// Prometheus metrics.
async fn metrics(State(state): State<HttpState>) -> impl IntoResponse {
    match &state.metrics {
        Some(handle) => (StatusCode::OK, handle.render()),
        None => (StatusCode::SERVICE_UNAVAILABLE, String::new()),
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains:
/// the listener closes, requests in flight finish (for at most the request
/// timeout and five seconds more), subscription sockets are closed with a
/// close frame (`http/lifecycle.rs`).
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Changes made by other processes reach the credential cache through
    // this task; it ends with the server.
    let watcher = tokio::spawn(crate::service::credentials::watch(
        app.db.clone(),
        app.credentials.clone(),
    ));
    // Seals audit events, prunes them on schedule, feeds subscriptions.
    let chain = tokio::spawn(crate::service::audit_chain::task::run(app.clone()));
    let grace = app.config.limits.request_timeout + std::time::Duration::from_secs(5);
    let (lifecycle, drain) = lifecycle::lifecycle();
    let router = router_with(app, lifecycle)
        .await
        .into_make_service_with_connect_info::<SocketAddr>();
    let mut stopped = drain.stopped();
    let stop = drain.stopping_switch();
    // When the grace period ends: the stop plus `grace`.
    let deadline = std::sync::Arc::new(std::sync::OnceLock::new());
    let served = axum::serve(listener, router).with_graceful_shutdown({
        let deadline = std::sync::Arc::clone(&deadline);
        async move {
            shutdown.await;
            let _ = deadline.set(tokio::time::Instant::now() + grace);
            stop.send_replace(true);
        }
    });
    let served = tokio::select! {
        served = served => served.map_err(anyhow::Error::from),
        () = async {
            let _ = stopped.wait_for(|s| *s).await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(grace_secs = grace.as_secs(), "requests still running after the grace period; exiting");
            Ok(())
        }
    };
    // Connections are done; sockets closing and changes answered at the
    // timeout may still run, until the grace period ends.
    let left = deadline
        .get()
        .map(|end| end.saturating_duration_since(tokio::time::Instant::now()))
        .unwrap_or_default()
        .max(std::time::Duration::from_secs(1));
    if !drain.released(left).await {
        tracing::warn!(
            "subscription sockets or changes still running at the end of the grace period; exiting"
        );
    }
    watcher.abort();
    chain.abort();
    served
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; draining requests");
}
