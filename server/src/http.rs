//! Every HTTP route Roster serves, in one place.

use std::future::Future;
use std::net::SocketAddr;

use async_graphql_axum::GraphQLResponse;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use sea_orm::ConnectionTrait;
use tower_http::limit::RequestBodyLimitLayer;

use crate::app::App;
use crate::graphql::{self, RosterSchema};

/// Largest request body accepted (SPEC §5).
const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Clone)]
struct HttpState {
    app: App,
    schema: RosterSchema,
}

/// The router: `/healthz` and `/graphql`.
pub fn router(app: App) -> Router {
    let state = HttpState {
        schema: graphql::schema(app.clone()),
        app,
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/graphql", post(graphql_post))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .with_state(state)
}

/// Liveness and database reachability.
async fn healthz(State(state): State<HttpState>) -> impl IntoResponse {
    let db_ok = state.app.db.execute_unprepared("SELECT 1").await.is_ok();
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if db_ok { "ok" } else { "unavailable" },
        "database": crate::db::backend_name(&state.app.db),
        "version": crate::VERSION,
    });
    (status, Json(body))
}

/// One GraphQL operation per request, JSON only: batched arrays and other
/// content types are refused by the `Json` extractor.
async fn graphql_post(
    State(state): State<HttpState>,
    Json(request): Json<async_graphql::Request>,
) -> GraphQLResponse {
    state.schema.execute(request).await.into()
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains
/// in-flight requests.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let router = router(app).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
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
