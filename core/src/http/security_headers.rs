//! The security headers every response gets, set in one layer ([`apply`]) so no route can
//! forget them:
//!
//! - `Content-Security-Policy`: only this origin's scripts, styles, images and fonts (no
//!   inline script or style: the pages use the one stylesheet of `http::assets`), no
//!   plugins, no framing (`frame-ancestors 'none'`), forms post only here (and to the
//!   enabled sign-in providers' authorization endpoints, where linking a provider
//!   redirects a form post), `base-uri 'none'`. A response that set its own policy keeps it
//!   (downloads are sandboxed by `http::api::files::send_file`).
//! - `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` (for browsers without
//!   `frame-ancestors`), `Referrer-Policy: strict-origin-when-cross-origin`,
//!   `Permissions-Policy` turning off camera, microphone, geolocation and the like.
//! - `Strict-Transport-Security` only when the public URL is `https://`: over plain http
//!   browsers ignore it, and a development server must not pin https on localhost.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::platform::settings::Settings;

/// The header values, computed once from the settings.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    csp: HeaderValue,
    hsts: Option<HeaderValue>,
}

/// `Permissions-Policy`: features no page of heepr uses, off for every origin.
const PERMISSIONS_POLICY: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()";

/// HSTS for a year, subdomains included (the public URL's host is heepr's own).
const HSTS: &str = "max-age=31536000; includeSubDomains";

impl SecurityHeaders {
    /// The headers for a service configured by `settings`.
    pub fn new(settings: &Settings) -> SecurityHeaders {
        let mut form_action = vec!["'self'".to_string()];
        let providers = [
            &settings.oauth.google,
            &settings.oauth.github,
            &settings.oauth.facebook,
        ];
        for provider in providers.into_iter().flatten() {
            if let Ok(url) = reqwest::Url::parse(&provider.auth_url) {
                let origin = url.origin().ascii_serialization();
                if origin != "null" && !form_action.contains(&origin) {
                    form_action.push(origin);
                }
            }
        }
        let csp = format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; \
             form-action {}; base-uri 'none'",
            form_action.join(" ")
        );
        SecurityHeaders {
            csp: HeaderValue::from_str(&csp).unwrap_or(HeaderValue::from_static(
                "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            )),
            hsts: settings.is_https().then(|| HeaderValue::from_static(HSTS)),
        }
    }
}

/// The middleware: runs the request, then adds the headers the response does not set itself.
pub async fn apply(
    State(headers): State<Arc<SecurityHeaders>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let out = response.headers_mut();
    let mut set = |name: HeaderName, value: HeaderValue| {
        out.entry(name).or_insert(value);
    };
    set(header::CONTENT_SECURITY_POLICY, headers.csp.clone());
    set(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    set(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    set(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    set(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    if let Some(hsts) = &headers.hsts {
        set(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    response
}
