//! The Detail screen's state: the open request with its subject, timeline, holds and
//! erasure preview (reloaded every [`JOB_POLL_MS`] while its job runs), the scroll, and the
//! server's answer to the last action. Starting an action opens its confirmation dialog.

use crate::action::{Action, DetailBundle, Effect, Op};
use crate::api::{ApiError, Request, Status};
use crate::screens::common::{Context, Section, step};
use crate::screens::dialog::Dialog;
use crate::screens::outcome::Outcome;
use crate::screens::subjects::Subjects;

/// While a request's job runs, its detail reloads this often (ms).
pub const JOB_POLL_MS: i64 = 2_000;

/// The furthest the detail scrolls (lines).
const MAX_SCROLL: i64 = 2_000;

/// The Detail tab.
#[derive(Debug, Clone, Default)]
pub struct DetailScreen {
    /// The request open, chosen on the Queue.
    pub open_id: Option<String>,
    /// Its data.
    pub bundle: Section<Box<DetailBundle>>,
    /// When its detail was last asked for (ms), to pace the polling of a running job.
    pub asked_ms: i64,
    /// Scroll (lines).
    pub scroll: u16,
    /// The timeline also lists read-only admin calls (`GET ...`), which otherwise drown the
    /// decisions (every reload of the request is audited).
    pub timeline_reads: bool,
    /// The server's answer to the last action on the request.
    pub outcome: Option<Outcome>,
}

impl DetailScreen {
    /// The request shown, if loaded.
    pub fn request(&self) -> Option<&Request> {
        self.bundle.data.as_ref().map(|d| &d.detail.request)
    }

    /// Opens request `id` (a different one starts from a blank screen) and loads it.
    pub fn open(&mut self, id: String, now_ms: i64) -> Option<Effect> {
        if self.open_id.as_deref() != Some(id.as_str()) {
            self.bundle = Section::default();
            self.outcome = None;
            self.scroll = 0;
        }
        self.open_id = Some(id);
        self.load(now_ms)
    }

    /// Asks for the open request's data unless a load runs.
    pub fn load(&mut self, now_ms: i64) -> Option<Effect> {
        let id = self.open_id.clone()?;
        if self.bundle.start() {
            self.asked_ms = now_ms;
            Some(Effect::LoadDetail(id))
        } else {
            None
        }
    }

    /// Loads when there is nothing yet, or always with `force`.
    pub fn refresh(&mut self, force: bool, now_ms: i64) -> Vec<Effect> {
        if self.bundle.wanted(force) {
            self.load(now_ms).into_iter().collect()
        } else {
            Vec::new()
        }
    }

    /// The reload due at `now_ms` while the request's job runs.
    pub fn due(&mut self, now_ms: i64) -> Option<Effect> {
        let job_running = self
            .request()
            .is_some_and(|r| r.job_requested && r.status == Status::InProgress);
        if job_running && now_ms - self.asked_ms >= JOB_POLL_MS {
            self.load(now_ms)
        } else {
            None
        }
    }

    /// Records the answer for request `id` (ignored when another request is open now);
    /// returns the request as loaded, so the queue can follow a status it saw change.
    pub fn loaded(
        &mut self,
        id: &str,
        result: Result<Box<DetailBundle>, ApiError>,
        subjects: &mut Subjects,
    ) -> Option<Request> {
        if self.open_id.as_deref() != Some(id) {
            self.bundle.loading = false;
            return None;
        }
        let fresh = result.as_ref().ok().map(|b| {
            subjects.insert(&b.detail.subject);
            b.detail.request.clone()
        });
        if let (Some(o), Some(r)) = (self.outcome.as_mut(), fresh.as_ref()) {
            o.follow_job(r);
        }
        self.bundle.finish(result);
        fresh
    }

    /// The confirmation dialog of `op` on the open request, or why it cannot start:
    /// `disabled` is why the signed-in role may not act, `busy` whether an action awaits
    /// its answer; an action the request's state does not allow never opens a dialog.
    pub fn begin(&self, op: Op, disabled: Option<String>, busy: bool) -> Result<Dialog, String> {
        if let Some(reason) = disabled {
            return Err(format!("'{}' is disabled: {reason}", op.title()));
        }
        if busy {
            return Err("wait for the server's answer to the last action".into());
        }
        let Some(bundle) = self.bundle.data.as_ref() else {
            return Err("the request is still loading".into());
        };
        if let Some(why) = op.unavailable(bundle) {
            return Err(format!("'{}' is not possible: {why}", op.title()));
        }
        let hold = bundle.holds.iter().find(|h| h.is_active()).cloned();
        let restriction = bundle
            .restrictions
            .iter()
            .find(|x| x.lifted_at.is_none())
            .cloned();
        let objection = bundle
            .objections
            .iter()
            .find(|x| x.withdrawn_at.is_none())
            .cloned();
        Ok(Dialog::new(
            op,
            bundle.detail.request.clone(),
            hold,
            restriction,
            objection,
        ))
    }

    /// Scrolling, and showing or hiding the read-only calls in the timeline.
    pub fn update(&mut self, action: &Action, _cx: &Context) -> Vec<Effect> {
        match action {
            Action::ToggleReads => self.timeline_reads = !self.timeline_reads,
            other => {
                if let Some(delta) = step(other) {
                    let next = (i64::from(self.scroll) + delta).clamp(0, MAX_SCROLL);
                    self.scroll = u16::try_from(next).unwrap_or(0);
                }
            }
        }
        Vec::new()
    }
}
