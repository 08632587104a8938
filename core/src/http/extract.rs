//! Extractors shared by the API and the pages: JSON bodies and query strings with useful
//! errors, the signed-in person ([`SignedIn`] on pages, redirecting visitors to the login
//! page; [`CurrentUser`] on the API, 401 for visitors; [`MaybeUser`] where visitors are
//! served too), and telling the request log who signed in. The client's IP and user agent
//! are [`super::client`].

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;

use crate::http::request_log::AccountSlot;
use crate::identity::sessions::{self, SessionUser};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// A JSON request body; malformed input becomes a 4xx [`AppError`] with the reason.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType(
                "send the body as JSON with Content-Type: application/json".into(),
            ),
            JsonRejection::JsonSyntaxError(e) => {
                AppError::BadRequest(format!("malformed JSON: {}", e.body_text()))
            }
            JsonRejection::JsonDataError(e) => AppError::invalid("body", e.body_text()),
            other if other.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::PayloadTooLarge("the request body is too large for this endpoint".into())
            }
            other => AppError::BadRequest(other.body_text()),
        }
    }
}

/// A multipart body (uploads on the API); a request that is not `multipart/form-data` with
/// a boundary gets a JSON 415 with the reason, like every other API error.
pub struct ApiMultipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for ApiMultipart {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(ApiMultipart)
            .map_err(AppError::from)
    }
}

impl From<axum::extract::multipart::MultipartRejection> for AppError {
    fn from(rejection: axum::extract::multipart::MultipartRejection) -> Self {
        AppError::UnsupportedMediaType(format!(
            "send the files as multipart/form-data with a boundary ({})",
            rejection.body_text()
        ))
    }
}

/// The signed-in person; rejects with 401 when the session cookie is missing or ended.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub SessionUser);

/// The signed-in person, if any (pages that also serve visitors).
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<SessionUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(sessions::cookie_name(&state.settings)) else {
            return Ok(MaybeUser(None));
        };
        let user = sessions::authenticate(state, cookie.value()).await?;
        if let (Some(user), Some(slot)) = (&user, parts.extensions.get::<AccountSlot>()) {
            slot.set(&user.account_id);
        }
        Ok(MaybeUser(user))
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let MaybeUser(user) = MaybeUser::from_request_parts(parts, state).await?;
        user.map(CurrentUser).ok_or(AppError::Unauthenticated)
    }
}

/// The signed-in person, for a page that serves nobody else: a visitor is redirected to
/// `/login`, so no page handler checks the session by hand. (The JSON API's counterpart is
/// [`CurrentUser`], which answers 401 `unauthenticated` instead.)
#[derive(Debug, Clone)]
pub struct SignedIn(pub SessionUser);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let MaybeUser(user) = MaybeUser::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        user.map(SignedIn)
            .ok_or_else(|| Redirect::to("/login").into_response())
    }
}

/// Lets a handler that signs someone in (login, sign-up) tell the request log who it was.
#[derive(Debug, Clone, Default)]
pub struct RequestAccount(Option<AccountSlot>);

impl RequestAccount {
    /// Records `account_id` as this request's account.
    pub fn set(&self, account_id: &str) {
        if let Some(slot) = &self.0 {
            slot.set(account_id);
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestAccount {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestAccount(
            parts.extensions.get::<AccountSlot>().cloned(),
        ))
    }
}
