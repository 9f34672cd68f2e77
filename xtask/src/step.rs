//! Running commands and reporting steps: every step says what it does, how
//! long it took, and, when it fails, what is missing and the command that
//! installs it by hand.

use std::ffi::OsStr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// Prints one line of the task's own output, set apart from the tools'.
pub fn say(message: impl std::fmt::Display) {
    eprintln!("[xtask] {message}");
}

/// What a command printed on stdout, trimmed, when it ran and succeeded;
/// `None` when it is missing or failed (a version probe).
pub fn probe<I, S>(program: &str, args: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Runs `command` with inherited output; an error names it and its exit.
pub fn run(command: &mut Command) -> Result<()> {
    let shown = show(command);
    let status = command
        .status()
        .with_context(|| format!("could not start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// A command as a user would type it.
pub fn show(command: &Command) -> String {
    let mut words = vec![command.get_program().to_string_lossy().into_owned()];
    words.extend(command.get_args().map(|a| {
        let a = a.to_string_lossy();
        if a.is_empty() || a.contains(' ') {
            format!("'{a}'")
        } else {
            a.into_owned()
        }
    }));
    words.join(" ")
}

/// One named step of a task, timed: `check`, then the work, then the time.
pub fn timed<T>(name: &str, work: impl FnOnce() -> Result<T>) -> Result<T> {
    say(format!("{name} …"));
    let start = Instant::now();
    let result = work();
    let took = start.elapsed().as_secs_f64();
    match &result {
        Ok(_) => say(format!("{name}: done in {}", seconds(took))),
        Err(_) => say(format!("{name}: FAILED after {}", seconds(took))),
    }
    result.with_context(|| format!("{name} failed"))
}

pub fn seconds(s: f64) -> String {
    if s < 90.0 {
        format!("{s:.1} s")
    } else {
        format!("{}m{:02.0}s", (s / 60.0).floor(), s % 60.0)
    }
}

/// A piece of the toolchain or a test peer: skipped when `present` says the
/// right version is there, else installed by `install` and checked again.
pub struct Piece<'a> {
    /// What it is, with its version: `trunk 0.21.14`.
    pub name: &'a str,
    /// The command a person would type to install it.
    pub manual: String,
    /// Said before a step that takes minutes.
    pub slow: Option<&'a str>,
}

impl Piece<'_> {
    pub fn ensure(
        &self,
        present: impl Fn() -> bool,
        install: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        if present() {
            say(format!("{}: present, skipped", self.name));
            return Ok(());
        }
        say(format!(
            "{}: missing, installing: {}",
            self.name, self.manual
        ));
        if let Some(slow) = self.slow {
            say(format!("{}: this is slow: {slow}", self.name));
        }
        let start = Instant::now();
        let outcome = install();
        let took = seconds(start.elapsed().as_secs_f64());
        match outcome {
            Ok(()) if present() => {
                say(format!("{}: installed in {took}", self.name));
                Ok(())
            }
            Ok(()) => bail!(
                "{} is still missing after installing it ({took}): is the folder it went to \
                 (~/.cargo/bin for cargo install, npm's global bin for npm) on PATH? \
                 Else install it by hand: {}",
                self.name,
                self.manual
            ),
            Err(e) => Err(e.context(format!(
                "could not install {} ({took}); install it by hand: {}",
                self.name, self.manual
            ))),
        }
    }
}

/// Whether this process runs as root (then Debian packages can be installed).
pub fn is_root() -> bool {
    probe("id", ["-u"]).as_deref() == Some("0")
}

static APT_UPDATED: AtomicBool = AtomicBool::new(false);

/// `apt-get install` of Debian packages, as root only; the package lists are
/// refreshed once per task.
pub fn apt_install(packages: &[&str]) -> Result<()> {
    if !is_root() {
        bail!(
            "installing Debian packages needs root; run: sudo apt-get install {}",
            packages.join(" ")
        );
    }
    if !APT_UPDATED.swap(true, Ordering::SeqCst) {
        run(Command::new("apt-get").args(["update", "-qq"]))?;
    }
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// Whether `program` is on PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}
