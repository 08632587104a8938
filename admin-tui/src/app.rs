//! The console's state ([`App`]) and the only function that changes it, [`update`]: an
//! [`Action`] in, the state changed, and the network work to do ([`Effect`]s) out. Nothing
//! here waits on the network or draws.

use std::collections::{HashMap, HashSet};

use heepr_admin_api::{DryRun, Hold};
use serde_json::Value;

use crate::action::{Action, Command, DetailBundle, Effect, NetEvent, Op, Tab};
use crate::api::{
    ApiError, AuditEntry, Backup, ChainVerification, Kind, Me, Request, RetentionRule, Role,
    Status, Subject,
};

/// The queue reloads itself this often (ms), so counts stay live.
pub const QUEUE_REFRESH_MS: i64 = 15_000;
/// While a request's job runs, its detail reloads this often (ms).
pub const JOB_POLL_MS: i64 = 2_000;
/// Start of the outcome line of an action whose job runs in the background.
const JOB_QUEUED: &str = "job queued";
/// Lines moved by PageUp / PageDown.
pub const PAGE: usize = 10;

/// Data of one screen section: what was loaded, whether a load is running, the last error.
#[derive(Debug, Clone, PartialEq)]
pub struct Section<T> {
    /// The last data loaded.
    pub data: Option<T>,
    /// A load is running.
    pub loading: bool,
    /// The last load's error, shown inline.
    pub error: Option<String>,
    /// The server has no such endpoint (404): shown as "not available from this server".
    pub unavailable: bool,
}

impl<T> Default for Section<T> {
    fn default() -> Self {
        Section {
            data: None,
            loading: false,
            error: None,
            unavailable: false,
        }
    }
}

impl<T> Section<T> {
    /// Marks a load started; returns whether one should be sent (none already running).
    fn start(&mut self) -> bool {
        if self.loading {
            return false;
        }
        self.loading = true;
        true
    }

    /// Records a load's answer.
    fn finish(&mut self, result: Result<T, ApiError>) {
        self.loading = false;
        match result {
            Ok(data) => {
                self.data = Some(data);
                self.error = None;
                self.unavailable = false;
            }
            Err(e) if e.is_missing_endpoint() => {
                self.unavailable = true;
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }
}

/// Which text box has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputTarget {
    /// Queue search (email or id).
    QueueSearch,
    /// Audit filter by subject account id (sent to the server).
    AuditSubject,
    /// Audit filter by actor (applied here).
    AuditActor,
}

/// An open confirmation dialog for an [`Op`].
#[derive(Debug, Clone, PartialEq)]
pub struct Dialog {
    /// The action confirmed.
    pub op: Op,
    /// The request it applies to.
    pub request: Request,
    /// The hold to lift ([`Op::LiftHold`]).
    pub hold: Option<Hold>,
    /// Typed text: the reason, or the subject's id for erasure.
    pub input: String,
    /// Months to add ([`Op::Extend`]): 1 or 2.
    pub months: u32,
    /// Why the last Enter sent nothing.
    pub error: Option<String>,
}

/// What the server said to the last action.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Whether the server accepted it.
    pub ok: bool,
    /// One line: what was asked and the answer.
    pub headline: String,
    /// More lines: allowed transitions, holds, new due date.
    pub lines: Vec<String>,
}

/// Everything the console shows.
#[derive(Debug, Clone, Default)]
pub struct App {
    /// The wall clock (Unix ms), set by ticks; decides amber/red.
    pub now_ms: i64,
    /// The server's URL (shown in the header; never the token).
    pub server: String,
    /// Who is signed in.
    pub me: Section<Me>,
    /// The current tab.
    pub tab: Tab,
    /// Help overlay shown.
    pub help: bool,
    /// The user asked to leave.
    pub quit: bool,
    /// Ticks seen (animates the loading indicator).
    pub ticks: u64,
    /// A read is being retried: shown in the status line.
    pub retry_note: Option<String>,
    /// A one-line message (e.g. why an action is disabled).
    pub flash: Option<String>,
    /// Which text box has the keyboard, if any.
    pub input: Option<InputTarget>,

    /// All requests (the server's list, soonest due first).
    pub queue: Section<Vec<Request>>,
    /// When the queue was last asked for (ms).
    pub queue_asked_ms: i64,
    /// Subjects by account id (for emails in the queue).
    pub subjects: HashMap<String, Subject>,
    /// Subjects being fetched.
    pub subjects_pending: HashSet<String>,
    /// Queue filter by status.
    pub status_filter: Option<Status>,
    /// Queue filter by kind.
    pub kind_filter: Option<Kind>,
    /// Queue search text (email or id, case-insensitive).
    pub search: String,
    /// Selected row of the filtered queue.
    pub selected: usize,

    /// The request open on Detail.
    pub open_id: Option<String>,
    /// Its data.
    pub detail: Section<Box<DetailBundle>>,
    /// When its detail was last asked for (ms).
    pub detail_asked_ms: i64,
    /// Detail scroll (lines).
    pub detail_scroll: u16,
    /// The Detail timeline also lists read-only admin calls (`GET ...`), which otherwise
    /// drown the decisions (every reload of the request is audited).
    pub timeline_reads: bool,
    /// The open confirmation dialog.
    pub dialog: Option<Dialog>,
    /// An action sent and not yet answered.
    pub busy: Option<Command>,
    /// The server's answer to the last action.
    pub outcome: Option<Outcome>,

    /// Retention rules.
    pub retention: Section<Vec<RetentionRule>>,
    /// Selected rule.
    pub retention_selected: usize,
    /// The last dry run's answer.
    pub dry_run: Option<Outcome>,
    /// Backup catalog.
    pub backups: Section<Vec<Backup>>,
    /// Selected backup.
    pub backups_selected: usize,
    /// Recent audit entries.
    pub audit: Section<Vec<AuditEntry>>,
    /// Audit filter: subject account id (server-side).
    pub audit_subject: String,
    /// Audit filter: actor substring (client-side).
    pub audit_actor: String,
    /// Selected audit entry.
    pub audit_selected: usize,
    /// The chain's verification.
    pub chain: Section<ChainVerification>,
}

impl App {
    /// A console for the server at `server`, at time `now_ms`.
    pub fn new(server: &str, now_ms: i64) -> App {
        App {
            server: server.to_string(),
            now_ms,
            ..App::default()
        }
    }

    /// The first loads: who am I, and the queue.
    pub fn start(&mut self) -> Vec<Effect> {
        let mut out = Vec::new();
        if self.me.start() {
            out.push(Effect::LoadMe);
        }
        out.extend(self.load_queue());
        out
    }

    /// Whether the signed-in staff member may act (privacy officer).
    pub fn may_act(&self) -> bool {
        self.me
            .data
            .as_ref()
            .is_some_and(|m| m.role == Role::PrivacyOfficer)
    }

    /// Why actions are disabled, or `None` when they are not.
    pub fn actions_disabled_reason(&self) -> Option<String> {
        match self.me.data.as_ref().map(|m| m.role) {
            Some(Role::PrivacyOfficer) => None,
            Some(Role::Support) => Some("support role is read-only: ask a privacy officer".into()),
            _ => Some("waiting for the server to confirm your role".into()),
        }
    }

    /// Whether any network call is running (the loading indicator).
    pub fn loading(&self) -> bool {
        self.me.loading
            || self.queue.loading
            || !self.subjects_pending.is_empty()
            || self.detail.loading
            || self.busy.is_some()
            || self.retention.loading
            || self.backups.loading
            || self.audit.loading
            || self.chain.loading
    }

    /// The subject's email for a request (masked for support, `…` until loaded).
    pub fn subject_email(&self, account_id: &str) -> &str {
        self.subjects
            .get(account_id)
            .map_or("…", |s| s.email.as_str())
    }

    /// The queue after filters and search: open requests soonest due first, then closed ones.
    pub fn visible_requests(&self) -> Vec<&Request> {
        let needle = self.search.trim().to_lowercase();
        let mut rows: Vec<&Request> = self
            .queue
            .data
            .iter()
            .flatten()
            .filter(|r| self.status_filter.is_none_or(|s| r.status == s))
            .filter(|r| self.kind_filter.is_none_or(|k| r.kind == k))
            .filter(|r| {
                needle.is_empty()
                    || r.id.to_lowercase().contains(&needle)
                    || r.account_id.to_lowercase().contains(&needle)
                    || self
                        .subjects
                        .get(&r.account_id)
                        .is_some_and(|s| s.email.to_lowercase().contains(&needle))
            })
            .collect();
        // Open requests first, each group soonest due first.
        rows.sort_by_key(|r| (!r.status.is_open(), r.due_at_ms));
        rows
    }

    /// Requests per status over the whole queue (header counts).
    pub fn counts(&self) -> Vec<(Status, usize)> {
        let all = self.queue.data.as_deref().unwrap_or_default();
        Status::ALL
            .iter()
            .map(|s| (*s, all.iter().filter(|r| r.status == *s).count()))
            .collect()
    }

    /// Audit entries after the actor filter.
    pub fn visible_audit(&self) -> Vec<&AuditEntry> {
        let actor = self.audit_actor.trim().to_lowercase();
        self.audit
            .data
            .iter()
            .flatten()
            .filter(|e| actor.is_empty() || e.actor.to_lowercase().contains(&actor))
            .collect()
    }

    /// The request shown on Detail, if loaded.
    pub fn open_request(&self) -> Option<&Request> {
        self.detail.data.as_ref().map(|d| &d.detail.request)
    }

    fn load_queue(&mut self) -> Option<Effect> {
        if self.queue.start() {
            self.queue_asked_ms = self.now_ms;
            Some(Effect::LoadQueue)
        } else {
            None
        }
    }

    fn load_detail(&mut self) -> Option<Effect> {
        let id = self.open_id.clone()?;
        if self.detail.start() {
            self.detail_asked_ms = self.now_ms;
            Some(Effect::LoadDetail(id))
        } else {
            None
        }
    }

    fn load_audit(&mut self) -> Vec<Effect> {
        let mut out = Vec::new();
        if self.audit.start() {
            let subject = Some(self.audit_subject.trim().to_string()).filter(|s| !s.is_empty());
            out.push(Effect::LoadAudit { subject });
        }
        if self.chain.start() {
            out.push(Effect::VerifyAudit);
        }
        out
    }

    /// Loads for the current tab when it has nothing yet (or always, with `force`).
    fn load_tab(&mut self, force: bool) -> Vec<Effect> {
        let mut out = Vec::new();
        match self.tab {
            Tab::Queue => {
                if force || self.queue.data.is_none() {
                    out.extend(self.load_queue());
                }
            }
            Tab::Detail => {
                if force || self.detail.data.is_none() {
                    out.extend(self.load_detail());
                }
            }
            Tab::Retention => {
                if (force || self.retention.data.is_none()) && self.retention.start() {
                    out.push(Effect::LoadRetention);
                }
            }
            Tab::Backups => {
                if (force || self.backups.data.is_none()) && self.backups.start() {
                    out.push(Effect::LoadBackups);
                }
            }
            Tab::Audit => {
                if force || self.audit.data.is_none() {
                    out.extend(self.load_audit());
                }
            }
        }
        out
    }

    fn show(&mut self, tab: Tab) -> Vec<Effect> {
        self.tab = tab;
        self.flash = None;
        self.load_tab(false)
    }

    fn rows_in_tab(&self) -> usize {
        match self.tab {
            Tab::Queue => self.visible_requests().len(),
            Tab::Retention => self.retention.data.as_ref().map_or(0, Vec::len),
            Tab::Backups => self.backups.data.as_ref().map_or(0, Vec::len),
            Tab::Audit => self.visible_audit().len(),
            Tab::Detail => 0,
        }
    }

    fn cursor(&mut self) -> Option<&mut usize> {
        match self.tab {
            Tab::Queue => Some(&mut self.selected),
            Tab::Retention => Some(&mut self.retention_selected),
            Tab::Backups => Some(&mut self.backups_selected),
            Tab::Audit => Some(&mut self.audit_selected),
            Tab::Detail => None,
        }
    }

    /// Moves the selection (or the Detail scroll) by `delta` lines, clamped.
    fn move_by(&mut self, delta: i64) {
        if self.tab == Tab::Detail {
            let next = i64::from(self.detail_scroll) + delta;
            self.detail_scroll = u16::try_from(next.clamp(0, 2000)).unwrap_or(0);
            return;
        }
        let n = self.rows_in_tab();
        if let Some(cur) = self.cursor() {
            let max = n.saturating_sub(1) as i64;
            let next = (*cur as i64 + delta).clamp(0, max);
            *cur = usize::try_from(next).unwrap_or(0);
        }
    }

    fn clamp_selection(&mut self) {
        let n = self.rows_in_tab();
        if let Some(cur) = self.cursor() {
            *cur = (*cur).min(n.saturating_sub(1));
        }
    }

    fn open_selected(&mut self) -> Vec<Effect> {
        let Some(id) = self
            .visible_requests()
            .get(self.selected)
            .map(|r| r.id.clone())
        else {
            return Vec::new();
        };
        if self.open_id.as_deref() != Some(id.as_str()) {
            self.detail = Section::default();
            self.outcome = None;
            self.detail_scroll = 0;
        }
        self.open_id = Some(id);
        self.tab = Tab::Detail;
        self.load_detail().into_iter().collect()
    }

    fn begin(&mut self, op: Op) -> Vec<Effect> {
        if self.tab != Tab::Detail {
            return Vec::new();
        }
        if let Some(reason) = self.actions_disabled_reason() {
            self.flash = Some(format!("'{}' is disabled: {reason}", op.title()));
            return Vec::new();
        }
        if self.busy.is_some() {
            self.flash = Some("wait for the server's answer to the last action".into());
            return Vec::new();
        }
        let Some(bundle) = self.detail.data.as_ref() else {
            self.flash = Some("the request is still loading".into());
            return Vec::new();
        };
        let hold = bundle.holds.iter().find(|h| h.is_active()).cloned();
        if op == Op::LiftHold && hold.is_none() {
            self.flash = Some("no active legal hold on this subject".into());
            return Vec::new();
        }
        self.flash = None;
        self.dialog = Some(Dialog {
            op,
            request: bundle.detail.request.clone(),
            hold,
            input: String::new(),
            months: 1,
            error: None,
        });
        Vec::new()
    }

    fn submit_dialog(&mut self) -> Vec<Effect> {
        let Some(dialog) = self.dialog.as_mut() else {
            return Vec::new();
        };
        let reason = dialog.input.trim().to_string();
        if dialog.op.needs_reason() && reason.is_empty() {
            dialog.error =
                Some("type a reason first (it is recorded and may be sent to the subject)".into());
            return Vec::new();
        }
        let id = dialog.request.id.clone();
        let transition = |to: Status, reason: Option<String>| Command::Transition {
            id: id.clone(),
            to: to.as_str().to_string(),
            reason,
        };
        let command = match dialog.op {
            Op::VerifyIdentity => transition(Status::AwaitingVerification, None),
            Op::Start => transition(Status::InProgress, None),
            Op::Complete => transition(Status::Completed, None),
            Op::Reject => transition(Status::Rejected, Some(reason)),
            Op::RunExport => Command::Export { id: id.clone() },
            Op::ApproveErasure => {
                if reason != dialog.request.account_id {
                    dialog.error = Some("that is not the subject's id: nothing was sent".into());
                    return Vec::new();
                }
                Command::Erase { id: id.clone() }
            }
            Op::Extend => Command::Extend {
                id: id.clone(),
                months: dialog.months,
                reason,
            },
            Op::PlaceHold => Command::PlaceHold {
                account_id: dialog.request.account_id.clone(),
                reason,
            },
            Op::LiftHold => match dialog.hold.as_ref() {
                Some(h) => Command::LiftHold {
                    hold_id: h.id.clone(),
                    reason,
                },
                None => return Vec::new(),
            },
        };
        self.dialog = None;
        self.outcome = None;
        self.busy = Some(command.clone());
        vec![Effect::Perform(command)]
    }

    fn type_char(&mut self, c: char) {
        if let Some(d) = self.dialog.as_mut() {
            d.input.push(c);
            d.error = None;
            return;
        }
        match self.input {
            Some(InputTarget::QueueSearch) => {
                self.search.push(c);
                self.selected = 0;
            }
            Some(InputTarget::AuditSubject) => self.audit_subject.push(c),
            Some(InputTarget::AuditActor) => {
                self.audit_actor.push(c);
                self.audit_selected = 0;
            }
            None => {}
        }
    }

    fn backspace(&mut self) {
        if let Some(d) = self.dialog.as_mut() {
            d.input.pop();
            return;
        }
        match self.input {
            Some(InputTarget::QueueSearch) => {
                self.search.pop();
            }
            Some(InputTarget::AuditSubject) => {
                self.audit_subject.pop();
            }
            Some(InputTarget::AuditActor) => {
                self.audit_actor.pop();
            }
            None => {}
        }
    }

    fn action_answered(
        &mut self,
        command: Command,
        result: Result<Value, ApiError>,
    ) -> Vec<Effect> {
        self.busy = None;
        let outcome = describe_answer(&command, &result);
        if let Command::DryRun { .. } = command {
            self.dry_run = Some(outcome);
            return Vec::new();
        }
        self.outcome = Some(outcome);
        let mut out = Vec::new();
        out.extend(self.load_detail());
        out.extend(self.load_queue());
        out
    }

    fn queue_loaded(&mut self, result: Result<Vec<Request>, ApiError>) -> Vec<Effect> {
        // Keep the same request selected when a reload reorders the list.
        let kept = self
            .visible_requests()
            .get(self.selected)
            .map(|r| r.id.clone());
        self.queue.finish(result);
        if let Some(i) = kept.and_then(|id| self.visible_requests().iter().position(|r| r.id == id))
        {
            self.selected = i;
        }
        self.clamp_selection();
        let mut wanted: Vec<String> = self
            .queue
            .data
            .iter()
            .flatten()
            .map(|r| r.account_id.clone())
            .filter(|a| !self.subjects.contains_key(a) && !self.subjects_pending.contains(a))
            .collect();
        wanted.sort();
        wanted.dedup();
        wanted
            .into_iter()
            .map(|a| {
                self.subjects_pending.insert(a.clone());
                Effect::LoadSubject(a)
            })
            .collect()
    }

    fn net(&mut self, event: NetEvent) -> Vec<Effect> {
        if !matches!(event, NetEvent::Retrying { .. }) {
            self.retry_note = None;
        }
        match event {
            NetEvent::Me(r) => self.me.finish(r),
            NetEvent::Queue(r) => return self.queue_loaded(r),
            NetEvent::Subject(id, r) => {
                self.subjects_pending.remove(&id);
                if let Ok(s) = r {
                    self.subjects.insert(id, s);
                }
            }
            NetEvent::Detail(id, r) => {
                if self.open_id.as_deref() != Some(id.as_str()) {
                    self.detail.loading = false;
                    return Vec::new();
                }
                let mut out = Vec::new();
                if let Ok(b) = &r {
                    let s = &b.detail.subject;
                    self.subjects.insert(s.account_id.clone(), s.clone());
                    let fresh = &b.detail.request;
                    if let Some(o) = self.outcome.as_mut() {
                        for line in o.lines.iter_mut() {
                            if line.starts_with(JOB_QUEUED) && !fresh.job_requested {
                                *line = format!(
                                    "job finished: request is now {}",
                                    fresh.status.as_str()
                                );
                            }
                        }
                    }
                    // The queue's counts follow a status the detail saw change.
                    let queued = self.queue.data.iter().flatten().find(|q| q.id == fresh.id);
                    if queued.is_some_and(|q| q.status != fresh.status) {
                        out.extend(self.load_queue());
                    }
                }
                self.detail.finish(r);
                return out;
            }
            NetEvent::Audit(r) => {
                self.audit.finish(r);
                self.clamp_selection();
            }
            NetEvent::ChainVerified(r) => self.chain.finish(r),
            NetEvent::Retention(r) => {
                self.retention.finish(r);
                self.clamp_selection();
            }
            NetEvent::Backups(r) => {
                self.backups.finish(r);
                self.clamp_selection();
            }
            NetEvent::Retrying {
                what,
                attempt,
                reason,
            } => {
                self.retry_note = Some(format!("retrying {what} (attempt {attempt}): {reason}"));
            }
            NetEvent::Done(command, result) => return self.action_answered(command, result),
        }
        Vec::new()
    }

    fn tick(&mut self, now_ms: i64) -> Vec<Effect> {
        self.now_ms = now_ms;
        self.ticks += 1;
        let mut out = Vec::new();
        if self.queue.data.is_some() && now_ms - self.queue_asked_ms >= QUEUE_REFRESH_MS {
            out.extend(self.load_queue());
        }
        let job_running = self
            .open_request()
            .is_some_and(|r| r.job_requested && r.status == Status::InProgress);
        if job_running && now_ms - self.detail_asked_ms >= JOB_POLL_MS {
            out.extend(self.load_detail());
        }
        out
    }

    fn back(&mut self) -> Vec<Effect> {
        if self.dialog.take().is_some() {
            return Vec::new();
        }
        if self.help {
            self.help = false;
            return Vec::new();
        }
        if let Some(target) = self.input.take() {
            match target {
                InputTarget::QueueSearch => self.search.clear(),
                InputTarget::AuditActor => self.audit_actor.clear(),
                InputTarget::AuditSubject => {
                    // The entries shown may be filtered by the old subject: reload them.
                    self.audit_subject.clear();
                    self.audit.loading = false;
                    return self.load_audit();
                }
            }
            return Vec::new();
        }
        if self.tab == Tab::Detail {
            self.tab = Tab::Queue;
        }
        Vec::new()
    }

    fn submit(&mut self) -> Vec<Effect> {
        if self.dialog.is_some() {
            return self.submit_dialog();
        }
        match self.input.take() {
            Some(InputTarget::AuditSubject) => {
                self.audit_selected = 0;
                self.audit.loading = false;
                self.load_audit()
            }
            Some(_) => Vec::new(),
            None => self.open(),
        }
    }

    fn open(&mut self) -> Vec<Effect> {
        match self.tab {
            Tab::Queue => self.open_selected(),
            Tab::Retention => {
                if let Some(reason) = self.actions_disabled_reason() {
                    self.flash = Some(format!("dry run is disabled: {reason}"));
                    return Vec::new();
                }
                let rule = self
                    .retention
                    .data
                    .as_ref()
                    .and_then(|r| r.get(self.retention_selected))
                    .map(|r| r.rule.clone());
                match rule {
                    Some(rule) if self.busy.is_none() => {
                        let c = Command::DryRun { rule };
                        self.busy = Some(c.clone());
                        self.dry_run = None;
                        vec![Effect::Perform(c)]
                    }
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }
}

fn next_in<T: Copy + PartialEq>(all: &[T], current: Option<T>) -> Option<T> {
    match current {
        None => all.first().copied(),
        Some(c) => {
            let i = all.iter().position(|x| *x == c)?;
            all.get(i + 1).copied()
        }
    }
}

/// `?` for a value the server left out.
fn or_unknown(s: &str) -> &str {
    if s.is_empty() { "?" } else { s }
}

/// The server's answer to `command` in words: success with what changed, or the refusal
/// with its reason, the allowed transitions and the holds in the way.
pub fn describe_answer(command: &Command, result: &Result<Value, ApiError>) -> Outcome {
    let what = command.describe();
    match result {
        Ok(body) => {
            let mut lines = Vec::new();
            let headline = match command {
                Command::PlaceHold { .. } => {
                    let hold: Hold = serde_json::from_value(body.clone()).unwrap_or_default();
                    format!("{what}: placed (hold {})", or_unknown(&hold.id))
                }
                Command::LiftHold { hold_id, .. } => format!("{what}: hold {hold_id} lifted"),
                Command::DryRun { .. } => {
                    let (affected, examined, outcome) =
                        match serde_json::from_value::<DryRun>(body.clone()) {
                            Ok(run) => (
                                run.rows_affected(),
                                run.rows_examined(),
                                run.outcome().to_string(),
                            ),
                            Err(_) => (0, 0, String::new()),
                        };
                    format!(
                        "{what}: {affected} rows would be removed (of {examined} examined), outcome {}",
                        or_unknown(&outcome),
                    )
                }
                _ => {
                    let r: Request = serde_json::from_value(body.clone()).unwrap_or_default();
                    if matches!(command, Command::Extend { .. }) {
                        lines.push(format!("new due date: {}", crate::dates::day(&r.due_at)));
                    }
                    if r.job_requested {
                        lines.push(format!(
                            "{JOB_QUEUED}: the status updates here when it finishes"
                        ));
                    }
                    format!("{what}: accepted, request is now {}", r.status.as_str())
                }
            };
            Outcome {
                ok: true,
                headline,
                lines,
            }
        }
        Err(e) => {
            let mut lines = Vec::new();
            if let ApiError::Refused { allowed, holds, .. } = e {
                if !allowed.is_empty() {
                    let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
                    lines.push(format!("allowed from here: {}", names.join(", ")));
                }
                for h in holds {
                    lines.push(format!("legal hold {}: {}", h.id, h.reason));
                }
            }
            Outcome {
                ok: false,
                headline: format!("{what}: refused: {e}"),
                lines,
            }
        }
    }
}

/// Applies `action` to `app`; returns the network work to start.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => {
            app.quit = true;
            Vec::new()
        }
        Action::Tick { now_ms } => app.tick(now_ms),
        Action::ToggleHelp => {
            app.help = !app.help;
            Vec::new()
        }
        Action::Show(tab) => app.show(tab),
        Action::NextTab => {
            let i = (app.tab.index() + 1) % Tab::ALL.len();
            app.show(Tab::ALL[i])
        }
        Action::PrevTab => {
            let i = (app.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len();
            app.show(Tab::ALL[i])
        }
        Action::Refresh => {
            app.flash = None;
            app.load_tab(true)
        }
        Action::Up => {
            app.move_by(-1);
            Vec::new()
        }
        Action::Down => {
            app.move_by(1);
            Vec::new()
        }
        Action::PageUp => {
            app.move_by(-(PAGE as i64));
            Vec::new()
        }
        Action::PageDown => {
            app.move_by(PAGE as i64);
            Vec::new()
        }
        Action::Top => {
            app.move_by(-100_000);
            Vec::new()
        }
        Action::Bottom => {
            app.move_by(100_000);
            Vec::new()
        }
        Action::Open => app.open(),
        Action::Back => app.back(),
        Action::CycleStatus => {
            app.status_filter = next_in(&Status::ALL, app.status_filter);
            app.selected = 0;
            Vec::new()
        }
        Action::CycleKind => {
            app.kind_filter = next_in(&Kind::ALL, app.kind_filter);
            app.selected = 0;
            Vec::new()
        }
        Action::StartSearch => {
            app.input = match app.tab {
                Tab::Queue => Some(InputTarget::QueueSearch),
                Tab::Audit => Some(InputTarget::AuditSubject),
                _ => None,
            };
            Vec::new()
        }
        Action::StartActorFilter => {
            if app.tab == Tab::Audit {
                app.input = Some(InputTarget::AuditActor);
            }
            Vec::new()
        }
        Action::ClearFilters => match app.tab {
            Tab::Audit => {
                app.audit_actor.clear();
                let had_subject = !app.audit_subject.is_empty();
                app.audit_subject.clear();
                app.audit_selected = 0;
                if had_subject {
                    app.audit.loading = false;
                    app.load_audit()
                } else {
                    Vec::new()
                }
            }
            _ => {
                app.status_filter = None;
                app.kind_filter = None;
                app.search.clear();
                app.selected = 0;
                Vec::new()
            }
        },
        Action::ToggleReads => {
            app.timeline_reads = !app.timeline_reads;
            Vec::new()
        }
        Action::Begin(op) => app.begin(op),
        Action::VerifyChain => {
            if app.chain.start() {
                vec![Effect::VerifyAudit]
            } else {
                Vec::new()
            }
        }
        Action::Input(c) => {
            app.type_char(c);
            Vec::new()
        }
        Action::Backspace => {
            app.backspace();
            Vec::new()
        }
        Action::MoreMonths => {
            if let Some(d) = app.dialog.as_mut() {
                d.months = (d.months + 1).min(2);
            }
            Vec::new()
        }
        Action::FewerMonths => {
            if let Some(d) = app.dialog.as_mut() {
                d.months = d.months.saturating_sub(1).max(1);
            }
            Vec::new()
        }
        Action::Submit => app.submit(),
        Action::Net(event) => app.net(event),
    }
}
