//! `policies/cookies.toml`: every cookie heepr can set, with purpose and lifetime, published
//! on the cookies page. Policy: "We use a small number of cookies, none for advertising."

use std::path::Path;

use serde::Deserialize;

use crate::policy::error::{PolicyError, check_date, toml_error};

/// The cookies file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CookiePolicy {
    /// File format version; only `1` is understood.
    pub version: u32,
    /// Effective date of this list (`YYYY-MM-DD`).
    pub effective: String,
    /// Every cookie, in the order published.
    pub cookies: Vec<CookieSpec>,
}

/// One cookie.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CookieSpec {
    /// The name(s) it is set under (e.g. with and without the `__Host-` prefix).
    pub names: Vec<String>,
    /// Why it is set, as a category (checked: never advertising).
    pub category: String,
    /// Why it exists, in words for the page.
    pub purpose: String,
    /// How long it lives, in words for the page.
    pub lifetime: String,
    /// Set without any choice by the visitor; only strictly necessary cookies may be.
    pub set_by_default: bool,
}

/// The categories a cookie may have. There is deliberately no advertising category.
pub const COOKIE_CATEGORIES: [&str; 3] = ["strictly_necessary", "functional", "analytics"];

impl CookiePolicy {
    /// Parses and validates the text of `path`.
    ///
    /// Errors (file, key, reason): bad TOML or unknown keys; an unsupported version; a bad
    /// effective date; a cookie with no name, an empty purpose or lifetime; category
    /// `advertising` (policy: none for advertising) or any unknown category; a cookie set
    /// by default that is not strictly necessary; a name listed twice.
    pub fn parse(path: &Path, text: &str) -> Result<Self, PolicyError> {
        let policy: CookiePolicy = toml::from_str(text).map_err(|e| toml_error(path, e))?;
        if policy.version != 1 {
            return Err(PolicyError::new(
                path,
                "version",
                "only version 1 is supported",
            ));
        }
        check_date(path, "effective", &policy.effective)?;
        let mut seen = std::collections::BTreeSet::new();
        for (i, cookie) in policy.cookies.iter().enumerate() {
            let key = |k: &str| format!("cookies[{i}].{k}");
            if cookie.names.is_empty() {
                return Err(PolicyError::new(
                    path,
                    key("names"),
                    "give at least one name",
                ));
            }
            for name in &cookie.names {
                if !seen.insert(name.clone()) {
                    return Err(PolicyError::new(
                        path,
                        key("names"),
                        format!("{name:?} is listed twice"),
                    ));
                }
            }
            if cookie.category == "advertising" {
                return Err(PolicyError::new(
                    path,
                    key("category"),
                    "policy: heepr sets no cookies for advertising",
                ));
            }
            if !COOKIE_CATEGORIES.contains(&cookie.category.as_str()) {
                return Err(PolicyError::new(
                    path,
                    key("category"),
                    format!(
                        "{:?} is not one of {}",
                        cookie.category,
                        COOKIE_CATEGORIES.join(", ")
                    ),
                ));
            }
            if cookie.set_by_default && cookie.category != "strictly_necessary" {
                return Err(PolicyError::new(
                    path,
                    key("set_by_default"),
                    "only strictly necessary cookies may be set without the visitor's consent",
                ));
            }
            for (k, v) in [("purpose", &cookie.purpose), ("lifetime", &cookie.lifetime)] {
                if v.trim().is_empty() {
                    return Err(PolicyError::new(path, key(k), "must not be empty"));
                }
            }
        }
        Ok(policy)
    }

    /// The cookie listed under `name`, if any.
    pub fn find(&self, name: &str) -> Option<&CookieSpec> {
        self.cookies
            .iter()
            .find(|c| c.names.iter().any(|n| n == name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertising_cookie_is_refused() {
        let text = r#"version = 1
effective = "2026-05-20"
[[cookies]]
names = ["ads"]
category = "advertising"
purpose = "p"
lifetime = "l"
set_by_default = false
"#;
        let err = CookiePolicy::parse(Path::new("cookies.toml"), text).err();
        let err = err.map(|e| (e.key, e.reason)).unwrap_or_default();
        assert_eq!(err.0, "cookies[0].category");
        assert!(err.1.contains("advertising"), "{}", err.1);
    }

    #[test]
    fn analytics_by_default_is_refused() {
        let text = r#"version = 1
effective = "2026-05-20"
[[cookies]]
names = ["stats"]
category = "analytics"
purpose = "p"
lifetime = "l"
set_by_default = true
"#;
        let err = CookiePolicy::parse(Path::new("cookies.toml"), text).err();
        assert_eq!(
            err.map(|e| e.key),
            Some("cookies[0].set_by_default".to_string())
        );
    }
}
