//! Property tests for every parser of outside input (issue 17): flags and
//! the whole configuration, names (usernames, emails, display names, role
//! names, slugs, organization names), cursors, credentials (bearer headers,
//! session cookies, token scopes), role aliases and the audit CSV filters.
//! (The group → role map and role overrides have theirs beside them, in
//! `domain/`; the GraphQL token counter in `graphql/limits.rs`.)
//!
//! Each parser takes any text without panicking; what it accepts obeys the
//! rule it enforces and parses again to itself; what it refuses is
//! `BAD_USER_INPUT` naming the field.

use std::collections::HashMap;

use axum::http::{HeaderMap, HeaderValue, header};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

use crate::config::{Config, parse_flag};
use crate::domain::{
    DisplayName, Email, OrgName, Permission, RoleAliases, RoleName, Slug, Username,
};
use crate::error::DomainError;
use crate::service::audit_log::{AuditCursor, event_types};
use crate::service::auth::Presented;
use crate::service::directory::Cursor;

/// Any text: arbitrary Unicode, printable ASCII, or near-misses of the
/// usual shapes.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,80}",
        "[a-zA-Z0-9._@|:+-]{0,70}",
        "\\PC{0,40}",
    ]
}

/// A refusal names its field and says `BAD_USER_INPUT`.
fn refused_on(err: &DomainError, field: &str) -> bool {
    err.code() == "BAD_USER_INPUT"
        && matches!(err, DomainError::BadInput(list) if list.iter().all(|e| e.field == Some(field)))
}

/// The variables `docs/configuration.md` lists.
fn documented_variables() -> Vec<String> {
    include_str!("../../docs/configuration.md")
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .filter(|name| {
            name.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_string)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn flags_read_any_value(raw in text()) {
        let read = parse_flag(Some(&raw));
        prop_assert_eq!(read.is_none(), raw.trim().is_empty());
        if let Some(on) = read {
            let word = raw.trim().to_ascii_lowercase();
            prop_assert_eq!(on, matches!(word.as_str(), "1" | "true" | "yes" | "on"));
        }
    }

    #[test]
    fn flags_ignore_case_and_spaces(
        word in prop::sample::select(vec!["1", "true", "yes", "on", "0", "false", "off", "no"]),
        left in " {0,3}", right in "[ \t]{0,3}", upper in any::<bool>(),
    ) {
        let spelled = if upper { word.to_uppercase() } else { word.to_string() };
        let expected = matches!(word, "1" | "true" | "yes" | "on");
        prop_assert_eq!(parse_flag(Some(&format!("{left}{spelled}{right}"))), Some(expected));
    }

    /// Whatever the documented variables hold, reading the configuration
    /// never panics, and a refusal names one of them.
    #[test]
    fn any_configuration_is_read_or_refused_by_name(
        values in prop::collection::vec(text(), 64),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let names = documented_variables();
        prop_assert!(names.len() > 20, "{:?}", names);
        let vars: HashMap<String, String> = picks
            .iter()
            .enumerate()
            .map(|(i, pick)| (pick.get(&names).clone(), values[i].clone()))
            .collect();
        if let Err(e) = Config::from_vars(&vars) {
            prop_assert!(vars.contains_key(e.variable), "{} not set: {:?}", e.variable, vars);
        }
    }

    #[test]
    fn usernames(raw in text()) {
        match Username::parse(&raw) {
            Ok(name) => {
                let s = name.as_str();
                prop_assert!((3..=50).contains(&s.chars().count()));
                prop_assert!(s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')));
                prop_assert_eq!(Username::parse(s).ok(), Some(name.clone()));
            }
            Err(e) => prop_assert!(refused_on(&e, "username"), "{:?}", e),
        }
    }

    #[test]
    fn well_formed_usernames_are_accepted_trimmed(raw in "[A-Za-z0-9._-]{3,50}", pad in " {0,2}") {
        let parsed = Username::parse(&format!("{pad}{raw}{pad}"));
        prop_assert_eq!(parsed.ok().map(|u| u.as_str().to_string()), Some(raw));
    }

    #[test]
    fn emails(raw in text()) {
        match Email::parse(&raw) {
            Ok(email) => {
                let s = email.as_str();
                prop_assert_eq!(s.to_lowercase(), s);
                prop_assert!(s.len() <= 254 && !s.chars().any(char::is_whitespace));
                let (local, domain) = s.rsplit_once('@').unwrap_or_default();
                prop_assert!(!local.is_empty() && domain.contains('.'));
                prop_assert_eq!(Email::parse(s).ok(), Some(email.clone()));
                // Every valid email gives a valid username.
                prop_assert!(Username::from_email(&email).is_ok());
            }
            Err(e) => prop_assert!(refused_on(&e, "email"), "{:?}", e),
        }
    }

    #[test]
    fn well_formed_emails_are_accepted_in_any_case(
        local in "[a-z0-9][a-z0-9._+-]{0,20}",
        domain in "[a-z0-9][a-z0-9-]{0,10}(\\.[a-z]{2,5}){1,2}",
    ) {
        let email = format!("{local}@{domain}");
        let shouted = Email::parse(&email.to_uppercase()).map(|e| e.as_str().to_string());
        prop_assert_eq!(shouted.ok(), Some(email));
    }

    #[test]
    fn display_names(raw in text()) {
        match DisplayName::parse(&raw) {
            Ok(Some(name)) => {
                prop_assert!(name.as_str().chars().count() <= DisplayName::MAX_CHARS);
                prop_assert!(!name.as_str().chars().any(char::is_control));
                prop_assert_eq!(DisplayName::parse(name.as_str()).ok(), Some(Some(name.clone())));
            }
            Ok(None) => prop_assert!(raw.trim().is_empty()),
            Err(e) => prop_assert!(refused_on(&e, "displayName"), "{:?}", e),
        }
    }

    #[test]
    fn role_names(raw in text()) {
        match RoleName::parse(&raw) {
            Ok(role) => {
                let s = role.as_str();
                prop_assert!((2..=50).contains(&s.len()));
                prop_assert!(s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-')));
                prop_assert_eq!(RoleName::parse(s).ok(), Some(role.clone()));
            }
            Err(e) => prop_assert!(refused_on(&e, "role"), "{:?}", e),
        }
    }

    #[test]
    fn slugs(raw in text()) {
        match Slug::parse(&raw) {
            Ok(slug) => {
                let s = slug.as_str();
                prop_assert!((2..=63).contains(&s.len()));
                prop_assert!(!s.starts_with('-') && !s.ends_with('-'));
                prop_assert!(s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
                prop_assert_eq!(Slug::parse(s).ok(), Some(slug.clone()));
            }
            Err(e) => prop_assert!(refused_on(&e, "slug"), "{:?}", e),
        }
    }

    #[test]
    fn well_formed_slugs_are_accepted(raw in "[a-z0-9][a-z0-9-]{0,61}[a-z0-9]") {
        prop_assert_eq!(Slug::parse(&raw).ok().map(|s| s.as_str().to_string()), Some(raw));
    }

    #[test]
    fn organization_names(raw in text()) {
        match OrgName::parse(&raw) {
            Ok(name) => prop_assert_eq!(OrgName::parse(name.as_str()).ok(), Some(name.clone())),
            Err(e) => prop_assert!(refused_on(&e, "name"), "{:?}", e),
        }
    }

    #[test]
    fn user_cursors_round_trip(secs in 0i64..8_000_000_000, nanos in 0u32..1_000_000_000, id in text()) {
        let at = Utc.timestamp_opt(secs, nanos).single();
        prop_assume!(at.is_some());
        let cursor = Cursor { created_at: at.unwrap_or_default(), id };
        prop_assert_eq!(Cursor::decode(&cursor.encode()).ok(), Some(cursor));
    }

    #[test]
    fn audit_cursors_round_trip(secs in 0i64..8_000_000_000, nanos in 0u32..1_000_000_000, id in text()) {
        let at = Utc.timestamp_opt(secs, nanos).single();
        prop_assume!(at.is_some());
        let cursor = AuditCursor { occurred_at: at.unwrap_or_default(), id };
        prop_assert_eq!(AuditCursor::decode(&cursor.encode()).ok(), Some(cursor));
    }

    #[test]
    fn organization_cursors_round_trip(slug in text()) {
        let encoded = crate::service::organizations::encode_cursor(&slug);
        prop_assert_eq!(crate::service::organizations::decode_cursor(&encoded).ok(), Some(slug));
    }

    /// A cursor a client made up is refused as bad input on `after`, never
    /// a panic or an internal error.
    #[test]
    fn made_up_cursors_are_refused_on_after(raw in prop_oneof![text(), "[0-9a-f]{0,120}"]) {
        if let Err(e) = Cursor::decode(&raw) {
            prop_assert!(refused_on(&e, "after"), "{:?}", e);
        }
        if let Err(e) = AuditCursor::decode(&raw) {
            prop_assert!(refused_on(&e, "after"), "{:?}", e);
        }
        if let Err(e) = crate::service::organizations::decode_cursor(&raw) {
            prop_assert!(refused_on(&e, "after"), "{:?}", e);
        }
    }

    /// `Authorization`: a bearer token is taken trimmed; anything else is
    /// refused as unauthenticated, never ignored.
    #[test]
    fn authorization_headers(value in "[ -~]{0,120}") {
        let config = Config::from_vars(&HashMap::new()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let Ok(header_value) = HeaderValue::from_str(&value) else { return Ok(()) };
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, header_value);
        match crate::http::auth::presented(&headers, &config) {
            Ok(Some(Presented::Token(secret))) => {
                prop_assert!(value.starts_with("Bearer "));
                prop_assert_eq!(secret, value["Bearer ".len()..].trim());
            }
            Ok(other) => prop_assert!(false, "{:?} gave {}", value, other.is_some()),
            Err(e) => {
                prop_assert!(!value.starts_with("Bearer "));
                prop_assert_eq!(e.code(), "UNAUTHENTICATED");
            }
        }
    }

    /// `Cookie`: only a non-empty value of Roster's own cookie is a session.
    #[test]
    fn cookie_headers(value in "[ -~]{0,120}", session in "[A-Za-z0-9_-]{1,40}") {
        let config = Config::from_vars(&HashMap::new()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for raw in [value.clone(), format!("{value}; roster_session={session}")] {
            let Ok(header_value) = HeaderValue::from_str(&raw) else { continue };
            let mut headers = HeaderMap::new();
            headers.insert(header::COOKIE, header_value);
            match crate::http::auth::presented(&headers, &config) {
                Ok(Some(Presented::Session(id))) => prop_assert!(!id.is_empty() && raw.contains(&id)),
                Ok(Some(Presented::Token(_))) | Err(_) => prop_assert!(false, "{}", raw),
                Ok(None) => prop_assert!(!raw.contains("roster_session=")),
            }
        }
    }

    #[test]
    fn token_scopes(raw in text()) {
        if let Ok(permission) = Permission::parse(&raw) {
            prop_assert_eq!(Permission::parse(permission.as_str()).ok(), Some(permission));
        }
    }

    #[test]
    fn role_aliases(raw in text()) {
        if let Ok(aliases) = RoleAliases::parse(&raw) {
            for (alias, role) in aliases.iter() {
                prop_assert!(RoleName::parse(alias.as_str()).is_ok());
                prop_assert!(RoleName::parse(role.as_str()).is_ok());
                prop_assert_eq!(aliases.target(alias), Some(role));
            }
        }
    }

    /// `eventTypes=a,b,…`: no blank entry, none with a comma or outer
    /// spaces, and joining them back reads the same list.
    #[test]
    fn csv_event_type_lists(raw in text()) {
        let types = event_types(Some(&raw));
        for t in &types {
            prop_assert!(!t.is_empty() && !t.contains(',') && t.trim() == t);
        }
        prop_assert_eq!(event_types(Some(&types.join(","))), types.clone());
    }

    #[test]
    fn csv_instants(raw in prop_oneof![text(), "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](Z|[+-][01][0-9]:[0-5][0-9])"]) {
        match crate::http::audit_csv::instant("from", Some(&raw)) {
            Ok(Some(at)) => prop_assert!(chrono::DateTime::parse_from_rfc3339(raw.trim()).is_ok_and(|d| d == at)),
            Ok(None) => prop_assert!(raw.trim().is_empty()),
            Err(e) => prop_assert_eq!(e.field, Some("from")),
        }
    }
}
