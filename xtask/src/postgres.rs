//! The Postgres server the tests create their databases on:
//! `ROSTER_TEST_POSTGRES_URL` when set, else a server on 127.0.0.1:5432 when
//! one answers, else a throwaway cluster (Debian's `initdb`/`pg_ctl`) in a
//! temporary folder on a free port, stopped and removed at the end.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::step::{Piece, apt_install, is_root, on_path, run, say};

/// Where the tests find Postgres; a throwaway cluster stops when dropped.
pub struct Postgres {
    pub url: String,
    /// A throwaway cluster, stopped when this is dropped.
    cluster: Option<Cluster>,
}

impl Postgres {
    pub fn find(throwaway: bool) -> Result<Self> {
        if !throwaway {
            if let Some(url) = std::env::var("ROSTER_TEST_POSTGRES_URL")
                .ok()
                .filter(|u| !u.is_empty())
            {
                say(format!(
                    "Postgres: ROSTER_TEST_POSTGRES_URL={}",
                    redact(&url)
                ));
                if !logs_in(&url) {
                    bail!(
                        "cannot log in to ROSTER_TEST_POSTGRES_URL={} (psql -c 'select 1' failed)",
                        redact(&url)
                    );
                }
                return Ok(Self { url, cluster: None });
            }
            let url = "postgres://postgres@127.0.0.1:5432".to_string();
            if answers(5432) {
                if logs_in(&url) {
                    say(format!("Postgres: the server on 127.0.0.1:5432 ({url})"));
                    return Ok(Self { url, cluster: None });
                }
                say(format!(
                    "Postgres: the server on 127.0.0.1:5432 refuses {url} (it wants a password?); \
                     set ROSTER_TEST_POSTGRES_URL to use it. Starting a throwaway cluster instead"
                ));
            } else {
                say(
                    "Postgres: nothing answers on 127.0.0.1:5432 and ROSTER_TEST_POSTGRES_URL is unset",
                );
            }
        }
        let cluster = Cluster::start()?;
        let url = format!("postgres://postgres@127.0.0.1:{}", cluster.port);
        say(format!("Postgres: a throwaway cluster at {url}"));
        Ok(Self {
            url,
            cluster: Some(cluster),
        })
    }

    /// True for a throwaway cluster (fsync off: fast, not for benchmarks).
    pub fn is_throwaway(&self) -> bool {
        self.cluster.is_some()
    }
}

/// Whether `url` takes a login: `psql -c 'select 1'` when psql is here
/// (pg_isready would not log in); without psql, a TCP answer has to do.
fn logs_in(url: &str) -> bool {
    if !on_path("psql") {
        return true;
    }
    for _ in 0..10 {
        let ok = Command::new("psql")
            .args([
                "--no-psqlrc",
                "--quiet",
                "--tuples-only",
                "--dbname",
                url,
                "--command",
                "select 1",
            ])
            .env("PGCONNECT_TIMEOUT", "3")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return true;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    false
}

fn answers(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

/// A URL with its password hidden, for printing.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

struct Cluster {
    dir: PathBuf,
    port: u16,
    pg_ctl: PathBuf,
    as_postgres: bool,
}

impl Cluster {
    fn start() -> Result<Self> {
        let bin = Piece {
            name: "Postgres server binaries (initdb, pg_ctl)",
            manual: "apt-get install postgresql".into(),
            slow: None,
        };
        bin.ensure(|| server_bin().is_some(), || apt_install(&["postgresql"]))?;
        let bin = server_bin().context("initdb and pg_ctl not found")?;
        remove_stale(&bin.join("pg_ctl"));
        let port = free_port()?;
        let dir =
            std::env::temp_dir().join(format!("roster-postgres-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        // initdb refuses to run as root: the cluster belongs to `postgres`.
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown").arg("postgres:postgres").arg(&dir))?;
        }
        let cluster = Self {
            dir,
            port,
            pg_ctl: bin.join("pg_ctl"),
            as_postgres,
        };
        let data = cluster.dir.join("data");
        run(cluster
            .command(&bin.join("initdb"))
            .arg("--pgdata")
            .arg(&data)
            .args([
                "--username=postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ])
            .arg("--no-instructions"))?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
            cluster.dir.display()
        );
        run(cluster
            .command(&cluster.pg_ctl)
            .arg("--pgdata")
            .arg(&data)
            .arg("--log")
            .arg(cluster.dir.join("postgres.log"))
            .args(["--options", &options, "--wait", "start"]))?;
        say(format!(
            "Postgres: if this task is killed, the next one stops the cluster; by hand: pg_ctl --pgdata {} stop",
            data.display()
        ));
        Ok(cluster)
    }

    fn command(&self, program: &Path) -> Command {
        as_owner(program, self.as_postgres)
    }
}

/// `program` run as the cluster's owner: user `postgres` when we are root
/// (initdb and postgres refuse root), else ourselves.
fn as_owner(program: &Path, as_postgres: bool) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// `pg_ctl stop` of the cluster in `data`, at once (its data is throwaway).
fn stop(pg_ctl: &Path, data: &Path, as_postgres: bool) -> Command {
    let mut c = as_owner(pg_ctl, as_postgres);
    c.arg("--pgdata")
        .arg(data)
        .args(["--mode=immediate", "--wait", "stop"]);
    c
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let stopped = stop(&self.pg_ctl, &self.dir.join("data"), self.as_postgres).status();
        if !stopped.is_ok_and(|s| s.success()) {
            say(format!(
                "could not stop the throwaway Postgres; see {}",
                self.dir.join("postgres.log").display()
            ));
            return;
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            say(format!("could not remove {}: {e}", self.dir.display()));
        } else {
            say("Postgres: throwaway cluster stopped and removed");
        }
    }
}

/// Stops and removes throwaway clusters left by tasks that were killed
/// (their folder names the task's process id, and that process is gone).
fn remove_stale(pg_ctl: &Path) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("roster-postgres-")
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let dir = entry.path();
        let _ = stop(pg_ctl, &dir.join("data"), is_root())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        if std::fs::remove_dir_all(&dir).is_ok() {
            say(format!(
                "Postgres: removed a throwaway cluster left by a killed task ({})",
                dir.display()
            ));
        }
    }
}

/// The folder holding initdb and pg_ctl: PATH, then Debian's versioned
/// folders (`/usr/lib/postgresql/<N>/bin`, newest first).
fn server_bin() -> Option<PathBuf> {
    let both = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(dir) =
        std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).find(|d| both(d)))
    {
        return Some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((n, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_printed() {
        assert_eq!(
            redact("postgres://u:secret@db:5432/x"),
            "postgres://u:***@db:5432/x"
        );
        assert_eq!(redact("postgres://u@db"), "postgres://u@db");
        assert_eq!(redact("postgres://db"), "postgres://db");
    }
}
