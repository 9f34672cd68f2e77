//! `cargo xtask run`: build everything, start `roster serve`, wait until the
//! admin app's login page answers, then say where it is and how to create
//! the first superuser.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::install::cargo;
use crate::step::{say, show};

const DEFAULT_BIND: &str = "127.0.0.1:8080";

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    crate::build(root)?;
    let bind = bind_address(args, std::env::var("ROSTER_BIND").ok().as_deref());
    let addr: SocketAddr = bind
        .parse()
        .with_context(|| format!("the listen address {bind:?} is not HOST:PORT"))?;
    let mut command = Command::new(cargo());
    command
        .args([
            "run",
            "--quiet",
            "--release",
            "--locked",
            "-p",
            "roster",
            "--",
            "serve",
        ])
        .args(args)
        .current_dir(root);
    say(format!("starting: {}", show(&command)));
    let mut child = command.spawn().context("could not start roster serve")?;
    let local = SocketAddr::from((
        if addr.ip().is_unspecified() {
            [127, 0, 0, 1].into()
        } else {
            addr.ip()
        },
        addr.port(),
    ));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("roster serve stopped before it answered ({status}); its log is above");
        }
        if login_page_answers(local) {
            break;
        }
        if Instant::now() > deadline {
            // Leave it running: it may be slow, not broken.
            say(format!(
                "roster serve has not answered on {local} after 60 s"
            ));
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let base = std::env::var("ROSTER_PUBLIC_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("http://{local}"));
    eprintln!();
    say(format!(
        "Roster is running: {base}/admin/  (API: {base}/graphql)"
    ));
    say(
        "Create the first superuser, in a second terminal in this folder (you are asked for a password twice):",
    );
    say("    cargo run --release -p roster -- bootstrap-superuser --email admin@example.com");
    say("Stop with Ctrl+C.");
    eprintln!();
    let status = child.wait()?;
    if !status.success() {
        bail!("roster serve ended: {status}");
    }
    Ok(())
}

/// The address `roster serve` will listen on: its `--bind`, else
/// `ROSTER_BIND`, else the default.
fn bind_address(args: &[String], env: Option<&str>) -> String {
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--bind" {
            if let Some(value) = it.next() {
                return value.clone();
            }
        } else if let Some(value) = arg.strip_prefix("--bind=") {
            return value.to_string();
        }
    }
    env.filter(|v| !v.is_empty())
        .unwrap_or(DEFAULT_BIND)
        .to_string()
}

/// `GET /admin/login` answers 200 with the app's HTML.
fn login_page_answers(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(300)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /admin/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200") && response.contains("<html")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_bind_address_follows_roster_serve() {
        assert_eq!(bind_address(&[], None), DEFAULT_BIND);
        assert_eq!(bind_address(&[], Some("0.0.0.0:9000")), "0.0.0.0:9000");
        assert_eq!(
            bind_address(&args(&["--bind", "127.0.0.1:1"]), Some("0.0.0.0:9000")),
            "127.0.0.1:1"
        );
        assert_eq!(bind_address(&args(&["--bind=[::1]:2"]), None), "[::1]:2");
        assert_eq!(bind_address(&[], Some("")), DEFAULT_BIND);
    }
}
