//! The Audit screen's state: recent entries (filtered by subject on the server, by actor
//! here, read-only calls hidden unless asked), the chain's verification, the two filters'
//! text and the selection.

use crate::action::{Action, Effect};
use crate::api::{ApiError, AuditEntry, ChainVerification};
use crate::screens::common::{Context, InputTarget, Section, moved, step};

/// The Audit tab.
#[derive(Debug, Clone, Default)]
pub struct AuditScreen {
    /// Recent audit entries.
    pub entries: Section<Vec<AuditEntry>>,
    /// The chain's verification.
    pub chain: Section<ChainVerification>,
    /// Filter: subject account id (sent to the server).
    pub subject: String,
    /// Filter: actor substring (applied here).
    pub actor: String,
    /// Selected entry.
    pub selected: usize,
    /// Read-only admin calls (`GET ...`, the console's own reloads among them) are listed
    /// too; hidden by default, as they drown the decisions.
    pub show_reads: bool,
}

/// Whether `e` records a read-only admin call.
pub fn is_read(e: &AuditEntry) -> bool {
    e.action.starts_with("GET ")
}

impl AuditScreen {
    /// Asks for the entries and the chain's verification, each unless already running.
    pub fn load(&mut self) -> Vec<Effect> {
        let mut out = Vec::new();
        if self.entries.start() {
            let subject = Some(self.subject.trim().to_string()).filter(|s| !s.is_empty());
            out.push(Effect::LoadAudit { subject });
        }
        out.extend(self.verify());
        out
    }

    /// Loads when there is nothing yet, or always with `force`.
    pub fn refresh(&mut self, force: bool) -> Vec<Effect> {
        if self.entries.wanted(force) {
            self.load()
        } else {
            Vec::new()
        }
    }

    /// Verifies the chain again, unless a verification runs.
    pub fn verify(&mut self) -> Vec<Effect> {
        if self.chain.start() {
            vec![Effect::VerifyAudit]
        } else {
            Vec::new()
        }
    }

    /// Loads again after the subject filter changed: a running load would bring entries of
    /// the old filter.
    fn reload(&mut self) -> Vec<Effect> {
        self.entries.loading = false;
        self.load()
    }

    /// Entries after the actor filter.
    pub fn visible(&self) -> Vec<&AuditEntry> {
        let actor = self.actor.trim().to_lowercase();
        self.entries
            .data
            .iter()
            .flatten()
            .filter(|e| self.show_reads || !is_read(e))
            .filter(|e| actor.is_empty() || e.actor.to_lowercase().contains(&actor))
            .collect()
    }

    /// How many entries the hidden reads leave out.
    pub fn hidden_reads(&self) -> usize {
        if self.show_reads {
            return 0;
        }
        self.entries
            .data
            .iter()
            .flatten()
            .filter(|e| is_read(e))
            .count()
    }

    /// Records the entries' answer.
    pub fn loaded(&mut self, result: Result<Vec<AuditEntry>, ApiError>) {
        self.entries.finish(result);
        self.selected = moved(self.selected, self.visible().len(), 0);
    }

    /// Both filters cleared; the entries reload if the subject filter was set.
    fn clear_filters(&mut self) -> Vec<Effect> {
        self.actor.clear();
        let had_subject = !self.subject.is_empty();
        self.subject.clear();
        self.selected = 0;
        if had_subject {
            self.reload()
        } else {
            Vec::new()
        }
    }

    /// Typing into the filters, clearing them, verifying the chain, the selection.
    pub fn update(&mut self, action: &Action, cx: &Context) -> Vec<Effect> {
        use InputTarget::{AuditActor, AuditSubject};
        match (action, cx.input) {
            (Action::Input(c), Some(AuditSubject)) => self.subject.push(*c),
            (Action::Input(c), Some(AuditActor)) => {
                self.actor.push(*c);
                self.selected = 0;
            }
            (Action::Backspace, Some(AuditSubject)) => {
                self.subject.pop();
            }
            (Action::Backspace, Some(AuditActor)) => {
                self.actor.pop();
            }
            // Esc clears the filter being typed; Enter applies the subject filter.
            (Action::Back, Some(AuditSubject)) => {
                self.subject.clear();
                return self.reload();
            }
            (Action::Back, Some(AuditActor)) => self.actor.clear(),
            (Action::Submit, Some(AuditSubject)) => {
                self.selected = 0;
                return self.reload();
            }
            (Action::ClearFilters, _) => return self.clear_filters(),
            (Action::VerifyChain, _) => return self.verify(),
            (Action::ToggleReads, _) => {
                self.show_reads = !self.show_reads;
                self.selected = 0;
            }
            (other, _) => {
                if let Some(delta) = step(other) {
                    self.selected = moved(self.selected, self.visible().len(), delta);
                }
            }
        }
        Vec::new()
    }
}
