//! The CLI's edge for errors: a [`DomainError`] becomes a message and an exit
//! code (0 success, 2 usage, 1 internal error, 3 invalid credentials,
//! 4 insufficient permissions, 5 not found, 6 conflict, 7 invalid input,
//! 8 the audit log does not verify, 9 the database was busy or gave no
//! connection mid-command and the step refused changed nothing: run it
//! again).

use crate::error::DomainError;

/// The exit code of a command refused because the database was busy or gave
/// no connection: the step refused changed nothing, so running the command
/// again is safe. (Failing to connect at start is 1, with the URL: a wrong
/// URL or password is not worth retrying.)
pub const RETRY: i32 = 9;

/// A CLI failure: what to print and which exit code to use.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: i32,
}

impl From<DomainError> for Failure {
    fn from(err: DomainError) -> Self {
        let code = match &err {
            // Nothing ran (busy, or no connection): safe to run again.
            DomainError::Unavailable {
                retry_after_secs: Some(_),
                ..
            } => RETRY,
            // The connection went mid-command: the change may have landed,
            // so a script must look before it runs the command again.
            DomainError::Internal(_) | DomainError::Unavailable { .. } => 1,
            DomainError::Unauthenticated(_) => 3,
            DomainError::Forbidden(_) => 4,
            DomainError::NotFound(_) => 5,
            DomainError::Conflict { .. } => 6,
            DomainError::BadInput(_) | DomainError::RateLimited { .. } => 7,
        };
        let message = match &err {
            DomainError::Internal(inner) => format!("{inner:#}"),
            DomainError::BadInput(list) if list.len() > 1 => list
                .iter()
                .map(|e| format!("\n  - {}", e.message))
                .fold("Invalid input:".to_string(), |acc, line| acc + &line),
            other => other.to_string(),
        };
        Self { message, code }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        Self {
            message: format!("{err:#}"),
            code: 1,
        }
    }
}

/// Seed 000's wording for a clash when creating an account.
pub(super) fn user_exists(err: DomainError) -> Failure {
    match err {
        DomainError::Conflict {
            field: Some(_),
            message,
        } => Failure {
            message: format!("User already exists: {message}"),
            code: 6,
        },
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_error_kind() {
        assert_eq!(Failure::from(DomainError::forbidden()).code, 4);
        assert_eq!(Failure::from(DomainError::not_found("x")).code, 5);
        let exists = user_exists(DomainError::conflict(
            Some("email"),
            "Email is already taken",
        ));
        assert_eq!(
            exists.message,
            "User already exists: Email is already taken"
        );
        assert_eq!(exists.code, 6);
    }

    #[test]
    fn only_a_command_that_changed_nothing_is_worth_running_again() {
        let busy = DomainError::unavailable(crate::error::DATABASE_BUSY);
        assert_eq!(Failure::from(busy).code, RETRY);
        let lost = DomainError::unavailable_change("The database is unavailable");
        assert_eq!(Failure::from(lost).code, 1);
    }
}
