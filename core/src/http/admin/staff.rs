//! Who calls the admin API, and the audit of every call: a [`Staff`] extractor (a valid
//! staff bearer token, else 401; privacy officer or support) and the layer that records each
//! call, allowed or not, in the audit trail with its outcome.

use std::sync::{Arc, OnceLock};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use heepr_compliance::audit::{AuditAction, AuditActor, AuditOutcome};
use serde_json::json;

use crate::identity::staff::{self, StaffMember, StaffRole};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::privacy::requests::audit;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/admin/api/v1/me", get(me))
}

/// Filled by [`Staff`] so the audit layer knows who called.
#[derive(Debug, Clone, Default)]
struct ActorSlot(Arc<OnceLock<AuditActor>>);

/// The path of a call as the audit trail keeps it: only when each segment is the route's
/// own or an id (a UUID). The trail is kept for the platform's life and survives erasure, so
/// whatever a caller typed into a path (an email, a name, 3,000 letters) must not land in it.
fn recordable_path(path: &str, route: &str) -> Option<String> {
    let given: Vec<&str> = path.split('/').collect();
    let template: Vec<&str> = route.split('/').collect();
    let fits = !route.is_empty()
        && given.len() == template.len()
        && given
            .iter()
            .zip(&template)
            .all(|(g, t)| g == t || (t.starts_with('{') && uuid::Uuid::parse_str(g).is_ok()));
    fits.then(|| path.to_owned())
}

/// Records every admin call (who, route, path, outcome) after it ran.
pub(super) async fn audit_call(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let slot = ActorSlot::default();
    request.extensions_mut().insert(slot.clone());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(String::new, |p| p.as_str().to_owned());
    let path = recordable_path(request.uri().path(), &route);
    let action = AuditAction::AdminCall {
        method: request.method().to_string(),
        route,
    };
    let response = next.run(request).await;
    let actor = slot.0.get().cloned().unwrap_or(AuditActor::ANONYMOUS);
    let outcome = AuditOutcome::Http(response.status().as_u16());
    let now = state.clock.now_ms();
    // Calls about one request or one account join that request's or subject's timeline.
    let segment = |prefix: &str| {
        path.as_deref()?
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('/').next())
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
    };
    let request_id = segment("/admin/api/v1/requests/");
    let subject = segment("/admin/api/v1/accounts/");
    let written = async {
        let mut tx = state.db.begin_write().await?;
        audit(
            &mut tx,
            &actor,
            action,
            subject.as_deref(),
            request_id.as_deref(),
            outcome,
            json!({"path": path.as_deref().unwrap_or("(withheld: not a route of ids)")}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok::<(), AppError>(())
    }
    .await;
    if let Err(err) = written {
        tracing::error!("admin call audit failed: {}", err.public_message());
        return AppError::Internal(anyhow::anyhow!("audit trail unavailable")).into_response();
    }
    response
}

/// The authenticated staff member (401 without a valid bearer token).
#[derive(Debug, Clone)]
pub struct Staff(pub StaffMember);

impl axum::extract::FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AppError::Unauthenticated)?;
        let member = staff::authenticate(&state.db, token, state.clock.now_ms())
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if let Some(slot) = parts.extensions.get::<ActorSlot>() {
            let _ = slot.0.set(member.actor());
        }
        Ok(Staff(member))
    }
}

impl Staff {
    /// 403 unless a privacy officer.
    pub(crate) fn officer(&self) -> Result<&StaffMember, AppError> {
        match self.0.role {
            StaffRole::PrivacyOfficer => Ok(&self.0),
            StaffRole::Support => Err(AppError::Forbidden(
                "the support role is read-only: ask a privacy officer".into(),
            )),
        }
    }

    /// Whether data subjects' emails are masked for this caller (support).
    pub(super) fn masks(&self) -> bool {
        self.0.role == StaffRole::Support
    }
}

async fn me(Staff(member): Staff) -> Json<heepr_admin_api::Me> {
    Json(super::wire::me(member))
}
