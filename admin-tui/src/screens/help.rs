//! The help overlay's state: whether it is shown. It lists every key
//! (`keys::BINDINGS`); while shown, only Esc, `?` and `q` do anything.

use crate::action::Action;

/// The help overlay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Help {
    /// Shown over the current screen.
    pub open: bool,
}

impl Help {
    /// `?` shows or hides it; Esc hides it. Returns whether the action was the overlay's.
    pub fn update(&mut self, action: &Action) -> bool {
        match action {
            Action::ToggleHelp => {
                self.open = !self.open;
                true
            }
            Action::Back if self.open => {
                self.open = false;
                true
            }
            _ => false,
        }
    }
}
