//! `TRUSTED_PROXIES`: the reverse proxies whose `X-Forwarded-For` Roster
//! believes (SPEC §14, issue 17). The client address (login throttling, the
//! audit log, sessions) is the TCP peer, unless the peer is one of these;
//! then it is the rightmost address of `X-Forwarded-For` that is not one of
//! them (`http::auth::client_ip`), so a client cannot choose its address by
//! writing the header itself.

use std::net::IpAddr;

use ipnet::IpNet;

use super::ConfigError;
use super::vars::Vars;

/// Addresses and networks of trusted proxies; empty trusts nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// `TRUSTED_PROXIES`: addresses (`10.0.0.5`, `::1`) and networks
    /// (`172.16.0.0/12`) separated by commas or spaces. The old
    /// `TRUST_PROXY_HEADERS`, which believed anyone's header, is refused
    /// with a pointer here.
    pub(super) fn from_vars(v: &Vars<'_>) -> Result<Self, ConfigError> {
        if v.flag("TRUST_PROXY_HEADERS") == Some(true) {
            return Err(ConfigError {
                variable: "TRUST_PROXY_HEADERS",
                value: v.get("TRUST_PROXY_HEADERS").unwrap_or_default().to_string(),
                reason: "replaced by TRUSTED_PROXIES: list your proxies' addresses or networks \
                         (e.g. TRUSTED_PROXIES=10.0.0.0/8); X-Forwarded-For is read only from them"
                    .into(),
            });
        }
        let raw = v.get("TRUSTED_PROXIES").unwrap_or_default();
        Self::parse(raw).map_err(|reason| ConfigError {
            variable: "TRUSTED_PROXIES",
            value: raw.to_string(),
            reason,
        })
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.split([',', ' ', '\n', '\t'])
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("{entry:?} is neither an IP address nor a network (a.b.c.d/n)")
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// Whether `ip` is a trusted proxy (an IPv4 address mapped into IPv6
    /// counts as itself).
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn addresses_and_networks() {
        let proxies = TrustedProxies::parse("10.0.0.5, 172.16.0.0/12 ::1\nfd00::/8");
        let Ok(proxies) = proxies else {
            panic!("{proxies:?}")
        };
        for yes in [
            "10.0.0.5",
            "172.20.1.2",
            "::1",
            "fd00::7",
            "::ffff:10.0.0.5",
        ] {
            assert!(proxies.trusts(ip(yes)), "{yes}");
        }
        for no in ["10.0.0.6", "172.32.0.1", "::2", "8.8.8.8"] {
            assert!(!proxies.trusts(ip(no)), "{no}");
        }
        assert!(TrustedProxies::parse("").is_ok_and(|p| p.is_empty()));
    }

    #[test]
    fn nonsense_is_refused_by_entry() {
        let err = TrustedProxies::parse("10.0.0.1, proxy.internal").err();
        assert_eq!(
            err.as_deref(),
            Some("\"proxy.internal\" is neither an IP address nor a network (a.b.c.d/n)")
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    }
}
