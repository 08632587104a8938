//! Rectification (GDPR Art. 16) by the privacy desk: a field of an account corrected at the
//! person's request, in one write transaction with its audit entry (the field's name, never
//! its old or new value) and the notice emailed to the person; a named rectification
//! request is completed once the change is committed.
//!
//! It runs under the subject's lock, so a correction never lands in the middle of that
//! person's export or erasure.

use heepr_compliance::audit::{AuditAction, AuditActor, AuditOutcome};
use heepr_compliance::dsr::{RequestKind, RequestStatus};
use heepr_compliance::former_identifiers::{self, Identifier};
use heepr_compliance::subject::lock as subject_lock;
use serde_json::json;
use sqlx::Row;

use crate::identity::accounts::{AccountStatus, validate};
use crate::platform::error::AppError;
use crate::platform::mail::{self, Email};
use crate::platform::state::AppState;
use crate::privacy::requests::audit;
use crate::privacy::requests::transitions::{check_completable, transition};

/// A field staff may rectify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `accounts.display_name`, validated as at sign-up.
    DisplayName,
    /// `accounts.email`, validated and unique as at sign-up.
    Email,
}

impl Field {
    /// The wire name (`display_name`).
    pub fn as_str(self) -> &'static str {
        match self {
            Field::DisplayName => "display_name",
            Field::Email => "email",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Field::DisplayName => "display name",
            Field::Email => "email address",
        }
    }

    /// The field named `name`.
    ///
    /// Errors: 422 `field` for any other name.
    pub fn parse(name: &str) -> Result<Field, AppError> {
        match name {
            "display_name" => Ok(Field::DisplayName),
            "email" => Ok(Field::Email),
            _ => Err(AppError::invalid(
                "field",
                "staff can rectify display_name or email",
            )),
        }
    }
}

/// What staff asked to correct.
#[derive(Debug, Clone, Copy)]
pub struct Correction<'a> {
    /// The data subject.
    pub account_id: &'a str,
    /// Which field.
    pub field: Field,
    /// Its correct value.
    pub value: &'a str,
    /// Why (kept in the request's record, not in the audit trail).
    pub reason: &'a str,
    /// The rectification request this answers, completed with the change.
    pub request_id: Option<&'a str>,
}

/// Applies `c` as `actor`; returns the id of the request completed, if any.
///
/// Errors: 404 for an unknown or closed account, or an unknown request; 422 `value` for a
/// value sign-up would refuse (or the current one), `reason` when empty, `request_id` for
/// another subject's request or kind; 409 `email_taken`, `transition_not_allowed` (the
/// request cannot be completed now), `subject_busy` (an export or erasure of the person is
/// running). Nothing changes in any error case.
pub async fn rectify(
    state: &AppState,
    c: &Correction<'_>,
    actor: &AuditActor,
) -> Result<Option<String>, AppError> {
    let value = match c.field {
        Field::DisplayName => validate::display_name(c.value),
        Field::Email => validate::email(c.value),
    }
    .map_err(|e| AppError::invalid("value", e.to_string()))?;
    if c.reason.trim().is_empty() {
        return Err(AppError::invalid(
            "reason",
            "say why the value is corrected",
        ));
    }
    if let Some(rid) = c.request_id {
        check_completable(state, rid, c.account_id, RequestKind::Rectification).await?;
    }
    let now = state.clock.now_ms();
    let holder = format!("rectify:{}", crate::platform::tokens::new_id());
    let Some(lock) = subject_lock::take(&state.db, c.account_id, &holder, now).await? else {
        return Err(AppError::Conflict {
            code: "subject_busy",
            message: "an export or erasure of this person is running: try again in a minute".into(),
        });
    };
    let applied = apply(state, c, &value, actor, now).await;
    if let Err(err) = lock.release().await {
        tracing::warn!("subject lock release failed: {err}");
    }
    applied?;
    state.mail_wakeup.notify_one();
    match c.request_id {
        Some(rid) => {
            transition(state, rid, RequestStatus::Completed, None, actor).await?;
            Ok(Some(rid.to_owned()))
        }
        None => Ok(None),
    }
}

async fn apply(
    state: &AppState,
    c: &Correction<'_>,
    value: &str,
    actor: &AuditActor,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query("SELECT email, display_name, status FROM accounts WHERE id = $1")
        .bind(c.account_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound("account"))?;
    let status: String = row.try_get("status")?;
    if status.parse::<AccountStatus>()? != AccountStatus::Active {
        return Err(AppError::NotFound("active account"));
    }
    let old_email: String = row.try_get("email")?;
    let old_name: String = row.try_get("display_name")?;
    let current = match c.field {
        Field::DisplayName => &old_name,
        Field::Email => &old_email,
    };
    if current == value {
        return Err(AppError::invalid(
            "value",
            format!("that is already the account's {}", c.field.label()),
        ));
    }
    if c.field == Field::Email {
        // Checked first: PostgreSQL aborts the transaction on a unique violation.
        // On the matching key too: a look-alike of another account's address is taken.
        let taken: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts WHERE (email = $1 OR email_normalized = $2) AND id <> $3",
        )
        .bind(value)
        .bind(validate::email_key(value))
        .bind(c.account_id)
        .fetch_one(&mut *tx)
        .await?;
        if taken > 0 {
            return Err(AppError::Conflict {
                code: "email_taken",
                message: "another account uses that email address".into(),
            });
        }
    }
    // Erasure must still find the person under the value rectified away.
    let kind = match c.field {
        Field::DisplayName => Identifier::DisplayName,
        Field::Email => Identifier::Email,
    };
    former_identifiers::remember(&mut tx, c.account_id, kind, now).await?;
    let sql = match c.field {
        Field::DisplayName => {
            "UPDATE accounts SET display_name = $1, updated_at = $2 WHERE id = $3"
        }
        // The matching key moves with the address, or login would find the old one.
        Field::Email => {
            "UPDATE accounts SET email = $1, email_normalized = $4, updated_at = $2 WHERE id = $3"
        }
    };
    let query = sqlx::query(sql).bind(value).bind(now).bind(c.account_id);
    let query = match c.field {
        Field::DisplayName => query,
        Field::Email => query.bind(validate::email_key(value)),
    };
    query.execute(&mut *tx).await?;
    if c.field == Field::Email {
        // A verification or password-reset link sent to the old address must not act on
        // the account any more.
        for sql in [
            "DELETE FROM email_verifications WHERE account_id = $1",
            "DELETE FROM password_resets WHERE account_id = $1",
        ] {
            sqlx::query(sql)
                .bind(c.account_id)
                .execute(&mut *tx)
                .await?;
        }
    }
    audit(
        &mut tx,
        actor,
        AuditAction::AccountRectify,
        Some(c.account_id),
        c.request_id,
        AuditOutcome::Ok,
        json!({"field": c.field.as_str()}),
        now,
    )
    .await?;
    let name = match c.field {
        Field::DisplayName => value,
        Field::Email => old_name.as_str(),
    };
    let new_email = (c.field == Field::Email).then_some(value);
    let mut to = vec![new_email.unwrap_or(&old_email)];
    // The old address hears of a change of address too: if the person did not ask for
    // it, that is where they still read their mail.
    if new_email.is_some() {
        to.push(&old_email);
    }
    for address in to {
        let notice = Email {
            template: "rectification_notice",
            to: address.to_owned(),
            account_id: Some(c.account_id.to_owned()),
            subject: format!("Your heepr {} was corrected", c.field.label()),
            body: notice_text(name, c.field, &state.settings.public_url),
        };
        mail::enqueue(&mut tx, &notice, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn notice_text(name: &str, field: Field, public_url: &str) -> String {
    format!(
        "Hello {name},\n\nAt your request, heepr's privacy desk corrected the {} on your \
         account. You can see what we hold on you under Your data: {public_url}/account/privacy\n\n\
         If you did not ask for this, reply to this email or write to privacy@heepr.ai.\n\n\
         heepr privacy team\n",
        field.label()
    )
}
