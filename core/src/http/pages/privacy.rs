//! Privacy pages for data subjects: request an export and download it (only the signed-in
//! subject, for 7 days), make other privacy requests, delete the account (password asked
//! again), and confirm a staff-entered request through the emailed link.

use askama::Template;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use heepr_compliance::dsr::{RequestKind, VerifiedBy};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;

use super::form::{FormState, Submitted, answer, reshow};
use super::{Chrome, PageError, PageForm, render};
use crate::http::client::Client;
use crate::http::extract::{CurrentUser, SignedIn};
use crate::identity::accounts::password_check::password_matches;
use crate::identity::accounts::rename::{ProfileChange, change_display_name};
use crate::identity::restrictions;
use crate::identity::sessions;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::human;
use crate::privacy::export_archive::{archive_of, expire_archive};
use crate::privacy::objections;
use crate::privacy::requests::intake::{self, Channel, NewRequest};
use crate::privacy::requests::{self, DsrFilter};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/privacy", get(privacy_page))
        .route("/account/privacy/export", post(request_export))
        .route("/account/privacy/requests", post(other_request))
        .route("/account/privacy/display-name", post(change_name))
        .route("/account/privacy/exports/{id}", get(download))
        .route("/account/delete", post(delete_account))
        .route("/account/deleted", get(deleted_page))
        .route(
            "/privacy/verify/{token}",
            get(verify_form).post(verify_submit),
        )
        .route("/privacy/confirmed", get(confirmed_page))
}

struct RequestRow {
    received: String,
    kind: String,
    status: String,
    due: String,
    download: Option<String>,
    expires: String,
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    chrome: Chrome,
    notice: Option<&'static str>,
    requests: Vec<RequestRow>,
    restrictions: Vec<RestrictionRow>,
    objections: Vec<ObjectionRow>,
    /// The page's forms: the display name starts as the account's; a refused form keeps
    /// what was typed (never a password) and shows why.
    fs: FormState,
}

/// A restriction of processing as the person sees it: when and why (GDPR Art. 18(3): they
/// are told before it is lifted, and see when it was).
struct RestrictionRow {
    placed: String,
    reason: String,
    lifted: Option<String>,
    lift_reason: String,
}

/// An objection to processing as the person sees it: to what, when and why, and when it
/// ended (GDPR Art. 21).
struct ObjectionRow {
    processing: &'static str,
    placed: String,
    reason: String,
    withdrawn: Option<String>,
    withdraw_reason: String,
}

#[derive(Template)]
#[template(path = "privacy_verify.html")]
struct VerifyPage {
    chrome: Chrome,
    token: String,
}

#[derive(Template)]
#[template(path = "privacy_done.html")]
struct DonePage {
    chrome: Chrome,
    heading: &'static str,
    message: String,
}

#[derive(Debug, Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

fn notice_text(key: &str) -> Option<&'static str> {
    match key {
        "export_requested" => {
            Some("We are building your export; we will email you when it is ready.")
        }
        "request_sent" => Some("Your request was recorded; we will answer within 30 days."),
        "name_changed" => Some("Your display name was corrected."),
        "export_already_open" => Some(
            "Your export is already being built (see below); we will email you when it is ready.",
        ),
        "request_already_open" => Some(
            "You already have an open request of this kind (see below); we will answer it within 30 days.",
        ),
        _ => None,
    }
}

async fn privacy_page(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let page = page_for(
        &state,
        &user,
        q.notice.as_deref().and_then(notice_text),
        None,
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

async fn page_for(
    state: &AppState,
    user: &sessions::SessionUser,
    notice: Option<&'static str>,
    refused: Option<FormState>,
) -> Result<PrivacyPage, AppError> {
    let now = state.clock.now_ms();
    let filter = DsrFilter {
        account_id: Some(user.account_id.clone()),
        ..DsrFilter::default()
    };
    let mut requests = Vec::new();
    for r in requests::list(state.db.pool(), &filter, now)
        .await?
        .into_iter()
        .rev()
    {
        let archive = archive_of(state.db.pool(), &r.id, None)
            .await?
            .filter(|a| a.downloadable(now))
            .map(|a| a.expires_at_ms);
        requests.push(RequestRow {
            received: crate::platform::time::human_text(&r.received_at),
            kind: r.kind.describe().to_string(),
            status: r.status.as_str().replace('_', " "),
            due: human(r.due_at_ms),
            download: archive.map(|_| format!("/account/privacy/exports/{}", r.id)),
            expires: archive.map(human).unwrap_or_default(),
        });
    }
    let restrictions = restrictions::for_account(state.db.pool(), &user.account_id)
        .await?
        .into_iter()
        .map(|r| RestrictionRow {
            placed: human(r.placed_at),
            reason: r.reason,
            lifted: r.lifted_at.map(human),
            lift_reason: r.lift_reason.unwrap_or_default(),
        })
        .collect();
    let objections = objections::for_account(state.db.pool(), &user.account_id)
        .await?
        .into_iter()
        .map(|o| ObjectionRow {
            processing: o.processing.describe(),
            placed: human(o.placed_at),
            reason: o.reason,
            withdrawn: o.withdrawn_at.map(human),
            withdraw_reason: o.withdraw_reason.unwrap_or_default(),
        })
        .collect();
    let fs = refused.unwrap_or_default();
    Ok(PrivacyPage {
        chrome: Chrome::signed_in(user),
        notice,
        requests,
        restrictions,
        objections,
        fs,
    })
}

/// Records a request of the signed-in subject (identity proven by the session), or finds
/// their open one of the same kind; `true` when it was new.
async fn dashboard_request(
    state: &AppState,
    account_id: &str,
    kind: RequestKind,
    details: Option<&str>,
) -> Result<bool, AppError> {
    let submitted = intake::submit(
        state,
        &NewRequest {
            account_id,
            kind,
            channel: Channel::Dashboard,
            details,
            actor: &heepr_compliance::audit::AuditActor::subject(account_id),
            verified: Some(VerifiedBy::SignedIn),
            run_job_now: matches!(kind, RequestKind::Access | RequestKind::Erasure),
        },
    )
    .await?;
    Ok(matches!(submitted, intake::Submitted::Created(_)))
}

/// The privacy page with `submitted` refused (see [`answer`]).
async fn on_privacy(
    state: &AppState,
    user: &sessions::SessionUser,
    result: Result<Response, AppError>,
    submitted: Submitted,
) -> Result<Response, PageError> {
    answer(result, submitted, |fs| {
        page_for(state, user, None, Some(fs))
    })
    .await
}

async fn request_export(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> Result<Response, PageError> {
    let result = dashboard_request(&state, &user.account_id, RequestKind::Access, None)
        .await
        .map(|created| {
            let notice = if created {
                "export_requested"
            } else {
                "export_already_open"
            };
            Redirect::to(&format!("/account/privacy?notice={notice}")).into_response()
        });
    on_privacy(&state, &user, result, Submitted::button("export")).await
}

#[derive(Debug, Deserialize, Serialize)]
struct OtherFields {
    #[serde(default)]
    kind: String,
    details: Option<String>,
}

async fn other_request(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    PageForm(fields): PageForm<OtherFields>,
) -> Result<Response, PageError> {
    let result = async {
        let kind: RequestKind = match fields.kind.parse() {
            Ok(
                k @ (RequestKind::Rectification
                | RequestKind::Restriction
                | RequestKind::Objection
                | RequestKind::ConsentWithdrawal),
            ) => k,
            _ => {
                return Err(AppError::invalid(
                    "kind",
                    "choose rectification, restriction, objection or consent withdrawal",
                ));
            }
        };
        let details = fields.details.as_deref();
        let notice = if dashboard_request(&state, &user.account_id, kind, details).await? {
            "request_sent"
        } else {
            "request_already_open"
        };
        Ok(Redirect::to(&format!("/account/privacy?notice={notice}")).into_response())
    }
    .await;
    on_privacy(&state, &user, result, Submitted::of("request", &fields)).await
}

#[derive(Debug, Deserialize, Serialize)]
struct NameFields {
    #[serde(default)]
    display_name: String,
}

/// Rectification by the person themself: the display name, validated as at sign-up; a
/// refused name is shown again with the reason.
async fn change_name(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    PageForm(fields): PageForm<NameFields>,
) -> Result<Response, PageError> {
    let change = ProfileChange {
        display_name: fields.display_name.clone(),
    };
    let result = change_display_name(&state, &user.account_id, &change)
        .await
        .map(|_| Redirect::to("/account/privacy?notice=name_changed").into_response());
    on_privacy(&state, &user, result, Submitted::of("name", &fields)).await
}

/// Streams the subject's own archive. 401 when not signed in; 404 for another person's
/// request or one without an archive; 410 once expired (the archive is then deleted).
async fn download(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let now = state.clock.now_ms();
    let archive = archive_of(state.db.pool(), &id, Some(&user.account_id))
        .await?
        .ok_or(AppError::NotFound("export"))?;
    let file_path = archive.file_path.clone();
    if !archive.downloadable(now) {
        if archive.deleted_at_ms.is_none() {
            expire_archive(&state, &archive.id, &id, &user.account_id, &file_path).await?;
        }
        return Err(AppError::Gone(
            "this export has expired and was deleted: request a new one".into(),
        ));
    }
    let full = state.settings.data_dir.join(&file_path);
    let file = match tokio::fs::File::open(&full).await {
        Ok(file) => file,
        // Withdrawn by an erasure: it named a person who has since been erased.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            expire_archive(&state, &archive.id, &id, &user.account_id, &file_path).await?;
            return Err(AppError::Gone(
                "this export is no longer available: request a new one".into(),
            ));
        }
        Err(e) => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "{}: {e}",
                full.display()
            )));
        }
    };
    let len = file
        .metadata()
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .len();
    let stream = futures_util::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/gzip".to_string()),
            (header::CONTENT_LENGTH, len.to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"heepr-export.tar.gz\"".to_string(),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct DeleteFields {
    #[serde(default)]
    password: String,
}

/// Deletes the signed-in account after checking the password again. The session is read
/// without the usual extractor so this request's log row is not tied to the account being
/// erased (it would otherwise outlive the erasure).
async fn delete_account(
    State(state): State<AppState>,
    Client(client): Client,
    jar: CookieJar,
    PageForm(fields): PageForm<DeleteFields>,
) -> Result<Response, PageError> {
    let user = match jar.get(sessions::cookie_name(&state.settings)) {
        Some(cookie) => sessions::authenticate(&state, cookie.value()).await?,
        None => None,
    };
    let Some(user) = user else {
        return Ok(Redirect::to("/login").into_response());
    };
    let checked = password_matches(
        &state,
        &user.account_id,
        &user.email,
        "password",
        &fields.password,
        client.ip,
    )
    .await;
    let refusal = match checked {
        Ok(true) => None,
        Ok(false) => Some(AppError::invalid(
            "password",
            "that password is not right: your account was not deleted",
        )),
        Err(err) => Some(err),
    };
    if let Some(err) = refusal {
        // The password is never written back; the refusal says nothing was deleted.
        let submitted = Submitted::button("delete").with("password", "");
        let page = |fs| page_for(&state, &user, None, Some(fs));
        return reshow(err, submitted, page).await;
    }
    let active = heepr_compliance::holds::active(state.db.pool(), &user.account_id)
        .await
        .map_err(AppError::from)?;
    dashboard_request(&state, &user.account_id, RequestKind::Erasure, None).await?;
    let jar = jar.add(sessions::removal_cookie(&state.settings));
    let to = if active.is_empty() {
        "/account/deleted"
    } else {
        "/account/deleted?held=yes"
    };
    Ok((jar, Redirect::to(to)).into_response())
}

#[derive(Debug, Deserialize)]
struct DeletedQuery {
    held: Option<String>,
}

/// Where a deletion lands (post/redirect/get): fixed words, for a visitor (the session
/// has ended), so a reload repeats nothing.
async fn deleted_page(Query(q): Query<DeletedQuery>) -> Response {
    let message = if q.held.is_some() {
        "We recorded your request. Some of your data must be preserved for a legal reason for now; \
         we will delete your account as soon as that ends."
    } else {
        "Your account is being deleted. You have been signed out."
    };
    let page = DonePage {
        chrome: Chrome::visitor(),
        heading: "Deleting your account",
        message: message.to_string(),
    };
    render(StatusCode::OK, &page)
}

async fn verify_form(Path(token): Path<String>) -> Response {
    let token: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    render(
        StatusCode::OK,
        &VerifyPage {
            chrome: Chrome::visitor(),
            token,
        },
    )
}

async fn verify_submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let dsr = intake::verify(&state, &token).await?;
    let to = format!("/privacy/confirmed?kind={}", dsr.kind.as_str());
    Ok(Redirect::to(&to).into_response())
}

#[derive(Debug, Deserialize)]
struct ConfirmedQuery {
    kind: Option<String>,
}

/// Where a confirmed request lands (post/redirect/get): the kind's fixed words only, so a
/// link cannot put arbitrary text on the page.
async fn confirmed_page(Query(q): Query<ConfirmedQuery>) -> Response {
    let kind = q
        .kind
        .as_deref()
        .and_then(|k| k.parse::<RequestKind>().ok());
    let message = match kind {
        Some(kind) => format!(
            "Thank you. We are working on your request for {} and will answer within 30 days \
             of receiving it.",
            kind.describe()
        ),
        None => "Thank you. We are working on your request and will answer within 30 days \
                 of receiving it."
            .to_string(),
    };
    let page = DonePage {
        chrome: Chrome::visitor(),
        heading: "Request confirmed",
        message,
    };
    render(StatusCode::OK, &page)
}
