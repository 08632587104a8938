//! heepr-admin: the terminal console where privacy staff triage data-subject requests
//! (DSRs). It talks only to the admin API over HTTP (`docs/admin-api.md`), with a staff
//! token from flags, the environment or a config file, never shown.
//!
//! The shape is the classic one for terminal apps: keys map to an [`action::Action`];
//! [`app::update`] is the only code that changes the [`app::App`] and answers with
//! [`action::Effect`]s (network work); [`ui::draw`] only renders; [`net`] runs effects on
//! their own tasks and reports back through a channel, retrying reads (never actions).
//!
//! # Layout
//! - [`api`]: JSON shapes (tolerant: defaults, unknown fields ignored) and the HTTP client.
//! - [`action`]: actions, effects, commands and network events.
//! - [`app`]: state and `update`.
//! - [`keys`]: key → action, and the list of every key for the help overlay.
//! - [`net`]: effects performed off the UI task, reads retried with backoff.
//! - [`ui`]: one file per screen (Queue, Detail, Retention, Backups, Audit), dialog, help.
//! - [`dates`]: due dates, urgency colours, extension preview.
//! - [`config`]: URL and token from flags, environment, config file.
//! - [`terminal`]: the interactive loop and terminal restore.
//! - [`headless`]: the same logic without a terminal, for end-to-end tests.

pub mod action;
pub mod api;
pub mod app;
pub mod config;
pub mod dates;
pub mod headless;
pub mod keys;
pub mod net;
pub mod terminal;
pub mod ui;
