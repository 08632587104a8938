//! The console's state ([`App`]) and the only function that changes it, [`update`]. The
//! state is what the screens share (who is signed in, the clock, the subjects, the action
//! awaiting its answer, the flash line, which text box has the keyboard) and one state per
//! screen (`screens`). `update` is a router: each [`Action`] goes to the dialog or the help
//! overlay when they take it, to the text box being typed into, to the screen it concerns,
//! or — for what crosses screens (tabs, opening a request, network answers) — is handled
//! here. It answers with the network work to start ([`Effect`]s); nothing here waits on the
//! network or draws.

use serde_json::Value;

use crate::action::{Action, Command, Effect, NetEvent, Op, Tab};
use crate::api::{ApiError, AuditEntry, Me, Request, Role, Status};
use crate::screens::audit::AuditScreen;
use crate::screens::backups::BackupsScreen;
use crate::screens::common::{Context, InputTarget, Section};
use crate::screens::detail::DetailScreen;
use crate::screens::dialog::{Dialog, Step};
use crate::screens::form::{FormStep, NewRequestForm};
use crate::screens::help::Help;
use crate::screens::outcome::describe_answer;
use crate::screens::queue::QueueScreen;
use crate::screens::retention::RetentionScreen;
use crate::screens::subjects::Subjects;

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
    /// Data subjects by account id, for every screen that names one.
    pub subjects: Subjects,
    /// An action sent and not yet answered: one at a time, from any screen.
    pub busy: Option<Command>,
    /// The open confirmation dialog.
    pub dialog: Option<Dialog>,
    /// The open "new request" form.
    pub form: Option<NewRequestForm>,
    /// The help overlay.
    pub help: Help,
    /// Tab 1: the queue.
    pub queue: QueueScreen,
    /// Tab 2: the open request.
    pub detail: DetailScreen,
    /// Tab 3: retention rules.
    pub retention: RetentionScreen,
    /// Tab 4: the backup catalog.
    pub backups: BackupsScreen,
    /// Tab 5: the audit trail.
    pub audit: AuditScreen,
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
        out.extend(self.queue.load(self.now_ms));
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
            || self.queue.requests.loading
            || self.subjects.loading()
            || self.detail.bundle.loading
            || self.busy.is_some()
            || self.retention.rules.loading
            || self.backups.catalog.loading
            || self.audit.entries.loading
            || self.audit.chain.loading
    }

    /// The subject's email for a request (masked for support, `…` until loaded).
    pub fn subject_email(&self, account_id: &str) -> &str {
        self.subjects.email(account_id)
    }

    /// The queue after filters and search: open requests soonest due first, then closed ones.
    pub fn visible_requests(&self) -> Vec<&Request> {
        self.queue.visible(&self.subjects)
    }

    /// Requests per status over the whole queue (header counts).
    pub fn counts(&self) -> Vec<(Status, usize)> {
        self.queue.counts()
    }

    /// Audit entries after the actor filter.
    pub fn visible_audit(&self) -> Vec<&AuditEntry> {
        self.audit.visible()
    }

    /// The request shown on Detail, if loaded.
    pub fn open_request(&self) -> Option<&Request> {
        self.detail.request()
    }

    /// Loads for the current tab when it has nothing yet (or always, with `force`).
    fn load_tab(&mut self, force: bool) -> Vec<Effect> {
        let now = self.now_ms;
        match self.tab {
            Tab::Queue => self.queue.refresh(force, now),
            Tab::Detail => self.detail.refresh(force, now),
            Tab::Retention => self.retention.refresh(force),
            Tab::Backups => self.backups.refresh(force),
            Tab::Audit => self.audit.refresh(force),
        }
    }

    fn show(&mut self, tab: Tab) -> Vec<Effect> {
        self.tab = tab;
        self.flash = None;
        self.load_tab(false)
    }

    /// The screen a screen-local action goes to, if `action` is one.
    fn screen_for(&self, action: &Action) -> Option<Tab> {
        match action {
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => Some(self.tab),
            Action::CycleStatus | Action::CycleKind => Some(Tab::Queue),
            Action::ClearFilters if self.tab == Tab::Audit => Some(Tab::Audit),
            Action::ClearFilters => Some(Tab::Queue),
            Action::ToggleReads if self.tab == Tab::Audit => Some(Tab::Audit),
            Action::ToggleReads => Some(Tab::Detail),
            Action::VerifyChain => Some(Tab::Audit),
            _ => None,
        }
    }

    /// Runs `tab`'s own `update`.
    fn update_screen(
        &mut self,
        tab: Tab,
        action: &Action,
        input: Option<InputTarget>,
    ) -> Vec<Effect> {
        let cx = Context {
            subjects: &self.subjects,
            input,
        };
        match tab {
            Tab::Queue => self.queue.update(action, &cx),
            Tab::Detail => self.detail.update(action, &cx),
            Tab::Retention => self.retention.update(action, &cx),
            Tab::Backups => self.backups.update(action, &cx),
            Tab::Audit => self.audit.update(action, &cx),
        }
    }

    /// Typing, Esc and Enter in the text box `target` go to the box's screen; Esc and
    /// Enter also leave the box.
    fn type_into(&mut self, target: InputTarget, action: &Action) -> Vec<Effect> {
        if matches!(action, Action::Back | Action::Submit) {
            self.input = None;
        }
        let tab = match target {
            InputTarget::QueueSearch | InputTarget::SubjectFind => Tab::Queue,
            InputTarget::AuditSubject | InputTarget::AuditActor => Tab::Audit,
        };
        self.update_screen(tab, action, Some(target))
    }

    fn update_dialog(&mut self, action: &Action) -> Vec<Effect> {
        let Some(dialog) = self.dialog.as_mut() else {
            return Vec::new();
        };
        match dialog.update(action) {
            Step::Stay => Vec::new(),
            Step::Close => {
                self.dialog = None;
                Vec::new()
            }
            Step::Send(command) => {
                self.dialog = None;
                self.detail.outcome = None;
                self.busy = Some(command.clone());
                vec![Effect::Perform(command)]
            }
        }
    }

    fn update_form(&mut self, action: &Action) -> Vec<Effect> {
        let Some(form) = self.form.as_mut() else {
            return Vec::new();
        };
        match form.update(action) {
            FormStep::Stay => Vec::new(),
            FormStep::Close => {
                self.form = None;
                Vec::new()
            }
            FormStep::Send(command) => {
                self.form = None;
                self.busy = Some(command.clone());
                vec![Effect::Perform(command)]
            }
        }
    }

    /// Opens the "new request" form, or says why not.
    fn new_request(&mut self) {
        if let Some(reason) = self.actions_disabled_reason() {
            self.flash = Some(format!("recording a request is disabled: {reason}"));
        } else if self.busy.is_some() {
            self.flash = Some("wait for the server's answer to the last action".into());
        } else {
            self.flash = None;
            self.form = Some(NewRequestForm::default());
        }
    }

    /// The subject found by `email`: the queue shows their requests, the flash says who.
    fn found(&mut self, email: &str, result: Result<Box<crate::api::Account>, ApiError>) {
        match result {
            Ok(account) => {
                let s = &account.subject;
                self.subjects.insert(s);
                self.queue.show_subject(&s.account_id);
                let restricted = account.restrictions.iter().any(|r| r.lifted_at.is_none());
                self.flash = Some(format!(
                    "{} ({}, {}): {} request(s){}{}",
                    s.email,
                    s.display_name,
                    s.account_id,
                    account.requests.len(),
                    if restricted {
                        ", processing restricted"
                    } else {
                        ""
                    },
                    if account.requests.is_empty() {
                        "; N records one"
                    } else {
                        ""
                    },
                ));
            }
            Err(e) => self.flash = Some(format!("finding {email}: {e}")),
        }
    }

    /// Enter on a screen: a request opens on Detail; a retention rule gets a dry run.
    fn open(&mut self) -> Vec<Effect> {
        match self.tab {
            Tab::Queue => {
                let Some(id) = self.queue.selected_id(&self.subjects) else {
                    return Vec::new();
                };
                self.tab = Tab::Detail;
                self.detail.open(id, self.now_ms).into_iter().collect()
            }
            Tab::Retention => {
                if let Some(reason) = self.actions_disabled_reason() {
                    self.flash = Some(format!("dry run is disabled: {reason}"));
                    return Vec::new();
                }
                if self.busy.is_some() {
                    return Vec::new();
                }
                let Some(command) = self.retention.dry_run() else {
                    return Vec::new();
                };
                self.busy = Some(command.clone());
                vec![Effect::Perform(command)]
            }
            Tab::Detail | Tab::Backups | Tab::Audit => Vec::new(),
        }
    }

    /// Starts `op` on the open request: its dialog opens, or the flash says why not.
    fn begin(&mut self, op: Op) {
        if self.tab != Tab::Detail {
            return;
        }
        let disabled = self.actions_disabled_reason();
        match self.detail.begin(op, disabled, self.busy.is_some()) {
            Ok(dialog) => {
                self.flash = None;
                self.dialog = Some(dialog);
            }
            Err(why) => self.flash = Some(why),
        }
    }

    fn tick(&mut self, now_ms: i64) -> Vec<Effect> {
        self.now_ms = now_ms;
        self.ticks += 1;
        let mut out = Vec::new();
        out.extend(self.queue.due(now_ms));
        out.extend(self.detail.due(now_ms));
        out
    }

    fn net(&mut self, event: NetEvent) -> Vec<Effect> {
        if !matches!(event, NetEvent::Retrying { .. }) {
            self.retry_note = None;
        }
        match event {
            NetEvent::Me(r) => self.me.finish(r),
            NetEvent::Queue(r) => return self.queue.loaded(r, &mut self.subjects),
            NetEvent::Subject(id, r) => self.subjects.loaded(id, r),
            NetEvent::Detail(id, r) => {
                let fresh = self.detail.loaded(&id, r, &mut self.subjects);
                // The queue's counts follow a status the detail saw change.
                let changed = fresh
                    .is_some_and(|f| self.queue.status_of(&f.id).is_some_and(|s| s != f.status));
                if changed {
                    return self.queue.load(self.now_ms).into_iter().collect();
                }
            }
            NetEvent::Audit(r) => self.audit.loaded(r),
            NetEvent::ChainVerified(r) => self.audit.chain.finish(r),
            NetEvent::Retention(r) => self.retention.loaded(r),
            NetEvent::Backups(r) => self.backups.loaded(r),
            NetEvent::Found(email, r) => self.found(&email, r),
            NetEvent::Retrying {
                what,
                attempt,
                reason,
            } => {
                self.retry_note = Some(format!("retrying {what} (attempt {attempt}): {reason}"));
            }
            NetEvent::Done(command, result) => return self.answered(command, result),
        }
        Vec::new()
    }

    /// An action's answer: shown where it was asked; after a request's action the request
    /// and the queue reload.
    fn answered(&mut self, command: Command, result: Result<Value, ApiError>) -> Vec<Effect> {
        self.busy = None;
        let outcome = describe_answer(&command, &result);
        if let Command::DryRun { .. } = command {
            self.retention.dry_run = Some(outcome);
            return Vec::new();
        }
        let mut out = Vec::new();
        // A request just recorded opens on Detail, with the server's answer.
        if let (Command::CreateRequest(_), Ok(body)) = (&command, &result) {
            let created: Request = serde_json::from_value(body.clone()).unwrap_or_default();
            if !created.id.is_empty() {
                self.tab = Tab::Detail;
                out.extend(self.detail.open(created.id, self.now_ms));
            }
        }
        self.detail.outcome = Some(outcome);
        out.extend(self.detail.load(self.now_ms));
        out.extend(self.queue.load(self.now_ms));
        out
    }
}

/// Applies `action` to `app`; returns the network work to start.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    if app.dialog.is_some() && Dialog::takes(&action) {
        return app.update_dialog(&action);
    }
    if app.form.is_some() && NewRequestForm::takes(&action) {
        return app.update_form(&action);
    }
    if app.help.update(&action) {
        return Vec::new();
    }
    let typing = matches!(
        action,
        Action::Input(_) | Action::Backspace | Action::Back | Action::Submit
    );
    if let Some(target) = app.input.filter(|_| typing) {
        return app.type_into(target, &action);
    }
    if let Some(tab) = app.screen_for(&action) {
        return app.update_screen(tab, &action, app.input);
    }
    match action {
        Action::Quit => app.quit = true,
        Action::Tick { now_ms } => return app.tick(now_ms),
        Action::Net(event) => return app.net(event),
        Action::Show(tab) => return app.show(tab),
        Action::NextTab => return app.show(app.tab.next()),
        Action::PrevTab => return app.show(app.tab.previous()),
        Action::Refresh => {
            app.flash = None;
            return app.load_tab(true);
        }
        Action::Open | Action::Submit => return app.open(),
        Action::Back if app.tab == Tab::Detail => app.tab = Tab::Queue,
        Action::Begin(op) => app.begin(op),
        Action::StartSearch => {
            app.input = match app.tab {
                Tab::Queue => Some(InputTarget::QueueSearch),
                Tab::Audit => Some(InputTarget::AuditSubject),
                _ => None,
            };
        }
        Action::StartActorFilter if app.tab == Tab::Audit => {
            app.input = Some(InputTarget::AuditActor);
        }
        // From any screen: the subject found, or the request recorded, is shown from the
        // queue.
        Action::StartFind => {
            app.tab = Tab::Queue;
            app.queue.find.clear();
            app.input = Some(InputTarget::SubjectFind);
        }
        Action::NewRequest => {
            app.tab = Tab::Queue;
            app.new_request();
        }
        // Handled above, or nothing to do here (no dialog, no text box).
        Action::Back
        | Action::StartActorFilter
        | Action::NextField
        | Action::ToggleHelp
        | Action::Input(_)
        | Action::Backspace
        | Action::MoreMonths
        | Action::FewerMonths
        | Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom
        | Action::CycleStatus
        | Action::CycleKind
        | Action::ClearFilters
        | Action::ToggleReads
        | Action::VerifyChain => {}
    }
    Vec::new()
}
