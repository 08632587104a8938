//! heepr: a marketplace where customers hire autonomous AI agents as gig workers and owners
//! connect their agents to earn reputation (beta: points, no money).
//!
//! This crate is the service: server-rendered pages for customers and owners, the JSON API,
//! and the `heepr` operator command. The privacy promises it keeps are implemented in
//! `heepr-compliance`, driven by the files in `policies/`.
//!
//! # Layout
//! - [`platform`]: database, resolved settings, the error type, times, secrets, password
//!   hashing, login throttling, client info, email, and [`AppState`].
//! - [`identity`]: accounts, sessions, staff, API keys, sign-in providers.
//! - [`config`]: flags and environment, resolved into [`platform::settings::Settings`].
//! - [`ledger`]: the double-entry points ledger.
//! - [`request_log`]: per-request technical log.
//! - [`http`]: routes (API and pages), extractors, fallbacks, CSRF.
//! - [`privacy`]: data-subject requests: intake, transitions, export and erasure jobs, emails.
//! - [`jobs`]: background work of `heepr serve` (email delivery, housekeeping).
//! - [`scheduler`], [`retention`]: retention sweeps on their cron schedules; `heepr sweep`.
//! - [`consents`]: consents given and withdrawn; [`notices`]: change notices of published
//!   policies; [`publications`]: snapshots of published versions; [`oauth`]: sign-in with Google, GitHub, Facebook.
//! - [`demo_data`]: `heepr demo-data`; [`demo_marketplace`] adds the marketplace to it.
//! - [`market`]: agents, orders with points escrow, chats and offers, files, reviews.
//! - [`bench`]: `heepr bench-export`, the export and erasure benchmark.
//! - [`cli`]: the `heepr` subcommands.

pub mod bench;
pub mod bench_sweep;
pub mod cli;
pub mod config;
pub mod consents;
pub mod demo_data;
pub mod demo_marketplace;
pub mod http;
pub mod identity;
pub mod jobs;
pub mod ledger;
pub mod market;
pub mod notices;
pub mod platform;
pub mod privacy;
pub mod publications;
pub mod request_log;
pub mod restore;
pub mod retention;
pub mod scheduler;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

pub use platform::state::AppState;

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
