//! The `roster` command line (SPEC §11): the runbooks of seeds 000 and 001 as
//! commands, so that no operator edits the database by hand.
//!
//! Exit codes: 0 success, 2 usage, 1 internal error, and for refused requests
//! 3 invalid credentials, 4 insufficient permissions, 5 not found,
//! 6 conflict, 7 invalid input, 8 the audit log does not verify, 9 the
//! database was busy or gave no connection mid-command ([`failure`]).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod audit;
mod failure;
mod input;
mod orgs;
mod output;
mod provision;
mod rls;
mod roles;

pub use failure::Failure;
use failure::user_exists;
use input::{Stdin, new_password, require_password};
use output::{print_user_line, print_users};

use crate::app::App;
use crate::config::Config;
use crate::domain::{Email, RoleName, UserStatus, Username};
use crate::error::DomainError;
use crate::service::directory::{self, UserFilter};
use crate::service::users::{self, NewUser, UserKey};
use crate::service::work::{Mode, Work};
use crate::service::{Actor, credentials, database, defaults};

/// Roster: self-hosted identity and user management.
#[derive(Debug, Parser)]
#[command(name = "roster", version, about)]
pub struct Cli {
    /// Database URL; overrides DATABASE_URL (default: sqlite://roster.db?mode=rwc).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// True for `serve`, the one long-running command.
    pub fn is_server(&self) -> bool {
        matches!(self.command, Command::Serve { .. })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (GraphQL API, health check).
    Serve {
        /// Address to listen on; overrides ROSTER_BIND (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        bind: Option<std::net::SocketAddr>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Copy a SQLite database to a new file while Roster runs (a
    /// consistent snapshot, `VACUUM INTO`). For Postgres, use `pg_dump`.
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long, value_name = "FILE")]
        output: std::path::PathBuf,
    },
    /// Create the first superuser (only while none exists).
    BootstrapSuperuser {
        #[arg(long)]
        email: String,
        /// Defaults to the email's local part.
        #[arg(long)]
        username: Option<String>,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Create a user, authorised by an admin or superuser account.
    ProvisionUser(ProvisionArgs),
    /// Set a user's password; ends all their sessions.
    SetPassword {
        #[command(flatten)]
        user: UserArg,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// List users.
    ListUsers {
        /// Only users in this state (pending_invitation, active, deactivated, deleted).
        #[arg(long)]
        status: Option<UserStatus>,
        /// Only users holding this role.
        #[arg(long)]
        role: Option<String>,
        /// Include soft-deleted users.
        #[arg(long)]
        include_deleted: bool,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Replace a user's roles.
    SetRole {
        #[command(flatten)]
        user: UserArg,
        /// Role to hold; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Stop a user from logging in; ends their sessions and tokens.
    DeactivateUser {
        #[command(flatten)]
        user: UserArg,
    },
    /// Let a deactivated user log in again.
    ActivateUser {
        #[command(flatten)]
        user: UserArg,
    },
    /// Soft-delete a user: kept for the audit log, gone everywhere else.
    DeleteUser {
        #[command(flatten)]
        user: UserArg,
    },
    /// End every session of a user, forcing a new login.
    RevokeSessions {
        #[command(flatten)]
        user: UserArg,
    },
    /// Create or repair built-in roles, the default organization and memberships.
    EnsureDefaults,
    /// Install pg_trgm and the trigram indexes user and organization search
    /// use (Postgres only; idempotent).
    PreparePostgres,
    /// Turn on Postgres row-level security for the application tables of
    /// RLS_TABLES (owner column RLS_OWNER_COLUMN); idempotent. Exit 4 when
    /// a privilege is missing.
    EnableRls {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Drop the owner policies and turn row-level security off again (the
    /// seed's manual rollback).
    DisableRls {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The audit log: export, verify, seal.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Organizations: list, create, add-members, remove-members.
    #[command(subcommand)]
    Org(orgs::OrgCommand),
    /// Roles: list, create, update, delete (custom roles; names may be
    /// aliases, ROLE_ALIASES).
    #[command(subcommand)]
    Role(roles::RoleCommand),
    /// Print the OpenAPI document of the REST paths.
    ExportOpenapi {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Print the GraphQL schema (SDL).
    ExportSchema {
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

/// Which user a command acts on.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct UserArg {
    /// The user's email.
    #[arg(long)]
    pub email: Option<String>,
    /// The user's username.
    #[arg(long)]
    pub username: Option<String>,
    /// The user's id.
    #[arg(long)]
    pub id: Option<String>,
}

impl UserArg {
    fn key(&self) -> Result<UserKey, DomainError> {
        match (&self.email, &self.username, &self.id) {
            (Some(email), _, _) => Ok(UserKey::Email(Email::parse(email)?)),
            (_, Some(username), _) => Ok(UserKey::Username(username.trim().to_string())),
            (_, _, Some(id)) => Ok(UserKey::Id(id.trim().to_ascii_uppercase())),
            _ => Err(DomainError::bad_input(
                "user",
                "Name a user with --email, --username or --id",
            )),
        }
    }
}

/// Where a new password comes from.
#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// The password (visible in the process list: prefer the prompt or stdin).
    #[arg(long, conflicts_with = "password_stdin")]
    pub password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct ProvisionArgs {
    /// Email of the admin or superuser authorising the change.
    #[arg(long)]
    pub actor_email: String,
    /// That account's password (prompted for when omitted on a terminal).
    #[arg(long, conflicts_with = "actor_password_stdin")]
    pub actor_password: Option<String>,
    /// Read the actor's password from standard input (before the new
    /// user's password when both come from stdin).
    #[arg(long)]
    pub actor_password_stdin: bool,
    /// The new user's email.
    #[arg(long)]
    pub email: String,
    /// Defaults to the email's local part.
    #[arg(long)]
    pub username: Option<String>,
    #[arg(long)]
    pub display_name: Option<String>,
    /// Role to grant; repeat for several (default: viewer).
    #[arg(long = "role")]
    pub roles: Vec<String>,
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Create the user without a password and issue an invitation link
    /// (also what happens with no password off a terminal).
    #[arg(long, conflicts_with_all = ["password", "password_stdin"])]
    pub invite: bool,
}

/// `roster backup`: SQLite's `VACUUM INTO`, which reads one snapshot (a
/// server may keep writing) and writes a compact copy that opens as a
/// database of its own.
async fn backup(url: &str, output: &std::path::Path) -> Result<(), Failure> {
    if !url.starts_with("sqlite:") {
        return Err(Failure {
            message: "roster backup copies SQLite databases; back up Postgres with pg_dump \
                      (e.g. pg_dump --format=custom --file=roster.dump \"$DATABASE_URL\")"
                .into(),
            code: 2,
        });
    }
    if output.exists() {
        return Err(Failure {
            message: format!("{} exists already; choose a new file", output.display()),
            code: 6,
        });
    }
    let target = output.to_str().ok_or_else(|| Failure {
        message: format!("{} is not a UTF-8 path", output.display()),
        code: 2,
    })?;
    let db = crate::db::connect(url).await?;
    use sea_orm::ConnectionTrait;
    let statement = sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Sqlite,
        "VACUUM INTO ?",
        [target.into()],
    );
    db.execute_raw(statement)
        .await
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", output.display()))?;
    let size = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    println!("Backed up to {} ({size} bytes)", output.display());
    Ok(())
}

/// Runs one command. `config` was read once by `main`.
pub async fn run(cli: Cli, mut config: Config) -> Result<(), Failure> {
    if let Some(url) = cli.database_url {
        config.database_url = url;
    }
    match cli.command {
        Command::ExportOpenapi { output } => {
            let doc = crate::http::rest::openapi();
            match output {
                Some(path) => std::fs::write(&path, doc)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
                None => print!("{doc}"),
            }
            Ok(())
        }
        Command::ExportSchema { output } => {
            let sdl = crate::graphql::sdl();
            match output {
                Some(path) => std::fs::write(&path, sdl)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
                None => print!("{sdl}"),
            }
            Ok(())
        }
        Command::Migrate => {
            let db = crate::db::connect(&config.database_url).await?;
            crate::db::migrate(&db).await?;
            println!("Migrations applied ({})", crate::db::backend_name(&db));
            Ok(())
        }
        Command::Backup { output } => backup(&config.database_url, &output).await,
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                config.set_bind(bind);
            }
            crate::serve(config).await.map_err(Failure::from)
        }
        command => {
            let db = crate::db::open(&config.database_url).await?;
            let app = App::new(db, config)?;
            crate::service::audit_chain::check_key(&app.db, &app.chain_digest).await?;
            let before = app.credentials.local_generation();
            let result = run_data_command(&app, command).await;
            // Running servers drop remembered sessions and tokens when they
            // see the change (at once on Postgres, within a poll on SQLite);
            // waiting for that means that once this command returns, its
            // change is in effect everywhere, as a runbook expects.
            if app.credentials.local_generation() != before {
                tokio::time::sleep(credentials::PROPAGATION).await;
            }
            result
        }
    }
}

/// Runs `f` as the operator in one unit of work: the command's change and
/// its audit events commit together.
async fn as_operator<T>(
    app: &App,
    f: impl AsyncFnOnce(&mut Work) -> crate::error::Result<T>,
) -> crate::error::Result<T> {
    Work::run(app, Actor::cli_operator(), Mode::Write, f).await
}

async fn run_data_command(app: &App, command: Command) -> Result<(), Failure> {
    let mut stdin = Stdin::new();
    match command {
        Command::BootstrapSuperuser {
            email,
            username,
            password,
        } => {
            let email = Email::parse(&email)?;
            let username = match username {
                Some(u) => Username::parse(&u)?,
                None => Username::from_email(&email)?,
            };
            let password = require_password(new_password(&password, &mut stdin, "Password")?)?;
            let new = NewUser {
                username,
                email,
                display_name: None,
                roles: vec![],
                password: Some(password),
            };
            let created = as_operator(app, async |w| users::bootstrap_superuser(w, new).await)
                .await
                .map_err(user_exists)?;
            print_user_line("Superuser created", &created.user);
            Ok(())
        }
        Command::ProvisionUser(args) => provision::provision(app, args, &mut stdin).await,
        Command::SetPassword { user, password } => {
            let key = user.key()?;
            let password = require_password(new_password(&password, &mut stdin, "New password")?)?;
            let revoked =
                as_operator(app, async |w| users::set_password(w, &key, &password).await).await?;
            println!("Password updated for {key}; {revoked} session(s) ended");
            Ok(())
        }
        Command::ListUsers {
            status,
            role,
            include_deleted,
            json,
        } => {
            let filter = UserFilter {
                status,
                roles: role
                    .as_deref()
                    .map(RoleName::parse)
                    .transpose()?
                    .into_iter()
                    .collect(),
                include_deleted,
                ..UserFilter::default()
            };
            let list = as_operator(app, async |w| directory::all(w, &filter).await).await?;
            print_users(&list, json);
            Ok(())
        }
        Command::SetRole { user, roles } => {
            let key = user.key()?;
            let roles = roles
                .iter()
                .map(|r| RoleName::parse(r))
                .collect::<Result<Vec<_>, _>>()?;
            let updated =
                as_operator(app, async |w| users::set_roles(w, &key, &roles).await).await?;
            print_user_line("Roles updated", &updated);
            Ok(())
        }
        Command::DeactivateUser { user } => {
            let key = user.key()?;
            let updated = as_operator(app, async |w| users::deactivate(w, &key).await).await?;
            print_user_line("User deactivated", &updated);
            Ok(())
        }
        Command::ActivateUser { user } => {
            let key = user.key()?;
            let updated = as_operator(app, async |w| users::activate(w, &key).await).await?;
            print_user_line("User activated", &updated);
            Ok(())
        }
        Command::DeleteUser { user } => {
            let key = user.key()?;
            as_operator(app, async |w| users::delete(w, &key).await).await?;
            println!("User deleted: {key} (kept for the audit log)");
            Ok(())
        }
        Command::RevokeSessions { user } => {
            let key = user.key()?;
            let revoked = as_operator(app, async |w| users::revoke_sessions(w, &key).await).await?;
            println!("{revoked} session(s) revoked for {key}");
            Ok(())
        }
        Command::EnsureDefaults => {
            let repairs = as_operator(app, async |w| defaults::ensure(w).await).await?;
            if repairs.is_empty() {
                println!("Defaults are in place; nothing to repair");
            } else {
                println!("Repaired defaults: {repairs:?}");
            }
            Ok(())
        }
        Command::PreparePostgres => {
            let steps = as_operator(app, async |w| database::prepare_postgres(w).await).await?;
            for step in &steps {
                let status = match step.status {
                    database::StepStatus::Created => "created",
                    database::StepStatus::Present => "present",
                    database::StepStatus::Failed => "FAILED",
                    database::StepStatus::Skipped => "skipped",
                };
                match &step.message {
                    Some(message) => println!("{:<32} {status}: {message}", step.name),
                    None => println!("{:<32} {status}", step.name),
                }
            }
            if steps
                .iter()
                .any(|s| s.status == database::StepStatus::Failed)
            {
                return Err(Failure {
                    message: "Postgres is not prepared".into(),
                    code: 4,
                });
            }
            Ok(())
        }
        Command::EnableRls { json } => rls::run(app, true, json).await,
        Command::DisableRls { json } => rls::run(app, false, json).await,
        Command::Org(command) => orgs::run(app, command).await,
        Command::Role(command) => roles::run(app, command).await,
        Command::Audit(command) => audit::run(app, command).await,
        Command::Serve { .. }
        | Command::Migrate
        | Command::Backup { .. }
        | Command::ExportSchema { .. }
        | Command::ExportOpenapi { .. } => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_runbook_command_exists() {
        let cmd = Cli::command();
        for name in [
            "serve",
            "migrate",
            "bootstrap-superuser",
            "provision-user",
            "set-password",
            "list-users",
            "set-role",
            "deactivate-user",
            "delete-user",
            "revoke-sessions",
            "ensure-defaults",
            "export-schema",
        ] {
            assert!(cmd.find_subcommand(name).is_some(), "missing {name}");
        }
    }

    #[test]
    fn a_user_is_named_exactly_once() {
        assert!(Cli::try_parse_from(["roster", "delete-user"]).is_err());
        assert!(
            Cli::try_parse_from([
                "roster",
                "delete-user",
                "--email",
                "a@b.c",
                "--username",
                "x"
            ])
            .is_err()
        );
        assert!(Cli::try_parse_from(["roster", "delete-user", "--username", "x"]).is_ok());
    }
}
