//! Background work that `heepr serve` runs beside the web server: delivering queued email
//! and forgetting idle rate-limit keys. Each job survives its own errors (logged, retried on
//! the next tick), so one bad row never stops the loop.

use std::time::Duration;

use tokio::task::JoinSet;

use crate::email::outbox;
use crate::state::AppState;

/// How often the email worker looks for due mail when nobody wakes it.
const EMAIL_POLL: Duration = Duration::from_secs(5);
/// How often idle login-throttle keys are forgotten.
const THROTTLE_SWEEP: Duration = Duration::from_secs(60);

/// The running background jobs; aborting stops them all.
#[derive(Debug)]
pub struct Jobs(JoinSet<()>);

impl Jobs {
    /// Stops every job.
    pub fn abort(mut self) {
        self.0.abort_all();
    }
}

/// Starts the background jobs for `state`.
pub fn spawn(state: AppState) -> Jobs {
    let mut set = JoinSet::new();
    set.spawn(email_worker(state.clone()));
    set.spawn(crate::privacy::jobs::worker(state.clone()));
    set.spawn(throttle_housekeeping(state));
    Jobs(set)
}

async fn email_worker(state: AppState) {
    loop {
        loop {
            match outbox::deliver_due(&state).await {
                Ok(report) if report.sent + report.failed + report.deferred > 0 => continue,
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!("email delivery pass failed: {}", err.public_message());
                    break;
                }
            }
        }
        let _ = tokio::time::timeout(EMAIL_POLL, state.mail_wakeup.notified()).await;
    }
}

async fn throttle_housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(THROTTLE_SWEEP);
    loop {
        tick.tick().await;
        state.throttle.forget_idle();
    }
}
