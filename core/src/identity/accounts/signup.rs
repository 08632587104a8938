//! Signing up: a new account with its member ledger account and a verification link
//! (`verification`: the sign-up bonus waits for it), all in one transaction. Policy: "heepr is not intended for users under 16": a person
//! who does not confirm being 16 or older is refused and nothing about them is stored; so is
//! one who does not accept the terms in force (`terms`).
//!
//! The answer never says whether the address already has an account (issue 14 §3: no
//! enumeration): both get "check your email", and an address in use (or a look-alike of one)
//! is mailed how to log in or set a new password instead, at most once an hour.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{lookup, terms, validate, verification};
use crate::ledger;
use crate::platform::error::{AppError, is_unique_violation};
use crate::platform::state::AppState;
use crate::platform::tokens::new_id;

/// What a person submits to sign up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// Name shown to others, 1–64 characters.
    pub display_name: String,
    /// Email address (case is ignored).
    pub email: String,
    /// Password, 8 characters to 1024 bytes.
    pub password: String,
    /// The person confirms they are 16 or older.
    pub age_16_or_over: bool,
    /// The person accepts the terms of service in force (the acceptable use policy is part
    /// of them); missing counts as not accepted.
    #[serde(default)]
    pub accept_terms: bool,
}

/// Refusal message for people under 16 (policy: "Children").
pub const UNDER_16_MESSAGE: &str =
    "heepr is not intended for people under 16: you must be 16 or older to create an account";

/// What every sign-up that passed validation answers, whether or not the address was free.
#[derive(Debug, Clone, Serialize)]
pub struct SignupSent {
    /// The address, as normalised for sending.
    pub email: String,
    /// What to do now ([`SENT_MESSAGE`]).
    pub message: &'static str,
}

/// The one answer to a sign-up (see the module doc).
pub const SENT_MESSAGE: &str = "check your email: we sent this address a message (a link to verify it, or, if it already has an account, how to log in)";

/// What [`sign_up`] did, for the caller's logs only (the person is told [`SignupSent`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignupOutcome {
    /// A new account (its id), with its verification link mailed.
    Created(String),
    /// The address (or a look-alike) has an account: it was told, nothing was created.
    AddressInUse,
}

/// How long an address in use waits between two "someone signed up with your address"
/// emails (ms): one hour, so sign-ups cannot flood it.
pub const IN_USE_NOTICE_GAP_MS: i64 = 3_600_000;

/// Creates the account and mails its verification link (the bonus is credited when the link
/// is followed); for an address in use, mails that account instead. Both answer the same.
///
/// Errors: 422 for an invalid field, a missing 16+ confirmation or terms not accepted
/// (`accept_terms`; nothing stored); 429 when `ip` or everyone together made too many
/// sign-ups (checked before the password is hashed, so a flood costs little).
pub async fn sign_up(
    state: &AppState,
    request: &SignupRequest,
    ip: std::net::IpAddr,
) -> Result<(SignupSent, SignupOutcome), AppError> {
    let display_name = validate::display_name(&request.display_name)?;
    let email = validate::email_address(&request.email)?;
    validate::new_password("password", &request.password)?;
    if !request.age_16_or_over {
        return Err(AppError::invalid("age_16_or_over", UNDER_16_MESSAGE));
    }
    let terms_version = terms::required(state, request.accept_terms)?;
    state.signups.check(ip)?;
    // Hashed in both cases, so an address in use answers no faster.
    let password_hash = state.passwords.hash(&request.password).await?;
    let sent = SignupSent {
        email: email.address.clone(),
        message: SENT_MESSAGE,
    };
    let mut tx = state.db.begin_write().await?;
    let created = create_account(
        &mut tx,
        state,
        &NewAccount {
            email: &email.address,
            email_key: &email.key,
            display_name: &display_name,
            password_hash: Some(&password_hash),
            terms_version: &terms_version,
            email_verified: false,
        },
    )
    .await;
    let id = match created {
        Ok(id) => id,
        Err(AppError::Conflict {
            code: "email_taken",
            ..
        }) => {
            // PostgreSQL aborted the transaction on the unique violation: a new one tells
            // the address.
            tx.rollback().await?;
            tell_address_in_use(state, &email.key).await?;
            return Ok((sent, SignupOutcome::AddressInUse));
        }
        Err(other) => return Err(other),
    };
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    tracing::info!(account_id = %id, "account created");
    Ok((sent, SignupOutcome::Created(id)))
}

#[derive(askama::Template)]
#[template(path = "email/signup_in_use.txt")]
struct InUseMail<'a> {
    display_name: &'a str,
    public_url: &'a str,
}

/// Mails the active account with matching key `key` that someone signed up with its
/// address, unless it was told within [`IN_USE_NOTICE_GAP_MS`].
///
/// Errors: the template's, the database's.
pub(crate) async fn tell_address_in_use(state: &AppState, key: &str) -> Result<(), AppError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let Some(row) = lookup::active_by_email_key(&mut *tx, key).await? else {
        return Ok(());
    };
    let id: String = row.try_get("id")?;
    let since = now - IN_USE_NOTICE_GAP_MS;
    let told = crate::platform::mail::queued_times(&mut *tx, &id, IN_USE_TEMPLATE, since).await?;
    if !told.is_empty() {
        return Ok(());
    }
    let display_name: String = row.try_get("display_name")?;
    let body = askama::Template::render(&InUseMail {
        display_name: &display_name,
        public_url: &state.settings.public_url,
    })
    .map_err(|e| AppError::Internal(e.into()))?;
    let email = crate::platform::mail::Email {
        template: IN_USE_TEMPLATE,
        to: row.try_get("email")?,
        account_id: Some(id),
        subject: "Someone tried to sign up to heepr with your address".to_owned(),
        body,
    };
    crate::platform::mail::enqueue(&mut tx, &email, now).await?;
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    Ok(())
}

/// The template of the "your address already has an account" email.
const IN_USE_TEMPLATE: &str = "signup_in_use";

/// A validated new account: normalised email and display name, and the password's hash
/// (`None` for an account created through a sign-in provider, which has no password).
#[derive(Debug, Clone, Copy)]
pub struct NewAccount<'a> {
    /// Normalised email (the address mail goes to).
    pub email: &'a str,
    /// Its matching key (`validate::email_address`), unique among accounts.
    pub email_key: &'a str,
    /// Trimmed display name.
    pub display_name: &'a str,
    /// Argon2id PHC string, or `None`.
    pub password_hash: Option<&'a str>,
    /// The terms version the person accepted (`terms::required`).
    pub terms_version: &'a str,
    /// Whether the address is verified already (a sign-in provider vouched for it).
    pub email_verified: bool,
}

/// Inside `tx`: inserts the account (16+ confirmed now) with its terms acceptance and opens
/// its member ledger account; then, for a verified address, credits the sign-up bonus and
/// queues the welcome email, else mails a verification link. Returns the account id. The
/// caller commits, then wakes the mail worker.
///
/// Errors: 409 `email_taken` when the email, or one that looks the same (same matching key),
/// is already in use.
pub async fn create_account(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    state: &AppState,
    account: &NewAccount<'_>,
) -> Result<String, AppError> {
    let now = state.clock.now_ms();
    let id = new_id();
    let inserted = sqlx::query(
        "INSERT INTO accounts (id, email, email_normalized, display_name, password_hash, status, age_16_or_over_confirmed_at, created_at, updated_at) \
         VALUES ($1, $2, $7, $3, $4, $6, $5, $5, $5)",
    )
    .bind(&id)
    .bind(account.email)
    .bind(account.display_name)
    .bind(account.password_hash)
    .bind(now)
    .bind(super::AccountStatus::Active.as_str())
    .bind(account.email_key)
    .execute(&mut **tx)
    .await;
    match inserted {
        Err(e)
            if is_unique_violation(&e, "accounts_email_key")
                || is_unique_violation(&e, "accounts_email_normalized_key") =>
        {
            return Err(AppError::Conflict {
                code: "email_taken",
                message: "an account with this email already exists: log in instead".into(),
            });
        }
        other => other?,
    };
    terms::record(tx, &id, account.terms_version, now).await?;
    ledger::open_member_account(tx, &id, now).await?;
    let to = verification::Addressee {
        id: &id,
        email: account.email,
        display_name: account.display_name,
    };
    if account.email_verified {
        verification::mark_verified_in(tx, state, &to, now).await?;
    } else {
        verification::send_in(tx, state, &to).await?;
    }
    Ok(id)
}
