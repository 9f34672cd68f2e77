//! Lockouts and retry delays over time, on the server's clock instead of
//! the wall clock: the library's login (`service::auth`) in units of work
//! on an `App` whose clock the test moves, so nothing sleeps. The GraphQL
//! side of the same rules (codes, retry hints) is in `auth.rs`.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use std::time::Duration;

use roster::App;
use roster::domain::{Email, PlainPassword, Username};
use roster::error::DomainError;
use roster::service::users::{self, NewUser};
use roster::service::work::{Mode, Work};
use roster::service::{Actor, auth};
use roster_tests::{Backend, TestDb, USER_PASSWORD, on_both_backends};

/// An app on a fresh database with `jane` (password [`USER_PASSWORD`]).
async fn app_with_jane(backend: Backend, vars: &[(&str, &str)]) -> (TestDb, App) {
    let db = TestDb::new(backend).await;
    let app = db.app(vars, 4).await;
    let jane = NewUser {
        username: Username::parse("jane").expect("username"),
        email: Email::parse("jane@example.com").expect("email"),
        display_name: None,
        roles: vec![],
        password: Some(USER_PASSWORD.into()),
    };
    Work::run(&app, Actor::cli_operator(), Mode::Write, async |w| {
        users::create(w, jane).await
    })
    .await
    .expect("jane");
    (db, app)
}

/// Logs in from one address; the error's code, or `OK`.
async fn login(app: &App, login: &str, password: &str) -> &'static str {
    let client = Actor::anonymous(Some("10.0.0.7".into()), None);
    let password = PlainPassword::unchecked(password.to_string());
    let outcome = Work::run(app, client, Mode::Write, async |w| {
        auth::login(w, login, &password).await
    })
    .await;
    match outcome {
        Ok(_) => "OK",
        Err(e) => e.code(),
    }
}

const WRONG: &str = "Wrong-Password-1!";

/// The account is locked for the lockout window after too many failures,
/// even for the right password, and opens again once the window passed.
async fn a_locked_account_opens_when_the_window_passes(backend: Backend) {
    let (_db, app) = app_with_jane(
        backend,
        &[
            ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "3"),
            ("LOGIN_LOCKOUT_SECONDS", "900"),
            ("LOGIN_RETRY_DELAY_MS", "1"),
        ],
    )
    .await;
    for _ in 0..3 {
        assert_eq!(login(&app, "jane", WRONG).await, "UNAUTHENTICATED");
        app.clock.advance(Duration::from_millis(10));
    }
    assert_eq!(login(&app, "jane", USER_PASSWORD).await, "RATE_LIMITED");
    app.clock.advance(Duration::from_secs(600));
    assert_eq!(
        login(&app, "jane", USER_PASSWORD).await,
        "RATE_LIMITED",
        "still inside the 15-minute window"
    );
    app.clock.advance(Duration::from_secs(301));
    assert_eq!(login(&app, "jane", USER_PASSWORD).await, "OK");
}

/// Each failure doubles the wait before the next attempt counts.
async fn each_failure_doubles_the_wait(backend: Backend) {
    let (_db, app) = app_with_jane(backend, &[("LOGIN_RETRY_DELAY_MS", "60000")]).await;
    assert_eq!(login(&app, "jane", WRONG).await, "UNAUTHENTICATED");
    assert_eq!(login(&app, "jane", USER_PASSWORD).await, "RATE_LIMITED");
    app.clock.advance(Duration::from_secs(61));
    assert_eq!(login(&app, "jane", WRONG).await, "UNAUTHENTICATED");
    // Two failures: the wait is now two minutes.
    app.clock.advance(Duration::from_secs(61));
    assert_eq!(login(&app, "jane", USER_PASSWORD).await, "RATE_LIMITED");
    app.clock.advance(Duration::from_secs(60));
    assert_eq!(login(&app, "jane", USER_PASSWORD).await, "OK");
}

/// The retry hint counts down with the clock.
async fn the_retry_hint_follows_the_clock(backend: Backend) {
    let (_db, app) = app_with_jane(backend, &[("LOGIN_RETRY_DELAY_MS", "60000")]).await;
    assert_eq!(login(&app, "jane", WRONG).await, "UNAUTHENTICATED");
    app.clock.advance(Duration::from_secs(45));
    let client = Actor::anonymous(Some("10.0.0.7".into()), None);
    let password = PlainPassword::unchecked(USER_PASSWORD.to_string());
    let refused = Work::run(&app, client, Mode::Write, async |w| {
        auth::login(w, "jane", &password).await
    })
    .await;
    match refused {
        Err(DomainError::RateLimited { retry_after_secs }) => {
            assert!((14..=15).contains(&retry_after_secs), "{retry_after_secs}");
        }
        other => panic!("expected RATE_LIMITED, got {:?}", other.map(|_| ())),
    }
}

on_both_backends!(
    a_locked_account_opens_when_the_window_passes,
    each_failure_doubles_the_wait,
    the_retry_hint_follows_the_clock
);
