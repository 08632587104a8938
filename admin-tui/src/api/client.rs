//! The HTTP client of one server's admin API, signed in with one staff token. The token
//! lives in [`Token`], whose `Debug` never shows it; it is only ever written into the
//! `Authorization` header.

use std::fmt;
use std::time::Duration;

use heepr_admin_api::API_PREFIX;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A staff bearer token. `Debug` prints `***`, so it cannot leak into logs or the screen.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token (surrounding whitespace removed).
    pub fn new(token: impl Into<String>) -> Token {
        Token(token.into().trim().to_string())
    }

    /// Whether the token is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn header(&self) -> String {
        format!("Bearer {}", self.0)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// An HTTP client of one server's admin API, signed in with one staff token.
#[derive(Clone)]
pub struct AdminClient {
    base: String,
    token: Token,
    http: reqwest::Client,
}

impl fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminClient")
            .field("base", &self.base)
            .field("token", &self.token)
            .finish()
    }
}

impl AdminClient {
    /// A client for the server at `base` (`http://127.0.0.1:8080`); each call times out
    /// after 20 s.
    ///
    /// Errors: the HTTP client cannot be built.
    pub fn new(base: &str, token: Token) -> Result<AdminClient, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ApiError::Network(e.to_string()))?;
        Ok(AdminClient {
            base: base.trim_end_matches('/').to_string(),
            token,
            http,
        })
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET {prefix}{path}` read as `T`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let req = self.http.get(format!("{}{API_PREFIX}{path}", self.base));
        self.send(req).await
    }

    /// `POST {prefix}{path}` with an optional JSON body, read as `T`.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        let mut req = self.http.post(format!("{}{API_PREFIX}{path}", self.base));
        if let Some(b) = body {
            req = req.json(b);
        }
        self.send(req).await
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T, ApiError> {
        let response = req
            .header(reqwest::header::AUTHORIZATION, self.token.header())
            .send()
            .await
            .map_err(|e| ApiError::Network(describe_send_error(e)))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        if !(200..300).contains(&status) {
            return Err(ApiError::from_body(status, &text));
        }
        serde_json::from_str(&text).map_err(|e| ApiError::Decode(e.to_string()))
    }
}

/// A connection error in words, without the URL's query (never holds the token anyway).
fn describe_send_error(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection refused or unreachable".into()
    } else {
        e.without_url().to_string()
    }
}

/// Percent-encodes a query value (ids and emails; RFC 3986 unreserved kept).
pub fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_never_prints() {
        let t = Token::new("secret-token");
        assert!(!format!("{t:?}").contains("secret"));
        let c = AdminClient::new("http://x", t).unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{c:?}").contains("secret"));
    }
}
