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
//! - [`ledger`]: the double-entry points ledger.
//! - [`http`]: routes (API and pages), extractors, fallbacks, CSRF.
//! - [`privacy`]: data-subject requests, export and erasure, consents, published policies,
//!   retention, restore.
//! - [`jobs`]: background work of `heepr serve` (email delivery, housekeeping).
//! - [`scheduler`], [`retention`]: retention sweeps on their cron schedules; `heepr sweep`.
//! - [`consents`]: consents given and withdrawn; [`notices`]: change notices of published
//!   policies; [`publications`]: snapshots of published versions; [`oauth`]: sign-in with Google, GitHub, Facebook.
//! - [`market`]: agents, orders with points escrow, chats and offers, files, reviews.
//! - [`cli`]: the `heepr` subcommands.

pub mod cli;
#[cfg(feature = "devtools")]
pub mod devtools;
pub mod http;
pub mod identity;
pub mod ledger;
pub mod market;
pub mod platform;
pub mod privacy;
pub mod runtime;

use std::future::{Future, IntoFuture};
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
/// background jobs ([`runtime::jobs`]) running beside it; returns once the server and every
/// job have stopped.
///
/// Errors: the listener failing.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = app(state.clone())?;
    let mut jobs = runtime::jobs::spawn(state);
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .into_future();
    let mut server = std::pin::pin!(server);
    let served = tokio::select! {
        served = &mut server => served,
        // Only when every job has ended (none runs forever): keep serving.
        () = jobs.supervise() => server.await,
    };
    jobs.shutdown().await;
    served?;
    Ok(())
}
