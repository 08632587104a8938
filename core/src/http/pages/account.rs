//! A member's own pages: sign-up, login, logout, the dashboard (balance, ledger, sessions),
//! the password change, ending a session, and consents (policy: "withdraw consent at any
//! time": `GET /account/consents`, `POST /account/consents` with form `purpose`, `action`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::filters;
use super::form::{FormState, Submitted, answer};
use super::{Chrome, PageError, PageForm, render, with_retry_after};
use crate::http::client::Client;
use crate::http::extract::{MaybeUser, RequestAccount, SignedIn};
use crate::identity::accounts::login::{LoginRequest, log_in};
use crate::identity::accounts::password_change::{PasswordChangeRequest, change_password};
use crate::identity::accounts::signup::{SignupOutcome, SignupRequest, sign_up};
use crate::identity::accounts::verification;
use crate::identity::sessions;
use crate::ledger;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::human_text;
use crate::privacy::consents::{self, ConsentChange, ConsentStatus};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signup", get(signup_form).post(signup_submit))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/dashboard", get(dashboard))
        .route(
            "/account/password",
            get(password_form).post(password_submit),
        )
        .route("/account/sessions/{id}/end", post(end_session))
        .route(
            "/account/consents",
            get(consents_page).post(consents_change),
        )
}

#[derive(Template, Default)]
#[template(path = "signup.html")]
struct SignupPage {
    chrome: Chrome,
    error: Option<String>,
    /// The field the error is about, so the page marks it (`age_16_or_over`, `accept_terms`).
    error_field: Option<&'static str>,
    display_name: String,
    email: String,
    age_ticked: bool,
    terms_ticked: bool,
}

async fn signup_form() -> Response {
    render(StatusCode::OK, &SignupPage::default())
}

#[derive(Debug, Deserialize)]
struct SignupFields {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    age_16_or_over: Option<String>,
    accept_terms: Option<String>,
}

async fn signup_submit(
    State(state): State<AppState>,
    Client(client): Client,
    account: RequestAccount,
    PageForm(fields): PageForm<SignupFields>,
) -> Result<Response, PageError> {
    let ticked = crate::identity::accounts::validate::checkbox_ticked;
    let request = SignupRequest {
        display_name: fields.display_name.clone(),
        email: fields.email.clone(),
        password: fields.password,
        age_16_or_over: ticked(fields.age_16_or_over.as_deref()),
        accept_terms: ticked(fields.accept_terms.as_deref()),
    };
    let (sent, outcome) = match sign_up(&state, &request, client.ip).await {
        Ok(done) => done,
        Err(err) if err.status().is_client_error() => {
            let page = SignupPage {
                error: Some(err.public_message()),
                error_field: match &err {
                    AppError::Invalid { field, .. } => Some(*field),
                    _ => None,
                },
                display_name: fields.display_name,
                email: fields.email,
                age_ticked: request.age_16_or_over,
                terms_ticked: request.accept_terms,
                ..SignupPage::default()
            };
            return Ok(with_retry_after(render(err.status(), &page), &err));
        }
        Err(err) => return Err(err.into()),
    };
    if let SignupOutcome::Created(id) = &outcome {
        account.set(id);
    }
    // No session: the same page whether or not the address had an account (signing the
    // new one in would tell the two apart). The link in the email leads on.
    let page = SignupSentPage {
        chrome: Chrome::visitor(),
        email: sent.email,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "signup_sent.html")]
struct SignupSentPage {
    chrome: Chrome,
    email: String,
}

#[derive(Template, Default)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    error: Option<String>,
    /// A notice from the page that sent the person here.
    notice: Option<&'static str>,
    email: String,
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    notice: Option<String>,
}

async fn login_form(Query(query): Query<LoginQuery>) -> Response {
    let page = LoginPage {
        notice: match query.notice.as_deref() {
            Some("password_set") => Some(
                "Your new password is set, and every other browser was signed out: log in with it.",
            ),
            _ => None,
        },
        ..LoginPage::default()
    };
    render(StatusCode::OK, &page)
}

#[derive(Debug, Deserialize)]
struct LoginFields {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn login_submit(
    State(state): State<AppState>,
    Client(client): Client,
    account: RequestAccount,
    jar: CookieJar,
    PageForm(fields): PageForm<LoginFields>,
) -> Result<Response, PageError> {
    let request = LoginRequest {
        email: fields.email.clone(),
        password: fields.password,
    };
    match log_in(&state, &request, &client).await {
        Ok((session, user)) => {
            account.set(&user.account_id);
            let jar = jar.add(sessions::session_cookie(&state.settings, session.token));
            Ok((jar, Redirect::to("/dashboard")).into_response())
        }
        Err(err) if err.status().is_client_error() => {
            let page = LoginPage {
                error: Some(err.public_message()),
                email: fields.email,
                ..LoginPage::default()
            };
            Ok(with_retry_after(render(err.status(), &page), &err))
        }
        Err(err) => Err(err.into()),
    }
}

async fn logout(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    jar: CookieJar,
) -> Result<Response, PageError> {
    if let Some(user) = user {
        sessions::end(&state, &user.account_id, &user.session_id).await?;
    }
    let jar = jar.add(sessions::removal_cookie(&state.settings));
    Ok((jar, Redirect::to("/")).into_response())
}

struct EntryRow {
    when: String,
    kind: String,
    amount: String,
}

struct SessionRow {
    id: String,
    created: String,
    last_seen: String,
    from: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    display_name: String,
    notice: Option<&'static str>,
    /// The address is not verified yet: no bonus, no orders (a banner says so, with the
    /// date the account is deleted if it stays unconfirmed, when a rule sets one).
    unverified: bool,
    delete_unconfirmed_on: Option<String>,
    balance: i64,
    entries: Vec<EntryRow>,
    sessions: Vec<SessionRow>,
}

#[derive(Debug, Deserialize)]
struct DashboardQuery {
    notice: Option<String>,
}

/// Notices a redirect may ask the dashboard to show: fixed texts, so a link cannot put
/// arbitrary words on the page.
fn notice_text(key: &str) -> Option<&'static str> {
    match key {
        "password_changed" => Some("Your password was changed and every other session was ended."),
        "session_ended" => Some("That session was ended."),
        _ => None,
    }
}

async fn dashboard(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Query(query): Query<DashboardQuery>,
) -> Result<Response, PageError> {
    let balance = ledger::balance(state.db.pool(), &user.account_id).await?;
    let entries = ledger::entries(state.db.pool(), &user.account_id, 50)
        .await?
        .into_iter()
        .map(|e| EntryRow {
            when: human_text(&e.created_at),
            kind: e.kind.replace('_', " "),
            amount: format!("{:+}", e.amount),
        })
        .collect();
    let sessions = sessions::list(&state, &user)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            created: human_text(&s.created_at),
            last_seen: human_text(&s.last_seen_at),
            from: format!(
                "{} · {}",
                s.ip.unwrap_or_default(),
                s.user_agent.unwrap_or_default()
            ),
            current: s.current,
            id: s.id,
        })
        .collect();
    let unconfirmed = verification::unconfirmed(&state, &user.account_id).await?;
    let page = DashboardPage {
        chrome: Chrome::signed_in(&user),
        display_name: user.display_name,
        notice: query.notice.as_deref().and_then(notice_text),
        unverified: unconfirmed.is_some(),
        // Past the date, an account waits only while a hold or an open request keeps it.
        delete_unconfirmed_on: unconfirmed
            .flatten()
            .map(|at| match at <= state.clock.now_ms() {
                true => "now".to_string(),
                false => format!("before {}", crate::platform::time::human(at)),
            }),
        balance,
        entries,
        sessions,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    /// Why the change was refused (passwords are never written back into the page).
    fs: FormState,
}

async fn password_form(SignedIn(user): SignedIn) -> Response {
    render(
        StatusCode::OK,
        &PasswordPage {
            chrome: Chrome::signed_in(&user),
            fs: FormState::none(),
        },
    )
}

async fn password_submit(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Client(client): Client,
    PageForm(request): PageForm<PasswordChangeRequest>,
) -> Result<Response, PageError> {
    let result = change_password(&state, &user, &request, client.ip)
        .await
        .map(|_| Redirect::to("/dashboard?notice=password_changed").into_response());
    // The fields are named so a refusal sits on its field, but passwords are not echoed.
    let submitted = Submitted::button("password")
        .with("current_password", "")
        .with("new_password", "");
    let chrome = Chrome::signed_in(&user);
    answer(result, submitted, |fs| async move {
        Ok(PasswordPage { chrome, fs })
    })
    .await
}

async fn end_session(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    sessions::end(&state, &user.account_id, &id).await?;
    Ok(Redirect::to("/dashboard?notice=session_ended").into_response())
}

#[derive(Template)]
#[template(path = "consents.html")]
struct ConsentsPage {
    chrome: Chrome,
    consents: Vec<ConsentStatus>,
    /// A refused change's reason (shown on its purpose's row).
    fs: FormState,
}

async fn consents_page(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> Result<Response, PageError> {
    let page = consents_view(&state, &user, FormState::none()).await?;
    Ok(render(StatusCode::OK, &page))
}

async fn consents_view(
    state: &AppState,
    user: &sessions::SessionUser,
    fs: FormState,
) -> Result<ConsentsPage, AppError> {
    Ok(ConsentsPage {
        chrome: Chrome::signed_in(user),
        consents: consents::current(state, &user.account_id).await?,
        fs,
    })
}

async fn consents_change(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    PageForm(form): PageForm<ConsentChange>,
) -> Result<Response, PageError> {
    let result = consents::record(&state, &user.account_id, &form.purpose, form.action)
        .await
        .map(|_| Redirect::to("/account/consents").into_response());
    let submitted = Submitted::button("consent").with("purpose", &form.purpose);
    answer(result, submitted, |fs| consents_view(&state, &user, fs)).await
}
