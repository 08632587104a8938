//! Email texts, rendered from `core/templates/email/`.

use askama::Template;

use super::Email;
use crate::platform::error::AppError;

#[derive(Template)]
#[template(path = "email/welcome.txt")]
struct Welcome<'a> {
    display_name: &'a str,
    bonus: i64,
    public_url: &'a str,
}

/// The welcome email sent at sign-up.
pub fn welcome(
    to: &str,
    account_id: &str,
    display_name: &str,
    bonus: i64,
    public_url: &str,
) -> Result<Email, AppError> {
    let body = Welcome {
        display_name,
        bonus,
        public_url,
    }
    .render()
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Email {
        template: "welcome",
        to: to.to_owned(),
        account_id: Some(account_id.to_owned()),
        subject: "Welcome to heepr".to_owned(),
        body,
    })
}
