//! `cargo xtask`: from a fresh clone to a running Roster or a green test
//! suite in one command each (alias in `.cargo/config.toml`).
//!
//! - `run [-- ROSTER SERVE ARGS]`: installs the admin app's toolchain when
//!   missing, builds the app and the server, runs `roster serve`, and prints
//!   the URL and the command that creates the first superuser.
//! - `test [-- CARGO TEST ARGS]`: the same installs plus the test peers, then
//!   format check, clippy `-D warnings` (server and app), the app build and
//!   `cargo test --workspace` with Postgres found or started.
//! - `setup`: just the installs. `build`: installs, app and release binary.
//! - `bench [-- ROSTER-BENCH ARGS]`: `roster-bench` with what it needs.

mod install;
mod postgres;
mod serve;
mod step;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use install::cargo;
use postgres::Postgres;
use step::{run, say, seconds, timed};

/// Roster's project tasks.
#[derive(Debug, Parser)]
#[command(name = "xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Install what is missing, build the admin app and the server, and run
    /// `roster serve` (SQLite file `roster.db` here, email to `outbox/`).
    Run {
        /// Passed to `roster serve`, e.g. `-- --bind 127.0.0.1:9000`.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Install what is missing, then check formatting, lint, build the admin
    /// app and run every test on SQLite and Postgres.
    Test {
        /// Start a throwaway Postgres cluster even when one answers on 5432.
        #[arg(long)]
        throwaway_postgres: bool,
        /// Skip the format check and clippy (quicker local runs; CI runs them).
        #[arg(long)]
        no_lint: bool,
        /// Passed to `cargo test --workspace`, e.g. `-- --test users`.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Only the installs: the admin app's toolchain and the test peers.
    Setup {
        /// Only what building and running needs, not the test peers.
        #[arg(long)]
        app_only: bool,
    },
    /// Install the app's toolchain, build the admin app and the release
    /// `roster` binary.
    Build,
    /// Run `roster-bench` (see BENCHMARKS.md) with what it needs.
    Bench {
        /// Passed to `roster-bench`, e.g. `-- --postgres --users`.
        #[arg(last = true)]
        args: Vec<String>,
    },
}

fn main() {
    let cli = Cli::parse();
    let start = Instant::now();
    let result = root().and_then(|root| match cli.task {
        Task::Run { args } => serve::run(&root, &args),
        Task::Test {
            throwaway_postgres,
            no_lint,
            args,
        } => test(&root, throwaway_postgres, no_lint, &args),
        Task::Setup { app_only } => setup(&root, !app_only),
        Task::Build => build(&root),
        Task::Bench { args } => bench(&root, &args),
    });
    let took = seconds(start.elapsed().as_secs_f64());
    match result {
        Ok(()) => say(format!("finished in {took}")),
        Err(e) => {
            say(format!("failed after {took}"));
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}

/// The workspace root: the xtask crate's parent folder.
fn root() -> Result<PathBuf> {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let root = manifest
        .parent()
        .context("the xtask crate has no parent folder")?
        .to_path_buf();
    std::env::set_current_dir(&root).with_context(|| format!("entering {}", root.display()))?;
    Ok(root)
}

fn setup(root: &Path, peers: bool) -> Result<()> {
    timed("setup: the admin app's toolchain", || {
        install::app_toolchain(root)
    })?;
    if peers {
        timed("setup: rustfmt and clippy", install::lint_tools)?;
        timed("setup: the test peers", || install::test_peers(root))?;
    }
    Ok(())
}

/// `trunk build --release`: the admin app into `web/dist`, its GraphQL
/// operations checked against `schema.graphql`.
fn build_app() -> Result<()> {
    install::check_app_toolchain()?;
    timed("build the admin app (trunk build --release)", || {
        run(Command::new("trunk").args(["build", "--release"]))
    })
}

fn build(root: &Path) -> Result<()> {
    setup(root, false)?;
    build_app()?;
    timed("build roster (cargo build --release -p roster)", || {
        run(Command::new(cargo()).args(["build", "--release", "--locked", "-p", "roster"]))
    })
}

fn test(root: &Path, throwaway: bool, no_lint: bool, args: &[String]) -> Result<()> {
    setup(root, true)?;
    let pg = timed("Postgres for the tests", || Postgres::find(throwaway))?;
    if !no_lint {
        timed("format check (cargo fmt --check, server and app)", || {
            run(Command::new(cargo()).args(["fmt", "--all", "--", "--check"]))?;
            run(Command::new(cargo())
                .args(["fmt", "--", "--check"])
                .current_dir(root.join("web")))
        })?;
        timed("lint (clippy -D warnings, server and app)", || {
            run(Command::new(cargo()).args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--locked",
                "--",
                "-D",
                "warnings",
            ]))?;
            run(Command::new(cargo())
                .args([
                    "clippy",
                    "--locked",
                    "--target",
                    "wasm32-unknown-unknown",
                    "--",
                    "-D",
                    "warnings",
                ])
                .current_dir(root.join("web")))
        })?;
    }
    build_app()?;
    timed("tests (cargo test --workspace)", || {
        run(Command::new(cargo())
            .args(["test", "--workspace", "--locked", "--no-fail-fast"])
            .args(args)
            .env("ROSTER_TEST_POSTGRES_URL", &pg.url))
    })
    // `pg` drops here, stopping a throwaway cluster (also on failure).
}

fn bench(root: &Path, args: &[String]) -> Result<()> {
    let ui = args.iter().any(|a| a == "--ui");
    let wants_postgres = args.iter().any(|a| a == "--postgres");
    // Only the UI benchmark loads the app (and drives Chromium).
    if ui {
        setup(root, true)?;
        build_app()?;
    }
    if args.iter().any(|a| a == "--load") {
        install::load_generator()?;
    }
    let pg = if wants_postgres {
        let pg = Postgres::find(false)?;
        if pg.is_throwaway() {
            say(
                "warning: the throwaway cluster runs with fsync off; its figures do not compare with BENCHMARKS.md",
            );
        }
        Some(pg)
    } else {
        None
    };
    let mut command = Command::new(cargo());
    command
        .args(["run", "--release", "--locked", "-p", "roster-bench", "--"])
        .args(args);
    if let Some(pg) = &pg {
        command.env("ROSTER_TEST_POSTGRES_URL", &pg.url);
    }
    timed("roster-bench", || run(&mut command))
}
