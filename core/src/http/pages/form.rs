//! Forms that never lose input: a refused page form is answered with the same page again,
//! the person's input kept and the reason next to its field (or at the top of the form
//! when no one field is at fault), with the status of the refusal (422, 409 for a conflict,
//! 429 with `Retry-After`).
//!
//! How a handler uses it: its page is built by one function that takes a [`FormState`]
//! (the GET handler passes [`FormState::none`]); the POST handler runs its work as a
//! `Result<Response, AppError>` and hands the result, the submitted input
//! ([`Submitted`]) and that page builder to [`answer`]. A refusal the person can act on
//! re-renders the page; anything else (not found, not signed in, a fault) goes to the
//! error page. Templates read the state with [`FormState::value`], [`FormState::error`]
//! and [`FormState::top_error`] through the macros in `form_macros.html`.

use std::collections::BTreeMap;
use std::future::Future;

use askama::Template;
use axum::response::Response;
use serde::Serialize;

use super::{PageError, render, with_retry_after};
use crate::platform::error::AppError;

/// What a page's forms show: which form was refused, its input as typed, and the reason
/// (tied to one field, or to the whole form). Empty for a page shown fresh.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    /// The refused form's name, as the template calls it (`"revision"`, `"review"`, ...).
    form: &'static str,
    /// Its fields as typed, by field name.
    values: BTreeMap<String, String>,
    /// The field at fault, when it is one of the form's fields.
    field: Option<String>,
    /// Why the form was refused.
    message: Option<String>,
}

/// A form's input as submitted: its name on the page and its fields (any `Serialize`
/// struct of text fields).
#[derive(Debug, Clone)]
pub struct Submitted {
    form: &'static str,
    values: BTreeMap<String, String>,
}

impl Submitted {
    /// The input of form `form`, read from the handler's form struct (a `None` field was
    /// not sent, so a refusal naming it shows at the top of the form).
    pub fn of(form: &'static str, input: &impl Serialize) -> Submitted {
        let mut values = BTreeMap::new();
        if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(input) {
            for (name, value) in map {
                let text = match value {
                    // Not sent: the form has no such field to show a refusal on.
                    serde_json::Value::Null => continue,
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                values.insert(name, text);
            }
        }
        Submitted { form, values }
    }

    /// A form that sends no input (a button): the refusal is shown at its top.
    pub fn button(form: &'static str) -> Submitted {
        Submitted {
            form,
            values: BTreeMap::new(),
        }
    }

    /// Adds or replaces one field's value (input read by hand, e.g. multipart text).
    pub fn with(mut self, name: &str, value: &str) -> Submitted {
        self.values.insert(name.to_owned(), value.to_owned());
        self
    }
}

impl FormState {
    /// No form refused: the page as shown by its GET.
    pub fn none() -> FormState {
        FormState::default()
    }

    /// A form shown fresh with stored values (`current`), e.g. a wizard step with the
    /// agent's fields; nothing refused.
    pub fn filled(current: Submitted) -> FormState {
        FormState {
            form: current.form,
            values: current.values,
            field: None,
            message: None,
        }
    }

    /// `submitted` refused with `err`: the error sits on its field when the form has that
    /// field, else at the top of the form. A refusal on `answers` naming one of the form's
    /// fields (`"topic: this field is required"`, the order form's answers) sits on it.
    pub fn refused(submitted: Submitted, err: &AppError) -> FormState {
        let message = err.public_message();
        let mut field = err
            .field()
            .filter(|f| submitted.values.contains_key(*f))
            .map(str::to_owned);
        let mut shown = message.clone();
        if err.field() == Some("answers")
            && let Some((name, reason)) = message.split_once(": ")
            && submitted.values.contains_key(name)
        {
            field = Some(name.to_owned());
            shown = reason.to_owned();
        }
        FormState {
            form: submitted.form,
            values: submitted.values,
            field,
            message: Some(shown),
        }
    }

    /// Whether form `form` is the refused one.
    pub fn is(&self, form: &str) -> bool {
        self.message.is_some() && self.form == form
    }

    /// What was typed into `field` of `form` when it was refused; empty otherwise.
    pub fn value(&self, form: &str, field: &str) -> &str {
        self.value_or(form, field, "")
    }

    /// What was typed into `field` of `form` when it was refused, else `current` (the
    /// stored value a form starts with, e.g. an agent's price in the wizard).
    pub fn value_or<'a>(&'a self, form: &str, field: &str, current: &'a str) -> &'a str {
        match self.values.get(field) {
            Some(v) if self.form == form => v,
            _ => current,
        }
    }

    /// Whether `option` was the chosen value of `field` in the refused `form`.
    pub fn chose(&self, form: &str, field: &str, option: &str) -> bool {
        self.is(form) && self.values.get(field).is_some_and(|v| v == option)
    }

    /// Why `field` of `form` was refused, if it was.
    pub fn error(&self, form: &str, field: &str) -> Option<&str> {
        match (&self.message, &self.field) {
            (Some(m), Some(f)) if self.form == form && f == field => Some(m),
            _ => None,
        }
    }

    /// Why `form` was refused, when no one of its fields is at fault.
    pub fn top_error(&self, form: &str) -> Option<&str> {
        match (&self.message, &self.field) {
            (Some(m), None) if self.form == form => Some(m),
            _ => None,
        }
    }
}

/// Whether `err` is a refusal the person can act on by changing the form (validation,
/// conflict, a limit, a wrong password), rather than a missing page or a fault.
pub fn shown_on_form(err: &AppError) -> bool {
    matches!(
        err,
        AppError::Invalid { .. }
            | AppError::BadRequest(_)
            | AppError::BadCredentials
            | AppError::Conflict { .. }
            | AppError::ConflictWith { .. }
            | AppError::Forbidden(_)
            | AppError::Refused { .. }
            | AppError::PayloadTooLarge(_)
            | AppError::TooManyRequests { .. }
    )
}

/// A POST handler's answer: `result` when it succeeded (a redirect), else the page built
/// by `page` with `submitted` and the refusal shown, or the error page for an error no
/// form can fix.
///
/// Errors: whatever `page` fails with, and `result`'s error when [`shown_on_form`] says
/// it is not the form's.
pub async fn answer<P, Fut>(
    result: Result<Response, AppError>,
    submitted: Submitted,
    page: impl FnOnce(FormState) -> Fut,
) -> Result<Response, PageError>
where
    P: Template,
    Fut: Future<Output = Result<P, AppError>>,
{
    match result {
        Ok(response) => Ok(response),
        Err(err) => reshow(err, submitted, page).await,
    }
}

/// The page built by `page` with `submitted` refused by `err` (see [`answer`]).
///
/// Errors: as [`answer`].
pub async fn reshow<P, Fut>(
    err: AppError,
    submitted: Submitted,
    page: impl FnOnce(FormState) -> Fut,
) -> Result<Response, PageError>
where
    P: Template,
    Fut: Future<Output = Result<P, AppError>>,
{
    if !shown_on_form(&err) {
        return Err(err.into());
    }
    let state = FormState::refused(submitted, &err);
    let built = page(state).await?;
    Ok(with_retry_after(render(err.status(), &built), &err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Review {
        rating: String,
        body: Option<String>,
    }

    fn review() -> Submitted {
        Submitted::of(
            "review",
            &Review {
                rating: "9".into(),
                body: Some(String::new()),
            },
        )
    }

    #[test]
    fn a_field_error_sits_on_its_field_with_the_input_kept() {
        let state = FormState::refused(review(), &AppError::invalid("rating", "1 to 5"));
        assert_eq!(state.value("review", "rating"), "9");
        assert_eq!(state.value("review", "body"), "");
        assert_eq!(state.error("review", "rating"), Some("1 to 5"));
        assert_eq!(state.top_error("review"), None);
        assert_eq!(state.value("other", "rating"), "");
        assert_eq!(state.error("other", "rating"), None);
    }

    #[test]
    fn an_error_on_no_field_of_the_form_sits_at_its_top() {
        let state = FormState::refused(review(), &AppError::invalid("order", "closed"));
        assert_eq!(state.top_error("review"), Some("closed"));
        assert_eq!(state.error("review", "order"), None);
    }

    #[test]
    fn an_answer_error_sits_on_the_answer() {
        let submitted = Submitted::button("order").with("topic", "");
        let err = AppError::invalid("answers", "topic: this field is required");
        let state = FormState::refused(submitted, &err);
        assert_eq!(
            state.error("order", "topic"),
            Some("this field is required")
        );
    }

    #[test]
    fn a_fresh_page_shows_stored_values() {
        let state = FormState::none();
        assert_eq!(state.value_or("step", "price_points", "100"), "100");
        assert!(!state.is("step"));
    }
}
