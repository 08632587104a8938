//! The Backups screen's state: the catalog and the selection.

use crate::action::{Action, Effect};
use crate::api::{ApiError, Backup};
use crate::screens::common::{Context, Section, moved, step};
use heepr_admin_api::BackupList;

/// The Backups tab.
#[derive(Debug, Clone, Default)]
pub struct BackupsScreen {
    /// The backup catalog.
    pub catalog: Section<Vec<Backup>>,
    /// Selected backup.
    pub selected: usize,
    /// The catalog's warnings (stale or missing backups, a failed attempt), shown in red.
    pub warnings: Vec<String>,
}

impl BackupsScreen {
    /// Loads when there is nothing yet, or always with `force`, unless a load runs.
    pub fn refresh(&mut self, force: bool) -> Vec<Effect> {
        self.catalog.load_if_wanted(force, Effect::LoadBackups)
    }

    /// Records a load's answer.
    pub fn loaded(&mut self, result: Result<BackupList, ApiError>) {
        let result = result.map(|list| {
            self.warnings = list.warnings;
            list.backups
        });
        self.catalog.finish_keeping(result, &mut self.selected);
    }

    /// The selection.
    pub fn update(&mut self, action: &Action, _cx: &Context) -> Vec<Effect> {
        if let Some(delta) = step(action) {
            self.selected = moved(self.selected, self.catalog.len(), delta);
        }
        Vec::new()
    }
}
