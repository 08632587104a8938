//! Field rules for account input, shared by the API and the pages.

use std::str::FromStr;

use crate::platform::error::AppError;

/// Longest display name (characters).
pub const MAX_DISPLAY_NAME_CHARS: usize = 64;
/// Longest email address (characters, RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Shortest password (characters), per NIST SP 800-63B.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password (bytes); longer input is refused rather than hashed.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The email trimmed and lower-cased, if it is a valid address of at most 254 characters.
///
/// Errors: 422 on `email` saying what is wrong.
pub fn email(raw: &str) -> Result<String, AppError> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err(AppError::invalid("email", "enter your email address"));
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(AppError::invalid(
            "email",
            format!("an email address has at most {MAX_EMAIL_CHARS} characters"),
        ));
    }
    if lettre::Address::from_str(&email).is_err() || !email.contains('.') {
        return Err(AppError::invalid(
            "email",
            "that does not look like an email address (name@example.com)",
        ));
    }
    Ok(email)
}

/// The display name trimmed, if it has 1 to 64 characters and no control characters.
///
/// Errors: 422 on `display_name`.
pub fn display_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::invalid("display_name", "enter a display name"));
    }
    if name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(AppError::invalid(
            "display_name",
            format!("a display name has at most {MAX_DISPLAY_NAME_CHARS} characters"),
        ));
    }
    if name
        .chars()
        .any(|c| c.is_control() || is_invisible_format(c))
    {
        return Err(AppError::invalid(
            "display_name",
            "a display name cannot contain control or invisible formatting characters",
        ));
    }
    Ok(name.to_owned())
}

/// Bidirectional overrides and zero-width characters: they make a name display as something
/// else (U+202E turns "evil" around), so names with them are refused.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
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
