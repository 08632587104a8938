//! Sign-in with Google, GitHub and Facebook, as pages.
//!
//! - `GET /auth/providers`: the enabled providers (linked from log-in and sign-up)
//! - `GET /auth/{provider}/start`: sets the `heepr_sign_in` cookie, 303 to the provider
//! - `GET /auth/{provider}/callback`: signs in (303 /dashboard), asks to finish a sign-up
//!   (303 /auth/signup) or finishes a link (303 /account/sign-in)
//! - `GET|POST /auth/signup`: the sign-up confirmation (name, email, 16+); an address the
//!   provider did not vouch for gets "check your email"
//! - `GET|POST /auth/signup/confirm/{token}`: the mailed link's page (a button, so a mail
//!   scanner opening the link creates nothing), then 303 `/auth/signup/confirmed/{provider}`
//! - `GET /account/sign-in`: linked providers; `POST /account/sign-in/{provider}/link`
//!   (form `password`): checks the password, then 303 to the provider;
//!   `POST /account/sign-in/{provider}/unlink` (form `password`): removes the identity
//! - `GET /api/v1/me/sign-in-identities`: the linked identities as JSON

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::{Chrome, PageError, PageForm, render, with_retry_after};
use crate::http::client::Client;
use crate::http::extract::{CurrentUser, MaybeUser, SignedIn};
use crate::identity::oauth::flow::{
    self, CallbackParams, Outcome, Purpose, SignupConfirmation, SignupDone,
};
use crate::identity::oauth::identities::{self, Identity};
use crate::identity::oauth::mailed_signup::{self, LinkState};
use crate::identity::oauth::provider::Provider;
use crate::identity::sessions;
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// The cookie that ties a provider's answer to the browser that started the round trip
/// (listed in `policies/cookies.toml`; set only when the person chooses a provider).
pub const SIGN_IN_COOKIE: &str = "heepr_sign_in";

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/providers", get(providers))
        .route("/auth/{provider}/start", get(start))
        .route("/auth/{provider}/callback", get(callback))
        .route("/auth/signup", get(signup_form).post(signup_submit))
        .route(
            "/auth/signup/confirm/{token}",
            get(confirm_form).post(confirm_submit),
        )
        .route("/auth/signup/confirmed/{provider}", get(confirmed))
        .route("/account/sign-in", get(account_page))
        .route("/account/sign-in/{provider}/link", post(link))
        .route("/account/sign-in/{provider}/unlink", post(unlink))
        .route("/api/v1/me/sign-in-identities", get(api_list))
}

async fn api_list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<Identity>>, AppError> {
    Ok(Json(identities::list(&state, &user.account_id).await?))
}

fn sign_in_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build((SIGN_IN_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(state.settings.is_https())
        .max_age(cookie::time::Duration::milliseconds(flow::SIGNUP_TTL_MS))
        .build()
}

fn sign_in_cookie_removal(state: &AppState) -> Cookie<'static> {
    let mut cookie = sign_in_cookie(state, String::new());
    cookie.make_removal();
    cookie
}

struct ProviderLink {
    name: &'static str,
    label: &'static str,
}

fn enabled(state: &AppState) -> Vec<ProviderLink> {
    Provider::ALL
        .into_iter()
        .filter(|p| p.config(&state.settings).is_some())
        .map(|p| ProviderLink {
            name: p.as_str(),
            label: p.label(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "oauth/providers.html")]
struct ProvidersPage {
    chrome: Chrome,
    providers: Vec<ProviderLink>,
}

async fn providers(State(state): State<AppState>, MaybeUser(user): MaybeUser) -> Response {
    let page = ProvidersPage {
        chrome: Chrome::of(user.as_ref()),
        providers: enabled(&state),
    };
    render(StatusCode::OK, &page)
}

async fn start(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let provider = Provider::parse(&provider)?;
    let started = flow::start(&state, provider, Purpose::SignIn).await?;
    let jar = jar.add(sign_in_cookie(&state, started.state));
    Ok((jar, Redirect::to(&started.authorize_url)).into_response())
}

async fn callback(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    Query(params): Query<CallbackParams>,
    MaybeUser(user): MaybeUser,
    Client(client): Client,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let provider = Provider::parse(&provider)?;
    let cookie_state = jar.get(SIGN_IN_COOKIE).map(|c| c.value().to_owned());
    let outcome = flow::callback(
        &state,
        provider,
        &params,
        cookie_state.as_deref(),
        user.as_ref().map(|u| u.account_id.as_str()),
    )
    .await?;
    match outcome {
        Outcome::SignedIn { account_id } => {
            signed_in(&state, &account_id, &client, jar, "/dashboard").await
        }
        Outcome::NeedsSignup => Ok(Redirect::to("/auth/signup").into_response()),
        Outcome::Linked { .. } => {
            let jar = jar.add(sign_in_cookie_removal(&state));
            Ok((jar, Redirect::to("/account/sign-in?linked=1")).into_response())
        }
    }
}

async fn signed_in(
    state: &AppState,
    account_id: &str,
    client: &crate::platform::client::ClientInfo,
    jar: CookieJar,
    to: &str,
) -> Result<Response, PageError> {
    let mut tx = state.db.begin_write().await.map_err(AppError::from)?;
    let session = sessions::create(&mut tx, state, account_id, client).await?;
    tx.commit().await.map_err(AppError::from)?;
    let jar = jar
        .add(sign_in_cookie_removal(state))
        .add(sessions::session_cookie(&state.settings, session.token));
    Ok((jar, Redirect::to(to)).into_response())
}

#[derive(Template, Default)]
#[template(path = "oauth/signup.html")]
struct SignupPage {
    chrome: Chrome,
    provider: &'static str,
    error: Option<String>,
    display_name: String,
    email: String,
}

async fn signup_form(State(state): State<AppState>, jar: CookieJar) -> Result<Response, PageError> {
    let cookie_state = jar.get(SIGN_IN_COOKIE).map(|c| c.value().to_owned());
    let pending = flow::pending_signup(&state, cookie_state.as_deref()).await?;
    let page = SignupPage {
        provider: pending.provider.label(),
        display_name: pending.display_name.unwrap_or_default(),
        email: pending.email.unwrap_or_default(),
        ..SignupPage::default()
    };
    Ok(render(StatusCode::OK, &page))
}

async fn signup_submit(
    State(state): State<AppState>,
    Client(client): Client,
    jar: CookieJar,
    PageForm(form): PageForm<SignupConfirmation>,
) -> Result<Response, PageError> {
    let cookie_state = jar.get(SIGN_IN_COOKIE).map(|c| c.value().to_owned());
    let provider = flow::pending_signup(&state, cookie_state.as_deref())
        .await
        .map(|p| p.provider.label())
        .unwrap_or("your provider");
    match flow::complete_signup(&state, cookie_state.as_deref(), &form, client.ip).await {
        Ok(SignupDone::Created(account_id)) => {
            signed_in(&state, &account_id, &client, jar, "/dashboard").await
        }
        Ok(SignupDone::CheckEmail(email)) => {
            let page = SignupSentPage {
                chrome: Chrome::visitor(),
                provider,
                email,
            };
            Ok((
                jar.add(sign_in_cookie_removal(&state)),
                render(StatusCode::OK, &page),
            )
                .into_response())
        }
        Err(err) if err.status().is_client_error() => {
            let page = SignupPage {
                provider,
                error: Some(err.public_message()),
                display_name: form.display_name,
                email: form.email,
                ..SignupPage::default()
            };
            Ok(with_retry_after(render(err.status(), &page), &err))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "oauth/signup_sent.html")]
struct SignupSentPage {
    chrome: Chrome,
    provider: &'static str,
    email: String,
}

#[derive(Template, Default)]
#[template(path = "oauth/signup_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    token: String,
    /// What the link creates, while it works.
    usable: Option<(&'static str, String)>,
    /// Why the link no longer works, or why following it failed.
    problem: Option<String>,
    /// The provider to sign in with, once the account exists.
    done: Option<Provider>,
}

async fn confirm_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let (status, usable, problem) = match mailed_signup::link_state(&state, &token).await? {
        LinkState::Usable { provider, email } => {
            (StatusCode::OK, Some((provider.label(), email)), None)
        }
        LinkState::Expired => (
            StatusCode::GONE,
            None,
            Some("This link has expired (a link works for 48 hours): sign up again.".to_owned()),
        ),
        LinkState::Unknown => (
            StatusCode::NOT_FOUND,
            None,
            Some("This link was used already, or a newer link replaced it.".to_owned()),
        ),
    };
    let page = ConfirmPage {
        chrome: Chrome::visitor(),
        token,
        usable,
        problem,
        ..ConfirmPage::default()
    };
    Ok(render(status, &page))
}

async fn confirm_submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    match mailed_signup::confirm(&state, &token).await {
        Ok(provider) => Ok(
            Redirect::to(&format!("/auth/signup/confirmed/{}", provider.as_str())).into_response(),
        ),
        Err(err) if err.status().is_client_error() => {
            let page = ConfirmPage {
                chrome: Chrome::visitor(),
                problem: Some(err.public_message()),
                ..ConfirmPage::default()
            };
            Ok(render(err.status(), &page))
        }
        Err(err) => Err(err.into()),
    }
}

async fn confirmed(Path(provider): Path<String>) -> Result<Response, PageError> {
    let page = ConfirmPage {
        chrome: Chrome::visitor(),
        done: Some(Provider::parse(&provider)?),
        ..ConfirmPage::default()
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "oauth/account.html")]
struct AccountPage {
    chrome: Chrome,
    notice: bool,
    error: Option<String>,
    linked: Vec<Identity>,
    providers: Vec<ProviderLink>,
}

#[derive(Debug, Deserialize)]
struct AccountQuery {
    linked: Option<String>,
}

async fn account_page(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Query(query): Query<AccountQuery>,
) -> Result<Response, PageError> {
    let page = AccountPage {
        linked: identities::list(&state, &user.account_id).await?,
        chrome: Chrome::signed_in(&user),
        notice: query.linked.is_some(),
        error: None,
        providers: enabled(&state),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, Deserialize)]
struct LinkForm {
    #[serde(default)]
    password: String,
}

/// The signed-in account if `form` proves its password, or the page to show instead (the
/// sign-in page with the reason).
async fn password_checked(
    state: &AppState,
    user: crate::identity::sessions::SessionUser,
    client: &crate::platform::client::ClientInfo,
    form: &LinkForm,
) -> Result<Result<crate::identity::sessions::SessionUser, Response>, PageError> {
    let checked = flow::check_password_for_link(
        state,
        &user.account_id,
        &user.email,
        &form.password,
        client.ip,
    )
    .await;
    match checked {
        Ok(()) => Ok(Ok(user)),
        Err(err) if err.status().is_client_error() => {
            let page = AccountPage {
                linked: identities::list(state, &user.account_id).await?,
                chrome: Chrome::signed_in(&user),
                notice: false,
                error: Some(err.public_message()),
                providers: enabled(state),
            };
            Ok(Err(with_retry_after(render(err.status(), &page), &err)))
        }
        Err(err) => Err(err.into()),
    }
}

async fn link(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Client(client): Client,
    Path(provider): Path<String>,
    jar: CookieJar,
    PageForm(form): PageForm<LinkForm>,
) -> Result<Response, PageError> {
    let provider = Provider::parse(&provider)?;
    let user = match password_checked(&state, user, &client, &form).await? {
        Ok(user) => user,
        Err(page) => return Ok(page),
    };
    let started = flow::start(
        &state,
        provider,
        Purpose::Link {
            account_id: user.account_id,
        },
    )
    .await?;
    let jar = jar.add(sign_in_cookie(&state, started.state));
    Ok((jar, Redirect::to(&started.authorize_url)).into_response())
}

async fn unlink(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Client(client): Client,
    Path(provider): Path<String>,
    PageForm(form): PageForm<LinkForm>,
) -> Result<Response, PageError> {
    let provider = Provider::parse(&provider)?;
    let user = match password_checked(&state, user, &client, &form).await? {
        Ok(user) => user,
        Err(page) => return Ok(page),
    };
    identities::unlink(&state, &user.account_id, provider).await?;
    Ok(Redirect::to("/account/sign-in").into_response())
}
