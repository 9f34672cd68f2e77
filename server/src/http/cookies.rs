//! The session cookie (SPEC §5): HttpOnly, SameSite=Lax, and `__Host-`
//! prefixed and Secure when Roster is served over https.

use cookie::{Cookie, SameSite};

use crate::config::Config;

/// The cookie's name for this deployment.
pub fn name(config: &Config) -> &'static str {
    if config.is_https() {
        "__Host-roster_session"
    } else {
        "roster_session"
    }
}

fn base(config: &Config, value: String) -> Cookie<'static> {
    Cookie::build((name(config), value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.is_https())
        .path("/")
        .build()
}

/// `Set-Cookie` value that stores a session secret.
pub fn session(config: &Config, secret: &str, max_age: std::time::Duration) -> String {
    let mut cookie = base(config, secret.to_string());
    cookie.set_max_age(cookie::time::Duration::seconds(
        i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
    ));
    cookie.to_string()
}

/// `Set-Cookie` value that removes the session cookie.
pub fn cleared(config: &Config) -> String {
    let mut cookie = base(config, String::new());
    cookie.make_removal();
    cookie.to_string()
}

/// The session secret from a request's `Cookie` headers, if any.
pub fn read<'a>(config: &Config, headers: impl Iterator<Item = &'a str>) -> Option<String> {
    let wanted = name(config);
    headers
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == wanted && !c.value().is_empty())
        .map(|c| c.value().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(public_url: &str) -> Config {
        let vars: HashMap<String, String> =
            [("ROSTER_PUBLIC_URL".to_string(), public_url.to_string())]
                .into_iter()
                .collect();
        match Config::from_vars(&vars) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn plain_http_gets_an_httponly_lax_cookie() {
        let c = config("http://localhost:8080");
        let set = session(&c, "abc", std::time::Duration::from_secs(60));
        assert!(set.starts_with("roster_session=abc"), "{set}");
        for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=60"] {
            assert!(set.contains(part), "{part} in {set}");
        }
        assert!(!set.contains("Secure"));
    }

    #[test]
    fn https_gets_a_host_prefixed_secure_cookie() {
        let c = config("https://id.example.com");
        let set = session(&c, "abc", std::time::Duration::from_secs(60));
        assert!(set.starts_with("__Host-roster_session=abc"), "{set}");
        assert!(set.contains("Secure"));
        assert!(!set.contains("Domain"));
    }

    #[test]
    fn reads_the_right_cookie() {
        let c = config("http://localhost");
        let headers = ["a=1; roster_session=s3cret; b=2"];
        assert_eq!(read(&c, headers.into_iter()), Some("s3cret".into()));
        assert_eq!(read(&c, ["roster_session="].into_iter()), None);
        assert!(cleared(&c).contains("Max-Age=0"));
    }
}
