//! What every screen uses: the data one load brings ([`Section`]), moving a cursor over a
//! list, which text box has the keyboard, and what a screen's `update` may read besides its
//! own state ([`Context`]).

use crate::action::{Action, Effect};
use crate::api::ApiError;
use crate::screens::subjects::Subjects;

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
    pub fn start(&mut self) -> bool {
        if self.loading {
            return false;
        }
        self.loading = true;
        true
    }

    /// Marks a load started even if one runs: what it would bring is out of date (a filter
    /// changed).
    pub fn restart(&mut self) -> bool {
        self.loading = false;
        self.start()
    }

    /// Whether a load should start: there is nothing yet, or `force`.
    pub fn wanted(&self, force: bool) -> bool {
        force || self.data.is_none()
    }

    /// `load` when a load is [`wanted`](Section::wanted) and none runs (then marked started).
    pub fn load_if_wanted(&mut self, force: bool, load: Effect) -> Vec<Effect> {
        if self.wanted(force) && self.start() {
            vec![load]
        } else {
            Vec::new()
        }
    }

    /// Records a load's answer.
    pub fn finish(&mut self, result: Result<T, ApiError>) {
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

impl<T> Section<Vec<T>> {
    /// Rows loaded (0 before the first load).
    pub fn len(&self) -> usize {
        self.data.as_ref().map_or(0, Vec::len)
    }

    /// Whether no rows are loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records a load's answer and keeps `selected` on one of the rows.
    pub fn finish_keeping(&mut self, result: Result<Vec<T>, ApiError>, selected: &mut usize) {
        self.finish(result);
        *selected = moved(*selected, self.len(), 0);
    }
}

/// Which text box has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputTarget {
    /// Queue search (email or id).
    QueueSearch,
    /// Queue: an email to find its data subject on the server.
    SubjectFind,
    /// Audit filter by subject account id (sent to the server).
    AuditSubject,
    /// Audit filter by actor (applied here).
    AuditActor,
}

/// What a screen's `update` may read besides its own state.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Subjects by account id (the queue searches their emails).
    pub subjects: &'a Subjects,
    /// The text box that has the keyboard, when the action is typing into it.
    pub input: Option<InputTarget>,
}

/// How far a movement action moves a cursor or scroll (lines), or `None` for other actions.
pub fn step(action: &Action) -> Option<i64> {
    match action {
        Action::Up => Some(-1),
        Action::Down => Some(1),
        Action::PageUp => Some(-(PAGE as i64)),
        Action::PageDown => Some(PAGE as i64),
        Action::Top => Some(-100_000),
        Action::Bottom => Some(100_000),
        _ => None,
    }
}

/// `cursor` moved by `delta` and kept on one of `len` rows (row 0 when there are none).
pub fn moved(cursor: usize, len: usize, delta: i64) -> usize {
    let max = len.saturating_sub(1) as i64;
    usize::try_from((cursor as i64 + delta).clamp(0, max)).unwrap_or(0)
}
