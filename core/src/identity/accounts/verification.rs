//! Verifying the email address of a new account (issue 13 §4, issue 14 §1): the sign-up
//! bonus is credited, and orders may be placed, only once the person has shown they read
//! the address they signed up with, so a made-up address earns nothing.
//!
//! 1. [`send_in`]: at sign-up, inside the sign-up's transaction, a link goes to the address
//!    (its token stored only as a hash, valid for [`VERIFICATION_LINK_MS`]).
//! 2. [`resend`]: from the dashboard or the API a new link replaces the old one; at most
//!    [`MAX_SENDS`] emails in [`VERIFICATION_LINK_MS`] from the first, one every
//!    [`RESEND_GAP_MS`] (429 with `Retry-After`), so nobody can make us mail an address
//!    without end.
//! 3. [`verify`]: the link (single use) marks the account verified and credits the bonus in
//!    one transaction. The mark is set with `WHERE email_verified_at IS NULL`, so two
//!    clicks at once credit the bonus exactly once.
//!
//! An account made through a sign-in provider that vouches for the address is verified at
//! creation ([`mark_verified_in`]). Accounts from before verification existed were marked
//! verified by their migration.

use askama::Template;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::AccountStatus;
use crate::ledger::{self, ISSUER, Transfer, TransferKind};
use crate::platform::error::AppError;
use crate::platform::mail::{self, Email, templates};
use crate::platform::state::AppState;
use crate::platform::time::{human, rfc3339};
use crate::platform::tokens::{hash_secret, new_secret};

/// How long a verification link works (ms): 48 hours.
pub const VERIFICATION_LINK_MS: i64 = 48 * 3_600_000;
/// Most verification emails per account within [`VERIFICATION_LINK_MS`] of the first.
pub const MAX_SENDS: i64 = 5;
/// Least time between two verification emails to one account (ms): one minute.
pub const RESEND_GAP_MS: i64 = 60_000;

/// Why an unverified account may not order (the API's 403 `email_unverified`).
pub const UNVERIFIED_MESSAGE: &str = "verify your email address first: open the link we sent you, or send a new one from /account/verify";

/// Where a verification link went and until when it works (`POST /api/v1/me/email/verification`).
#[derive(Debug, Clone, Serialize)]
pub struct SentLink {
    /// The address the link was sent to.
    pub sent_to: String,
    /// When the link stops working (RFC 3339).
    pub expires_at: String,
}

#[derive(Template)]
#[template(path = "email/verify_email.txt")]
struct VerifyMail<'a> {
    display_name: &'a str,
    link: &'a str,
    expires: &'a str,
    bonus: i64,
}

/// Inside `tx`: a fresh verification link for `account_id` (a first one, or one in a new
/// window) mailed to `email`; replaces any earlier row. Returns when the link expires.
///
/// Errors: the database's.
pub async fn send_in(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    account: &Addressee<'_>,
) -> Result<i64, AppError> {
    let now = state.clock.now_ms();
    let token = new_secret();
    let expires_at = now.saturating_add(VERIFICATION_LINK_MS);
    sqlx::query("DELETE FROM email_verifications WHERE account_id = $1")
        .bind(account.id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO email_verifications (account_id, token_hash, created_at, expires_at, last_sent_at, sends) \
         VALUES ($1, $2, $3, $4, $3, 1)",
    )
    .bind(account.id)
    .bind(hash_secret(&token))
    .bind(now)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    queue_mail(tx, state, account, &token, expires_at, now).await?;
    Ok(expires_at)
}

/// The account a verification email is for.
#[derive(Debug, Clone, Copy)]
pub struct Addressee<'a> {
    /// Account id.
    pub id: &'a str,
    /// The address to verify.
    pub email: &'a str,
    /// How the email greets them.
    pub display_name: &'a str,
}

async fn queue_mail(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    account: &Addressee<'_>,
    token: &str,
    expires_at: i64,
    now: i64,
) -> Result<(), AppError> {
    let link = format!("{}/account/verify/{token}", state.settings.public_url);
    // An address that earned a bonus before earns none again: the email promises none.
    let bonus = bonus_for(tx, state, account.id, now).await?;
    let body = VerifyMail {
        display_name: account.display_name,
        link: &link,
        expires: &human(expires_at),
        bonus,
    }
    .render()
    .map_err(|e| AppError::Internal(e.into()))?;
    let email = Email {
        template: "verify_email",
        to: account.email.to_owned(),
        account_id: Some(account.id.to_owned()),
        subject: "Verify your email address for heepr".to_owned(),
        body,
    };
    mail::enqueue(tx, &email, now).await?;
    Ok(())
}

/// Sends `account_id` a new verification link, replacing the old one; see the module doc.
///
/// Errors: 409 `already_verified`; 429 with `Retry-After` within [`RESEND_GAP_MS`] of the
/// last email or after [`MAX_SENDS`] in the window; 404 for no active account.
pub async fn resend(state: &AppState, account_id: &str) -> Result<SentLink, AppError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query(
        "SELECT email, display_name, email_verified_at FROM accounts WHERE id = $1 AND status = $2",
    )
    .bind(account_id)
    .bind(AccountStatus::Active.as_str())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound("account"))?;
    if row
        .try_get::<Option<i64>, _>("email_verified_at")?
        .is_some()
    {
        return Err(AppError::Conflict {
            code: "already_verified",
            message: "your email address is already verified".into(),
        });
    }
    let email: String = row.try_get("email")?;
    let display_name: String = row.try_get("display_name")?;
    let account = Addressee {
        id: account_id,
        email: &email,
        display_name: &display_name,
    };
    let window: Option<(i64, i64, i64)> = sqlx::query_as(
        "SELECT created_at, last_sent_at, sends FROM email_verifications WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?;
    let expires_at = match window {
        Some((created, last, sends)) if now < created.saturating_add(VERIFICATION_LINK_MS) => {
            refuse_too_soon(now, created, last, sends)?;
            let token = new_secret();
            let expires_at = now.saturating_add(VERIFICATION_LINK_MS);
            sqlx::query(
                "UPDATE email_verifications SET token_hash = $1, expires_at = $2, last_sent_at = $3, sends = sends + 1 \
                 WHERE account_id = $4",
            )
            .bind(hash_secret(&token))
            .bind(expires_at)
            .bind(now)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
            queue_mail(&mut tx, state, &account, &token, expires_at, now).await?;
            expires_at
        }
        _ => send_in(&mut tx, state, &account).await?,
    };
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    Ok(SentLink {
        sent_to: email,
        expires_at: rfc3339(expires_at),
    })
}

/// 429 when a resend now would break the limits of the window opened at `created`.
fn refuse_too_soon(now: i64, created: i64, last: i64, sends: i64) -> Result<(), AppError> {
    let wait_ms = if sends >= MAX_SENDS {
        created.saturating_add(VERIFICATION_LINK_MS) - now
    } else {
        last.saturating_add(RESEND_GAP_MS) - now
    };
    if wait_ms > 0 {
        let secs = u64::try_from((wait_ms + 999) / 1000).unwrap_or(1);
        return Err(AppError::TooManyRequests {
            retry_after_secs: secs,
        });
    }
    Ok(())
}

/// Verifies the account a link's `token` belongs to, credits its sign-up bonus and queues
/// the welcome email; returns the account id.
///
/// Errors: 404 for an unknown or used link (or an account no longer active); 410 for an
/// expired one.
pub async fn verify(state: &AppState, token: &str) -> Result<String, AppError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query(
        "SELECT v.account_id, v.expires_at, a.status, a.email, a.display_name FROM email_verifications v \
         JOIN accounts a ON a.id = v.account_id WHERE v.token_hash = $1",
    )
    .bind(hash_secret(token))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound("unused verification link"))?;
    let account_id: String = row.try_get("account_id")?;
    if row.try_get::<i64, _>("expires_at")? < now {
        return Err(AppError::Gone(
            "this verification link has expired: send a new one from your dashboard".into(),
        ));
    }
    if row
        .try_get::<String, _>("status")?
        .parse::<AccountStatus>()?
        != AccountStatus::Active
    {
        return Err(AppError::NotFound("active account"));
    }
    sqlx::query("DELETE FROM email_verifications WHERE account_id = $1")
        .bind(&account_id)
        .execute(&mut *tx)
        .await?;
    let email: String = row.try_get("email")?;
    let display_name: String = row.try_get("display_name")?;
    let account = Addressee {
        id: &account_id,
        email: &email,
        display_name: &display_name,
    };
    mark_verified_in(&mut tx, state, &account, now).await?;
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    tracing::info!(account_id = %account_id, "email verified");
    Ok(account_id)
}

/// Inside `tx`: marks `account` verified at `now`, credits the sign-up bonus and queues the
/// welcome email, unless it was verified already (then nothing happens). Returns whether
/// this call verified it.
///
/// Errors: the template's, the database's.
pub async fn mark_verified_in(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    account: &Addressee<'_>,
    now: i64,
) -> Result<bool, AppError> {
    let account_id = account.id;
    let marked = sqlx::query(
        "UPDATE accounts SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL",
    )
    .bind(now)
    .bind(account_id)
    .execute(&mut **tx)
    .await?;
    if marked.rows_affected() != 1 {
        return Ok(false);
    }
    let bonus = bonus_for(tx, state, account_id, now).await?;
    if bonus > 0 {
        let member = ledger::member_ledger_account(account_id);
        let transfer = Transfer {
            kind: TransferKind::SignupBonus,
            reference: account_id,
            from: ISSUER,
            to: &member,
            amount: bonus,
        };
        ledger::transfer(tx, &transfer, now).await?;
    }
    let welcome = templates::welcome(
        account.email,
        account_id,
        account.display_name,
        bonus,
        &state.settings.public_url,
    )?;
    mail::enqueue(tx, &welcome, now).await?;
    Ok(true)
}

/// The sign-up bonus `account_id` gets on verification: the configured one, or 0 when an
/// account with the same address was deleted within the `closed_addresses` period
/// (policy: no second bonus for a re-registration).
///
/// Errors: the database's.
pub async fn bonus_for(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    account_id: &str,
    now: i64,
) -> Result<i64, AppError> {
    if state.settings.signup_bonus <= 0 {
        return Ok(0);
    }
    let key: Option<Option<String>> =
        sqlx::query_scalar("SELECT email_normalized FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(Some(key)) = key else {
        return Ok(state.settings.signup_bonus);
    };
    if super::closed_addresses::closed_recently(&mut *conn, state, &key, now).await? {
        tracing::info!(account_id = %account_id, "no sign-up bonus: the address belonged to an account deleted recently");
        return Ok(0);
    }
    Ok(state.settings.signup_bonus)
}

/// What a verification link's page can offer, read without changing anything (a mail
/// scanner may open it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// It verifies its account when its button is pressed.
    Usable,
    /// It worked for 48 hours and no longer does.
    Expired,
    /// It was used, replaced by a newer one, or never existed.
    Unknown,
}

/// The [`LinkState`] of `token` now.
///
/// Errors: the database's.
pub async fn link_state(state: &AppState, token: &str) -> Result<LinkState, AppError> {
    let expires: Option<i64> =
        sqlx::query_scalar("SELECT expires_at FROM email_verifications WHERE token_hash = $1")
            .bind(hash_secret(token))
            .fetch_optional(state.db.pool())
            .await?;
    Ok(match expires {
        None => LinkState::Unknown,
        Some(at) if at < state.clock.now_ms() => LinkState::Expired,
        Some(_) => LinkState::Usable,
    })
}

/// Whether `account_id`'s email address is verified.
///
/// Errors: the database's (an unknown account counts as not verified).
pub async fn is_verified<'e, E>(executor: E, account_id: &str) -> Result<bool, AppError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let at: Option<Option<i64>> =
        sqlx::query_scalar("SELECT email_verified_at FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(executor)
            .await?;
    Ok(matches!(at, Some(Some(_))))
}

/// Whether `account_id`'s address is still unconfirmed (`None` once verified), and if so
/// when the account is erased should it stay so (Unix ms: sign-up plus the period of the
/// `accounts = "unverified"` retention rule; `None` when no such rule exists), in one read.
///
/// Errors: the database's.
pub async fn unconfirmed(
    state: &AppState,
    account_id: &str,
) -> Result<Option<Option<i64>>, AppError> {
    let row: Option<(Option<i64>, i64)> =
        sqlx::query_as("SELECT email_verified_at, created_at FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(state.db.pool())
            .await?;
    let created_at = match row {
        Some((Some(_), _)) => return Ok(None),
        Some((None, created_at)) => created_at,
        // An unknown account counts as not verified, as in `is_verified`.
        None => return Ok(Some(None)),
    };
    let unverified = Some(heepr_compliance::policy::retention_rules::AccountSet::Unverified);
    Ok(Some(
        state
            .policies
            .retention
            .rules
            .values()
            .filter(|r| r.accounts == unverified)
            .find_map(|r| r.ends_at_ms(created_at)),
    ))
}

/// 403 `email_unverified` unless `account_id`'s email address is verified.
///
/// Errors: that 403; the database's.
pub async fn require_verified<'e, E>(executor: E, account_id: &str) -> Result<(), AppError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    if is_verified(executor, account_id).await? {
        return Ok(());
    }
    Err(AppError::Refused {
        code: "email_unverified",
        message: UNVERIFIED_MESSAGE.into(),
    })
}

/// The verification state shown on the dashboard: `None` when verified, else where the
/// link went and, when one is still valid, until when it works (Unix ms).
///
/// Errors: the database's.
pub async fn pending_for(
    state: &AppState,
    account_id: &str,
) -> Result<Option<Option<i64>>, AppError> {
    if is_verified(state.db.pool(), account_id).await? {
        return Ok(None);
    }
    let until: Option<i64> = sqlx::query_scalar(
        "SELECT expires_at FROM email_verifications WHERE account_id = $1 AND expires_at >= $2",
    )
    .bind(account_id)
    .bind(state.clock.now_ms())
    .fetch_optional(state.db.pool())
    .await?;
    Ok(Some(until))
}
