//! How a person changes their own email address (GDPR Art. 16, rectification by the
//! subject): asked with the password, confirmed from the new address, announced at the old.
//!
//! 1. [`ask`]: the signed-in person gives the new address and their password (checked
//!    through the login throttle). A confirmation link goes to the new address, valid for
//!    [`EMAIL_CHANGE_LINK_MS`]; a notice goes to the current address, so a stolen session
//!    cannot move the account away unseen. The answer is the same whether or not another
//!    account already uses the new address (no enumeration): that address is told instead
//!    that it already has an account, and no link is sent.
//! 2. [`confirm`]: the link (its token stored only as a hash, single use) moves the account
//!    to the new address, with its matching key, in one transaction with the audit entry
//!    (`account.rectify`, field `email`, never the values) and a notice to the old address.
//!
//! Pending changes live in `email_changes` (one per account, swept 2 days after they were
//! asked: policy `retention.toml` rule `email_changes`).

use heepr_compliance::former_identifiers::{self, Identifier};
use std::net::IpAddr;

use askama::Template;
use heepr_compliance::audit::{self, AuditAction, AuditActor, AuditEntry, AuditOutcome};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use super::{AccountStatus, password_check, validate, verification};
use crate::identity::sessions::SessionUser;
use crate::platform::error::AppError;
use crate::platform::mail::{self, Email};
use crate::platform::state::AppState;
use crate::platform::time::{human, rfc3339};
use crate::platform::tokens::{hash_secret, new_secret};

/// How long the confirmation link works (ms): 24 hours.
pub const EMAIL_CHANGE_LINK_MS: i64 = 24 * 3_600_000;

/// Body of `POST /api/v1/me/email`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailChangeRequest {
    /// The address to change to (validated as at sign-up).
    pub new_email: String,
    /// The account's current password.
    pub password: String,
}

/// The answer to [`ask`]: where the confirmation link went and until when it works.
#[derive(Debug, Clone, Serialize)]
pub struct PendingChange {
    /// The address the link was sent to (as normalised).
    pub pending_email: String,
    /// When the link stops working (RFC 3339).
    pub expires_at: String,
}

#[derive(Template)]
#[template(path = "email/email_change.txt")]
struct ChangeMail<'a> {
    display_name: &'a str,
    kind: MailKind,
    new_email: &'a str,
    link: &'a str,
    expires: &'a str,
}

/// Which of the four emails of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MailKind {
    /// To the new address: the confirmation link.
    Confirm,
    /// To the new address, when another account already uses it: no link.
    Taken,
    /// To the current address, when a change is asked.
    Asked,
    /// To the old address, once the change is made.
    Done,
}

impl MailKind {
    /// The email's template name (`email_log.template`).
    fn template(self) -> &'static str {
        match self {
            MailKind::Confirm => "email_change_confirm",
            MailKind::Taken => "email_change_taken",
            MailKind::Asked => "email_change_asked",
            MailKind::Done => "email_changed",
        }
    }
}

/// Most change emails (a link, or "this address has an account") one account may have sent
/// to new addresses in [`ASK_WINDOW_MS`].
pub const MAX_ASKS: i64 = 5;
/// The window [`MAX_ASKS`] counts in (ms): 24 hours.
pub const ASK_WINDOW_MS: i64 = 24 * 3_600_000;
/// Least time between two asks of one account (ms): one minute.
pub const ASK_GAP_MS: i64 = 60_000;

/// Most change emails (a link, or "this address has an account") one address receives in
/// [`ASK_WINDOW_MS`], whichever accounts asked: beyond it the address gets nothing more
/// (fresh tester: ten throwaway accounts each mailed one inbox, and could go on from more).
pub const MAX_PER_RECIPIENT: i64 = 3;

/// Whether `address` already received [`MAX_PER_RECIPIENT`] change emails in the window.
///
/// Errors: the database's.
async fn recipient_flooded(state: &AppState, address: &str, now: i64) -> Result<bool, AppError> {
    let since = now - ASK_WINDOW_MS;
    // One statement over the outbox and the log, so a mail delivered meanwhile counts once.
    let sent: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM email_outbox WHERE recipient = $1 AND template IN ($2, $3) AND created_at >= $4) \
         + (SELECT COUNT(*) FROM email_log WHERE recipient = $1 AND template IN ($2, $3) AND queued_at >= $4)",
    )
    .bind(address)
    .bind(MailKind::Confirm.template())
    .bind(MailKind::Taken.template())
    .bind(since)
    .fetch_one(state.db.pool())
    .await?;
    Ok(sent >= MAX_PER_RECIPIENT)
}

/// 429 when `account_id` asked within [`ASK_GAP_MS`], or [`MAX_ASKS`] times in
/// [`ASK_WINDOW_MS`]: each ask mails an address the person typed, so without a limit the
/// form would flood any inbox. Counts the asks by the notices queued or sent to the
/// account's own address.
///
/// Errors: that 429 with `Retry-After`; the database's.
async fn refuse_flood(state: &AppState, account_id: &str, now: i64) -> Result<(), AppError> {
    let since = now - ASK_WINDOW_MS;
    let mut times = Vec::new();
    // Every ask mails the account's own address once (the notice), whether or not the new
    // address got its email (see [`MAX_PER_RECIPIENT`]): those notices count the asks.
    for kind in [MailKind::Asked] {
        let pool = state.db.pool();
        times.extend(mail::queued_times(pool, account_id, kind.template(), since).await?);
    }
    let (Some(first), Some(last)) = (times.iter().min(), times.iter().max()) else {
        return Ok(());
    };
    let wait_ms = if i64::try_from(times.len()).unwrap_or(i64::MAX) >= MAX_ASKS {
        first.saturating_add(ASK_WINDOW_MS).saturating_sub(now)
    } else {
        last.saturating_add(ASK_GAP_MS).saturating_sub(now)
    };
    if wait_ms > 0 {
        return Err(AppError::TooManyRequests {
            retry_after_secs: u64::try_from(wait_ms.saturating_add(999) / 1000).unwrap_or(1),
        });
    }
    Ok(())
}

/// Starts a change of `user`'s email to `request.new_email`; see the module doc.
///
/// Errors: 422 `new_email` for an address sign-up would refuse or the current one; 422
/// `password` for a wrong password (or an account with none: set one first); 429 after
/// too many password attempts, or asks ([`refuse_flood`]); the database's.
pub async fn ask(
    state: &AppState,
    user: &SessionUser,
    request: &EmailChangeRequest,
    client_ip: IpAddr,
) -> Result<PendingChange, AppError> {
    let new = validate::email_address(&request.new_email).map_err(|e| match e {
        AppError::Invalid { message, .. } => AppError::Invalid {
            field: "new_email",
            message,
        },
        other => other,
    })?;
    if new.key == validate::email_key(&user.email) {
        return Err(AppError::invalid(
            "new_email",
            "that is already your account's email address",
        ));
    }
    let matches = password_check::password_matches(
        state,
        &user.account_id,
        &user.email,
        "password",
        &request.password,
        client_ip,
    )
    .await?;
    if !matches {
        return Err(AppError::invalid(
            "password",
            "your password is not correct (an account made with a sign-in provider sets a password first)",
        ));
    }
    let now = state.clock.now_ms();
    refuse_flood(state, &user.account_id, now).await?;
    let flooded = recipient_flooded(state, &new.address, now).await?;
    let expires_at = now.saturating_add(EMAIL_CHANGE_LINK_MS);
    let token = new_secret();
    let mut tx = state.db.begin_write().await?;
    let taken = address_taken(&mut tx, &new.address, &new.key, &user.account_id).await?;
    sqlx::query("DELETE FROM email_changes WHERE account_id = $1")
        .bind(&user.account_id)
        .execute(&mut *tx)
        .await?;
    if !taken {
        sqlx::query(
            "INSERT INTO email_changes (account_id, new_email, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&user.account_id)
        .bind(&new.address)
        .bind(hash_secret(&token))
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
    }
    let link = format!(
        "{}/account/email/confirm/{token}",
        state.settings.public_url
    );
    let expires = human(expires_at);
    let to_new = if taken {
        MailKind::Taken
    } else {
        MailKind::Confirm
    };
    let ctx = MailContext {
        account_id: &user.account_id,
        display_name: &user.display_name,
        new_email: &new.address,
        link: &link,
        expires: &expires,
        now,
    };
    // Silently: the asker learns nothing about the address, and it gets no more mail today.
    if !flooded {
        ctx.queue(&mut tx, to_new, &new.address).await?;
    }
    ctx.queue(&mut tx, MailKind::Asked, &user.email).await?;
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    Ok(PendingChange {
        pending_email: new.address,
        expires_at: rfc3339(expires_at),
    })
}

/// Whether an account other than `account_id` uses `address` or a look-alike of it.
async fn address_taken(
    tx: &mut Transaction<'static, Any>,
    address: &str,
    key: &str,
    account_id: &str,
) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM accounts WHERE (email = $1 OR email_normalized = $2) AND id <> $3",
    )
    .bind(address)
    .bind(key)
    .bind(account_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n > 0)
}

/// The pending change a link's `token` confirms, for the confirmation page: the new
/// address.
///
/// Errors: 404 for an unknown or used link; 410 for an expired one.
pub async fn pending(state: &AppState, token: &str) -> Result<String, AppError> {
    let (_, new_email, expires_at) = find(state, token).await?;
    if state.clock.now_ms() > expires_at {
        return Err(expired());
    }
    Ok(new_email)
}

async fn find(state: &AppState, token: &str) -> Result<(String, String, i64), AppError> {
    let row = sqlx::query(
        "SELECT account_id, new_email, expires_at FROM email_changes WHERE token_hash = $1",
    )
    .bind(hash_secret(token))
    .fetch_optional(state.db.pool())
    .await?
    .ok_or(AppError::NotFound("unused email confirmation link"))?;
    Ok((
        row.try_get("account_id")?,
        row.try_get("new_email")?,
        row.try_get("expires_at")?,
    ))
}

fn expired() -> AppError {
    AppError::Gone(
        "this confirmation link has expired: change your email again from your account".into(),
    )
}

/// Makes the change a link's `token` confirms; returns the account id.
///
/// Errors: 404 for an unknown or used link, or an account no longer active; 410 for an
/// expired link; 409 `email_taken` when another account took the address meanwhile.
pub async fn confirm(state: &AppState, token: &str) -> Result<String, AppError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query(
        "SELECT c.account_id, c.new_email, c.expires_at, a.email, a.email_normalized, a.display_name, a.status, \
         a.email_verified_at FROM email_changes c JOIN accounts a ON a.id = c.account_id WHERE c.token_hash = $1",
    )
    .bind(hash_secret(token))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound("unused email confirmation link"))?;
    let account_id: String = row.try_get("account_id")?;
    let new_email: String = row.try_get("new_email")?;
    let old_email: String = row.try_get("email")?;
    let display_name: String = row.try_get("display_name")?;
    let status: String = row.try_get("status")?;
    if row.try_get::<i64, _>("expires_at")? < now {
        return Err(expired());
    }
    if status.parse::<AccountStatus>()? != AccountStatus::Active {
        return Err(AppError::NotFound("active account"));
    }
    let key = validate::email_key(&new_email);
    if address_taken(&mut tx, &new_email, &key, &account_id).await? {
        return Err(AppError::Conflict {
            code: "email_taken",
            message: "another account uses that email address now".into(),
        });
    }
    // The address left behind earned this account its bonus: it earns no second one when
    // signed up with again (changing the address before deleting would dodge the hash).
    let old_key: Option<String> = row.try_get("email_normalized")?;
    if let Some(old_key) = old_key.filter(|_| {
        row.try_get::<Option<i64>, _>("email_verified_at")
            .ok()
            .flatten()
            .is_some()
    }) {
        super::closed_addresses::record(&mut *tx, state, &old_key, now).await?;
    }
    // Erasure must still find the person under the address they leave.
    former_identifiers::remember(&mut tx, &account_id, Identifier::Email, now).await?;
    // The matching key moves with the address, or login would find the old one.
    sqlx::query(
        "UPDATE accounts SET email = $1, email_normalized = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(&new_email)
    .bind(&key)
    .bind(now)
    .bind(&account_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM email_changes WHERE account_id = $1")
        .bind(&account_id)
        .execute(&mut *tx)
        .await?;
    // The link just followed came to the new address, so it verifies it (and credits the
    // sign-up bonus of an account not verified yet); a verification link sent to the old
    // address must not verify the new one.
    sqlx::query("DELETE FROM email_verifications WHERE account_id = $1")
        .bind(&account_id)
        .execute(&mut *tx)
        .await?;
    // Nor may a password-reset link sent to the old address still set the password (fresh
    // tester: whoever kept the old mailbox took the account back within the link's hour).
    sqlx::query("DELETE FROM password_resets WHERE account_id = $1")
        .bind(&account_id)
        .execute(&mut *tx)
        .await?;
    let addressee = verification::Addressee {
        id: &account_id,
        email: &new_email,
        display_name: &display_name,
    };
    verification::mark_verified_in(&mut tx, state, &addressee, now).await?;
    let entry = AuditEntry {
        actor: &AuditActor::subject(&account_id),
        action: AuditAction::AccountRectify,
        subject_account_id: Some(&account_id),
        request_id: None,
        outcome: AuditOutcome::Ok,
        details: json!({"field": "email"}),
    };
    audit::append(&mut tx, &entry, now).await?;
    let ctx = MailContext {
        account_id: &account_id,
        display_name: &display_name,
        new_email: &new_email,
        link: "",
        expires: "",
        now,
    };
    ctx.queue(&mut tx, MailKind::Done, &old_email).await?;
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    Ok(account_id)
}

/// Inside `tx`: drops `account_id`'s pending change, so its link changes nothing (a new
/// password was set: whoever asked for the change may not be the owner).
///
/// Errors: the database's.
pub async fn cancel_pending(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    account_id: &str,
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM email_changes WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What every email of one change says.
struct MailContext<'a> {
    account_id: &'a str,
    display_name: &'a str,
    new_email: &'a str,
    link: &'a str,
    expires: &'a str,
    now: i64,
}

impl MailContext<'_> {
    /// Queues the `kind` email to `to` inside `tx`.
    async fn queue(
        &self,
        tx: &mut Transaction<'static, Any>,
        kind: MailKind,
        to: &str,
    ) -> Result<(), AppError> {
        let body = ChangeMail {
            display_name: self.display_name,
            kind,
            new_email: self.new_email,
            link: self.link,
            expires: self.expires,
        }
        .render()
        .map_err(|e| AppError::Internal(e.into()))?;
        let template = kind.template();
        let subject = match kind {
            MailKind::Confirm => "Confirm your new email address",
            MailKind::Taken => "This address already has a heepr account",
            MailKind::Asked => "A change of your email address was asked",
            MailKind::Done => "Your heepr email address was changed",
        };
        let email = Email {
            template,
            to: to.to_owned(),
            account_id: Some(self.account_id.to_owned()),
            subject: subject.to_owned(),
            body,
        };
        mail::enqueue(tx, &email, self.now).await?;
        Ok(())
    }
}

/// The change `account_id` has asked for and not confirmed yet, if its link still works:
/// the new address and when the link stops working (Unix ms).
///
/// Errors: the database's.
pub async fn pending_for(
    state: &AppState,
    account_id: &str,
) -> Result<Option<(String, i64)>, AppError> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT new_email, expires_at FROM email_changes WHERE account_id = $1 AND expires_at >= $2",
    )
    .bind(account_id)
    .bind(state.clock.now_ms())
    .fetch_optional(state.db.pool())
    .await?;
    Ok(row)
}
