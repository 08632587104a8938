//! The Retention screen's state: the rules with their last runs, the selection, and the
//! answer to the last dry run (a privacy officer's action: nothing is deleted).

use crate::action::{Action, Command, Effect};
use crate::api::{ApiError, RetentionRule};
use crate::screens::common::{Context, Section, moved, step};
use crate::screens::outcome::Outcome;

/// The Retention tab.
#[derive(Debug, Clone, Default)]
pub struct RetentionScreen {
    /// Retention rules.
    pub rules: Section<Vec<RetentionRule>>,
    /// Selected rule.
    pub selected: usize,
    /// The last dry run's answer.
    pub dry_run: Option<Outcome>,
}

impl RetentionScreen {
    /// Loads when there is nothing yet, or always with `force`, unless a load runs.
    pub fn refresh(&mut self, force: bool) -> Vec<Effect> {
        self.rules.load_if_wanted(force, Effect::LoadRetention)
    }

    /// Records a load's answer.
    pub fn loaded(&mut self, result: Result<Vec<RetentionRule>, ApiError>) {
        self.rules.finish_keeping(result, &mut self.selected);
    }

    /// The dry run of the selected rule, if one is selected (the last answer is cleared).
    pub fn dry_run(&mut self) -> Option<Command> {
        let rule = self.rules.data.as_ref()?.get(self.selected)?.rule.clone();
        self.dry_run = None;
        Some(Command::DryRun { rule })
    }

    /// The selection.
    pub fn update(&mut self, action: &Action, _cx: &Context) -> Vec<Effect> {
        if let Some(delta) = step(action) {
            self.selected = moved(self.selected, self.rules.len(), delta);
        }
        Vec::new()
    }
}
