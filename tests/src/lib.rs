//! The end-to-end harness: a fresh database per test (SQLite file or a new
//! Postgres database), and the real `roster` binary driven as an operator
//! would drive it.

#![expect(
    clippy::expect_used,
    reason = "a test harness fails loudly on broken preconditions"
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

pub mod browser;
pub mod cluster;
pub mod fake_idp;
pub mod live;
pub mod oidc;
pub mod outage;
pub mod server;
pub mod smtp;

/// A TCP port on 127.0.0.1 that was free a moment ago, for a peer process
/// to listen on.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Connects with sqlx's pool maintenance task disabled: in sqlx 0.9.0 that
/// task can spin forever without yielding once a pool is closed, which hung
/// a test process at runtime shutdown.
pub async fn connect_url(url: &str) -> DatabaseConnection {
    connect_pool(url, 2).await
}

/// [`connect_url`] with a pool of `max_connections`.
pub async fn connect_pool(url: &str, max_connections: u32) -> DatabaseConnection {
    let mut options = sea_orm::ConnectOptions::new(url.to_string());
    options
        .idle_timeout(None::<std::time::Duration>)
        .max_lifetime(None::<std::time::Duration>)
        .min_connections(0)
        .max_connections(max_connections)
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .expect("connect to database")
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`, for names of test output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// The Postgres server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("ROSTER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

/// The role Roster connects as in tests on Postgres: it owns each test's
/// database and the tables Roster's migrations create, and is neither a
/// superuser nor exempt from row-level security, as a production
/// deployment's role: under `FORCE ROW LEVEL SECURITY` (the startup hook
/// turns it on for Roster's own tables) every test on Postgres runs Roster
/// bound by the policies.
pub const POSTGRES_OWNER: &str = "roster_test_owner";

/// `url` (of the Postgres server, with or without a database) with `role`
/// as its user.
pub fn url_as(url: &str, role: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let host = rest.rsplit('@').next().expect("host");
    format!("{scheme}://{role}@{host}")
}

/// Creates the login role `role` — not a superuser, not exempt from
/// row-level security, no password — unless it exists (tests race to).
pub async fn ensure_login_role(admin: &DatabaseConnection, role: &str) {
    let create = format!(
        "DO $$ BEGIN \
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN \
             CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE; \
           END IF; \
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; \
         END $$"
    );
    let mut tries = 0;
    while let Err(e) = admin.execute_unprepared(&create).await {
        tries += 1;
        assert!(tries < 5, "create role {role}: {e}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub backend: Backend,
    /// What Roster connects with: on Postgres as [`POSTGRES_OWNER`].
    pub url: String,
    /// What the test looks behind Roster's back with ([`Self::connect`],
    /// [`Self::strings`], [`Self::exec`]): on Postgres as the superuser,
    /// whom row-level security does not bind.
    pub admin_url: String,
    pub dir: tempfile::TempDir,
    /// The Postgres server and the database's name, dropped with it.
    pg_name: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => {
                let path = dir.path().join("roster.db");
                let url = format!("sqlite://{}?mode=rwc", path.display());
                Self {
                    backend,
                    admin_url: url.clone(),
                    url,
                    dir,
                    pg_name: None,
                }
            }
            Backend::Postgres => Self::postgres_at(&postgres_admin_url()).await,
        }
    }

    /// A fresh database on the Postgres server `server`
    /// (`postgres://superuser@host:port`), owned by [`POSTGRES_OWNER`].
    pub async fn postgres_at(server: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let name = format!("roster_t_{}", ulid::Ulid::new().to_string().to_lowercase());
        let admin = connect_url(&format!("{server}/postgres")).await;
        ensure_login_role(&admin, POSTGRES_OWNER).await;
        admin
            .execute_unprepared(&format!(
                "CREATE DATABASE \"{name}\" OWNER {POSTGRES_OWNER}"
            ))
            .await
            .expect("create test database");
        admin.close().await.ok();
        Self {
            backend: Backend::Postgres,
            url: format!("{}/{name}", url_as(server, POSTGRES_OWNER)),
            admin_url: format!("{server}/{name}"),
            dir,
            pg_name: Some((server.to_string(), name)),
        }
    }

    /// A direct connection, for looking behind the binary's back (on
    /// Postgres as the superuser: row-level security does not hide rows).
    pub async fn connect(&self) -> DatabaseConnection {
        connect_url(&self.admin_url).await
    }

    /// Runs one SQL query and returns the first column of each row as text.
    pub async fn strings(&self, sql: &str) -> Vec<String> {
        let db = self.connect().await;
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await
            .expect(sql);
        let out = rows
            .iter()
            .map(|row| {
                row.try_get_by_index::<String>(0)
                    .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                    .or_else(|_| row.try_get_by_index::<i32>(0).map(|n| n.to_string()))
                    .or_else(|_| {
                        row.try_get_by_index::<serde_json::Value>(0)
                            .map(|v| v.to_string())
                    })
                    .or_else(|_| {
                        row.try_get_by_index::<Option<String>>(0)
                            .map(|s| s.unwrap_or_else(|| "NULL".into()))
                    })
                    .expect("a text or integer column")
            })
            .collect();
        db.close().await.ok();
        out
    }

    /// Runs one SQL statement.
    pub async fn exec(&self, sql: &str) {
        let db = self.connect().await;
        db.execute_unprepared(sql).await.expect(sql);
        db.close().await.ok();
    }

    /// The library's [`roster::App`] on this database (migrated), for tests
    /// that drive the services in units of work themselves: with the
    /// settings `vars` and a pool of `max_connections`.
    pub async fn app(&self, vars: &[(&str, &str)], max_connections: u32) -> roster::App {
        roster::db::open(&self.url).await.expect("migrate");
        let mut all: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        all.insert("DATABASE_URL".into(), self.url.clone());
        let config = roster::Config::from_vars(&all).expect("config");
        let pool = connect_pool(&self.url, max_connections).await;
        roster::App::new(pool, config).expect("app")
    }

    /// A `roster` invocation against this database.
    pub fn roster(&self) -> Roster {
        Roster::new(self)
    }

    /// A fresh database whose first superuser, [`ADMIN_EMAIL`], was made by
    /// `roster bootstrap-superuser` (seed 000 procedure 1).
    pub async fn bootstrapped(backend: Backend) -> Self {
        let db = Self::new(backend).await;
        db.bootstrap().await;
        db
    }

    /// `roster bootstrap-superuser` for [`ADMIN_EMAIL`] (seed 000 procedure 1).
    pub async fn bootstrap(&self) {
        self.roster()
            .args([
                "bootstrap-superuser",
                "--email",
                ADMIN_EMAIL,
                "--password",
                ADMIN_PASSWORD,
            ])
            .run()
            .await
            .ok();
    }

    /// `roster provision-user` authorised by the bootstrap superuser (seed
    /// 000/001 procedure 2, non-interactive form).
    pub async fn provision(&self, email: &str, role: &str, password: &str) -> Output {
        self.provision_by_admin(email)
            .args(["--role", role, "--password", password])
            .run()
            .await
    }

    /// `roster provision-user --email E`, authorised by [`ADMIN_EMAIL`].
    fn provision_by_admin(&self, email: &str) -> Roster {
        self.roster().args([
            "provision-user",
            "--actor-email",
            ADMIN_EMAIL,
            "--actor-password",
            ADMIN_PASSWORD,
            "--email",
            email,
        ])
    }

    /// `roster provision-user --invite` by the bootstrap superuser, with
    /// links to `public_url`: the invitation link it prints.
    pub async fn invite(&self, email: &str, public_url: &str) -> String {
        let out = self
            .provision_by_admin(email)
            .env("ROSTER_PUBLIC_URL", public_url)
            .args(["--invite"])
            .run()
            .await
            .ok();
        let prefix = format!("{public_url}/admin/accept-invitation?token=");
        out.stdout
            .split_whitespace()
            .find(|w| w.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no invitation link in {:?}", out.stdout))
            .to_string()
    }

    /// Inserts a live session for a user, as a login would.
    pub async fn add_session(&self, email: &str) {
        let id = ulid::Ulid::new().to_string();
        let cast = if self.backend == Backend::Postgres {
            "::timestamptz"
        } else {
            ""
        };
        let (now, later) = ("'2026-01-01T00:00:00+00:00'", "'2099-01-01T00:00:00+00:00'");
        self.exec(&format!(
            "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, idle_expires_at, expires_at) \
             SELECT '{id}', '{id}', id, {now}{cast}, {now}{cast}, {later}{cast}, {later}{cast} \
             FROM users WHERE email = '{email}'"
        ))
        .await;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside any runtime guarantee; use a private one.
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                {
                    let admin = connect_url(&format!("{server}/postgres")).await;
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    admin.close().await.ok();
                }
            });
        });
        let _ = handle.join();
    }
}

/// Where the `roster` binary is: `ROSTER_BIN`, or beside this test binary's
/// folder. `cargo test --workspace` builds it (the `roster` package has
/// integration tests); testing this package alone does not, so a binary older
/// than the roster library gets a loud warning.
pub fn roster_bin() -> PathBuf {
    if let Ok(path) = std::env::var("ROSTER_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("current exe");
    let deps = exe.parent().expect("deps dir");
    let bin = deps
        .parent()
        .expect("target dir")
        .join(format!("roster{}", std::env::consts::EXE_SUFFIX));
    let modified = |path: &std::path::Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let Some(built) = modified(&bin) else {
        panic!(
            "{} not found: run `cargo test --workspace` (or `cargo build -p roster` first)",
            bin.display()
        );
    };
    let newest_lib = std::fs::read_dir(deps)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("libroster-") && name.ends_with(".rlib")
        })
        .filter_map(|e| modified(&e.path()))
        .max();
    if newest_lib.is_some_and(|lib| lib > built) {
        eprintln!(
            "warning: {} may be stale (older than the roster library); \
             `cargo test --workspace` rebuilds it",
            bin.display()
        );
    }
    bin
}

/// The result of one `roster` run.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Fails the test, showing everything, unless the run succeeded.
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "roster failed: {self:#?}");
        self
    }

    /// Fails the test unless the run failed with `code` and said `message`.
    pub fn fails_with(self, code: i32, message: &str) -> Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        assert!(
            self.stderr.contains(message),
            "expected {message:?} on stderr: {self:#?}"
        );
        self
    }
}

/// The file in a test's folder that holds a spawned server's standard output.
pub const SERVE_STDOUT: &str = "serve-stdout.log";

/// A `roster` command being put together.
pub struct Roster {
    command: Command,
    stdin: Option<String>,
    /// The test's folder, where a server's standard output is kept.
    dir: PathBuf,
}

impl Roster {
    fn new(db: &TestDb) -> Self {
        let mut command = Command::new(roster_bin());
        // A clean environment: nothing from the developer's shell leaks in.
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &db.url)
            .env("ROSTER_OUTBOX_DIR", db.dir.path().join("outbox"))
            .current_dir(db.dir.path());
        Self {
            command,
            stdin: None,
            dir: db.dir.path().to_path_buf(),
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    /// Runs another program (a wrapper such as `script`) with the same
    /// environment instead of roster itself.
    pub fn program(mut self, program: &str) -> Self {
        let mut command = Command::new(program);
        command.env_clear();
        for (key, value) in self.command.get_envs() {
            if let Some(value) = value {
                command.env(key, value);
            }
        }
        if let Some(dir) = self.command.get_current_dir() {
            command.current_dir(dir);
        }
        self.command = command;
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    pub fn stdin(mut self, input: &str) -> Self {
        self.stdin = Some(input.to_string());
        self
    }

    /// Runs to completion (off the async runtime's workers).
    pub async fn run(self) -> Output {
        let Self {
            mut command, stdin, ..
        } = self;
        tokio::task::spawn_blocking(move || {
            command
                .stdin(if stdin.is_some() {
                    Stdio::piped()
                } else {
                    Stdio::null()
                })
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = command.spawn().expect("spawn roster");
            if let Some(input) = stdin {
                let mut pipe = child.stdin.take().expect("stdin pipe");
                pipe.write_all(input.as_bytes()).expect("write stdin");
            }
            let out = child.wait_with_output().expect("wait for roster");
            Output {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        })
        .await
        .expect("roster run")
    }

    /// Starts the command without waiting (for `serve`). Its standard
    /// output (seed 004's audit lines) goes to [`SERVE_STDOUT`] in the
    /// test's folder, so nothing blocks on a full pipe.
    pub fn spawn(mut self) -> std::process::Child {
        let stdout = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(SERVE_STDOUT))
            .expect("server stdout file");
        self.command
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn roster")
    }
}

/// Declares a test that runs once on SQLite and once on Postgres:
/// `on_both_backends!(name)` calls `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::Backend::Postgres).await
                }
            }
        )*
    };
}

/// The superuser of [`TestDb::bootstrapped`].
pub const ADMIN_EMAIL: &str = "admin@example.com";

/// Passwords that satisfy the default policy.
pub const ADMIN_PASSWORD: &str = "Vivid-Orbit-Tangle-42";
pub const USER_PASSWORD: &str = "Brisk-Lantern-Quota-9";
pub const OTHER_PASSWORD: &str = "Quiet-Harbor-Maple-57";
