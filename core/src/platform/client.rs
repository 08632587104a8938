//! Who is on the other end of a request: client IP (honouring trusted proxies) and user
//! agent. Both are technical data under the policy ("IP address, browser user-agent").

use std::net::IpAddr;

use axum::http::HeaderMap;

/// Longest user agent kept (characters); longer ones are cut.
pub const MAX_USER_AGENT_CHARS: usize = 512;

/// The client of one request.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// The client's IP: the peer, or the nearest untrusted address in `X-Forwarded-For`
    /// when the peer is a trusted proxy.
    pub ip: IpAddr,
    /// The `User-Agent` header, cut to [`MAX_USER_AGENT_CHARS`].
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// Client info of a request from `peer` with `headers`.
    pub fn from_request(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> Self {
        let user_agent = headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect());
        Self {
            ip: client_ip(peer, headers, trusted_proxies),
            user_agent,
        }
    }
}

/// The client's IP. `X-Forwarded-For` is read only when `peer` is a trusted proxy, from the
/// right, skipping further trusted proxies: a client cannot spoof its address by sending the
/// header itself.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted_proxies.contains(ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn untrusted_peer_cannot_spoof() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("1.2.3.4"));
        assert_eq!(
            client_ip(ip("9.9.9.9"), &h, &[ip("10.0.0.1")]),
            ip("9.9.9.9")
        );
    }

    #[test]
    fn trusted_proxy_gives_rightmost_untrusted() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 1.2.3.4, 10.0.0.2"),
        );
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("1.2.3.4"));
    }
}
