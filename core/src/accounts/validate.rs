//! Field rules for account input, shared by the API and the pages.

use std::str::FromStr;

use crate::error::AppError;

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
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "display_name",
            "a display name cannot contain control characters",
        ));
    }
    Ok(name.to_owned())
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
    }

    #[test]
    fn password_limits() {
        assert!(new_password("password", "1234567").is_err());
        assert!(new_password("password", "12345678").is_ok());
        assert!(new_password("password", &"x".repeat(1025)).is_err());
        assert!(new_password("password", &"x".repeat(1024)).is_ok());
    }
}
