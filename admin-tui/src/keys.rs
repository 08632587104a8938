//! Keys to [`Action`]s. What a key does depends on the mode (a dialog or a text box takes
//! typed characters) and the tab; [`BINDINGS`] lists every key for the help overlay, and a
//! test checks each listed key really maps to an action.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::action::{Action, Op, Tab};
use crate::app::App;

/// One line of the help overlay.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// Where the key works: `everywhere`, `Queue`, `Detail`...
    pub scope: &'static str,
    /// The key(s) as shown.
    pub keys: &'static str,
    /// What it does.
    pub what: &'static str,
}

/// Every key, for the help overlay.
pub const BINDINGS: &[Binding] = &[
    Binding {
        scope: "everywhere",
        keys: "q Ctrl-C",
        what: "quit (terminal restored)",
    },
    Binding {
        scope: "everywhere",
        keys: "?",
        what: "this help",
    },
    Binding {
        scope: "everywhere",
        keys: "1-5 Tab Shift-Tab",
        what: "Queue/Detail/Retention/Backups/Audit",
    },
    Binding {
        scope: "everywhere",
        keys: "r",
        what: "reload this screen",
    },
    Binding {
        scope: "everywhere",
        keys: "↑↓ jk PgUp PgDn g G",
        what: "move / scroll",
    },
    Binding {
        scope: "everywhere",
        keys: "Esc",
        what: "close dialog, search or help; back",
    },
    Binding {
        scope: "Queue",
        keys: "Enter",
        what: "open the request",
    },
    Binding {
        scope: "Queue",
        keys: "f",
        what: "filter by status (cycles)",
    },
    Binding {
        scope: "Queue",
        keys: "t",
        what: "filter by kind (cycles)",
    },
    Binding {
        scope: "Queue",
        keys: "/",
        what: "search by email or id",
    },
    Binding {
        scope: "Queue",
        keys: "z",
        what: "clear filters and search",
    },
    Binding {
        scope: "everywhere",
        keys: "F",
        what: "find a subject by email",
    },
    Binding {
        scope: "everywhere",
        keys: "N",
        what: "record a letter/call",
    },
    Binding {
        scope: "Detail",
        keys: "v",
        what: "verify identity (→ awaiting)",
    },
    Binding {
        scope: "Detail",
        keys: "s",
        what: "start (→ in_progress, marks verified)",
    },
    Binding {
        scope: "Detail",
        keys: "x",
        what: "run export (access request)",
    },
    Binding {
        scope: "Detail",
        keys: "E",
        what: "approve erasure (type subject id)",
    },
    Binding {
        scope: "Detail",
        keys: "c",
        what: "complete",
    },
    Binding {
        scope: "Detail",
        keys: "R",
        what: "reject with reason",
    },
    Binding {
        scope: "Detail",
        keys: "d",
        what: "extend deadline with reason",
    },
    Binding {
        scope: "Detail",
        keys: "h l",
        what: "place / lift legal hold",
    },
    Binding {
        scope: "Detail",
        keys: "n e",
        what: "note / rectify (↑↓ field)",
    },
    Binding {
        scope: "Detail",
        keys: "p u",
        what: "restrict / lift restriction",
    },
    Binding {
        scope: "Detail",
        keys: "o O",
        what: "objection to analytics / end it",
    },
    Binding {
        scope: "Dialog",
        keys: "Enter Esc",
        what: "confirm / cancel",
    },
    Binding {
        scope: "Dialog",
        keys: "↑ ↓",
        what: "months, field, kind",
    },
    Binding {
        scope: "Retention",
        keys: "Enter",
        what: "dry run of the selected rule",
    },
    Binding {
        scope: "Audit",
        keys: "/",
        what: "filter by subject account id",
    },
    Binding {
        scope: "Audit",
        keys: "a",
        what: "filter by actor",
    },
    Binding {
        scope: "Audit",
        keys: "z",
        what: "clear filters",
    },
    Binding {
        scope: "Audit",
        keys: "V",
        what: "verify the chain again",
    },
    Binding {
        scope: "Audit",
        keys: "w",
        what: "show / hide reads",
    },
    Binding {
        scope: "Dialog",
        keys: "Tab",
        what: "form: next field",
    },
];

/// The action for `key` in `app`'s current mode and tab, if any.
pub fn map_key(app: &App, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C')) {
        return Some(Action::Quit);
    }
    if let Some(dialog) = &app.dialog {
        let extend = matches!(dialog.op, Op::Extend | Op::Rectify);
        return match key.code {
            KeyCode::Esc => Some(Action::Back),
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Backspace => Some(Action::Backspace),
            KeyCode::Up if extend => Some(Action::MoreMonths),
            KeyCode::Down if extend => Some(Action::FewerMonths),
            KeyCode::Char(c) if !ctrl => Some(Action::Input(c)),
            _ => None,
        };
    }
    if app.form.is_some() {
        return match key.code {
            KeyCode::Esc => Some(Action::Back),
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Backspace => Some(Action::Backspace),
            KeyCode::Tab => Some(Action::NextField),
            KeyCode::Up => Some(Action::MoreMonths),
            KeyCode::Down => Some(Action::FewerMonths),
            KeyCode::Char(c) if !ctrl => Some(Action::Input(c)),
            _ => None,
        };
    }
    if app.input.is_some() {
        return match key.code {
            KeyCode::Esc => Some(Action::Back),
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Backspace => Some(Action::Backspace),
            KeyCode::Char(c) if !ctrl => Some(Action::Input(c)),
            _ => None,
        };
    }
    if app.help.open {
        return match key.code {
            KeyCode::Esc | KeyCode::Char('?') => Some(Action::ToggleHelp),
            KeyCode::Char('q') => Some(Action::Quit),
            _ => None,
        };
    }
    let global = match key.code {
        KeyCode::Char('q') => Some(Action::Quit),
        KeyCode::Char('?') => Some(Action::ToggleHelp),
        KeyCode::Char(c @ '1'..='5') => {
            let i = (c as usize) - ('1' as usize);
            Tab::ALL.get(i).map(|t| Action::Show(*t))
        }
        KeyCode::Tab => Some(Action::NextTab),
        KeyCode::BackTab => Some(Action::PrevTab),
        KeyCode::Char('r') => Some(Action::Refresh),
        // On every screen: typed on Detail, the letters of an address would otherwise be
        // actions there (`R` opens reject).
        KeyCode::Char('F') => Some(Action::StartFind),
        KeyCode::Char('N') => Some(Action::NewRequest),
        KeyCode::Up | KeyCode::Char('k') => Some(Action::Up),
        KeyCode::Down | KeyCode::Char('j') => Some(Action::Down),
        KeyCode::PageUp => Some(Action::PageUp),
        KeyCode::PageDown => Some(Action::PageDown),
        KeyCode::Home | KeyCode::Char('g') => Some(Action::Top),
        KeyCode::End | KeyCode::Char('G') => Some(Action::Bottom),
        KeyCode::Esc => Some(Action::Back),
        KeyCode::Enter => Some(Action::Open),
        _ => None,
    };
    if global.is_some() {
        return global;
    }
    let KeyCode::Char(c) = key.code else {
        return None;
    };
    match app.tab {
        Tab::Queue => match c {
            'f' => Some(Action::CycleStatus),
            't' => Some(Action::CycleKind),
            '/' => Some(Action::StartSearch),
            'z' => Some(Action::ClearFilters),
            _ => None,
        },
        Tab::Detail if c == 'a' => Some(Action::ToggleReads),
        Tab::Detail => Op::ALL
            .iter()
            .find(|op| op.key() == c)
            .map(|op| Action::Begin(*op)),
        Tab::Audit => match c {
            '/' => Some(Action::StartSearch),
            'a' => Some(Action::StartActorFilter),
            'z' => Some(Action::ClearFilters),
            'V' => Some(Action::VerifyChain),
            'w' => Some(Action::ToggleReads),
            _ => None,
        },
        Tab::Retention | Tab::Backups => None,
    }
}
