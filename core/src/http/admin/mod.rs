//! The admin API, `/admin/api/v1/...`, for the privacy desk (documented in
//! `docs/admin-api.md`): [`requests`] (data-subject requests, accounts, holds, audit),
//! [`accounts`] (subjects by email, rectification, restriction), [`intake`] (the intake
//! mailbox's messages),
//! [`retention`] (rules, dry runs, backups), and [`staff`] (who calls, and the audit of every
//! call); [`wire`] turns domain values into the `heepr-admin-api` types every handler
//! answers with. Every call needs `Authorization: Bearer <staff token>` (401 otherwise), and every
//! call, allowed or not, is recorded in the audit trail with its outcome.
//!
//! May use `http::extract` and the domain modules (`identity`, `privacy`); inside, requests
//! and retention build on staff.

pub mod accounts;
pub mod intake;
pub mod requests;
pub mod retention;
pub mod staff;
pub mod wire;

use axum::{Router, middleware};

use crate::platform::state::AppState;

/// Every admin route, behind the audit layer every call goes through.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(staff::router())
        .merge(requests::router())
        .merge(accounts::router())
        .merge(intake::router())
        .merge(retention::router())
        .route_layer(middleware::from_fn_with_state(state, staff::audit_call))
}
