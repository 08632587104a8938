//! Askama filters of the page templates (each page module brings them in with
//! `use super::filters;`).

use std::convert::Infallible;

/// `{{ created_at|when }}`: an RFC 3339 time in the reader's words,
/// `2 Dec 2026, 20:15 UTC` ([`crate::platform::time::human_text`]), never the raw
/// `2026-12-02T20:15:22.888Z`.
///
/// Errors: none (askama's filter signature).
pub fn when<T: std::fmt::Display>(value: T, _: &dyn askama::Values) -> Result<String, Infallible> {
    Ok(crate::platform::time::human_text(&value.to_string()))
}
