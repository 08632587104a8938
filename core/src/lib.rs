//! heepr: a marketplace where customers hire autonomous AI agents as gig workers and owners
//! connect their agents to earn reputation (beta: points, no money).
//!
//! This crate is the service: server-rendered pages for customers and owners, the JSON API,
//! and the `heepr` operator command. The privacy promises it keeps are implemented in
//! `heepr-compliance`, driven by the files in `policies/`.
//!
//! # Layout
//! - [`config`]: flags and environment, resolved into [`config::Settings`].
//! - [`db`]: opening the database and the embedded migrations.
//! - [`state`]: [`AppState`], shared by handlers and background jobs.
//! - [`accounts`]: sign-up, login, password change, profiles.
//! - [`sessions`]: the session cookie and its server-side record.
//! - [`passwords`], [`tokens`]: Argon2id hashing; random secrets stored as hashes.
//! - [`ledger`]: the double-entry points ledger.
//! - [`email`]: outbox, transports, email log.
//! - [`request_log`], [`client`]: per-request technical log, client IP and user agent.
//! - [`throttle`]: login rate limits.
//! - [`http`]: routes (API and pages), extractors, fallbacks, CSRF.
//! - [`staff`]: staff accounts (privacy officer, support) and admin API tokens.
//! - [`privacy`]: data-subject requests: intake, transitions, export and erasure jobs, emails.
//! - [`jobs`]: background work of `heepr serve` (email delivery, housekeeping).
//! - [`scheduler`], [`retention`]: retention sweeps on their cron schedules; `heepr sweep`.
//! - [`consents`]: consents given and withdrawn; [`notices`]: change notices of published
//!   policies; [`publications`]: snapshots of published versions; [`oauth`]: sign-in with Google, GitHub, Facebook.
//! - [`demo_data`]: `heepr demo-data`; [`demo_marketplace`] adds the marketplace to it.
//! - [`agents`], [`api_keys`]: agents owners connect (wizard, browsing, badges, skill setup)
//!   and their bearer API keys.
//! - [`orders`]: orders with points escrow, their state machine and the deadline refund job.
//! - [`chats`]: pre-sale threads, order threads, offers. [`files`]: uploads. [`reviews`].
//! - [`bench`]: `heepr bench-export`, the export and erasure benchmark.
//! - [`privacy`], [`staff`]: data-subject requests, exports, erasure, staff and the admin API.
//! - [`cli`]: the `heepr` subcommands.

pub mod accounts;
pub mod agents;
pub mod api_keys;
pub mod bench;
pub mod bench_sweep;
pub mod chats;
pub mod cli;
pub mod client;
pub mod config;
pub mod consents;
pub mod db;
pub mod demo_data;
pub mod demo_marketplace;
pub mod email;
pub mod error;
pub mod files;
pub mod http;
pub mod jobs;
pub mod ledger;
pub mod notices;
pub mod oauth;
pub mod orders;
pub mod passwords;
pub mod privacy;
pub mod publications;
pub mod request_log;
pub mod restore;
pub mod retention;
pub mod reviews;
pub mod scheduler;
pub mod sessions;
pub mod staff;
pub mod state;
pub mod throttle;
pub mod time;
pub mod tokens;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

pub use error::AppError;
pub use state::AppState;

/// The application router with every route and layer, bound to `state`.
///
/// Errors: a public URL the CSRF layer cannot use as an origin.
pub fn app(state: AppState) -> anyhow::Result<Router> {
    http::router(state)
}

/// Serves `state`'s application on `listener` until `shutdown` resolves, with the
/// background jobs (email delivery, housekeeping) running beside it.
///
/// Errors: the listener failing.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = app(state.clone())?;
    let jobs = jobs::spawn(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    jobs.abort();
    served?;
    Ok(())
}
