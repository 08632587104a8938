//! Field rules for account input, shared by the API and the pages.

use std::str::FromStr;

use unicode_normalization::UnicodeNormalization;

use crate::platform::error::AppError;
use crate::platform::unicode;

/// Longest display name (characters).
pub const MAX_DISPLAY_NAME_CHARS: usize = 64;
/// Longest email address (characters, RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Shortest password (characters), per NIST SP 800-63B.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password (bytes); longer input is refused rather than hashed.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// An email address as heepr keeps it, and the key accounts are told apart by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress {
    /// The address mail is sent to: trimmed, NFC, local part lower-cased, domain in its
    /// ASCII (IDNA) form.
    pub address: String,
    /// The matching key (`accounts.email_normalized`, unique): see [`email_key`].
    pub key: String,
}

/// The email trimmed and normalised (see [`EmailAddress`]), if it is a valid address of at
/// most 254 characters with no hidden characters.
///
/// Errors: 422 on `email` saying what is wrong.
pub fn email(raw: &str) -> Result<String, AppError> {
    email_address(raw).map(|e| e.address)
}

/// The address to keep and its matching key.
///
/// Errors: 422 on `email` saying what is wrong (empty, too long, a hidden character, a
/// domain that is not a valid internationalised domain name, not an address).
pub fn email_address(raw: &str) -> Result<EmailAddress, AppError> {
    let trimmed: String = raw.trim().nfc().collect();
    if trimmed.is_empty() {
        return Err(AppError::invalid("email", "enter your email address"));
    }
    if let Some(c) = unicode::first_hidden(&trimmed) {
        return Err(AppError::invalid("email", unicode::hidden_reason(c)));
    }
    let not_an_address = || {
        AppError::invalid(
            "email",
            "that does not look like an email address (name@example.com)",
        )
    };
    let (local, domain) = trimmed.rsplit_once('@').ok_or_else(not_an_address)?;
    let domain = idna::domain_to_ascii(domain).map_err(|_| not_an_address())?;
    let local: String = local.to_lowercase().nfc().collect();
    let address = format!("{local}@{domain}");
    if address.chars().count() > MAX_EMAIL_CHARS {
        return Err(AppError::invalid(
            "email",
            format!("an email address has at most {MAX_EMAIL_CHARS} characters"),
        ));
    }
    if lettre::Address::from_str(&address).is_err() || !domain.contains('.') {
        return Err(not_an_address());
    }
    let key = format!("{}@{domain}", fold_local_part(&local));
    Ok(EmailAddress { address, key })
}

/// The matching key of a stored address (`accounts.email`), for a row written before keys
/// existed: the key of [`email_address`], or the address lower-cased when it no longer
/// passes today's checks.
pub fn email_key(stored: &str) -> String {
    email_address(stored).map_or_else(|_| stored.trim().to_lowercase(), |e| e.key)
}

/// The rule that makes look-alike local parts one key (documented in the README): full
/// Unicode case folding (default, not Turkic: `ß` → `ss`, final `ς` → `σ`), then `i`
/// followed by U+0307 COMBINING DOT ABOVE (what `İ` folds to) taken as `i`, then NFC.
fn fold_local_part(local: &str) -> String {
    let folded = icu_casemap::CaseMapperBorrowed::new().fold_string(local);
    let dotless = folded.replace("i\u{0307}", "i");
    dotless.nfc().collect()
}

/// The display name trimmed and in NFC, if it has 1 to 64 characters and no control,
/// bidirectional control or zero-width character ([`unicode::name`], the rule every
/// name-like field follows).
///
/// Errors: 422 on `display_name`.
pub fn display_name(raw: &str) -> Result<String, AppError> {
    if raw.trim().is_empty() {
        return Err(AppError::invalid("display_name", "enter a display name"));
    }
    unicode::name("display_name", raw, MAX_DISPLAY_NAME_CHARS)
}

/// Checks a new password: 8 characters to 1024 bytes.
///
/// Errors: 422 on `field`.
pub fn new_password(field: &'static str, password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            field,
            format!("use at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    password_length(field, password)
}

/// Checks any submitted password is at most 1024 bytes (hashing longer input is a cheap
/// denial of service).
///
/// Errors: 422 on `field`.
pub fn password_length(field: &'static str, password: &str) -> Result<(), AppError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::invalid(
            field,
            format!("a password has at most {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    if password.is_empty() {
        return Err(AppError::invalid(field, "enter your password"));
    }
    Ok(())
}

/// Whether an HTML checkbox was ticked: the form sends its `value="yes"` only when it is.
/// Anything else (`no`, `false`, an empty value) is not a confirmation: a hand-made request
/// must not pass the 16+ gate by sending the field with another value.
pub fn checkbox_ticked(value: Option<&str>) -> bool {
    matches!(value.map(str::trim), Some("yes" | "on" | "true" | "1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised() -> Result<(), AppError> {
        assert_eq!(email("  Ada@Example.COM ")?, "ada@example.com");
        Ok(())
    }

    #[test]
    fn look_alike_emails_share_a_key() -> Result<(), AppError> {
        let key = |raw: &str| email_address(raw).map(|e| e.key);
        // Composed and decomposed forms of the same domain; upper-case letters.
        assert_eq!(
            key("ada@e\u{0301}xample.com")?,
            key("ADA@\u{00E9}xample.com")?
        );
        assert_eq!(key("ada@\u{00E9}xample.com")?, "ada@xn--xample-9ua.com");
        // İ, i with a combining dot, and i.
        assert_eq!(key("\u{0130}lker@example.com")?, "ilker@example.com");
        assert_eq!(key("i\u{0307}lker@example.com")?, "ilker@example.com");
        assert_eq!(
            key("STRASSE@example.com")?,
            key("stra\u{00DF}e@example.com")?
        );
        // The address mail goes to keeps its local part (only lower-cased).
        assert_eq!(
            email("stra\u{00DF}e@EXAMPLE.com")?,
            "stra\u{00DF}e@example.com"
        );
        assert!(email("ada\u{200B}@example.com").is_err());
        assert!(email("ada@exam\u{202E}ple.com").is_err());
        Ok(())
    }

    #[test]
    fn bad_emails_refused() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "a b@example.com",
            "ada@localhost",
        ] {
            assert!(email(bad).is_err(), "{bad:?} accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(email(&long).is_err());
    }

    #[test]
    fn display_name_limits() {
        assert!(display_name(&"x".repeat(64)).is_ok());
        assert!(display_name(&"x".repeat(65)).is_err());
        assert!(display_name("   ").is_err());
        assert!(display_name("a\u{0007}b").is_err());
        assert!(display_name("abc\u{202E}fdp.exe").is_err());
        assert!(display_name("Zoë Ñandú 李").is_ok());
        assert!(display_name("a\u{200D}b").is_err());
    }

    #[test]
    fn only_a_ticked_checkbox_confirms() {
        assert!(checkbox_ticked(Some("yes")) && checkbox_ticked(Some("on")));
        for not in [
            None,
            Some("no"),
            Some("false"),
            Some(""),
            Some("0"),
            Some("nope"),
        ] {
            assert!(!checkbox_ticked(not), "{not:?} accepted");
        }
    }

    #[test]
    fn password_limits() {
        assert!(new_password("password", "1234567").is_err());
        assert!(new_password("password", "12345678").is_ok());
        assert!(new_password("password", &"x".repeat(1025)).is_err());
        assert!(new_password("password", &"x".repeat(1024)).is_ok());
    }
}
