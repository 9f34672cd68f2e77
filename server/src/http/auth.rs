//! Authentication, once per request: the shared axum extractor [`Caller`]
//! (`/graphql` today; every route that needs to know the caller takes it). It takes the credential — a bearer token before a
//! session cookie —, the client's address and user agent, and knows whether
//! the request passed SPEC §5's cross-site checks; routes then call
//! [`Caller::require_same_site`] with whether they change state.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::{HttpState, cookies};
use crate::app::App;
use crate::config::{Config, TrustedProxies};
use crate::error::DomainError;
use crate::graphql::context::{Credential, RequestState};
use crate::service::auth::{self, Client, Presented, Proof};

/// Header a browser client must send with cookie-authenticated requests and
/// with every state change. Cross-site pages cannot set it without a CORS
/// preflight, which Roster never grants.
pub const CSRF_HEADER: &str = "x-roster-csrf";

/// Who is calling, as the shared extractor found them.
pub struct Caller {
    /// The actor, user, credential and client of this request.
    pub state: RequestState,
    /// The credential as presented, for a connection that must check it
    /// again later (a live subscription).
    pub presented: Option<Presented>,
    /// A session cookie came with the request (valid or not).
    by_cookie: bool,
    /// The request passed the same-site checks.
    same_site: bool,
    /// The request names this site as its `Origin`.
    same_origin: bool,
}

impl Caller {
    /// SPEC §5: a request that carries a session cookie, or changes state,
    /// and is not made with a bearer token must come from this site with the
    /// `X-Roster-CSRF` header.
    pub fn require_same_site(&self, changes_state: bool) -> Result<(), DomainError> {
        let by_token = matches!(
            self.state.credential,
            Credential::Token(_) | Credential::IdpToken(_)
        );
        if (self.by_cookie || changes_state) && !by_token && !self.same_site {
            return Err(DomainError::Forbidden(
                "Cross-site request refused: send the X-Roster-CSRF header from the same origin"
                    .into(),
            ));
        }
        Ok(())
    }

    /// A WebSocket opened with a session cookie must come from a page of
    /// this site: browsers send cookies with a cross-site socket, and cannot
    /// add the `X-Roster-CSRF` header to it, so the `Origin` is checked.
    pub fn require_same_origin_socket(&self) -> Result<(), DomainError> {
        if self.by_cookie && !self.same_origin {
            return Err(DomainError::Forbidden(
                "Cross-site WebSocket refused: open it from a page of this site".into(),
            ));
        }
        Ok(())
    }
}

impl FromRequestParts<HttpState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &HttpState,
    ) -> Result<Self, Self::Rejection> {
        Self::extract(parts, state)
            .await
            .map_err(IntoResponse::into_response)
    }
}

impl Caller {
    /// The shared authentication, for an edge that answers its errors in
    /// its own shape (the REST paths).
    pub(super) async fn extract(parts: &Parts, state: &HttpState) -> Result<Self, DomainError> {
        let config = &state.app.config;
        // The router is served with connect info; without it every client
        // would share one address for login throttling.
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>().copied()
        else {
            return Err(DomainError::Internal(anyhow::anyhow!(
                "the router is served without connect info (into_make_service_with_connect_info)"
            )));
        };
        let client = client(&parts.headers, peer, config);
        let presented = presented(&parts.headers, config)?;
        let (request_state, by_cookie) =
            authenticate(&state.app, presented.as_ref(), client).await?;
        Ok(Self {
            state: request_state,
            presented,
            by_cookie,
            same_site: same_site(&parts.headers, config),
            same_origin: same_origin(&parts.headers, config),
        })
    }
}

fn client(headers: &HeaderMap, peer: SocketAddr, config: &Config) -> Client {
    let ip = client_ip(headers, peer.ip(), &config.trusted_proxies);
    Client {
        ip: Some(ip.to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(512).collect()),
    }
}

/// The client's address: the TCP peer, unless it is a trusted proxy; then
/// the rightmost address of `X-Forwarded-For` (all its headers, in order)
/// that is not a trusted proxy. Entries a client wrote to the left of what
/// the proxies appended are never reached; an entry that is not an IP
/// address stops the walk at the last good one.
pub fn client_ip(headers: &HeaderMap, peer: IpAddr, proxies: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !proxies.trusts(peer) {
        return peer;
    }
    // Byte by byte: a client's non-ASCII junk to the left must not hide
    // what the proxies appended to its right.
    let values: Vec<String> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let mut ip = peer;
    for entry in values.iter().flat_map(|v| v.split(',')).rev() {
        let Ok(forwarded) = entry.trim().parse::<IpAddr>() else {
            break;
        };
        ip = forwarded.to_canonical();
        if !proxies.trusts(ip) {
            break;
        }
    }
    ip
}

/// The credential a request presents: a bearer token wins over a session
/// cookie. An `Authorization` header that is not a bearer token is refused
/// (scripts must hear about it).
pub fn presented(headers: &HeaderMap, config: &Config) -> Result<Option<Presented>, DomainError> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        return auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|secret| Some(Presented::Token(secret.trim().to_string())))
            .ok_or_else(|| DomainError::Unauthenticated("Invalid or expired token".into()));
    }
    let cookie_headers = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok());
    Ok(cookies::read(config, cookie_headers).map(Presented::Session))
}

/// Who presented `presented`: a bad bearer token is an error (scripts must
/// hear about it); a stale cookie is just anonymous. The second value is
/// whether a cookie came.
pub async fn authenticate(
    app: &App,
    presented: Option<&Presented>,
    client: Client,
) -> Result<(RequestState, bool), DomainError> {
    let Some(presented) = presented else {
        return Ok((RequestState::anonymous(client), false));
    };
    let found = auth::authenticate(app, presented, &client, auth::Presence::Active).await?;
    match (presented, found) {
        (_, Some((who, Proof::Token(id)))) => Ok((
            RequestState::authenticated(who, Credential::Token(id), client),
            false,
        )),
        (_, Some((who, Proof::IdpToken(subject)))) => Ok((
            RequestState::authenticated(who, Credential::IdpToken(subject), client),
            false,
        )),
        (_, Some((who, Proof::Session(id)))) => Ok((
            RequestState::authenticated(who, Credential::Session(id), client),
            true,
        )),
        (Presented::Token(_), None) => Err(DomainError::Unauthenticated(
            "Invalid or expired token".into(),
        )),
        // A cookie was sent: the request is as cross-site-sensitive as if
        // it had worked.
        (Presented::Session(_), None) => Ok((RequestState::anonymous(client), true)),
    }
}

/// The request's `Origin` is this site (the public URL, or the `Host` it
/// was sent to).
fn same_origin(headers: &HeaderMap, config: &Config) -> bool {
    let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(origin), Some(host)) = (header_str("origin"), header_str("host")) else {
        return false;
    };
    [
        config.public_url.clone(),
        format!("http://{host}"),
        format!("https://{host}"),
    ]
    .iter()
    .any(|a| a == origin)
}

/// The cross-site defence of SPEC §5 for browser-style requests.
fn same_site(headers: &HeaderMap, config: &Config) -> bool {
    let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header_str(CSRF_HEADER).is_none_or(str::is_empty) {
        return false;
    }
    if let Some(site) = header_str("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    if let Some(origin) = header_str("origin") {
        let host = header_str("host").unwrap_or_default();
        let allowed = [
            config.public_url.clone(),
            format!("http://{host}"),
            format!("https://{host}"),
        ];
        if !allowed.iter().any(|a| a == origin) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            if let Ok(value) = v.parse() {
                headers.append("x-forwarded-for", value);
            }
        }
        headers
    }

    #[test]
    fn the_header_is_read_only_from_a_trusted_proxy() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap_or_default();
        let headers = forwarded(&["203.0.113.9"]);
        // A stranger's header is ignored.
        assert_eq!(
            client_ip(&headers, ip("198.51.100.1"), &proxies),
            ip("198.51.100.1")
        );
        // The proxy's is believed.
        assert_eq!(
            client_ip(&headers, ip("10.0.0.2"), &proxies),
            ip("203.0.113.9")
        );
        // Nobody is trusted by default.
        let none = TrustedProxies::default();
        assert_eq!(client_ip(&headers, ip("10.0.0.2"), &none), ip("10.0.0.2"));
    }

    #[test]
    fn what_a_client_wrote_itself_is_never_reached() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap_or_default();
        // The client sent "1.2.3.4"; two proxies appended the real peer and
        // the first proxy.
        let headers = forwarded(&["1.2.3.4, 203.0.113.9", "10.0.0.7"]);
        assert_eq!(
            client_ip(&headers, ip("10.0.0.2"), &proxies),
            ip("203.0.113.9")
        );
        // Garbage stops the walk at the last good address.
        let headers = forwarded(&["203.0.113.9, not-an-ip"]);
        assert_eq!(
            client_ip(&headers, ip("10.0.0.2"), &proxies),
            ip("10.0.0.2")
        );
        // Junk a client wrote far left does not hide the rest; a mapped
        // address is the IPv4 one.
        let mut headers = HeaderMap::new();
        headers.append(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"\xff\xfe, ::ffff:203.0.113.9")
                .unwrap_or(HeaderValue::from_static("")),
        );
        assert_eq!(
            client_ip(&headers, ip("10.0.0.2"), &proxies),
            ip("203.0.113.9")
        );
        // Only proxies: the leftmost of them.
        let headers = forwarded(&["10.1.1.1, 10.2.2.2"]);
        assert_eq!(
            client_ip(&headers, ip("10.0.0.2"), &proxies),
            ip("10.1.1.1")
        );
    }
}
