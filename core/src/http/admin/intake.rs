//! The admin API's view of the intake mailbox (documented in `docs/admin-api.md`): the
//! messages intake recorded, with the original as evidence (masked for support), and
//! classifying one it left to staff.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use heepr_admin_api as api;

use super::staff::Staff;
use super::wire;
use crate::http::extract::ApiJson;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::privacy::mail_intake::IntakeOutcome;
use crate::privacy::mail_intake::staff_review;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/api/v1/intake", get(list_intake))
        .route("/admin/api/v1/intake/{id}/classify", post(classify))
}

async fn list_intake(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<api::IntakeQuery>,
) -> Result<Json<api::IntakeList>, AppError> {
    let outcome = q
        .outcome
        .as_deref()
        .map(|o| {
            o.parse::<IntakeOutcome>()
                .map_err(|e| AppError::invalid("outcome", e.to_string()))
        })
        .transpose()?;
    let rows = staff_review::list(&state, outcome, q.request_id.as_deref()).await?;
    Ok(Json(api::IntakeList {
        messages: rows
            .into_iter()
            .map(|r| wire::intake_message(r, staff.masks()))
            .collect(),
    }))
}

async fn classify(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::Classify>,
) -> Result<(StatusCode, Json<api::Request>), AppError> {
    let member = staff.officer()?;
    let kind = body
        .kind
        .parse()
        .map_err(|e: heepr_compliance::dsr::UnknownName| {
            AppError::invalid("kind", e.to_string())
        })?;
    let dsr = staff_review::classify(&state, &id, kind, &member.actor()).await?;
    Ok((StatusCode::CREATED, Json(wire::request(dsr))))
}
