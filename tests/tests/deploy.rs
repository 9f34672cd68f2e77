//! The deployment files (SPEC §14, issue 17), checked as far as this
//! machine allows without a container engine: `docker-compose.yml` by
//! docker-compose's own `config` (with the example env files in place),
//! every image pinned to a version and every service with a healthcheck;
//! `deploy/Caddyfile` by `caddy validate` of the very Caddy version the
//! compose file pins; the alert rules by `promtool
//! check rules` and their unit tests by `promtool test rules`; the Postgres
//! init script by `bash -n`; and Roster's container healthcheck, the very
//! command of the compose file, against a running server.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};
use std::process::Command;

use roster_tests::server::Server;
use roster_tests::{Backend, TestDb};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs a command; panics with its output unless it succeeds.
fn succeeds(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// The compose file and `deploy/` in a fresh folder, with the example env
/// files copied to the names the compose file reads.
fn compose_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        root().join("docker-compose.yml"),
        dir.path().join("docker-compose.yml"),
    )
    .expect("copy compose file");
    let deploy = dir.path().join("deploy");
    std::fs::create_dir(&deploy).expect("deploy dir");
    for entry in std::fs::read_dir(root().join("deploy")).expect("deploy/") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        std::fs::copy(&path, deploy.join(&name)).expect("copy");
        if let Some(real) = name.strip_suffix(".example") {
            std::fs::copy(&path, deploy.join(real)).expect("copy env file");
        }
    }
    dir
}

/// The services of the normalized compose file, each with its lines.
fn services(normalized: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut inside = false;
    for line in normalized.lines() {
        if !line.starts_with(' ') {
            inside = line == "services:";
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(name) = line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) {
            out.push((name.trim_end_matches(':').to_string(), Vec::new()));
        } else if let Some((_, lines)) = out.last_mut() {
            lines.push(line.trim().to_string());
        }
    }
    out
}

#[test]
fn the_compose_file_is_valid_pinned_and_checked() {
    let dir = compose_folder();
    let normalized = succeeds(
        Command::new("docker-compose")
            .current_dir(dir.path())
            .arg("config"),
    );
    let services = services(&normalized);
    let names: Vec<&str> = services.iter().map(|(n, _)| n.as_str()).collect();
    for wanted in [
        "proxy",
        "roster-a",
        "roster-b",
        "postgres",
        "mailpit",
        "prometheus",
    ] {
        assert!(names.contains(&wanted), "{wanted} missing from {names:?}");
    }
    for (name, lines) in &services {
        assert!(
            lines.iter().any(|l| l == "healthcheck:"),
            "{name} has no healthcheck"
        );
        let image = lines
            .iter()
            .find_map(|l| l.strip_prefix("image: "))
            .unwrap_or_else(|| panic!("{name} has no image"));
        let tag = image.rsplit_once(':').map(|(_, t)| t).unwrap_or("");
        let built_here = lines.iter().any(|l| l == "build:");
        assert!(
            built_here || (tag.chars().any(|c| c.is_ascii_digit()) && tag != "latest"),
            "{name}: image {image} is not pinned to a version"
        );
    }
    // Roster runs behind the proxy, over https, believing only the proxy's
    // X-Forwarded-For, and never as the Postgres superuser.
    let env = std::fs::read_to_string(dir.path().join("deploy/roster.env")).expect("env");
    assert!(env.contains("ROSTER_PUBLIC_URL=https://"), "{env}");
    assert!(env.contains("DATABASE_URL=postgres://roster:"), "{env}");
    assert!(normalized.contains("TRUSTED_PROXIES: 172.28.0.10"));
    assert!(normalized.contains("ipv4_address: 172.28.0.10"));
    succeeds(
        Command::new("bash")
            .arg("-n")
            .arg(root().join("deploy/postgres-init.sh")),
    );
}

#[test]
fn the_example_env_files_name_documented_variables() {
    let reference = std::fs::read_to_string(root().join("docs/configuration.md")).expect("docs");
    let example = std::fs::read_to_string(root().join("deploy/roster.env.example")).expect("env");
    for line in example.lines() {
        let line = line.trim_start_matches("# ");
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        if name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            assert!(
                reference.contains(&format!("`{name}`")),
                "{name} is not documented"
            );
        }
    }
}

/// The Caddy the compose file pins: where `cargo xtask setup` puts it
/// (`~/.cache/roster-tools/caddy-<version>`), else `caddy` on the PATH;
/// whichever it is, the compose file must pin the version it reports.
fn pinned_caddy() -> PathBuf {
    let tools = std::env::var("HOME")
        .map(|home| Path::new(&home).join(".cache/roster-tools"))
        .unwrap_or_default();
    let compose = std::fs::read_to_string(root().join("docker-compose.yml")).expect("compose");
    let pinned = |version: &str| compose.contains(&format!("caddy:{version}-"));
    let installed = std::fs::read_dir(&tools)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.strip_prefix("caddy-").is_some_and(pinned)
        })
        .map(|entry| entry.path().join("bin/caddy"))
        .find(|path| path.is_file());
    let caddy = installed.unwrap_or_else(|| PathBuf::from("caddy"));
    let said = succeeds(Command::new(&caddy).arg("version"));
    let version = said
        .strip_prefix('v')
        .and_then(|v| v.split_whitespace().next())
        .expect("caddy version says vX.Y.Z");
    assert!(
        pinned(version),
        "{} is Caddy {version}, which docker-compose.yml does not pin: run `cargo xtask setup`",
        caddy.display()
    );
    caddy
}

#[test]
fn the_proxy_config_is_valid() {
    let caddy = pinned_caddy();
    for domain in ["localhost", "roster.example.com"] {
        succeeds(
            Command::new(&caddy)
                .args(["validate", "--adapter", "caddyfile", "--config"])
                .arg(root().join("deploy/Caddyfile"))
                .env("ROSTER_DOMAIN", domain),
        );
    }
}

#[test]
fn the_alert_rules_check_and_pass_their_tests() {
    let deploy = root().join("deploy");
    let checked = succeeds(Command::new("promtool").current_dir(&deploy).args([
        "check",
        "rules",
        "alerts.yml",
    ]));
    assert!(checked.contains("SUCCESS"), "{checked}");
    succeeds(Command::new("promtool").current_dir(&deploy).args([
        "test",
        "rules",
        "alerts.test.yml",
    ]));
    // Every metric the rules read is one Roster exports.
    let rules = std::fs::read_to_string(deploy.join("alerts.yml")).expect("rules");
    let mut sources = String::new();
    let mut stack = vec![root().join("server/src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").path())
        {
            if entry.is_dir() {
                stack.push(entry);
            } else if entry.extension().is_some_and(|e| e == "rs") {
                sources.push_str(&std::fs::read_to_string(entry).expect("source"));
            }
        }
    }
    let metrics: std::collections::BTreeSet<&str> = rules
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("roster_"))
        .collect();
    assert!(metrics.len() >= 6, "{metrics:?}");
    for metric in metrics {
        assert!(
            sources.contains(&format!("\"{metric}\"")),
            "{metric} is not exported"
        );
    }
}

/// The compose file's healthcheck of a Roster container, as a command for
/// a server on `port`.
fn roster_healthcheck(port: u16) -> Vec<String> {
    let compose = std::fs::read_to_string(root().join("docker-compose.yml")).expect("compose");
    let test = compose
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("test: ").filter(|t| t.contains("/dev/tcp/")))
        .expect("the roster healthcheck");
    let argv: Vec<String> = serde_json::from_str(test).expect("a JSON array");
    assert_eq!(argv[0], "CMD");
    argv[1..]
        .iter()
        .map(|a| a.replace("/8080", &format!("/{port}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_roster_healthcheck_works_against_a_running_server() {
    let db = TestDb::bootstrapped(Backend::Sqlite).await;
    let mut server = Server::start(&db, &[]);
    let port: u16 = server
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let argv = roster_healthcheck(port);
    let healthy = Command::new(&argv[0])
        .args(&argv[1..])
        .status()
        .expect("run");
    assert!(healthy.success(), "{argv:?}");
    assert_eq!(server.terminate(), Some(0));
    let gone = Command::new(&argv[0])
        .args(&argv[1..])
        .status()
        .expect("run");
    assert!(!gone.success(), "a stopped server is not healthy");
}
