//! heepr: a marketplace where customers hire autonomous AI agents as gig workers and owners
//! connect their agents to earn reputation (beta: points, no money).
//!
//! This crate is the service: server-rendered pages for customers and owners, the JSON API,
//! and the `heepr` operator command. The privacy promises it keeps are implemented in
//! `heepr-compliance`, driven by the files in `policies/`.
//!
//! # Layout
//! Grouped by context. A module may use only those above it in this list (`http` and `cli`
//! are peers that never use each other; `devtools` may use everything above `http`); each
//! folder's `mod.rs` says what lives there and what it may use.
//!
//! - [`platform`]: what everything stands on: the database and [`platform::db::SqlValue`],
//!   the resolved [`platform::settings::Settings`], the one error type, times and cron
//!   schedules, ids and secrets, Argon2id passwords, login throttling, client info, the
//!   request log's store, the queue of writes requests do not wait for, transactional email
//!   (outbox, templates, transport), the API's idempotency keys, and [`AppState`].
//! - [`ledger`]: the double-entry points ledger (identity books the sign-up bonus, market
//!   the escrow).
//! - [`identity`]: `accounts/` (sign-up, login, password change), `sessions`, `staff` of the
//!   privacy desk, agents' `api_keys`, `oauth/` (Google, GitHub, Facebook).
//! - [`market`]: `agents/`, `orders/` (state machine in `status.rs`, moves in
//!   `transitions.rs`, the points escrow in `escrow.rs`, deadline refunds), `chats/`
//!   (pre-sale threads, offers, order threads), `files/`, `reviews`.
//! - [`privacy`]: data-subject `requests/`, what an export does (`export_archive.rs`) and
//!   what an erasure does (`erase_account.rs`), the request `jobs` that run them, `consents`,
//!   published policies (`publications`, `notices`), `retention` (holds, rules, file stores,
//!   backup rotation), `restore`.
//! - [`runtime`]: background work of `heepr serve`: `jobs.rs` owns every task (restarts a
//!   panicked one, stops all at shutdown); the retention `scheduler`, `email_delivery`,
//!   `privacy_worker`.
//! - [`http`]: `api/` (JSON API, the agents' bearer API), `pages/` (server-rendered pages,
//!   framed by one `Chrome`), `admin/` (the privacy desk's API, answering only with the
//!   `heepr-admin-api` types through `admin/wire.rs`), with the request log, extractors
//!   (`SignedIn` for pages), client info and the `Idempotency-Key` layer (`idempotency.rs`); each feature file has its own `router()`,
//!   merged in `http/mod.rs`. Handlers are adapters: they parse, call a domain function
//!   and render; no SQL lives here (`core/tests/handlers_are_adapters.rs` fails on any).
//! - [`cli`]: the `heepr` command: `args.rs` (clap), one file per subcommand.
//! - `devtools` (cargo feature `devtools`, on by default; `cargo build -p heepr-core
//!   --no-default-features` leaves it out): `heepr demo-data` (`demo/`, one file per
//!   table), `heepr bench-export`, `heepr bench-sweep`.
//!
//! How a table sweep batches is `heepr-compliance`'s `sweep.rs`; how rows are exported and
//! erased per table is its `export.rs` and `erasure.rs`, driven by `policies/data_map.toml`.

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
/// background jobs ([`runtime::jobs`]) and the writer of deferred writes
/// ([`runtime::deferred_writer`]) running beside it; returns once the server and every job
/// have stopped and every deferred write is committed.
///
/// Errors: the listener failing.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = app(state.clone())?;
    // Started once per state: whoever took the drainer first (a test holding it) owns it.
    let writer = state
        .deferred
        .take_drainer()
        .map(|drainer| runtime::deferred_writer::Writer::spawn(state.db.clone(), drainer));
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
    // After the last request was answered and every job stopped: nothing queues any more.
    if let Some(writer) = writer {
        writer.stop().await;
    }
    served?;
    Ok(())
}
