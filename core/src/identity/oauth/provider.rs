//! The sign-in providers heepr supports, and how each one's profile response is read.

use serde_json::Value;

use crate::platform::error::AppError;
use crate::platform::settings::{OAuthProviderConfig, Settings};

heepr_compliance::stored_state! {
    /// A sign-in provider (`sign_in_identities.provider`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Provider: "sign-in provider" {
        /// Google (OpenID Connect).
        Google = "google",
        /// GitHub (OAuth 2.0).
        Github = "github",
        /// Facebook (OAuth 2.0).
        Facebook = "facebook",
    }
}

/// The basic profile a provider returned, normalised.
#[derive(Debug, Clone)]
pub struct ProviderProfile {
    /// The provider's stable id for the person (`sub` or `id`).
    pub subject: String,
    /// Email, if the provider shared it.
    pub email: Option<String>,
    /// Name, if the provider shared it (GitHub: the name, else the login).
    pub display_name: Option<String>,
    /// Whether the provider vouches that `email` belongs to the person: Google says so
    /// in `email_verified`, and Facebook shares only a confirmed address. GitHub's public
    /// profile address is whatever its owner typed there (its verified flag is only in
    /// `/user/emails`, which we do not read), so a GitHub sign-up verifies by our link.
    pub email_verified: bool,
    /// The profile response as returned (JSON text).
    pub raw: String,
}

/// Largest profile response accepted (bytes).
pub const MAX_PROFILE_BYTES: usize = 64 * 1024;

impl Provider {
    /// The name people know (`Google`, `GitHub`, `Facebook`).
    pub fn label(self) -> &'static str {
        match self {
            Provider::Google => "Google",
            Provider::Github => "GitHub",
            Provider::Facebook => "Facebook",
        }
    }

    /// The provider named `name` in a URL.
    ///
    /// Errors: 404 for any other name.
    pub fn parse(name: &str) -> Result<Provider, AppError> {
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str() == name)
            .ok_or(AppError::NotFound("sign-in provider"))
    }

    /// The scopes asked for: the basic profile and email, nothing more.
    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            Provider::Google => &["openid", "email", "profile"],
            Provider::Github => &["read:user", "user:email"],
            Provider::Facebook => &["email", "public_profile"],
        }
    }

    /// This provider's client settings, if it is enabled.
    pub fn config(self, settings: &Settings) -> Option<&OAuthProviderConfig> {
        match self {
            Provider::Google => settings.oauth.google.as_ref(),
            Provider::Github => settings.oauth.github.as_ref(),
            Provider::Facebook => settings.oauth.facebook.as_ref(),
        }
    }

    /// Like [`Provider::config`], as an error when disabled.
    ///
    /// Errors: 404 "sign-in with X is not enabled".
    pub fn enabled_config(self, settings: &Settings) -> Result<&OAuthProviderConfig, AppError> {
        self.config(settings).ok_or_else(|| {
            AppError::BadRequest(format!(
                "sign-in with {} is not enabled on this site",
                self.label()
            ))
        })
    }

    /// Reads the profile response: `sub` (Google) or `id` (GitHub, Facebook; a number or a
    /// string), `email`, `name` (GitHub falls back to `login`).
    ///
    /// Errors: 400 when the response is not a JSON object with a subject id.
    pub fn read_profile(self, raw: &str) -> Result<ProviderProfile, AppError> {
        let bad = |why: &str| {
            AppError::BadRequest(format!(
                "{} returned an unusable profile: {why}",
                self.label()
            ))
        };
        let value: Value = serde_json::from_str(raw).map_err(|_| bad("not JSON"))?;
        let subject_key = match self {
            Provider::Google => "sub",
            Provider::Github | Provider::Facebook => "id",
        };
        let subject = match value.get(subject_key) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(bad(&format!("no {subject_key:?}"))),
        };
        let text = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let display_name = match self {
            Provider::Github => text("name").or_else(|| text("login")),
            _ => text("name"),
        };
        let email = text("email").map(|e| e.to_lowercase());
        let email_verified = email.is_some()
            && match self {
                Provider::Google => value.get("email_verified") == Some(&Value::Bool(true)),
                Provider::Facebook => true,
                Provider::Github => false,
            };
        Ok(ProviderProfile {
            subject,
            email,
            email_verified,
            display_name,
            raw: raw.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_numeric_id_and_login_fallback() -> Result<(), AppError> {
        let p = Provider::Github.read_profile(r#"{"id": 42, "login": "ada", "name": null}"#)?;
        assert_eq!(p.subject, "42");
        assert_eq!(p.display_name.as_deref(), Some("ada"));
        assert!(p.email.is_none());
        Ok(())
    }

    #[test]
    fn google_needs_sub() {
        assert!(Provider::Google.read_profile(r#"{"id": "1"}"#).is_err());
        assert!(Provider::Google.read_profile("[]").is_err());
    }
}
