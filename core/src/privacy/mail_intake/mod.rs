//! Data-subject requests that arrive by email (policy: "email privacy@heepr.ai from the
//! address on your account; we'll respond within 30 days").
//!
//! A pass ([`run_once`]) reads the messages of the intake mailbox after the last one it
//! recorded (a cursor of its own, `mail_intake_cursor`, that erasing or sweeping records
//! never moves back), over IMAP, and records each ([`record_message`]): a request for the
//! account whose address sent it (the confirmation link goes to the account's address,
//! never to a Reply-To), received at the message's arrival time so the 30-day clock starts
//! when the mail came in; a reply to a sender no account uses; or a row staff classify.
//! Only after its row is committed is a message removed from the mailbox (flagged
//! `\Seen \Deleted`, then `UID EXPUNGE`): the recorded copy is the evidence, under the
//! data map's retention and erasure rules, and the mailbox keeps no second one. Its
//! (mailbox, UIDVALIDITY, UID) key makes a repeat a no-op: a crash at any point neither
//! loses nor doubles a message.
//!
//! - [`classify`]: which right the text asks
//!   for; [`record_message`]: one message, one transaction; [`staff_review`]: the recorded
//!   messages for staff, and classifying one intake left to them. The intake URL and password
//!   file: [`crate::platform::intake_mailbox`].
//!
//! Runs every minute in `heepr serve` when `--intake-imap-url` is set, and as
//! `heepr dsr intake` for cron.

pub mod classify;
pub mod record_message;
pub mod staff_review;

use std::fmt::Debug;
use std::sync::Arc;

use async_imap::Client;
use futures_util::TryStreamExt;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

pub use record_message::{Fetched, IntakeOutcome, last_recorded_uid, record_message};

use crate::platform::intake_mailbox::IntakeMailbox;
use crate::platform::state::AppState;

/// How many messages one pass reads at most (the next pass, a minute later, goes on).
pub const MAX_PER_PASS: usize = 100;
/// How long connecting, logging in and each IMAP command may take.
const IO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Why a pass stopped early (the messages not yet recorded stay unseen for the next one).
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The mailbox could not be reached or refused us.
    #[error("intake mailbox {mailbox}: {reason}")]
    Mailbox {
        /// [`IntakeMailbox::key`].
        mailbox: String,
        /// What went wrong (no password in it).
        reason: String,
    },
    /// Recording a message failed.
    #[error("recording a message of {mailbox}: {reason}")]
    Record {
        /// [`IntakeMailbox::key`].
        mailbox: String,
        /// The error's public message.
        reason: String,
    },
}

/// What a pass did: messages per outcome.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct IntakeReport {
    /// Requests recorded.
    pub requests_created: u64,
    /// Senders no account uses (answered).
    pub rejected_unknown_sender: u64,
    /// Left to staff to classify.
    pub needs_classification: u64,
    /// No usable sender.
    pub unreadable: u64,
    /// Recorded before; only marked seen now.
    pub already_recorded: u64,
    /// Copies of a message already recorded.
    pub duplicate_messages: u64,
    /// Auto-replies, bounces and list mail, ignored.
    pub ignored_automatic: u64,
}

impl IntakeReport {
    fn count(&mut self, outcome: IntakeOutcome) {
        let slot = match outcome {
            IntakeOutcome::RequestCreated => &mut self.requests_created,
            IntakeOutcome::RejectedUnknownSender => &mut self.rejected_unknown_sender,
            IntakeOutcome::NeedsClassification => &mut self.needs_classification,
            IntakeOutcome::Unreadable => &mut self.unreadable,
            IntakeOutcome::AlreadyRecorded => &mut self.already_recorded,
            IntakeOutcome::DuplicateMessage => &mut self.duplicate_messages,
            IntakeOutcome::IgnoredAutomatic => &mut self.ignored_automatic,
        };
        *slot += 1;
    }
}

/// One pass over `mailbox`'s unseen messages (at most [`MAX_PER_PASS`]).
///
/// Errors: [`IntakeError`]; what was recorded before the error stays recorded and marked.
pub async fn run_once(
    state: &AppState,
    mailbox: &IntakeMailbox,
) -> Result<IntakeReport, IntakeError> {
    let fail = |reason: String| IntakeError::Mailbox {
        mailbox: mailbox.key(),
        reason,
    };
    let password = mailbox.password().map_err(fail)?;
    let tcp = timeout(TcpStream::connect((mailbox.host.as_str(), mailbox.port)))
        .await
        .map_err(fail)?
        .map_err(|e| fail(format!("connecting: {e}")))?;
    if mailbox.tls {
        let tls = connect_tls(tcp, &mailbox.host).await.map_err(fail)?;
        pass(state, mailbox, &password, Client::new(tls)).await
    } else {
        pass(state, mailbox, &password, Client::new(tcp)).await
    }
}

async fn timeout<T>(fut: impl std::future::Future<Output = T>) -> Result<T, String> {
    tokio::time::timeout(IO_TIMEOUT, fut)
        .await
        .map_err(|_| format!("no answer within {} s", IO_TIMEOUT.as_secs()))
}

async fn connect_tls(
    tcp: TcpStream,
    host: &str,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
    use tokio_rustls::rustls;
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS set-up: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| format!("TLS server name {host:?}: {e}"))?;
    timeout(tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp))
        .await?
        .map_err(|e| format!("TLS handshake: {e}"))
}

async fn pass<T>(
    state: &AppState,
    mailbox: &IntakeMailbox,
    password: &str,
    mut client: Client<T>,
) -> Result<IntakeReport, IntakeError>
where
    T: AsyncRead + AsyncWrite + Unpin + Debug + Send,
{
    let key = mailbox.key();
    let fail = |reason: String| IntakeError::Mailbox {
        mailbox: key.clone(),
        reason,
    };
    timeout(client.read_response())
        .await
        .map_err(fail)?
        .map_err(|e| fail(format!("greeting: {e}")))?;
    let mut session = timeout(client.login(&mailbox.user, password))
        .await
        .map_err(fail)?
        .map_err(|(e, _)| fail(format!("login as {}: {e}", mailbox.user)))?;
    let selected = timeout(session.select(&mailbox.mailbox))
        .await
        .map_err(fail)?
        .map_err(|e| fail(format!("selecting {}: {e}", mailbox.mailbox)))?;
    let uid_validity = selected.uid_validity.unwrap_or(0);
    // From the last UID recorded, not the unseen ones: a restored database or a person who
    // read the mailbox in a mail client must not make intake skip a message.
    let after = last_recorded_uid(state, &key, uid_validity)
        .await
        .map_err(|e| IntakeError::Record {
            mailbox: key.clone(),
            reason: e.public_message(),
        })?;
    if after > 0 {
        remove_recorded(&mut session, after).await.map_err(fail)?;
    }
    let mut uids: Vec<u32> =
        timeout(session.uid_search(format!("UID {}:*", after.saturating_add(1))))
            .await
            .map_err(fail)?
            .map_err(|e| fail(format!("searching new messages: {e}")))?
            .into_iter()
            // "N:*" also matches the highest UID when none is above N.
            .filter(|uid| *uid > after)
            .collect();
    uids.sort_unstable();
    uids.truncate(MAX_PER_PASS);
    let mut report = IntakeReport::default();
    for uid in uids {
        // BODY.PEEK: fetching must not set \Seen; only a committed row does.
        let fetched: Vec<async_imap::types::Fetch> = timeout(async {
            session
                .uid_fetch(uid.to_string(), "(UID INTERNALDATE BODY.PEEK[])")
                .await?
                .try_collect()
                .await
        })
        .await
        .map_err(fail)?
        .map_err(|e| fail(format!("fetching message {uid}: {e}")))?;
        for f in &fetched {
            let Some(raw) = f.body() else { continue };
            let arrived_at_ms = f
                .internal_date()
                .map_or_else(|| state.clock.now_ms(), |d| d.timestamp_millis());
            let msg = Fetched {
                mailbox: &key,
                uid_validity,
                uid: f.uid.unwrap_or(uid),
                arrived_at_ms,
                raw,
            };
            let outcome = record_message(state, &msg)
                .await
                .map_err(|e| IntakeError::Record {
                    mailbox: key.clone(),
                    reason: e.public_message(),
                })?;
            report.count(outcome);
        }
        // The recorded copy is the evidence (retained, exported and erased under the
        // data map's rules), so the mailbox keeps none: a copy left there would outlive
        // its sender's erasure and the intake records' retention period.
        timeout(async {
            session
                .uid_store(uid.to_string(), "+FLAGS (\\Seen \\Deleted)")
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await
        .map_err(fail)?
        .map_err(|e| fail(format!("marking message {uid} recorded: {e}")))?;
        timeout(async {
            session
                .uid_expunge(uid.to_string())
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await
        .map_err(fail)?
        .map_err(|e| fail(format!("removing recorded message {uid}: {e}")))?;
    }
    let _ = timeout(session.logout()).await;
    Ok(report)
}

/// Removes the messages at or below the cursor `upto` still in the mailbox: recorded by a
/// pass that stopped (a crash, a lost connection) between its commit and the removal.
async fn remove_recorded<T>(session: &mut async_imap::Session<T>, upto: u32) -> Result<(), String>
where
    T: AsyncRead + AsyncWrite + Unpin + Debug + Send,
{
    let left: Vec<u32> = timeout(session.uid_search(format!("UID 1:{upto} UNDELETED")))
        .await?
        .map_err(|e| format!("searching recorded messages: {e}"))?
        .into_iter()
        .filter(|uid| *uid <= upto)
        .collect();
    if left.is_empty() {
        return Ok(());
    }
    let set = left
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    timeout(async {
        session
            .uid_store(&set, "+FLAGS (\\Seen \\Deleted)")
            .await?
            .try_collect::<Vec<_>>()
            .await
    })
    .await?
    .map_err(|e| format!("marking recorded messages: {e}"))?;
    timeout(async {
        session
            .uid_expunge(&set)
            .await?
            .try_collect::<Vec<_>>()
            .await
    })
    .await?
    .map_err(|e| format!("removing recorded messages: {e}"))?;
    Ok(())
}
