//! One state per screen, each with its own `update` (as gitui gives each tab its own
//! component): the Queue, Detail, Retention, Backups and Audit tabs, the confirmation
//! dialog and the help overlay. A screen changes only its own state; what crosses screens
//! (opening a request from the Queue, an action's answer reloading the queue) is the
//! router's job (`app`). Screens may use `action`, `api` and `dates`, and each other only
//! as listed below; they never draw (that is `ui`) and never touch the network (they return
//! `Effect`s).
//!
//! - `common`: what every screen uses: [`common::Section`] (one load's data, its error, a
//!   missing endpoint), cursor moves, which text box has the keyboard, the [`common::Context`]
//!   an `update` may read.
//! - `subjects`: data subjects by account id, shared by the queue, the detail and the dialog.
//! - `queue`, `detail`, `retention`, `backups`, `audit`: the five tabs.
//! - `dialog`: the confirmation of an action (used by `detail`, which opens it).
//! - `form`: the form recording a request received by letter, phone or email (opened from
//!   the queue).
//! - `help`: the help overlay.
//! - `outcome`: the server's answer to an action, in words (used by `detail`, `retention`).

pub mod audit;
pub mod backups;
pub mod common;
pub mod detail;
pub mod dialog;
pub mod form;
pub mod help;
pub mod outcome;
pub mod queue;
pub mod retention;
pub mod subjects;
