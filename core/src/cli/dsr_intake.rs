//! `heepr dsr intake`: privacy requests that arrived by email, recorded from the intake
//! mailbox (one pass with `--once`, for cron; else a pass every minute until stopped).

use anyhow::Context;

use super::args::{GlobalArgs, IntakeArgs};
use super::operator_state;
use crate::privacy::mail_intake::run_once;
use crate::runtime::mail_intake::INTAKE_EVERY;

/// Runs `heepr dsr intake`; exit code 0, or 1 after a pass failed (`--once`).
///
/// Errors: no mailbox configured; the database cannot be opened.
pub async fn run(
    global: &GlobalArgs,
    imap: &IntakeArgs,
    once: bool,
    json: bool,
) -> anyhow::Result<u8> {
    let mailbox = imap.mailbox().context(
        "--intake-imap-url (or HEEPR_INTAKE_IMAP_URL) is required: imaps://USER@HOST/MAILBOX",
    )?;
    let state = operator_state(global).await?;
    loop {
        let failed = match run_once(&state, &mailbox).await {
            Ok(report) => {
                if json {
                    println!("{}", serde_json::to_string(&report)?);
                } else {
                    println!(
                        "{}: {} requests recorded, {} unknown senders answered, {} for staff to classify, {} unreadable, {} already recorded, {} copies, {} automatic (ignored)",
                        mailbox.key(),
                        report.requests_created,
                        report.rejected_unknown_sender,
                        report.needs_classification,
                        report.unreadable,
                        report.already_recorded,
                        report.duplicate_messages,
                        report.ignored_automatic
                    );
                }
                false
            }
            Err(err) => {
                if json {
                    println!("{}", serde_json::json!({"error": err.to_string()}));
                }
                eprintln!("heepr dsr intake: {err}");
                true
            }
        };
        if once {
            return Ok(u8::from(failed));
        }
        tokio::select! {
            () = tokio::time::sleep(INTAKE_EVERY) => {}
            _ = tokio::signal::ctrl_c() => return Ok(0),
        }
    }
}
