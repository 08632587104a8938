//! The admin API's data-subject requests, accounts, legal holds and audit trail, for the
//! privacy desk (documented in `docs/admin-api.md`). The support role may only read (403 on
//! actions) and sees emails masked.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use heepr_admin_api as api;
use heepr_compliance::audit::{self as chain, AuditFilter};
use heepr_compliance::dsr::{RequestKind, RequestStatus, VerifiedBy};
use heepr_compliance::erasure;
use heepr_compliance::holds;

use super::staff::Staff;
use super::wire;
use crate::http::extract::ApiJson;
use crate::identity::accounts::lookup;
use crate::identity::restrictions;
use crate::identity::staff::StaffMember;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::unicode::{readable_text, staff_text};
use crate::privacy::export_archive::archive_of;
use crate::privacy::legal_holds;
use crate::privacy::objections;
use crate::privacy::requests::intake::{self, Channel, NewRequest};
use crate::privacy::requests::summary::subject_summary;
use crate::privacy::requests::transitions::{extend, request_job, transition};
use crate::privacy::requests::{self, DsrFilter, notes};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/api/v1/requests",
            get(list_requests).post(create_request),
        )
        .route("/admin/api/v1/requests/{id}", get(show_request))
        .route(
            "/admin/api/v1/requests/{id}/transition",
            post(transition_request),
        )
        .route("/admin/api/v1/requests/{id}/extend", post(extend_request))
        .route("/admin/api/v1/requests/{id}/export", post(run_export))
        .route(
            "/admin/api/v1/requests/{id}/erasure/preview",
            get(preview_erasure),
        )
        .route("/admin/api/v1/requests/{id}/erasure", post(run_erasure))
        .route("/admin/api/v1/requests/{id}/notes", post(add_note))
        .route("/admin/api/v1/accounts/{id}", get(show_account))
        .route(
            "/admin/api/v1/accounts/{id}/holds",
            get(list_holds).post(place_hold),
        )
        .route("/admin/api/v1/accounts/{id}/child-flag", post(flag_child))
        .route("/admin/api/v1/holds/{id}/lift", post(lift_hold))
        .route("/admin/api/v1/audit", get(list_audit))
        .route("/admin/api/v1/audit/verify", get(verify_audit))
}

fn parse_status(s: &str) -> Result<RequestStatus, AppError> {
    s.parse()
        .map_err(|e: heepr_compliance::dsr::UnknownName| AppError::invalid("status", e.to_string()))
}

fn parse_kind(s: &str) -> Result<RequestKind, AppError> {
    s.parse()
        .map_err(|e: heepr_compliance::dsr::UnknownName| AppError::invalid("kind", e.to_string()))
}

async fn list_requests(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<api::RequestsQuery>,
) -> Result<Json<api::RequestList>, AppError> {
    if q.due_within_days.is_some_and(|d| !(0..=3650).contains(&d)) {
        return Err(AppError::invalid("due_within_days", "must be 0 to 3650"));
    }
    let filter = DsrFilter {
        status: q.status.as_deref().map(parse_status).transpose()?,
        kind: q.kind.as_deref().map(parse_kind).transpose()?,
        overdue: q.overdue.unwrap_or(false),
        due_within_days: q.due_within_days,
        account_id: q.account_id,
    };
    let requests = requests::list(state.db.pool(), &filter, state.clock.now_ms()).await?;
    Ok(Json(api::RequestList {
        requests: wire::requests(requests, staff.masks()),
    }))
}

async fn create_request(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(body): ApiJson<api::CreateRequest>,
) -> Result<(StatusCode, Json<api::Request>), AppError> {
    let member = staff.officer()?;
    let kind = parse_kind(&body.kind)?;
    let now = state.clock.now_ms();
    let received_at = match body.received_at.as_deref() {
        Some(text) => intake::received_at(text, now)?,
        None => now,
    };
    let account_id = intake::account_by_email(&state, &body.email)
        .await?
        .ok_or(AppError::NotFound("account with that email"))?;
    let new = NewRequest {
        account_id: &account_id,
        kind,
        channel: Channel::Staff,
        details: body.details.as_deref(),
        actor: &member.actor(),
        verified: None,
        run_job_now: false,
    };
    let dsr = intake::create_received(&state, &new, received_at).await?;
    Ok((StatusCode::CREATED, Json(wire::request(dsr))))
}

/// Records a request that staff member `member` enters for `account_id`. One `verified`
/// already (a child's erasure heepr opens itself) starts its job at once; any other waits for
/// the subject to confirm through the emailed link.
async fn staff_request(
    state: &AppState,
    member: &StaffMember,
    account_id: &str,
    kind: RequestKind,
    details: Option<&str>,
    verified: Option<VerifiedBy>,
) -> Result<api::Request, AppError> {
    let dsr = intake::create(
        state,
        &NewRequest {
            account_id,
            kind,
            channel: Channel::Staff,
            details,
            actor: &member.actor(),
            verified,
            run_job_now: verified.is_some(),
        },
    )
    .await?;
    Ok(wire::request(dsr))
}

async fn show_request(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Json<api::RequestDetail>, AppError> {
    let now = state.clock.now_ms();
    let dsr = requests::get(state.db.pool(), &id, now).await?;
    let subject = subject_summary(&state, &dsr.account_id, staff.masks()).await?;
    let timeline = chain::list(
        state.db.pool(),
        &AuditFilter {
            request_id: Some(id.clone()),
            limit: Some(500),
            ..AuditFilter::default()
        },
    )
    .await?;
    let archive = archive_of(state.db.pool(), &id, None).await?;
    let notes = notes::list(state.db.pool(), &id).await?;
    Ok(Json(api::RequestDetail {
        request: wire::request_masked(dsr, staff.masks()),
        subject: wire::subject(subject),
        timeline: wire::audit_entries(timeline),
        export_archive: archive.map(wire::export_archive),
        notes: wire::notes(notes, staff.masks()),
    }))
}

async fn add_note(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::NoteBody>,
) -> Result<(StatusCode, Json<api::Note>), AppError> {
    let member = staff.officer()?;
    let text = staff_text("text", &body.text)?;
    let note = notes::add(&state, &id, &text, &member.actor()).await?;
    Ok((StatusCode::CREATED, Json(wire::note(note, false))))
}

async fn transition_request(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::Transition>,
) -> Result<Json<api::Request>, AppError> {
    let member = staff.officer()?;
    let to = parse_status(&body.to)?;
    // A reason with nothing readable counts as none, so a required one is refused.
    let reason = body.reason.as_deref().and_then(readable_text);
    let dsr = transition(&state, &id, to, reason.as_deref(), &member.actor()).await?;
    Ok(Json(wire::request(dsr)))
}

async fn extend_request(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::Extension>,
) -> Result<Json<api::Request>, AppError> {
    let member = staff.officer()?;
    let reason = staff_text("reason", &body.reason)?;
    let dsr = extend(&state, &id, body.months, &reason, &member.actor()).await?;
    Ok(Json(wire::request(dsr)))
}

async fn run_export(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<api::Request>), AppError> {
    let member = staff.officer()?;
    let dsr = request_job(&state, &id, RequestKind::Access, &member.actor()).await?;
    Ok((StatusCode::ACCEPTED, Json(wire::request(dsr))))
}

async fn preview_erasure(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<String>,
) -> Result<Json<api::ErasurePreview>, AppError> {
    let dsr = requests::get(state.db.pool(), &id, state.clock.now_ms()).await?;
    let tables = erasure::preview(state.db.pool(), &state.policies.data_map, &dsr.account_id)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let active = holds::active(state.db.pool(), &dsr.account_id).await?;
    Ok(Json(api::ErasurePreview {
        account_id: dsr.account_id,
        blocked_by_holds: wire::hold_refs(&active),
        tables: wire::table_counts(tables),
    }))
}

async fn run_erasure(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<api::Request>), AppError> {
    let member = staff.officer()?;
    let dsr = requests::get(state.db.pool(), &id, state.clock.now_ms()).await?;
    refuse_if_held(&state, &dsr.account_id).await?;
    let dsr = request_job(&state, &id, RequestKind::Erasure, &member.actor()).await?;
    Ok((StatusCode::ACCEPTED, Json(wire::request(dsr))))
}

/// 409 `legal_hold` naming the hold's reason when the account is held.
async fn refuse_if_held(state: &AppState, account_id: &str) -> Result<(), AppError> {
    let active = holds::active(state.db.pool(), account_id).await?;
    if active.is_empty() {
        return Ok(());
    }
    let reasons: Vec<&str> = active.iter().map(|h| h.reason.as_str()).collect();
    Err(AppError::ConflictWith {
        code: "legal_hold",
        message: format!("the account is under legal hold: {}", reasons.join("; ")),
        details: serde_json::to_value(api::HoldRefusal {
            holds: wire::hold_refs(&active),
        })
        .map_err(|e| AppError::Internal(e.into()))?,
    })
}

async fn show_account(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Json<api::Account>, AppError> {
    Ok(Json(account_view(&state, &id, staff.masks()).await?))
}

/// Account `id` as staff see it: the subject, holds, requests and restrictions; `masks`
/// for support.
pub(super) async fn account_view(
    state: &AppState,
    id: &str,
    masks: bool,
) -> Result<api::Account, AppError> {
    let subject = subject_summary(state, id, masks).await?;
    let holds = holds::for_account(state.db.pool(), id).await?;
    let filter = DsrFilter {
        account_id: Some(id.to_owned()),
        ..DsrFilter::default()
    };
    let requests = requests::list(state.db.pool(), &filter, state.clock.now_ms()).await?;
    let restrictions = restrictions::for_account(state.db.pool(), id).await?;
    let objections = objections::for_account(state.db.pool(), id).await?;
    Ok(api::Account {
        subject: wire::subject(subject),
        holds: wire::holds(holds),
        requests: wire::requests(requests, masks),
        restrictions: wire::restrictions(restrictions),
        objections: objections.into_iter().map(wire::objection).collect(),
    })
}

async fn list_holds(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<String>,
) -> Result<Json<api::HoldList>, AppError> {
    let holds = holds::for_account(state.db.pool(), &id).await?;
    Ok(Json(api::HoldList {
        holds: wire::holds(holds),
    }))
}

async fn account_exists(state: &AppState, id: &str) -> Result<(), AppError> {
    if !lookup::exists(state.db.pool(), id).await? {
        return Err(AppError::NotFound("account"));
    }
    Ok(())
}

async fn place_hold(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::Reason>,
) -> Result<(StatusCode, Json<api::Hold>), AppError> {
    let member = staff.officer()?;
    let now = state.clock.now_ms();
    let reason = staff_text("reason", &body.reason)?;
    let hold = legal_holds::place(&state.db, &id, &reason, &member.actor(), now).await?;
    Ok((StatusCode::CREATED, Json(wire::hold(hold))))
}

async fn lift_hold(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::Reason>,
) -> Result<Json<api::HoldLifted>, AppError> {
    let member = staff.officer()?;
    let now = state.clock.now_ms();
    let reason = staff_text("reason", &body.reason)?;
    let account_id = legal_holds::lift(&state.db, &id, &reason, &member.actor(), now).await?;
    Ok(Json(api::HoldLifted {
        lifted: id,
        account_id,
    }))
}

async fn flag_child(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::ChildFlag>,
) -> Result<(StatusCode, Json<api::Request>), AppError> {
    let member = staff.officer()?;
    account_exists(&state, &id).await?;
    refuse_if_held(&state, &id).await?;
    let details = format!(
        "Flagged by staff as belonging to someone under 16; erasure starts at once.{}",
        body.note
            .as_deref()
            .and_then(readable_text)
            .map(|n| format!(" Note: {n}"))
            .unwrap_or_default()
    );
    let dsr = staff_request(
        &state,
        member,
        &id,
        RequestKind::Erasure,
        Some(&details),
        Some(VerifiedBy::Controller),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(dsr)))
}

async fn list_audit(
    State(state): State<AppState>,
    _staff: Staff,
    Query(q): Query<api::AuditQuery>,
) -> Result<Json<api::AuditList>, AppError> {
    let entries = chain::list(
        state.db.pool(),
        &AuditFilter {
            subject_account_id: q.subject,
            request_id: q.request,
            before_seq: q.before_seq,
            limit: q.limit,
        },
    )
    .await?;
    Ok(Json(api::AuditList {
        entries: wire::audit_entries(entries),
    }))
}

async fn verify_audit(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<Json<api::ChainVerification>, AppError> {
    let v = chain::verify(state.db.pool()).await?;
    Ok(Json(wire::verification(v)))
}
