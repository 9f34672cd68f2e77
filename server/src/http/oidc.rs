//! `GET /auth/oidc/login?return_to=/admin/…` and `GET /auth/oidc/callback`
//! (SPEC §8; the flow is `service::oidc`). The login answers a redirect to
//! the provider and keeps the login's `state` in a short-lived cookie
//! (HttpOnly, SameSite=Lax, path `/auth/oidc`), so the callback is accepted
//! only in the browser that started it. The callback answers a redirect to
//! `return_to` with the session cookie, or a page saying why not.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::{Caller, HttpState, cookies};
use crate::config::Config;
use crate::error::DomainError;
use crate::service::oidc::{self, Callback};
use crate::service::work::{Mode, Work};

/// The cookie holding the state of a login under way.
const STATE_COOKIE: &str = "roster_oidc";

fn state_cookie(config: &Config, value: &str, max_age_secs: i64) -> String {
    let mut cookie = Cookie::build((STATE_COOKIE, value.to_string()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.is_https())
        .path("/auth/oidc")
        .build();
    cookie.set_max_age(cookie::time::Duration::seconds(max_age_secs));
    cookie.to_string()
}

fn read_state_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == STATE_COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_string())
}

/// A page in the app's words and look saying why the login did not happen:
/// the sign-in card of the app, with the app's stylesheet when the app is
/// built in.
fn page(state: &HttpState, status: StatusCode, title: &str, message: &str) -> Response {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let stylesheet = super::admin::stylesheet(state.assets.as_ref())
        .map(|href| format!("<link rel=\"stylesheet\" href=\"{}\">", escape(&href)))
        .unwrap_or_default();
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Roster</title>{stylesheet}</head><body>\
         <main class=\"centered\"><div class=\"brand-large\">Roster</div>\
         <div class=\"card card-md\"><div class=\"card-body\" id=\"sso-refused\">\
         <h1 class=\"card-title\">{title}</h1>\
         <p class=\"alert alert-danger\" id=\"reason\">{message}</p>\
         <a class=\"btn btn-primary w-100\" href=\"/admin/login\">Back to sign in</a>\
         </div></div></main></body></html>",
        title = escape(title),
        message = escape(message),
    );
    (status, Html(body)).into_response()
}

fn redirect(location: &str, cookies: &[String]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
}

pub async fn login(State(state): State<HttpState>, Query(query): Query<LoginQuery>) -> Response {
    match oidc::begin(&state.app, query.return_to.as_deref()).await {
        Ok((url, login_state)) => {
            redirect(&url, &[state_cookie(&state.app.config, &login_state, 600)])
        }
        Err(DomainError::NotFound(message)) => page(
            &state,
            StatusCode::NOT_FOUND,
            "Single sign-on is off",
            &message,
        ),
        Err(DomainError::BadInput(errors)) => page(
            &state,
            StatusCode::BAD_REQUEST,
            "Cannot sign in",
            &errors
                .first()
                .map(|e| e.message.clone())
                .unwrap_or_default(),
        ),
        Err(e) => {
            tracing::error!(error = %e, "OIDC login could not start");
            page(
                &state,
                StatusCode::BAD_GATEWAY,
                "Cannot reach the identity provider",
                "Try again in a moment; if it persists, tell an administrator.",
            )
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

pub async fn callback(
    State(state): State<HttpState>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let app = &state.app;
    let client = caller.state.client.clone();
    let actor = crate::service::Actor::anonymous(client.ip.clone(), client.user_agent.clone());
    let clear = state_cookie(&app.config, "", 0);
    if let Some(error) = &query.error {
        let detail = query.error_description.as_deref().unwrap_or(error);
        return page(
            &state,
            StatusCode::UNAUTHORIZED,
            "The identity provider did not sign you in",
            detail,
        );
    }
    let (Some(code), Some(login_state)) = (query.code, query.state) else {
        return page(
            &state,
            StatusCode::BAD_REQUEST,
            "Cannot sign in",
            "The identity provider's answer is incomplete; start again",
        );
    };
    let callback = Callback {
        code,
        state: login_state,
        cookie_state: read_state_cookie(&headers),
    };
    let finished = Work::run(app, actor, Mode::Write, async |w| {
        oidc::finish(w, callback).await
    })
    .await;
    match finished {
        Ok(done) => {
            let session = cookies::session(
                &app.config,
                &done.logged_in.session.secret,
                app.config.auth.session_max_age,
            );
            redirect(&done.return_to, &[session, clear])
        }
        Err(DomainError::Unauthenticated(message)) => {
            let mut response = page(&state, StatusCode::UNAUTHORIZED, "Cannot sign in", &message);
            if let Ok(value) = HeaderValue::from_str(&clear) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(e) => {
            let status = match e {
                DomainError::Conflict { .. } => StatusCode::CONFLICT,
                DomainError::BadInput(_) => StatusCode::BAD_REQUEST,
                _ => StatusCode::BAD_GATEWAY,
            };
            page(&state, status, "Cannot sign in", &e.public_message())
        }
    }
}
