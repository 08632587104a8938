//! One emailed message turned into a data-subject request, in one write transaction with
//! its intake row: committed together or not at all, so a crash before the commit leaves
//! the message unseen (read again next pass) and a crash after it finds the row (the
//! message is only marked seen).

use heepr_compliance::audit::{AuditAction, AuditActor, AuditOutcome};
use heepr_compliance::dsr::RequestKind;
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use super::classify::classify;
use crate::identity::accounts::{lookup, validate};
use crate::platform::error::AppError;
use crate::platform::mail::{self, Email};
use crate::platform::state::AppState;
use crate::platform::tokens::new_id;
use crate::privacy::requests::audit;
use crate::privacy::requests::intake::{Channel, NewRequest, record};

/// Largest part of a message kept as evidence (bytes): the text and headers of any real
/// request fit; attachments past it are cut, and the cut is marked.
pub const MAX_EVIDENCE_BYTES: usize = 512 * 1024;
/// Longest part of the message's text copied into the request's details (chars).
const MAX_DETAILS_CHARS: usize = 2_000;

heepr_compliance::stored_state! {
    /// What intake did with a message (`mail_intake.outcome`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
    pub enum IntakeOutcome: "intake outcome" {
        /// A request was recorded; the account's address got the confirmation link.
        RequestCreated = "request_created",
        /// The sender's address is no account's: they were told, and nothing else was done.
        RejectedUnknownSender = "rejected_unknown_sender",
        /// The text names no right or several: staff decide (the 30-day clock runs from
        /// arrival).
        NeedsClassification = "needs_classification",
        /// No usable sender address: staff look at it.
        Unreadable = "unreadable",
        /// Recorded by an earlier pass (a crash came between the commit and marking it seen).
        AlreadyRecorded = "already_recorded",
        /// A copy of a message already recorded (same Message-ID and sender): no second
        /// request, no second email.
        DuplicateMessage = "duplicate_message",
        /// Sent by a machine (an auto-reply, a bounce, a list): never a request, never
        /// answered (RFC 3834).
        IgnoredAutomatic = "ignored_automatic",
    }
}

/// A message as fetched from the intake mailbox.
#[derive(Debug, Clone, Copy)]
pub struct Fetched<'a> {
    /// [`super::IntakeMailbox::key`].
    pub mailbox: &'a str,
    /// The mailbox's UIDVALIDITY.
    pub uid_validity: u32,
    /// The message's UID.
    pub uid: u32,
    /// When the server received it (Unix ms).
    pub arrived_at_ms: i64,
    /// The message (RFC 5322 bytes).
    pub raw: &'a [u8],
}

/// What a parsed message says.
struct Parsed {
    from: Option<String>,
    message_id: Option<String>,
    subject: String,
    text: String,
    automatic: bool,
}

fn parse(raw: &[u8]) -> Parsed {
    let Some(msg) = MessageParser::default().parse(raw) else {
        return Parsed {
            from: None,
            message_id: None,
            subject: String::new(),
            text: String::new(),
            automatic: false,
        };
    };
    let from = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .filter(|a| a.contains('@'));
    // RFC 3834: never answer an automatic message (bounces, vacation replies), or two
    // robots answer each other forever.
    let auto_submitted = msg
        .header_raw("Auto-Submitted")
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"));
    let bulk = msg.header_raw("Precedence").is_some_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "bulk" | "list" | "junk"
        )
    });
    // Bounces (delivery status reports, the mailer daemon) carry no Auto-Submitted header.
    let bounce = msg.root_part().content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    }) || from.as_deref().is_some_and(|f| {
        let local = f.split('@').next().unwrap_or("");
        local.eq_ignore_ascii_case("mailer-daemon") || local.eq_ignore_ascii_case("postmaster")
    });
    Parsed {
        message_id: msg
            .message_id()
            .map(|id| id.trim().to_string())
            .filter(|id| !id.is_empty()),
        from,
        subject: msg.subject().unwrap_or("").to_string(),
        text: msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        automatic: auto_submitted || bulk || bounce,
    }
}

fn evidence(raw: &[u8]) -> String {
    if raw.len() <= MAX_EVIDENCE_BYTES {
        return String::from_utf8_lossy(raw).into_owned();
    }
    let mut kept = String::from_utf8_lossy(&raw[..MAX_EVIDENCE_BYTES]).into_owned();
    kept.push_str(&format!(
        "\n[heepr: the message was {} bytes; the rest was not kept]\n",
        raw.len()
    ));
    kept
}

fn details(subject: &str, text: &str) -> String {
    let text: String = text.trim().chars().take(MAX_DETAILS_CHARS).collect();
    format!("By email: {}\n\n{text}", subject.trim())
}

/// Records `msg`: a request for the account whose address sent it, a reply to an unknown
/// sender, or a row for staff to classify; returns what was done.
///
/// Errors: the database's (nothing is committed; the message stays unseen).
pub async fn record_message(
    state: &AppState,
    msg: &Fetched<'_>,
) -> Result<IntakeOutcome, AppError> {
    let now = state.clock.now_ms();
    let parsed = parse(msg.raw);
    let mut tx = state.db.begin_write().await?;
    let seen: Option<String> = sqlx::query_scalar(
        "SELECT id FROM mail_intake WHERE mailbox = $1 AND uid_validity = $2 AND uid = $3",
    )
    .bind(msg.mailbox)
    .bind(i64::from(msg.uid_validity))
    .bind(i64::from(msg.uid))
    .fetch_optional(&mut *tx)
    .await?;
    if seen.is_some() {
        return Ok(IntakeOutcome::AlreadyRecorded);
    }
    let copy_of =
        match (&parsed.message_id, &parsed.from) {
            (Some(id), Some(from)) => sqlx::query_scalar::<_, String>(
                "SELECT id FROM mail_intake WHERE message_id = $1 AND from_address = $2 LIMIT 1",
            )
            .bind(id)
            .bind(from)
            .fetch_optional(&mut *tx)
            .await?,
            _ => None,
        };
    let account_id = match &parsed.from {
        Some(from) => account_with_email(&mut tx, from).await?,
        None => None,
    };
    let kind = classify(&parsed.subject, &parsed.text);
    let (outcome, request_id) = match (&parsed.from, &account_id, kind) {
        _ if copy_of.is_some() => (IntakeOutcome::DuplicateMessage, None),
        _ if parsed.automatic => (IntakeOutcome::IgnoredAutomatic, None),
        (None, _, _) => (IntakeOutcome::Unreadable, None),
        (Some(from), None, _) => {
            if !parsed.automatic
                && !from.eq_ignore_ascii_case(state.settings.mail_from.email.as_ref())
            {
                queue_unknown_sender_reply(&mut tx, state, from, now).await?;
            }
            (IntakeOutcome::RejectedUnknownSender, None)
        }
        (Some(_), Some(_), None) => (IntakeOutcome::NeedsClassification, None),
        (Some(_), Some(account), Some(kind)) => {
            let text = details(&parsed.subject, &parsed.text);
            let new = NewRequest {
                account_id: account,
                kind,
                channel: Channel::Staff,
                details: Some(&text),
                actor: &AuditActor::MAIL_INTAKE,
                verified: None,
                run_job_now: false,
            };
            let recorded = record(&mut tx, state, &new, msg.arrived_at_ms).await?;
            (IntakeOutcome::RequestCreated, Some(recorded.id))
        }
    };
    insert_row(
        &mut tx,
        msg,
        &parsed,
        outcome,
        kind,
        account_id.as_deref(),
        request_id.as_deref(),
        now,
    )
    .await?;
    // No address or name in the audit details: the row holds them, under its own rules.
    let audited = match outcome {
        IntakeOutcome::RejectedUnknownSender
        | IntakeOutcome::Unreadable
        | IntakeOutcome::DuplicateMessage
        | IntakeOutcome::IgnoredAutomatic => AuditOutcome::Refused,
        _ => AuditOutcome::Ok,
    };
    audit(
        &mut tx,
        &AuditActor::MAIL_INTAKE,
        AuditAction::DsrIntake,
        account_id.as_deref(),
        request_id.as_deref(),
        audited,
        json!({"intake": outcome.as_str(), "kind": kind, "arrived_at_ms": msg.arrived_at_ms}),
        now,
    )
    .await?;
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    Ok(outcome)
}

async fn account_with_email(
    tx: &mut Transaction<'static, Any>,
    email: &str,
) -> Result<Option<String>, AppError> {
    let row = lookup::active_by_email_key(&mut **tx, &validate::email_key(email)).await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

#[allow(clippy::too_many_arguments, reason = "one row's columns")]
async fn insert_row(
    tx: &mut Transaction<'static, Any>,
    msg: &Fetched<'_>,
    parsed: &Parsed,
    outcome: IntakeOutcome,
    kind: Option<RequestKind>,
    account_id: Option<&str>,
    request_id: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO mail_intake (id, mailbox, uid_validity, uid, from_address, subject, raw_message, \
         arrived_at, outcome, kind, account_id, request_id, processed_at, message_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(new_id())
    .bind(msg.mailbox)
    .bind(i64::from(msg.uid_validity))
    .bind(i64::from(msg.uid))
    .bind(parsed.from.as_deref().unwrap_or(""))
    .bind((!parsed.subject.is_empty()).then_some(parsed.subject.as_str()))
    .bind(evidence(msg.raw))
    .bind(msg.arrived_at_ms)
    .bind(outcome.as_str())
    .bind(kind.map(RequestKind::as_str))
    .bind(account_id)
    .bind(request_id)
    .bind(now)
    .bind(parsed.message_id.as_deref())
    .execute(&mut **tx)
    .await?;
    advance_cursor(tx, msg, now).await
}

async fn queue_unknown_sender_reply(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    to: &str,
    now: i64,
) -> Result<(), AppError> {
    let body = format!(
        "Hello,\n\nWe received your privacy request at heepr, but no heepr account uses the address \
         you wrote from ({to}), so we could not act on it.\n\nTo protect every account, we only act on \
         requests sent from the address on the account. Please write again from that address, or \
         sign in and use Your data on your dashboard: {}/dashboard\n\nheepr privacy team\n",
        state.settings.public_url
    );
    let mail = Email {
        template: "dsr_intake_unknown_sender",
        to: to.to_string(),
        account_id: None,
        subject: "We could not match your privacy request to an account".to_string(),
        body,
    };
    mail::enqueue(tx, &mail, now).await?;
    Ok(())
}

/// The highest UID recorded for `mailbox` under `uid_validity` (0 when none): intake reads
/// the mailbox from the next one, whatever the messages' \\Seen flags say.
///
/// Errors: the database's.
pub async fn last_recorded_uid(
    state: &AppState,
    mailbox: &str,
    uid_validity: u32,
) -> Result<u32, AppError> {
    // The cursor, not the records: erasure and retention delete records, and reading from
    // their highest UID would record an erased person's message again. The records' own
    // highest UID still counts for a cursor older than them (a database restored from a
    // backup taken between two writes).
    let cursor: Option<i64> = sqlx::query_scalar(
        "SELECT last_uid FROM mail_intake_cursor WHERE mailbox = $1 AND uid_validity = $2",
    )
    .bind(mailbox)
    .bind(i64::from(uid_validity))
    .fetch_optional(state.db.pool())
    .await?;
    let recorded: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(uid) FROM mail_intake WHERE mailbox = $1 AND uid_validity = $2",
    )
    .bind(mailbox)
    .bind(i64::from(uid_validity))
    .fetch_one(state.db.pool())
    .await?;
    let uid = cursor.max(recorded);
    Ok(uid.and_then(|u| u32::try_from(u).ok()).unwrap_or(0))
}

/// Moves `mailbox`'s cursor forward to `uid` (never back), in the transaction that records
/// the message.
async fn advance_cursor(
    tx: &mut Transaction<'static, Any>,
    msg: &Fetched<'_>,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO mail_intake_cursor (mailbox, uid_validity, last_uid, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (mailbox, uid_validity) \
         DO UPDATE SET last_uid = excluded.last_uid, updated_at = excluded.updated_at \
         WHERE mail_intake_cursor.last_uid < excluded.last_uid",
    )
    .bind(msg.mailbox)
    .bind(i64::from(msg.uid_validity))
    .bind(i64::from(msg.uid))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
