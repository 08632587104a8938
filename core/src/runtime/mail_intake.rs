//! Mail intake in `heepr serve`: a pass over the intake mailbox every minute
//! ([`crate::privacy::mail_intake::run_once`]). A failing pass (server down, wrong password)
//! is logged and retried on the next tick; the messages it did not record stay unseen.

use std::time::Duration;

use crate::platform::intake_mailbox::IntakeMailbox;
use crate::platform::state::AppState;
use crate::privacy::mail_intake::run_once;

/// How often the intake mailbox is read.
pub const INTAKE_EVERY: Duration = Duration::from_secs(60);

/// The intake loop; runs until its task is stopped.
pub async fn run(state: AppState, mailbox: IntakeMailbox) {
    let mut tick = tokio::time::interval(INTAKE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match run_once(&state, &mailbox).await {
            Ok(report) if report == Default::default() => {}
            Ok(report) => tracing::info!(?report, "mail intake pass"),
            Err(err) => tracing::warn!("mail intake pass failed: {err}"),
        }
    }
}
