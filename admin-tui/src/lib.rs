//! heepr-admin: the terminal console where privacy staff triage data-subject requests
//! (DSRs). It talks only to the admin API over HTTP (`docs/admin-api.md`), with a staff
//! token from flags, the environment or a config file, never shown. The wire types are
//! `heepr-admin-api`'s, the contract the server shares.
//!
//! The shape is the classic one for terminal apps: keys map to an [`action::Action`];
//! [`app::update`] is the only code that changes the [`app::App`] and answers with
//! [`action::Effect`]s (network work); [`ui::draw`] only renders; [`net`] runs effects on
//! their own tasks and reports back through a channel, retrying reads (never actions).
//! As in gitui, each screen has its own state and its own `update` ([`screens`]); `app` is
//! the router between them and keeps only what they share.
//!
//! # Layout
//! Each module uses only those above it in this list (no cycles):
//! - [`api`]: the shared wire types, the HTTP client and [`api::ApiError`].
//! - [`dates`]: due dates, urgency colours, extension preview.
//! - [`action`]: actions, effects, commands (with their paths and bodies) and network
//!   events.
//! - [`net`]: effects performed off the UI task, reads retried with backoff.
//! - [`screens`]: one state and `update` per screen (Queue, Detail, Retention, Backups,
//!   Audit), the confirmation dialog, the help overlay, and what they share.
//! - [`app`]: the router: shared state and `update`.
//! - [`keys`]: key → action, and the list of every key for the help overlay.
//! - [`ui`]: drawing, one file per screen, the dialog and help.
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
pub mod screens;
pub mod terminal;
pub mod ui;
