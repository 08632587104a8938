//! The Queue screen's state: every request (reloaded every [`QUEUE_REFRESH_MS`] so the
//! counts stay live), the status and kind filters, the search, and the selection, which
//! follows its request when a reload reorders the list.

use crate::action::{Action, Effect};
use crate::api::{ApiError, Kind, Request, Status};
use crate::screens::common::{Context, InputTarget, Section, moved, step};
use crate::screens::subjects::Subjects;

/// The queue reloads itself this often (ms), so counts stay live.
pub const QUEUE_REFRESH_MS: i64 = 15_000;

/// The Queue tab.
#[derive(Debug, Clone, Default)]
pub struct QueueScreen {
    /// All requests (the server's list, soonest due first).
    pub requests: Section<Vec<Request>>,
    /// When the queue was last asked for (ms), to pace the reloads.
    pub asked_ms: i64,
    /// Filter by status.
    pub status_filter: Option<Status>,
    /// Filter by kind.
    pub kind_filter: Option<Kind>,
    /// Search text (email or id, case-insensitive).
    pub search: String,
    /// The email typed to find a data subject on the server.
    pub find: String,
    /// Selected row of the filtered queue.
    pub selected: usize,
}

impl QueueScreen {
    /// Asks for the queue unless a load runs.
    pub fn load(&mut self, now_ms: i64) -> Option<Effect> {
        if self.requests.start() {
            self.asked_ms = now_ms;
            Some(Effect::LoadQueue)
        } else {
            None
        }
    }

    /// Loads when there is nothing yet, or always with `force`.
    pub fn refresh(&mut self, force: bool, now_ms: i64) -> Vec<Effect> {
        if self.requests.wanted(force) {
            self.load(now_ms).into_iter().collect()
        } else {
            Vec::new()
        }
    }

    /// The reload due at `now_ms`, if the last one is [`QUEUE_REFRESH_MS`] old.
    pub fn due(&mut self, now_ms: i64) -> Option<Effect> {
        let stale = now_ms - self.asked_ms >= QUEUE_REFRESH_MS;
        if self.requests.data.is_some() && stale {
            self.load(now_ms)
        } else {
            None
        }
    }

    /// The queue after filters and search: open requests soonest due first, then closed ones.
    pub fn visible<'a>(&'a self, subjects: &Subjects) -> Vec<&'a Request> {
        let needle = self.search.trim().to_lowercase();
        let mut rows: Vec<&Request> = self
            .requests
            .data
            .iter()
            .flatten()
            .filter(|r| self.status_filter.is_none_or(|s| r.status == s))
            .filter(|r| self.kind_filter.is_none_or(|k| r.kind == k))
            .filter(|r| {
                needle.is_empty()
                    || r.id.to_lowercase().contains(&needle)
                    || r.account_id.to_lowercase().contains(&needle)
                    || subjects.email_contains(&r.account_id, &needle)
            })
            .collect();
        // Open requests first, each group soonest due first.
        rows.sort_by_key(|r| (!r.status.is_open(), r.due_at_ms));
        rows
    }

    /// The id of the selected request.
    pub fn selected_id(&self, subjects: &Subjects) -> Option<String> {
        self.visible(subjects)
            .get(self.selected)
            .map(|r| r.id.clone())
    }

    /// Requests per status over the whole queue (header counts).
    pub fn counts(&self) -> Vec<(Status, usize)> {
        let all = self.requests.data.as_deref().unwrap_or_default();
        Status::ALL
            .iter()
            .map(|s| (*s, all.iter().filter(|r| r.status == *s).count()))
            .collect()
    }

    /// The status the queue last saw for request `id`.
    pub fn status_of(&self, id: &str) -> Option<Status> {
        self.requests
            .data
            .iter()
            .flatten()
            .find(|r| r.id == id)
            .map(|r| r.status)
    }

    /// Records a load's answer, keeping the same request selected; returns the fetches of
    /// subjects not seen yet.
    pub fn loaded(
        &mut self,
        result: Result<Vec<Request>, ApiError>,
        subjects: &mut Subjects,
    ) -> Vec<Effect> {
        let kept = self.selected_id(subjects);
        self.requests.finish(result);
        let (found, rows) = {
            let rows = self.visible(subjects);
            let found = kept.and_then(|id| rows.iter().position(|r| r.id == id));
            (found, rows.len())
        };
        self.selected = moved(found.unwrap_or(self.selected), rows, 0);
        let accounts = self.requests.data.iter().flatten();
        subjects.fetch(accounts.map(|r| r.account_id.as_str()))
    }

    /// The subject found by email: the queue shows their requests only.
    pub fn show_subject(&mut self, account_id: &str) {
        self.search = account_id.to_string();
        self.status_filter = None;
        self.kind_filter = None;
        self.selected = 0;
    }

    /// Filters, search and find typing, and the selection.
    pub fn update(&mut self, action: &Action, cx: &Context) -> Vec<Effect> {
        match action {
            Action::CycleStatus => {
                self.status_filter = next_in(&Status::ALL, self.status_filter);
                self.selected = 0;
            }
            Action::CycleKind => {
                self.kind_filter = next_in(&Kind::ALL, self.kind_filter);
                self.selected = 0;
            }
            Action::ClearFilters => {
                self.status_filter = None;
                self.kind_filter = None;
                self.search.clear();
                self.selected = 0;
            }
            Action::Input(c) if cx.input == Some(InputTarget::SubjectFind) => self.find.push(*c),
            Action::Backspace if cx.input == Some(InputTarget::SubjectFind) => {
                self.find.pop();
            }
            Action::Back if cx.input == Some(InputTarget::SubjectFind) => self.find.clear(),
            Action::Submit if cx.input == Some(InputTarget::SubjectFind) => {
                let email = self.find.trim().to_string();
                if !email.is_empty() {
                    return vec![Effect::FindSubject(email)];
                }
            }
            Action::Input(c) => {
                self.search.push(*c);
                self.selected = 0;
            }
            Action::Backspace => {
                self.search.pop();
            }
            // Esc leaves the search box and clears it; Enter keeps it.
            Action::Back => self.search.clear(),
            other => {
                if let Some(delta) = step(other) {
                    let rows = self.visible(cx.subjects).len();
                    self.selected = moved(self.selected, rows, delta);
                }
            }
        }
        Vec::new()
    }
}

/// The value after `current` in `all`, `None` after the last (so filters cycle through
/// "all").
fn next_in<T: Copy + PartialEq>(all: &[T], current: Option<T>) -> Option<T> {
    match current {
        None => all.first().copied(),
        Some(c) => {
            let i = all.iter().position(|x| *x == c)?;
            all.get(i + 1).copied()
        }
    }
}
