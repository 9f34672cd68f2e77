//! Roster: self-hosted identity and user management.
//!
//! Where things live (ARCHITECTURE.md has the whole map):
//! - [`config`]: typed configuration, read once at startup, one section per file.
//! - [`domain`]: validated domain types (usernames, emails, roles, permissions,
//!   passwords).
//! - [`entity`]: sea-orm entities for the tables of the `roster-migration` crate.
//! - [`service`]: the domain services, each working inside a unit of work
//!   ([`service::work`]: the actor, one transaction, the audit events); every
//!   access decision ([`service::policy`]) and every state change with its
//!   audit event, committed together.
//! - [`db`]: connecting, migrating, and beginning the unit of work's transaction.
//! - [`clock`]: the server's clock.
//! - [`error`]: the one domain error type; each edge maps it once
//!   ([`graphql::error`], `http/error.rs`, `cli/failure.rs`).
//! - [`graphql`]: the GraphQL schema; [`http`]: every HTTP route and the shared
//!   authentication extractor ([`http::auth`]).
//! - [`cli`]: the `roster` command line.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod entity;
pub mod error;
pub mod graphql;
pub mod http;
pub mod service;

#[cfg(test)]
mod parser_props;

pub use app::App;
pub use config::Config;

/// Roster's version, from Cargo.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Starts the server: connects, migrates, prints the effective flags and
/// serves until SIGINT or SIGTERM.
pub async fn serve(mut config: Config) -> anyhow::Result<()> {
    let db = db::connect(&config.database_url).await?;
    // Replicas starting together migrate and run the startup hooks in turn.
    let startup = db::StartupLock::take(&db).await?;
    db::migrate_holding(&db, &startup).await?;
    tracing::info!(
        version = VERSION,
        database = db::backend_name(&db),
        url = %config::redact_url(&config.database_url),
        "database ready"
    );
    tracing::info!(flags = %config.flags, "effective flags");
    let bind = config.bind;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?;
    let local = listener.local_addr()?;
    // Port 0 means "any": links name the port actually taken.
    config.set_bind(local);
    let mut app = App::new(db, config)?;
    service::audit_chain::check_key(&app.db, &app.chain_digest).await?;
    service::idp_roles::check_mapping(&app).await?;
    service::roles::check_aliases(&app).await?;
    service::rls::startup_hook(&app).await;
    startup.release().await;
    // Without AUDIT_LOG_FILE the server prints seed 004's audit lines.
    if matches!(app.audit_lines, service::audit_lines::AuditLines::Off) {
        app.audit_lines = service::audit_lines::AuditLines::Stdout;
    }
    tracing::info!(address = %local, "listening on http://{local}");
    announce_bootstrap(&app).await;
    http::serve(app, listener, http::shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// On a server nobody can administer yet, says how to create the first
/// superuser (bootstrapping stays a CLI command; the login page says so too).
async fn announce_bootstrap(app: &App) {
    use service::work::{Mode, Work};
    let asked = Work::run(app, service::Actor::cli_operator(), Mode::Read, async |w| {
        service::users::needs_bootstrap_cached(w).await
    });
    match asked.await {
        Ok(true) => tracing::warn!(
            "no superuser exists yet, so nobody can sign in to administer Roster; create one with: \
             roster bootstrap-superuser --email <EMAIL>{}",
            bootstrap_database_arg(&app.config.database_url)
        ),
        Ok(false) => {}
        Err(e) => tracing::error!(error = %e, "cannot tell whether a superuser exists"),
    }
}

/// How the logged bootstrap command names this server's database: nothing
/// for the default, the URL when it holds no password, else a pointer to
/// the server's `DATABASE_URL` (a password is never logged).
fn bootstrap_database_arg(url: &str) -> String {
    if url == config::DEFAULT_DATABASE_URL {
        String::new()
    } else if config::redact_url(url) == url {
        format!(" --database-url '{url}'")
    } else {
        " (with this server's DATABASE_URL in the environment)".to_string()
    }
}
