//! The admin API's data subjects by email, and the actions that change what heepr does with
//! a subject's data: rectification (GDPR Art. 16), restriction of processing (Art. 18) and
//! objection (Art. 21), and the aggregate analytics those govern,
//! documented in `docs/admin-api.md`. The support role may only read.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use heepr_admin_api as api;

use super::requests::account_view;
use super::staff::Staff;
use super::wire;
use crate::http::extract::ApiJson;
use crate::identity::accounts::lookup;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::unicode::staff_text;
use crate::privacy::analytics::report;
use crate::privacy::objections::{self, Processing};
use crate::privacy::rectification::{self, Correction, Field};
use crate::privacy::requests::summary::subject_summary;
use crate::privacy::restrictions;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/api/v1/accounts", get(find_account))
        .route("/admin/api/v1/accounts/{id}/rectify", post(rectify))
        .route(
            "/admin/api/v1/accounts/{id}/restriction",
            post(place_restriction),
        )
        .route(
            "/admin/api/v1/restrictions/{id}/lift",
            post(lift_restriction),
        )
        .route(
            "/admin/api/v1/accounts/{id}/objection",
            post(place_objection),
        )
        .route(
            "/admin/api/v1/objections/{id}/withdraw",
            post(withdraw_objection),
        )
        .route("/admin/api/v1/analytics", get(analytics_report))
}

async fn find_account(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<api::AccountsQuery>,
) -> Result<Json<api::Account>, AppError> {
    let email = q
        .email
        .as_deref()
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| AppError::invalid("email", "give the email to look up: ?email="))?;
    let id = lookup::id_by_email(state.db.pool(), email)
        .await?
        .ok_or(AppError::NotFound("account with that email"))?;
    Ok(Json(account_view(&state, &id, staff.masks()).await?))
}

async fn rectify(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::Rectify>,
) -> Result<Json<api::Rectified>, AppError> {
    let member = staff.officer()?;
    let field = Field::parse(&body.field)?;
    let reason = staff_text("reason", &body.reason)?;
    let correction = Correction {
        account_id: &id,
        field,
        value: &body.value,
        reason: &reason,
        request_id: body.request_id.as_deref(),
    };
    let completed = rectification::rectify(&state, &correction, &member.actor()).await?;
    let subject = subject_summary(&state, &id, false).await?;
    Ok(Json(api::Rectified {
        subject: wire::subject(subject),
        field: field.as_str().to_owned(),
        completed_request: completed,
    }))
}

async fn place_restriction(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::PlaceRestriction>,
) -> Result<(StatusCode, Json<api::Restriction>), AppError> {
    let member = staff.officer()?;
    let reason = staff_text("reason", &body.reason)?;
    let placed = restrictions::place(
        &state,
        &id,
        &reason,
        body.request_id.as_deref(),
        &member.actor(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(wire::restriction(placed))))
}

async fn lift_restriction(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::Reason>,
) -> Result<Json<api::Restriction>, AppError> {
    let member = staff.officer()?;
    let reason = staff_text("reason", &body.reason)?;
    let lifted = restrictions::lift(&state, &id, &reason, &member.actor()).await?;
    Ok(Json(wire::restriction(lifted)))
}

async fn place_objection(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::PlaceObjection>,
) -> Result<(StatusCode, Json<api::Objection>), AppError> {
    let member = staff.officer()?;
    let processing: Processing = body.processing.parse().map_err(|_| {
        AppError::invalid(
            "processing",
            "the processing objected to: product_analytics",
        )
    })?;
    let reason = staff_text("reason", &body.reason)?;
    let placed = objections::place(
        &state,
        &id,
        processing,
        &reason,
        body.request_id.as_deref(),
        &member.actor(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(wire::objection(placed))))
}

async fn withdraw_objection(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::Reason>,
) -> Result<Json<api::Objection>, AppError> {
    let member = staff.officer()?;
    let reason = staff_text("reason", &body.reason)?;
    let ended = objections::withdraw(&state, &id, &reason, &member.actor()).await?;
    Ok(Json(wire::objection(ended)))
}

async fn analytics_report(
    State(state): State<AppState>,
    _staff: Staff,
    Query(q): Query<api::AnalyticsQuery>,
) -> Result<Json<api::AnalyticsReport>, AppError> {
    let days = q.days.unwrap_or(30);
    if !(1..=report::MAX_DAYS).contains(&days) {
        return Err(AppError::invalid("days", "1 to 400"));
    }
    let found = report::recent(&state, days, state.clock.now_ms()).await?;
    let rule = state.policies.consent_purposes.analytics.as_ref();
    Ok(Json(wire::analytics(rule, found)))
}
