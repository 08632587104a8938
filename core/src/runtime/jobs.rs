//! The background jobs of `heepr serve`, owned in one place (as mini-redis owns every task it
//! spawns). Guarantees:
//! - every background task runs in the one [`JoinSet`] of [`Jobs`], none is spawned beside
//!   it, so [`Jobs::shutdown`] stops them all and returns once each has stopped;
//! - a job that panics is logged (error, with the job's name and the panic message) and
//!   started again after [`RESTART_DELAY`]; a job that returns is logged and not restarted;
//! - each job's loop survives its own errors (logged, retried on the next tick), so one bad
//!   row never stops it.
//!
//! The jobs: [`email_delivery`], the [`privacy_worker`], [`mail_intake`] (when a mailbox is
//! set), the retention [`scheduler`], the
//! deadline refunds and the daily analytics (unless `--no-scheduler`), the presence lease and forgetting idle
//! login-throttle keys.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::{Id, JoinError, JoinSet};

use super::{email_delivery, mail_intake, privacy_worker, scheduler};
use crate::platform::state::AppState;

/// How long a panicked job waits before it runs again (a job that panics at once each time
/// must not spin).
pub const RESTART_DELAY: Duration = Duration::from_secs(1);
/// How often a running server renews its presence lease.
const PRESENCE_RENEW: Duration = Duration::from_secs(30);
/// A server that stopped renewing is taken as gone after this long (ms).
pub const PRESENCE_TTL_MS: i64 = 90_000;
/// Lease names of running servers start with this.
pub const PRESENCE_PREFIX: &str = "service:";
/// How often idle login-throttle keys are forgotten.
const THROTTLE_SWEEP: Duration = Duration::from_secs(60);

type JobFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Makes a fresh run of one job (called at start and at each restart).
type MakeJob = Arc<dyn Fn() -> JobFuture + Send + Sync>;

/// The running background jobs.
pub struct Jobs {
    /// Every running job's task.
    set: JoinSet<()>,
    /// Which job each task runs, to log and restart it by name.
    jobs: HashMap<Id, (&'static str, MakeJob)>,
    /// The presence lease this server holds (database, lease name), released on shutdown
    /// so `heepr backup restore` right after a clean stop is not refused for
    /// [`PRESENCE_TTL_MS`].
    presence: Option<(heepr_compliance::Db, String)>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = self.jobs.values().map(|(name, _)| *name).collect();
        names.sort_unstable();
        f.debug_struct("Jobs").field("running", &names).finish()
    }
}

impl Default for Jobs {
    fn default() -> Self {
        Self::new()
    }
}

impl Jobs {
    /// No jobs yet.
    pub fn new() -> Self {
        Self {
            set: JoinSet::new(),
            jobs: HashMap::new(),
            presence: None,
        }
    }

    /// Starts job `name`; `make` builds each run of it (the first and every restart).
    pub fn spawn<F>(&mut self, name: &'static str, make: impl Fn() -> F + Send + Sync + 'static)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let make: MakeJob = Arc::new(move || Box::pin(make()));
        self.start(name, make, None);
    }

    fn start(&mut self, name: &'static str, make: MakeJob, delay: Option<Duration>) {
        let run = make();
        let handle = self.set.spawn(async move {
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            run.await;
        });
        self.jobs.insert(handle.id(), (name, make));
    }

    /// Watches the jobs until none is left: logs a job that ends, and restarts one that
    /// panicked. Cancel-safe: dropping it loses nothing (the jobs keep running).
    pub async fn supervise(&mut self) {
        while let Some(ended) = self.set.join_next_with_id().await {
            let (id, panic) = match ended {
                Ok((id, ())) => (id, None),
                Err(err) if err.is_panic() => (err.id(), Some(panic_message(err))),
                // Cancelled: only shutdown aborts jobs.
                Err(err) => (err.id(), None),
            };
            let Some((name, make)) = self.jobs.remove(&id) else {
                continue;
            };
            match panic {
                Some(message) => {
                    tracing::error!(
                        job = name,
                        panic = %message,
                        "background job panicked; restarting it in {} s",
                        RESTART_DELAY.as_secs()
                    );
                    self.start(name, make, Some(RESTART_DELAY));
                }
                None => tracing::info!(job = name, "background job finished"),
            }
        }
    }

    /// Stops every job and waits until each has stopped.
    pub async fn shutdown(mut self) {
        self.set.shutdown().await;
        self.jobs.clear();
        if let Some((db, name)) = self.presence.take()
            && let Err(err) = heepr_compliance::lease::release(&db, &name, &name).await
        {
            // It lapses by itself after PRESENCE_TTL_MS.
            tracing::warn!("releasing the presence lease: {err}");
        }
    }
}

fn panic_message(err: JoinError) -> String {
    let payload = err.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// Starts the background jobs of a server with `state`.
pub fn spawn(state: AppState) -> Jobs {
    let mut jobs = Jobs::new();
    let s = state.clone();
    jobs.spawn("email delivery", move || email_delivery::run(s.clone()));
    let s = state.clone();
    jobs.spawn("privacy worker", move || privacy_worker::run(s.clone()));
    if let Some(tz) = state.settings.scheduler {
        let s = state.clone();
        jobs.spawn("retention scheduler", move || scheduler::run(s.clone(), tz));
        let s = state.clone();
        jobs.spawn("deadline refunds", move || {
            scheduler::deadline_refunds(s.clone())
        });
        let s = state.clone();
        jobs.spawn("analytics", move || scheduler::analytics(s.clone()));
    }
    if let Some(mailbox) = state.settings.mail_intake.clone() {
        let s = state.clone();
        jobs.spawn("mail intake", move || {
            mail_intake::run(s.clone(), mailbox.clone())
        });
    }
    let s = state.clone();
    let name = format!("{PRESENCE_PREFIX}{}", crate::platform::tokens::new_id());
    jobs.presence = Some((state.db.clone(), name.clone()));
    jobs.spawn("presence", move || presence(s.clone(), name.clone()));
    jobs.spawn("login throttle housekeeping", move || {
        throttle_housekeeping(state.clone())
    });
    jobs
}

async fn throttle_housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(THROTTLE_SWEEP);
    loop {
        tick.tick().await;
        state.throttle.forget_idle();
        state.signups.forget_idle();
    }
}

/// Keeps a lease saying "a server runs on this database", so `heepr backup restore` can
/// refuse to pull the database out from under it.
async fn presence(state: AppState, name: String) {
    let mut tick = tokio::time::interval(PRESENCE_RENEW);
    loop {
        tick.tick().await;
        let now = state.clock.now_ms();
        if let Err(err) =
            heepr_compliance::lease::acquire(&state.db, &name, &name, now, now + PRESENCE_TTL_MS)
                .await
        {
            tracing::warn!("presence lease: {err}");
        }
    }
}

/// How many servers renewed their presence lease in the last [`PRESENCE_TTL_MS`].
///
/// Errors: the database's.
pub async fn running_servers(db: &heepr_compliance::Db, now_ms: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM job_leases WHERE name LIKE 'service:%' AND expires_at > $1",
    )
    .bind(now_ms)
    .fetch_one(db.pool())
    .await
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Collects what a tracing subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut out) = self.0.lock() {
                out.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    impl Captured {
        fn text(&self) -> String {
            self.0
                .lock()
                .map(|out| String::from_utf8_lossy(&out).into_owned())
                .unwrap_or_default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_job_is_logged_and_restarted() {
        let log = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(log.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let runs = Arc::new(AtomicUsize::new(0));
        let (restarted, mut restarted_rx) = tokio::sync::mpsc::unbounded_channel();
        let mut jobs = Jobs::new();
        let counter = Arc::clone(&runs);
        jobs.spawn("flaky", move || {
            let run = counter.fetch_add(1, Ordering::SeqCst);
            let restarted = restarted.clone();
            async move {
                if run == 0 {
                    panic!("first run fails");
                }
                let _ = restarted.send(run);
                std::future::pending::<()>().await;
            }
        });
        let second = tokio::select! {
            () = jobs.supervise() => None,
            run = restarted_rx.recv() => run,
        };
        assert_eq!(second, Some(1), "the job ran again after its panic");
        let text = log.text();
        assert!(
            text.contains("ERROR")
                && text.contains("job=\"flaky\"")
                && text.contains("first run fails"),
            "{text}"
        );
        jobs.shutdown().await;
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_stops_every_job() {
        let alive = Arc::new(());
        let mut jobs = Jobs::new();
        for name in ["one", "two"] {
            let alive = Arc::clone(&alive);
            jobs.spawn(name, move || {
                let alive = Arc::clone(&alive);
                async move {
                    let _alive = alive;
                    loop {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            });
        }
        tokio::task::yield_now().await;
        jobs.shutdown().await;
        assert_eq!(
            Arc::strong_count(&alive),
            1,
            "a job's task outlived shutdown"
        );
    }
}
