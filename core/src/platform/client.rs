//! Who is on the other end of a request: client IP and user agent. Both are technical data
//! under the policy ("IP address, browser user-agent"). How they are read from a request
//! (trusted proxies, `X-Forwarded-For`) is `http::client`.

use std::net::IpAddr;

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
