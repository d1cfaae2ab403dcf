//! The client's address, for login throttling and the per-address rate limits. Behind a reverse proxy every connection comes
//! from the proxy, so when the peer is one of the configured trusted proxies the address is
//! taken from `X-Forwarded-For`: the right-most entry that is not itself a trusted proxy
//! (entries further left were written by the client and prove nothing).

use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use ipnet::IpNet;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// `None` when the server was started without connection info (never in `kotapintar serve`).
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Self(of_request(
            &parts.extensions,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

/// The client's address from a request's connection info and headers (for middleware,
/// which sees the request before any extractor).
pub(crate) fn of_request(
    extensions: &axum::http::Extensions,
    headers: &axum::http::HeaderMap,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    peer.map(|p| client_address(p, &forwarded, trusted))
}

/// Who a per-address limit counts: an IPv4 address, or an IPv6 address's /64 (one
/// subscriber usually holds a whole /64, and could otherwise take a fresh address per
/// request).
pub(crate) fn limit_subject(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

fn client_address(peer: IpAddr, forwarded: &str, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(&ip.to_canonical()));
    if !is_trusted(&peer) {
        if !forwarded.is_empty() && trusted.is_empty() {
            warn_once_about_proxy(peer);
        }
        return peer;
    }
    let mut last = peer;
    for entry in forwarded.rsplit(',') {
        match entry.trim().parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => last = ip,
            Ok(ip) => return ip,
            // a garbled hop: nothing to its left can be trusted either
            Err(_) => return last,
        }
    }
    last
}

/// Behind a reverse proxy nobody declared, every visitor shares the proxy's address and so
/// its login throttle; say so once, where the operator looks.
fn warn_once_about_proxy(peer: IpAddr) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        tracing::warn!(
            %peer,
            "X-Forwarded-For received but no trusted proxy is configured: login throttling and \
             rate limits count the connection's address; behind a reverse proxy set \
             KOTAPINTAR_TRUSTED_PROXIES"
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        assert_eq!(limit_subject(ip("203.0.113.7")), "203.0.113.7");
        assert_eq!(limit_subject(ip("::ffff:203.0.113.7")), "203.0.113.7");
        assert_eq!(
            limit_subject(ip("2001:db8:1:2:aaaa::1")),
            limit_subject(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            limit_subject(ip("2001:db8:1:2::1")),
            limit_subject(ip("2001:db8:1:3::1"))
        );
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // straight from the internet: the header is the client's own invention
        assert_eq!(
            client_address(ip("198.51.100.9"), "203.0.113.1", &trusted),
            ip("198.51.100.9")
        );
        // via the proxy: the right-most untrusted entry, not what the client prepended
        assert_eq!(
            client_address(ip("10.0.0.2"), "1.2.3.4, 203.0.113.1", &trusted),
            ip("203.0.113.1")
        );
        // two proxies in a row
        assert_eq!(
            client_address(ip("10.0.0.2"), "203.0.113.1, 10.0.0.3", &trusted),
            ip("203.0.113.1")
        );
        // no header, or garbage: the last trusted hop
        assert_eq!(client_address(ip("10.0.0.2"), "", &trusted), ip("10.0.0.2"));
        assert_eq!(
            client_address(ip("10.0.0.2"), "1.2.3.4, nonsense", &trusted),
            ip("10.0.0.2")
        );
        // nothing trusted: the peer, always
        assert_eq!(
            client_address(ip("10.0.0.2"), "203.0.113.1", &[]),
            ip("10.0.0.2")
        );
    }
}
