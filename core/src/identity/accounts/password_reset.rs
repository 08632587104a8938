//! Setting a new password from a link mailed to the account's address (issue 13 §4): for a
//! person who forgot theirs, one who signed up through a provider and has none, and the
//! owner of an address someone else signed up with first (the link goes to the address, so
//! its owner takes the account over).
//!
//! 1. [`request`]: the answer never says whether an account uses the address (no
//!    enumeration). For an active account a link goes to its address (token stored only as
//!    a hash, valid [`RESET_LINK_MS`]); at most [`MAX_SENDS`] in [`WINDOW_MS`], one every
//!    [`RESEND_GAP_MS`], and beyond that nothing is sent, silently, so nobody can flood an
//!    inbox through us.
//! 2. [`reset`]: the link (single use) sets the new password, ends every session of the
//!    account, cancels a pending email change (and, for an address never verified, drops
//!    the sign-in providers linked and revokes the agent API keys issued by whoever signed
//!    up with it), verifies its address (the link came to it) and tells the address.

use askama::Template;
use serde::Deserialize;
use sqlx::{Any, Row, Transaction};

use super::{AccountStatus, lookup, validate, verification};
use crate::identity::sessions;
use crate::platform::error::AppError;
use crate::platform::mail::{self, Email};
use crate::platform::state::AppState;
use crate::platform::time::human;
use crate::platform::tokens::{hash_secret, new_secret};

/// How long a reset link works (ms): one hour.
pub const RESET_LINK_MS: i64 = 3_600_000;
/// The window in which [`MAX_SENDS`] counts (ms): 24 hours from the first link.
pub const WINDOW_MS: i64 = 24 * 3_600_000;
/// Most reset emails per account within [`WINDOW_MS`].
pub const MAX_SENDS: i64 = 5;
/// Least time between two reset emails to one account (ms): one minute.
pub const RESEND_GAP_MS: i64 = 60_000;

/// What a person submits to ask for a link.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetAsk {
    /// The account's email address (case and look-alike forms are matched as at login).
    pub email: String,
}

/// What a person submits from the link's page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// The new password, 8 characters to 1024 bytes.
    pub new_password: String,
}

#[derive(Template)]
#[template(path = "email/password_reset.txt")]
struct ResetMail<'a> {
    display_name: &'a str,
    link: &'a str,
    expires: &'a str,
}

#[derive(Template)]
#[template(path = "email/password_reset_done.txt")]
struct DoneMail<'a> {
    display_name: &'a str,
    public_url: &'a str,
}

/// Mails a reset link to the active account using `raw_email`, within the limits; does
/// nothing (and says nothing) when there is none or a limit is reached.
///
/// Errors: 422 `email` for something that is not an email address; the database's.
pub async fn request(state: &AppState, raw_email: &str) -> Result<(), AppError> {
    let email = validate::email_address(raw_email)?;
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let Some(row) = lookup::active_by_email_key(&mut *tx, &email.key).await? else {
        return Ok(());
    };
    let id: String = row.try_get("id")?;
    let address: String = row.try_get("email")?;
    let display_name: String = row.try_get("display_name")?;
    let window: Option<(i64, i64, i64)> = sqlx::query_as(
        "SELECT created_at, last_sent_at, sends FROM password_resets WHERE account_id = $1",
    )
    .bind(&id)
    .fetch_optional(&mut *tx)
    .await?;
    let token = new_secret();
    let expires_at = now.saturating_add(RESET_LINK_MS);
    match window {
        Some((created, last, sends)) if now < created.saturating_add(WINDOW_MS) => {
            if sends >= MAX_SENDS || now < last.saturating_add(RESEND_GAP_MS) {
                return Ok(());
            }
            sqlx::query(
                "UPDATE password_resets SET token_hash = $1, expires_at = $2, last_sent_at = $3, sends = sends + 1 \
                 WHERE account_id = $4",
            )
            .bind(hash_secret(&token))
            .bind(expires_at)
            .bind(now)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        }
        _ => {
            sqlx::query("DELETE FROM password_resets WHERE account_id = $1")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO password_resets (account_id, token_hash, created_at, expires_at, last_sent_at, sends) \
                 VALUES ($1, $2, $3, $4, $3, 1)",
            )
            .bind(&id)
            .bind(hash_secret(&token))
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        }
    }
    let link = format!(
        "{}/account/password/reset/{token}",
        state.settings.public_url
    );
    let body = ResetMail {
        display_name: &display_name,
        link: &link,
        expires: &human(expires_at),
    }
    .render()
    .map_err(|e| AppError::Internal(e.into()))?;
    queue(
        &mut tx,
        "password_reset",
        &id,
        &address,
        "Set a new heepr password",
        body,
        now,
    )
    .await?;
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    Ok(())
}

async fn queue(
    tx: &mut Transaction<'static, Any>,
    template: &'static str,
    account_id: &str,
    to: &str,
    subject: &str,
    body: String,
    now: i64,
) -> Result<(), AppError> {
    let email = Email {
        template,
        to: to.to_owned(),
        account_id: Some(account_id.to_owned()),
        subject: subject.to_owned(),
        body,
    };
    mail::enqueue(tx, &email, now).await?;
    Ok(())
}

/// Whether `token` is a reset link that works now (its page shows the form only then);
/// returns the address of its account, which the form names (so a password manager files
/// the new password under it).
///
/// Errors: 404 for an unknown or used link; 410 for an expired one; the database's.
pub async fn check_link(state: &AppState, token: &str) -> Result<String, AppError> {
    let found: Option<(i64, String)> = sqlx::query_as(
        "SELECT r.expires_at, a.email FROM password_resets r JOIN accounts a ON a.id = r.account_id \
         WHERE r.token_hash = $1",
    )
    .bind(hash_secret(token))
    .fetch_optional(state.db.pool())
    .await?;
    match found {
        None => Err(AppError::NotFound("unused password reset link")),
        Some((at, _)) if at < state.clock.now_ms() => Err(expired()),
        Some((_, email)) => Ok(email),
    }
}

fn expired() -> AppError {
    AppError::Gone("This password reset link has expired: ask for a new one".into())
}

/// Inside `tx`: what else of the account only its password's holder could use goes with a
/// reset: a pending change of its email address (confirmed later, it would hand the account
/// back to whoever asked) and every linked sign-in provider. A reset is how the owner of an
/// address takes an account back from whoever held its password, and nothing tells their
/// links from that person's (fresh testers: a squatter who linked GitHub before, or after,
/// the owner verified the address kept signing in through it). The owner links them again
/// from the dashboard with the new password; the notice mail says so.
///
/// Errors: the database's.
async fn shut_out_others(
    tx: &mut Transaction<'static, Any>,
    account_id: &str,
) -> Result<(), AppError> {
    super::email_change::cancel_pending(tx, account_id).await?;
    sqlx::query("DELETE FROM sign_in_identities WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The agent API keys of `account_id` (the reset link's account) are revoked before its new
/// password is set (before, not after, the reset commits, so a crash in between leaves no
/// key of whoever held the password working): as with the sign-in providers, nothing tells
/// the owner's keys from a squatter's. The owner issues new ones from the dashboard; the
/// notice mail says so.
///
/// Errors: the database's; the withdrawal ledger's.
async fn revoke_keys_before_reset(state: &AppState, account_id: &str) -> Result<(), AppError> {
    let revoked = crate::identity::api_keys::revoke_all_of_owner(state, account_id).await?;
    tracing::info!(account_id = %account_id, revoked, "agent keys revoked by a password reset");
    Ok(())
}

/// Sets `new_password` on the account of reset link `token`, ends all its sessions,
/// verifies its address and mails it a notice; returns the account id.
///
/// Errors: 422 `new_password` when too short or long; 404 for an unknown or used link (or
/// a closed account); 410 for an expired one. Nothing changes in any error case.
pub async fn reset(state: &AppState, token: &str, new_password: &str) -> Result<String, AppError> {
    validate::new_password("new_password", new_password)?;
    check_link(state, token).await?;
    // Hashing takes a while: outside the write transaction, which then checks the link again.
    let new_hash = state.passwords.hash(new_password).await?;
    let account: Option<String> =
        sqlx::query_scalar("SELECT account_id FROM password_resets WHERE token_hash = $1")
            .bind(hash_secret(token))
            .fetch_optional(state.db.pool())
            .await?;
    if let Some(account_id) = &account {
        revoke_keys_before_reset(state, account_id).await?;
        super::password_change::record_replaced(state, account_id)?;
    }
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query(
        "SELECT r.account_id, r.expires_at, a.status, a.email, a.display_name, a.email_verified_at \
         FROM password_resets r JOIN accounts a ON a.id = r.account_id WHERE r.token_hash = $1",
    )
    .bind(hash_secret(token))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound("unused password reset link"))?;
    if row.try_get::<i64, _>("expires_at")? < now {
        return Err(expired());
    }
    if row
        .try_get::<String, _>("status")?
        .parse::<AccountStatus>()?
        != AccountStatus::Active
    {
        return Err(AppError::NotFound("active account"));
    }
    let id: String = row.try_get("account_id")?;
    let address: String = row.try_get("email")?;
    let display_name: String = row.try_get("display_name")?;
    sqlx::query("UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(&new_hash)
        .bind(now)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM password_resets WHERE account_id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let ended = sessions::end_others(&mut tx, &id, "").await?;
    shut_out_others(&mut tx, &id).await?;
    let addressee = verification::Addressee {
        id: &id,
        email: &address,
        display_name: &display_name,
    };
    verification::mark_verified_in(&mut tx, state, &addressee, now).await?;
    let body = DoneMail {
        display_name: &display_name,
        public_url: &state.settings.public_url,
    }
    .render()
    .map_err(|e| AppError::Internal(e.into()))?;
    queue(
        &mut tx,
        "password_reset_done",
        &id,
        &address,
        "Your heepr password was set",
        body,
        now,
    )
    .await?;
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    tracing::info!(account_id = %id, ended, "password set from a reset link");
    Ok(id)
}
