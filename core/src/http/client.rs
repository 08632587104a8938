//! Who is on the other end of a request: the client IP (honouring trusted proxies) and the
//! user agent, read from the request into a [`ClientInfo`].

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::platform::client::{ClientInfo, MAX_USER_AGENT_CHARS};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Client info of a request from `peer` with `headers`.
pub fn client_info(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> ClientInfo {
    let user_agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect());
    ClientInfo {
        ip: client_ip(peer, headers, trusted_proxies),
        user_agent,
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

/// The client's IP and user agent (set by the request-log middleware; computed here when
/// a route runs without it).
#[derive(Debug, Clone)]
pub struct Client(pub ClientInfo);

impl FromRequestParts<AppState> for Client {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(info) = parts.extensions.get::<ClientInfo>() {
            return Ok(Client(info.clone()));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
        Ok(Client(client_info(
            peer,
            &parts.headers,
            &state.settings.trusted_proxies,
        )))
    }
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
