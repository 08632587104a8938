//! The published policies: `/privacy`, `/terms` and `/acceptable-use` (each with every old
//! version at `.../versions/{version}`), `/cookies`, `/subprocessors`. Every fact on these pages
//! (retention periods, export sections, sub-processors, cookies, effective dates) is
//! rendered from the policy files loaded at start-up, the same files the sweeps and exports
//! run by. An old version that `heepr policy publish` published is served from its snapshot,
//! with the figures it stated then.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use heepr_compliance::cookies::CookieSpec;
use heepr_compliance::published::{self, Block, PolicyVersion, PrivacyPolicy};
use heepr_compliance::ropa::category_name;

use super::{Chrome, PageError, not_found_page, render};
use crate::http::extract::MaybeUser;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::privacy::publications;
use crate::privacy::publications::{ACCEPTABLE_USE, PRIVACY_POLICY, TERMS};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/privacy", get(privacy))
        .route("/privacy/versions/{version}", get(privacy_version))
        .route("/terms", get(terms))
        .route("/terms/versions/{version}", get(terms_version))
        .route("/acceptable-use", get(acceptable_use))
        .route(
            "/acceptable-use/versions/{version}",
            get(acceptable_use_version),
        )
        .route("/cookies", get(cookies))
        .route("/subprocessors", get(subprocessors))
}

#[derive(Template)]
#[template(path = "policies/privacy.html")]
struct PrivacyPage<'a> {
    chrome: Chrome,
    /// The document's path (`/privacy`, `/terms`, `/acceptable-use`).
    base: &'static str,
    title: &'a str,
    version: &'a str,
    effective: &'a str,
    superseded_on: Option<&'a str>,
    blocks: Vec<Block>,
    versions: Vec<&'a PolicyVersion>,
}

/// A versioned published document: its name in `policy_publications`, its path, and which
/// of the loaded policies it is.
#[derive(Debug, Clone, Copy)]
enum Document {
    Privacy,
    Terms,
    AcceptableUse,
}

impl Document {
    fn name(self) -> &'static str {
        match self {
            Document::Privacy => PRIVACY_POLICY,
            Document::Terms => TERMS,
            Document::AcceptableUse => ACCEPTABLE_USE,
        }
    }

    fn base(self) -> &'static str {
        match self {
            Document::Privacy => "/privacy",
            Document::Terms => "/terms",
            Document::AcceptableUse => "/acceptable-use",
        }
    }

    fn of(self, state: &AppState) -> &PrivacyPolicy {
        match self {
            Document::Privacy => &state.policies.privacy_policy,
            Document::Terms => &state.policies.terms,
            Document::AcceptableUse => &state.policies.acceptable_use,
        }
    }
}

async fn privacy(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
) -> Result<Response, PageError> {
    show_current(&state, Chrome::of(user.as_ref()), Document::Privacy).await
}

async fn privacy_version(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(version): Path<String>,
) -> Result<Response, PageError> {
    show_version(
        &state,
        Chrome::of(user.as_ref()),
        Document::Privacy,
        &version,
    )
    .await
}

async fn terms(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
) -> Result<Response, PageError> {
    show_current(&state, Chrome::of(user.as_ref()), Document::Terms).await
}

async fn terms_version(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(version): Path<String>,
) -> Result<Response, PageError> {
    show_version(&state, Chrome::of(user.as_ref()), Document::Terms, &version).await
}

async fn acceptable_use(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
) -> Result<Response, PageError> {
    show_current(&state, Chrome::of(user.as_ref()), Document::AcceptableUse).await
}

async fn acceptable_use_version(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(version): Path<String>,
) -> Result<Response, PageError> {
    let chrome = Chrome::of(user.as_ref());
    show_version(&state, chrome, Document::AcceptableUse, &version).await
}

async fn show_current(
    state: &AppState,
    chrome: Chrome,
    document: Document,
) -> Result<Response, PageError> {
    let current = document
        .of(state)
        .current()
        .map(|v| v.version.clone())
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no {} version", document.name())))?;
    show_version(state, chrome, document, &current).await
}

async fn show_version(
    state: &AppState,
    chrome: Chrome,
    document: Document,
    label: &str,
) -> Result<Response, PageError> {
    let policy = document.of(state);
    let Some(index) = policy.versions.iter().position(|v| v.version == label) else {
        return Ok(not_found_page());
    };
    let version = &policy.versions[index];
    let current = index + 1 == policy.versions.len();
    // An old version reads as it was published; the current one follows the policy files.
    let snapshot = if current {
        None
    } else {
        publications::snapshot(&state.db, document.name(), &version.version).await?
    };
    let blocks = match snapshot {
        Some(blocks) => blocks,
        None => published::render(version, &state.policies.facts()).map_err(|reason| {
            AppError::Internal(anyhow::anyhow!("{}: {reason}", document.name()))
        })?,
    };
    let page = PrivacyPage {
        chrome,
        base: document.base(),
        title: &policy.title,
        version: &version.version,
        effective: &version.effective,
        superseded_on: policy.versions.get(index + 1).map(|v| v.effective.as_str()),
        blocks,
        versions: policy.versions.iter().rev().collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "policies/cookies.html")]
struct CookiesPage<'a> {
    chrome: Chrome,
    effective: &'a str,
    cookies: &'a [CookieSpec],
}

async fn cookies(State(state): State<AppState>, MaybeUser(user): MaybeUser) -> Response {
    let page = CookiesPage {
        chrome: Chrome::of(user.as_ref()),
        effective: &state.policies.cookies.effective,
        cookies: &state.policies.cookies.cookies,
    };
    render(StatusCode::OK, &page)
}

struct SubprocessorRow<'a> {
    service: &'a str,
    name: &'a str,
    categories: String,
    location: &'a str,
    transfer: &'a str,
    when: &'a str,
}

#[derive(Template)]
#[template(path = "policies/subprocessors.html")]
struct SubprocessorsPage<'a> {
    chrome: Chrome,
    effective: &'a str,
    hosting_location: &'a str,
    hosting_transfer: &'a str,
    rows: Vec<SubprocessorRow<'a>>,
}

async fn subprocessors(State(state): State<AppState>, MaybeUser(user): MaybeUser) -> Response {
    let list = &state.policies.subprocessors;
    let rows = list
        .subprocessors
        .iter()
        .map(|s| SubprocessorRow {
            service: &s.service,
            name: &s.name,
            categories: s
                .categories
                .iter()
                .map(|c| category_name(*c).replace('_', " "))
                .collect::<Vec<_>>()
                .join(", "),
            location: &s.location,
            transfer: &s.transfer,
            when: &s.when,
        })
        .collect();
    let page = SubprocessorsPage {
        chrome: Chrome::of(user.as_ref()),
        effective: &list.effective,
        hosting_location: &list.hosting.location,
        hosting_transfer: &list.hosting.transfer,
        rows,
    };
    render(StatusCode::OK, &page)
}
