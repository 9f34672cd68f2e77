//! Validated names: usernames, emails, display names, role names, and an
//! organization's slug, name and description.

use std::fmt;

use crate::error::DomainError;

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// `raw` trimmed, `None` when blank, refused past `max` characters: the
/// rule of every optional free-text field.
fn bounded<'a>(
    raw: &'a str,
    field: &'static str,
    label: &str,
    max: usize,
) -> Result<Option<&'a str>, DomainError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > max {
        return Err(DomainError::bad_input(
            field,
            format!("{label} must be at most {max} characters"),
        ));
    }
    Ok(Some(value))
}

/// 3–50 letters, digits, `.`, `_` or `-`; unique case-insensitively (SPEC §2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);
string_newtype!(Username);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim();
        let len = value.chars().count();
        if !(3..=50).contains(&len) {
            return Err(DomainError::bad_input(
                "username",
                "Username must be 3 to 50 characters",
            ));
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(DomainError::bad_input(
                "username",
                "Username may only contain letters, digits, '.', '_' and '-'",
            ));
        }
        Ok(Self(value.to_string()))
    }

    /// A username derived from an email's local part, for accounts created by
    /// email alone (`bootstrap-superuser --email`).
    pub fn from_email(email: &Email) -> Result<Self, DomainError> {
        let local = email.as_str().split('@').next().unwrap_or_default();
        let cleaned: String = local
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .take(50)
            .collect();
        let padded = if cleaned.chars().count() < 3 {
            format!("{cleaned}_user")
        } else {
            cleaned
        };
        Self::parse(&padded)
    }
}

/// A syntactically valid email address, lower-cased so that uniqueness is
/// case-insensitive everywhere (SPEC §2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);
string_newtype!(Email);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim().to_lowercase();
        let invalid = || DomainError::bad_input("email", format!("Invalid email address: {raw:?}"));
        if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(value))
    }
}

/// A person's name as shown: trimmed, at most [`DisplayName::MAX_CHARS`]
/// characters, no control characters (a newline would break the CLI's table
/// and the log lines). The same rule wherever a display name comes in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DisplayName(String);
string_newtype!(DisplayName);

impl DisplayName {
    pub const MAX_CHARS: usize = 100;

    /// `None` for a blank value: the user has no display name.
    pub fn parse(raw: &str) -> Result<Option<Self>, DomainError> {
        let Some(value) = bounded(raw, "displayName", "Display name", Self::MAX_CHARS)? else {
            return Ok(None);
        };
        if value.chars().any(char::is_control) {
            return Err(DomainError::bad_input(
                "displayName",
                "Display name must not contain control characters",
            ));
        }
        Ok(Some(Self(value.to_string())))
    }
}

/// A role's name: lowercase letters, digits, `_` and `-`, 2–50 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleName(String);
string_newtype!(RoleName);

impl RoleName {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim().to_ascii_lowercase();
        let ok = (2..=50).contains(&value.len())
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'));
        if !ok {
            return Err(DomainError::bad_input(
                "role",
                format!(
                    "Invalid role name {raw:?}: use 2-50 lowercase letters, digits, '_' or '-'"
                ),
            ));
        }
        Ok(Self(value))
    }
}

/// An organization's slug (SPEC §7): 2–63 lowercase letters, digits and
/// hyphens, starting and ending with a letter or digit (a DNS label, so it
/// fits in a URL or a host name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);
string_newtype!(Slug);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim();
        let len = value.chars().count();
        let chars_ok = value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let ends_ok = !value.starts_with('-') && !value.ends_with('-');
        if !(2..=63).contains(&len) || !chars_ok || !ends_ok {
            return Err(DomainError::bad_input(
                "slug",
                format!(
                    "Invalid slug {raw:?}: use 2-63 lowercase letters, digits and hyphens, \
                     starting and ending with a letter or digit"
                ),
            ));
        }
        Ok(Self(value.to_string()))
    }
}

/// An organization's name: 1–100 characters, no control characters;
/// unique case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgName(String);
string_newtype!(OrgName);

impl OrgName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim();
        if value.is_empty() || value.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::bad_input(
                "name",
                format!("Name must be 1 to {} characters", Self::MAX_CHARS),
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(DomainError::bad_input(
                "name",
                "Name must not contain control characters",
            ));
        }
        Ok(Self(value.to_string()))
    }

    /// What is unique among organizations: the name in lower case, by
    /// Unicode's rules (the database's `lower` folds only ASCII on SQLite).
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// An organization's description: at most 500 characters; blank is none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Description(String);
string_newtype!(Description);

impl Description {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(raw: &str) -> Result<Option<Self>, DomainError> {
        let value = bounded(raw, "description", "Description", Self::MAX_CHARS)?;
        Ok(value.map(|v| Self(v.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_spec() {
        assert!(Username::parse("jane.doe_1-x").is_ok());
        assert_eq!(
            Username::parse("  Jane  ").map(|u| u.to_string()).ok(),
            Some("Jane".into())
        );
        for bad in ["ab", "has space", "émile", "semi;colon", &"x".repeat(51)] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Username::parse(&"x".repeat(50)).is_ok());
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse(" John.Doe@Example.COM ")
                .map(|e| e.to_string())
                .ok(),
            Some("john.doe@example.com".into())
        );
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a b@c.de",
            "a@b..c",
            "a@.b.c",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn usernames_derive_from_email_local_parts() {
        let email = Email::parse("admin+ops@example.com").ok();
        let name = email.and_then(|e| Username::from_email(&e).ok());
        assert_eq!(name.map(|n| n.to_string()), Some("admin_ops".into()));
        let short = Email::parse("a@example.com").ok();
        let name = short.and_then(|e| Username::from_email(&e).ok());
        assert_eq!(name.map(|n| n.to_string()), Some("a_user".into()));
    }

    #[test]
    fn role_names_are_normalised() {
        assert_eq!(
            RoleName::parse(" Admin ").map(|r| r.to_string()).ok(),
            Some("admin".into())
        );
        assert!(RoleName::parse("no spaces").is_err());
        assert!(RoleName::parse("x").is_err());
    }

    #[test]
    fn slugs_are_dns_labels() {
        for good in ["ab", "acme", "acme-corp", "a1", &"a".repeat(63)] {
            assert!(Slug::parse(good).is_ok(), "{good:?}");
        }
        for bad in [
            "a",
            "-acme",
            "acme-",
            "Acme",
            "ac me",
            "acme_corp",
            &"a".repeat(64),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Slug::parse(" acme ").map(|s| s.to_string()).ok(),
            Some("acme".into())
        );
    }

    #[test]
    fn organization_names_and_descriptions_are_bounded() {
        assert!(OrgName::parse("  ").is_err());
        assert!(OrgName::parse(&"x".repeat(101)).is_err());
        assert!(
            OrgName::parse("Acme\n").is_ok(),
            "trailing newline is trimmed"
        );
        assert!(OrgName::parse("Ac\u{7}me").is_err());
        assert!(matches!(Description::parse(" "), Ok(None)));
        assert!(Description::parse(&"d".repeat(501)).is_err());
    }

    #[test]
    fn display_names_follow_one_rule() {
        let ok = DisplayName::parse("  Jane Doe ").ok().flatten();
        assert_eq!(ok.as_ref().map(DisplayName::as_str), Some("Jane Doe"));
        assert!(matches!(DisplayName::parse("   "), Ok(None)));
        assert!(DisplayName::parse(&"é".repeat(100)).is_ok());
        let long = DisplayName::parse(&"é".repeat(101));
        assert!(
            long.is_err_and(|e| e.to_string() == "Display name must be at most 100 characters")
        );
        assert!(DisplayName::parse("Jane\nDoe").is_err());
        assert!(DisplayName::parse("Jane\u{7}").is_err());
    }
}
