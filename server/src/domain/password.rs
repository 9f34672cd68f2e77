//! The password policy of SPEC §5 (seed 004's default profile, or NIST).

use std::fmt;

use crate::config::PasswordProfile;
use crate::error::{DomainError, FieldError};

/// Passwords longer than this are refused, never truncated.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A password as typed. Its `Debug` never shows it.
#[derive(Clone)]
pub struct PlainPassword(String);

impl PlainPassword {
    /// Wraps a password that has not been checked against the policy: for
    /// verifying a login, never for setting one.
    pub fn unchecked(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PlainPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainPassword(***)")
    }
}

/// Checks new passwords against the configured profile.
#[derive(Debug, Clone, Copy)]
pub struct PasswordPolicy {
    profile: PasswordProfile,
}

impl PasswordPolicy {
    pub fn new(profile: PasswordProfile) -> Self {
        Self { profile }
    }

    pub fn min_chars(&self) -> usize {
        match self.profile {
            PasswordProfile::Default => 12,
            PasswordProfile::Nist => 15,
        }
    }

    /// Whether upper case, lower case, a digit and a special character are
    /// all required (the default profile; NIST asks for length only).
    pub fn requires_character_classes(&self) -> bool {
        self.profile == PasswordProfile::Default
    }

    /// Checks `password` (and its confirmation, when one was typed) and returns
    /// it as a policy-approved password, or every rule it breaks.
    /// `user_inputs` (username, email) count as guessable words.
    pub fn check(
        &self,
        password: &str,
        confirmation: Option<&str>,
        user_inputs: &[&str],
    ) -> Result<PlainPassword, DomainError> {
        let mut failures = Vec::new();
        let mut fail = |message: &str| failures.push(FieldError::new("password", message));
        let chars = password.chars().count();
        if chars < self.min_chars() {
            fail(&format!(
                "Password must be at least {} characters",
                self.min_chars()
            ));
        }
        if chars > MAX_PASSWORD_CHARS {
            fail(&format!(
                "Password must be at most {MAX_PASSWORD_CHARS} characters"
            ));
        }
        if self.requires_character_classes() {
            if !password.chars().any(char::is_uppercase) {
                fail("Password must include an uppercase letter");
            }
            if !password.chars().any(char::is_lowercase) {
                fail("Password must include a lowercase letter");
            }
            if !password.chars().any(|c| c.is_ascii_digit()) {
                fail("Password must include a number");
            }
            if !password
                .chars()
                .any(|c| !c.is_alphanumeric() && !c.is_whitespace())
            {
                fail("Password must include a special character");
            }
        }
        // The estimator is superlinear in length; past the maximum the
        // password is refused anyway.
        if chars <= MAX_PASSWORD_CHARS && !password.is_empty() {
            let inputs: Vec<&str> = user_inputs
                .iter()
                .flat_map(|i| i.split(['@', '.', '_', '-']))
                .chain(user_inputs.iter().copied())
                .chain(["roster", "password", "admin"])
                .filter(|s| !s.is_empty())
                .collect();
            let score: u8 = zxcvbn::zxcvbn(password, &inputs).score().into();
            if score < 3 {
                fail("Password is too common or easy to guess");
            }
        }
        if let Some(confirmation) = confirmation
            && confirmation != password
        {
            failures.push(FieldError::new("passwordConfirm", "Passwords do not match"));
        }
        if failures.is_empty() {
            Ok(PlainPassword(password.to_string()))
        } else {
            Err(DomainError::BadInput(failures))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures(profile: PasswordProfile, pw: &str, confirm: Option<&str>) -> Vec<String> {
        match PasswordPolicy::new(profile).check(pw, confirm, &["janedoe", "jane@example.com"]) {
            Ok(_) => vec![],
            Err(DomainError::BadInput(list)) => list.into_iter().map(|f| f.message).collect(),
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn a_strong_password_passes() {
        assert!(failures(PasswordProfile::Default, "Vivid-Orbit-Tangle-42", None).is_empty());
        assert!(
            failures(
                PasswordProfile::Default,
                "Vivid-Orbit-Tangle-42",
                Some("Vivid-Orbit-Tangle-42")
            )
            .is_empty()
        );
    }

    #[test]
    fn each_broken_rule_is_named() {
        let f = failures(PasswordProfile::Default, "short", Some("other"));
        for expected in [
            "Password must be at least 12 characters",
            "Password must include an uppercase letter",
            "Password must include a number",
            "Password must include a special character",
            "Password is too common or easy to guess",
            "Passwords do not match",
        ] {
            assert!(
                f.iter().any(|m| m == expected),
                "missing {expected:?} in {f:?}"
            );
        }
        assert!(!f.iter().any(|m| m.contains("lowercase")));
    }

    #[test]
    fn common_passwords_are_refused_even_when_they_tick_every_box() {
        let f = failures(PasswordProfile::Default, "Password123!", None);
        assert_eq!(f, vec!["Password is too common or easy to guess"]);
        let f = failures(PasswordProfile::Default, "Qwerty123456!", None);
        assert_eq!(f, vec!["Password is too common or easy to guess"]);
    }

    #[test]
    fn long_passwords_are_refused_not_truncated() {
        let long = format!("Aa1!{}", "xq7Z".repeat(64));
        let f = failures(PasswordProfile::Default, &long, None);
        assert_eq!(f, vec!["Password must be at most 256 characters"]);
        let max = format!("Aa1!{}", "xq7Z".repeat(63));
        assert!(failures(PasswordProfile::Default, &max, None).is_empty());
    }

    #[test]
    fn nist_profile_drops_composition_and_asks_for_fifteen() {
        assert!(failures(PasswordProfile::Nist, "correct horse battery staple", None).is_empty());
        let f = failures(PasswordProfile::Nist, "Tr0ub4dor&3xy", None);
        assert!(f.contains(&"Password must be at least 15 characters".to_string()));
        let f = failures(PasswordProfile::Nist, "passwordpassword", None);
        assert_eq!(f, vec!["Password is too common or easy to guess"]);
    }

    #[test]
    fn debug_never_shows_the_password() {
        assert_eq!(
            format!("{:?}", PlainPassword::unchecked("hunter2")),
            "PlainPassword(***)"
        );
    }
}
