//! A Postgres server of a test's own: `initdb` in a temporary folder, on a
//! free port, which the test stops, starts and restarts with `pg_ctl` as an
//! operator would (a fast shutdown terminates every session with `57P01`).
//! The shared server the other tests use is never touched. Needs the
//! server binaries (`pg_config --bindir`, Debian's `postgresql` package);
//! as root, they run as the `postgres` user.

#![expect(clippy::expect_used, reason = "a test harness fails loudly")]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Cluster {
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program`, to run as `postgres` when root (the server refuses root).
fn command(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// `program args…`, which must succeed.
fn run(program: &Path, args: &[&str]) {
    let out = command(program)
        .args(args)
        .output()
        .expect("run a Postgres tool");
    assert!(
        out.status.success(),
        "{} {args:?} failed:\n{}\n{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Cluster {
    /// A new, running server.
    pub fn start() -> Self {
        let out = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .expect("pg_config (Debian's postgresql package)");
        let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let dir = tempfile::tempdir().expect("temp dir");
        if is_root() {
            let owned = Command::new("chown")
                .args(["postgres:", &dir.path().display().to_string()])
                .status()
                .expect("chown");
            assert!(owned.success(), "chown the cluster folder to postgres");
        }
        let data = dir.path().join("data");
        let data_arg = data.display().to_string();
        run(
            &bin.join("initdb"),
            &[
                "-D",
                &data_arg,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let port = crate::free_port();
        let conf = format!(
            "\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             fsync = off\nmax_connections = 40\nshared_buffers = 16MB\n",
            dir.path().display()
        );
        let path = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&path).expect("postgresql.conf");
        text.push_str(&conf);
        std::fs::write(&path, text).expect("write postgresql.conf");
        let cluster = Self {
            port,
            bin,
            data,
            _dir: dir,
        };
        cluster.up();
        cluster
    }

    /// `postgres://postgres@127.0.0.1:<port>`, the superuser's.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data = self.data.display().to_string();
        let log = self.data.join("server.log").display().to_string();
        let mut all = vec!["-D", &data, "-l", &log, "-w"];
        all.extend_from_slice(args);
        run(&self.bin.join("pg_ctl"), &all);
    }

    /// Starts the stopped server, and waits until it accepts connections.
    pub fn up(&self) {
        self.pg_ctl(&["start"]);
    }

    /// A fast shutdown: sessions are terminated, the port closes.
    pub fn down(&self) {
        self.pg_ctl(&["-m", "fast", "stop"]);
    }

    /// `pg_ctl restart -m fast`, as an operator restarts Postgres.
    pub fn restart(&self) {
        self.pg_ctl(&["-m", "fast", "restart"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let _ = command(&self.bin.join("pg_ctl"))
            .args(["-D", &data, "-m", "immediate", "stop"])
            .output();
    }
}
