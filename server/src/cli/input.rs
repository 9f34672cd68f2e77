//! Secrets from the operator: flags, standard input (one line each, in
//! order) or a hidden prompt on the terminal, asked twice for new passwords.

use std::io::{BufRead, IsTerminal};

use super::{Failure, PasswordArgs};

/// Reads secrets from standard input, one line each, in order.
pub(super) struct Stdin {
    lines: std::io::Lines<std::io::StdinLock<'static>>,
}

impl Stdin {
    pub(super) fn new() -> Self {
        Self {
            lines: std::io::stdin().lock().lines(),
        }
    }

    pub(super) fn line(&mut self, what: &str) -> Result<String, Failure> {
        match self.lines.next() {
            Some(Ok(line)) => Ok(line.trim_end_matches(['\r', '\n']).to_string()),
            Some(Err(e)) => Err(anyhow::anyhow!("cannot read {what} from stdin: {e}").into()),
            None => Err(Failure {
                message: format!("Expected {what} on standard input"),
                code: 7,
            }),
        }
    }
}

pub(super) fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

pub(super) fn prompt_hidden(prompt: &str) -> Result<String, Failure> {
    rpassword::prompt_password(prompt)
        .map_err(|e| anyhow::anyhow!("cannot read password from terminal: {e}").into())
}

/// Asks twice on the terminal until both entries match.
fn prompt_new_password(label: &str) -> Result<String, Failure> {
    for _ in 0..3 {
        let first = prompt_hidden(&format!("{label}: "))?;
        let second = prompt_hidden(&format!("Confirm {}: ", label.to_lowercase()))?;
        if first == second {
            return Ok(first);
        }
        eprintln!("Passwords do not match; try again.");
    }
    Err(Failure {
        message: "Passwords do not match".into(),
        code: 7,
    })
}

/// A new password from the flag, stdin or the terminal; `None` when none was
/// given and there is no terminal to ask on.
pub(super) fn new_password(
    args: &PasswordArgs,
    stdin: &mut Stdin,
    label: &str,
) -> Result<Option<String>, Failure> {
    if let Some(p) = &args.password {
        return Ok(Some(p.clone()));
    }
    if args.password_stdin {
        return stdin.line("the password").map(Some);
    }
    if stdin_is_terminal() {
        return prompt_new_password(label).map(Some);
    }
    Ok(None)
}

pub(super) fn require_password(password: Option<String>) -> Result<String, Failure> {
    password.ok_or_else(|| Failure {
        message: "A password is required: pass --password, --password-stdin, or run on a terminal to be prompted".into(),
        code: 7,
    })
}
