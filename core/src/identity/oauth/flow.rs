//! One sign-in round trip with a provider.
//!
//! [`start`] records a `sign_in_flows` row (the state's hash, the PKCE verifier, what the
//! round trip is for) and returns the provider's authorization URL and the state, which the
//! browser keeps in the short-lived `heepr_sign_in` cookie. [`callback`] refuses a state that
//! differs from the cookie's, is unknown, expired or already used (the row is claimed by a
//! conditional update before the code is exchanged, so a replayed callback is refused), then
//! exchanges the code with the PKCE verifier and reads the basic profile. A known identity
//! signs in; an unknown one waits for [`complete_signup`], which still asks for the 16+
//! confirmation; a `link` round trip attaches the identity to the account that started it
//! (after that account's password was checked, see [`start`]).

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use sqlx::Row;

use super::provider::{MAX_PROFILE_BYTES, Provider, ProviderProfile};
use super::{identities, mailed_signup};
use crate::identity::accounts::password_check::password_matches;
use crate::identity::accounts::signup::{NewAccount, UNDER_16_MESSAGE};
use crate::identity::accounts::validate;
use crate::platform::error::AppError;
use crate::platform::settings::OAuthProviderConfig;
use crate::platform::state::AppState;
use crate::platform::tokens::{hash_secret, new_id, new_secret};

/// How long a started round trip may take (ms).
pub const FLOW_TTL_MS: i64 = 10 * 60_000;
/// How long a new member has to confirm the sign-up after the provider answered (ms).
pub const SIGNUP_TTL_MS: i64 = 30 * 60_000;
/// Finished or expired round trips older than this are deleted when a new one starts (ms);
/// retention rule `sign_in_flows`: 1 day.
pub const FLOW_RETENTION_MS: i64 = 24 * 3_600_000;

heepr_compliance::stored_state! {
    /// Where a round trip stands (`sign_in_flows.status`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum SignInFlowStatus: "sign-in flow status" {
        /// Sent to the provider; the callback has not come back yet.
        Started = "started",
        /// The provider answered for a new identity; waiting for the sign-up confirmation.
        AwaitingSignup = "awaiting_signup",
        /// The callback was used (a round trip is claimed once).
        Done = "done",
    }
}

heepr_compliance::stored_state! {
    /// What a round trip is for, as stored (`sign_in_flows.purpose`); [`Purpose`] carries
    /// the account a link is for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum FlowPurpose: "sign-in flow purpose" {
        /// Sign in, or sign up when the identity is new.
        SignIn = "sign_in",
        /// Link the provider to the signed-in account.
        Link = "link",
    }
}

/// What a round trip is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// Sign in, or sign up when the identity is new.
    SignIn,
    /// Link the provider to this (signed-in, password-checked) account.
    Link {
        /// The account to link to.
        account_id: String,
    },
}

/// A started round trip.
#[derive(Debug, Clone)]
pub struct Started {
    /// Where to send the browser (the provider's authorization endpoint).
    pub authorize_url: String,
    /// The state, to keep in the browser's `heepr_sign_in` cookie.
    pub state: String,
}

/// How a callback ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A known identity: sign this account in.
    SignedIn {
        /// The account.
        account_id: String,
    },
    /// A new identity: ask for the sign-up confirmation (16+), keeping the cookie.
    NeedsSignup,
    /// The provider was linked to this account.
    Linked {
        /// The account.
        account_id: String,
    },
}

/// The callback URL heepr registers with providers: `PUBLIC_URL/auth/{provider}/callback`.
pub fn redirect_url(state: &AppState, provider: Provider) -> String {
    format!(
        "{}/auth/{}/callback",
        state.settings.public_url,
        provider.as_str()
    )
}

fn client(
    config: &OAuthProviderConfig,
    redirect: String,
) -> Result<
    BasicClient<
        oauth2::EndpointSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointSet,
    >,
    AppError,
> {
    let bad = |what: &str, e: oauth2::url::ParseError| {
        AppError::Internal(anyhow::anyhow!("sign-in provider {what} URL: {e}"))
    };
    Ok(BasicClient::new(ClientId::new(config.client_id.clone()))
        .set_client_secret(ClientSecret::new(config.client_secret.clone()))
        .set_auth_type(AuthType::RequestBody)
        .set_auth_uri(AuthUrl::new(config.auth_url.clone()).map_err(|e| bad("authorization", e))?)
        .set_token_uri(TokenUrl::new(config.token_url.clone()).map_err(|e| bad("token", e))?)
        .set_redirect_uri(RedirectUrl::new(redirect).map_err(|e| bad("redirect", e))?))
}

fn http_client() -> Result<reqwest::Client, AppError> {
    reqwest::Client::builder()
        // Following redirects would open the token exchange to SSRF.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(15))
        .user_agent("heepr")
        .build()
        .map_err(|e| AppError::Internal(e.into()))
}

/// Starts a round trip with `provider` for `purpose`.
///
/// Linking needs the account's password checked by the caller first (see
/// [`check_password_for_link`]).
///
/// Errors: 400 when the provider is not enabled.
pub async fn start(
    state: &AppState,
    provider: Provider,
    purpose: Purpose,
) -> Result<Started, AppError> {
    let config = provider.enabled_config(&state.settings)?;
    let oauth = client(config, redirect_url(state, provider))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = oauth
        .authorize_url(|| CsrfToken::new(new_secret()))
        .add_scopes(
            provider
                .scopes()
                .iter()
                .map(|s| Scope::new((*s).to_owned())),
        )
        .set_pkce_challenge(challenge)
        .url();
    let now = state.clock.now_ms();
    let (purpose_name, account_id) = match &purpose {
        Purpose::SignIn => (FlowPurpose::SignIn, None),
        Purpose::Link { account_id } => (FlowPurpose::Link, Some(account_id.clone())),
    };
    let mut tx = state.db.begin_write().await?;
    sqlx::query(
        "DELETE FROM sign_in_flows WHERE id IN (SELECT id FROM sign_in_flows WHERE expires_at < $1 LIMIT 100)",
    )
    .bind(now - FLOW_RETENTION_MS)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO sign_in_flows (id, state_hash, provider, purpose, account_id, pkce_verifier, status, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $9, $7, $8)",
    )
    .bind(new_id())
    .bind(hash_secret(csrf.secret()))
    .bind(provider.as_str())
    .bind(purpose_name.as_str())
    .bind(account_id)
    .bind(verifier.secret())
    .bind(now)
    .bind(now + FLOW_TTL_MS)
    .bind(SignInFlowStatus::Started.as_str())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Started {
        authorize_url: url.to_string(),
        state: csrf.secret().clone(),
    })
}

/// Checks the signed-in account's password before a link round trip (policy: linking a
/// provider to an existing account needs its password).
///
/// Errors: 422 on `password` when wrong (or the account has no password); 403
/// `email_unverified` when the account's address is not verified yet; 429 when throttled.
pub async fn check_password_for_link(
    state: &AppState,
    account_id: &str,
    email: &str,
    password: &str,
    ip: std::net::IpAddr,
) -> Result<(), AppError> {
    if !password_matches(state, account_id, email, "password", password, ip).await? {
        return Err(AppError::invalid(
            "password",
            "your password is not correct",
        ));
    }
    // Whoever signed up with an address they do not own could otherwise link their own
    // provider and keep signing in after the address's owner took the account back.
    crate::identity::accounts::verification::require_verified(state.db.pool(), account_id).await?;
    Ok(())
}

/// What the provider sent back to the callback URL.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CallbackParams {
    /// The authorization code.
    pub code: Option<String>,
    /// The state heepr sent.
    pub state: Option<String>,
    /// Set when the person refused or the provider failed.
    pub error: Option<String>,
}

/// Handles the provider's callback.
///
/// `cookie_state` is the `heepr_sign_in` cookie; `signed_in_account` the session's account,
/// if any (a link round trip must end in the browser of the account that started it).
///
/// Errors: 400 for a provider error, a missing or mismatched state, an unknown, expired or
/// already used round trip, a code the provider refuses, or an unusable profile; 409 when
/// linking an identity already linked elsewhere.
pub async fn callback(
    state: &AppState,
    provider: Provider,
    params: &CallbackParams,
    cookie_state: Option<&str>,
    signed_in_account: Option<&str>,
) -> Result<Outcome, AppError> {
    let config = provider.enabled_config(&state.settings)?;
    if let Some(error) = &params.error {
        return Err(AppError::BadRequest(format!(
            "{} did not sign you in ({error}): start again",
            provider.label()
        )));
    }
    let (Some(code), Some(returned_state)) = (&params.code, &params.state) else {
        return Err(AppError::BadRequest(
            "the sign-in answer lacks its code or state: start again".into(),
        ));
    };
    if cookie_state != Some(returned_state.as_str()) {
        return Err(AppError::BadRequest(
            "this sign-in was not started in this browser (state mismatch): start again".into(),
        ));
    }
    let now = state.clock.now_ms();
    let state_hash = hash_secret(returned_state);
    let claimed = sqlx::query(
        "UPDATE sign_in_flows SET status = $4 WHERE state_hash = $1 AND provider = $2 AND status = $5 AND expires_at > $3",
    )
    .bind(&state_hash)
    .bind(provider.as_str())
    .bind(now)
    .bind(SignInFlowStatus::Done.as_str())
    .bind(SignInFlowStatus::Started.as_str())
    .execute(state.db.pool())
    .await?;
    if claimed.rows_affected() != 1 {
        return Err(AppError::BadRequest(
            "this sign-in was already used or has expired: start again".into(),
        ));
    }
    let row = sqlx::query(
        "SELECT id, purpose, account_id, pkce_verifier FROM sign_in_flows WHERE state_hash = $1",
    )
    .bind(&state_hash)
    .fetch_one(state.db.pool())
    .await?;
    let flow_id: String = row.try_get("id")?;
    let purpose: FlowPurpose = row.try_get("purpose")?;
    let link_account: Option<String> = row.try_get("account_id")?;
    let verifier: String = row.try_get("pkce_verifier")?;

    let profile = exchange_and_fetch(state, provider, config, code, verifier).await?;

    if purpose == FlowPurpose::Link {
        let account_id = link_account
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("link flow without account")))?;
        if signed_in_account != Some(account_id.as_str()) {
            return Err(AppError::BadRequest(
                "sign in to the account you are linking, then start again".into(),
            ));
        }
        let mut tx = state.db.begin_write().await?;
        identities::insert(&mut tx, &account_id, provider, &profile, now).await?;
        tx.commit().await?;
        tracing::info!(account_id = %account_id, provider = provider.as_str(), "sign-in provider linked");
        return Ok(Outcome::Linked { account_id });
    }
    if let Some(account_id) = identities::touch(state, provider, &profile, now).await? {
        return Ok(Outcome::SignedIn { account_id });
    }
    sqlx::query(
        "UPDATE sign_in_flows SET status = $7, subject = $1, email = $2, display_name = $3, profile_json = $4, expires_at = $5 WHERE id = $6",
    )
    .bind(&profile.subject)
    .bind(&profile.email)
    .bind(&profile.display_name)
    .bind(&profile.raw)
    .bind(now + SIGNUP_TTL_MS)
    .bind(&flow_id)
    .bind(SignInFlowStatus::AwaitingSignup.as_str())
    .execute(state.db.pool())
    .await?;
    Ok(Outcome::NeedsSignup)
}

async fn exchange_and_fetch(
    state: &AppState,
    provider: Provider,
    config: &OAuthProviderConfig,
    code: &str,
    verifier: String,
) -> Result<ProviderProfile, AppError> {
    let oauth = client(config, redirect_url(state, provider))?;
    let http = http_client()?;
    let token = oauth
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&http)
        .await
        .map_err(|e| {
            tracing::info!(provider = provider.as_str(), "code exchange refused: {e}");
            AppError::BadRequest(format!(
                "{} did not accept this sign-in (the code was refused): start again",
                provider.label()
            ))
        })?;
    let response = http
        .get(&config.userinfo_url)
        .bearer_auth(token.access_token().secret())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| {
            AppError::Internal(anyhow::anyhow!("{} profile request: {e}", provider.label()))
        })?;
    if !response.status().is_success() {
        return Err(AppError::BadRequest(format!(
            "{} did not share your profile (status {}): start again",
            provider.label(),
            response.status()
        )));
    }
    let body = response.bytes().await.map_err(|e| {
        AppError::Internal(anyhow::anyhow!("{} profile body: {e}", provider.label()))
    })?;
    if body.len() > MAX_PROFILE_BYTES {
        return Err(AppError::BadRequest(format!(
            "{} returned a profile larger than {MAX_PROFILE_BYTES} bytes",
            provider.label()
        )));
    }
    provider.read_profile(&String::from_utf8_lossy(&body))
}

/// The profile waiting for a sign-up confirmation under `cookie_state`.
#[derive(Debug, Clone)]
pub struct PendingSignup {
    /// The provider.
    pub provider: Provider,
    /// Name the provider gave, to prefill the form.
    pub display_name: Option<String>,
    /// Email the provider gave, to prefill the form.
    pub email: Option<String>,
}

async fn pending_row(
    state: &AppState,
    cookie_state: Option<&str>,
) -> Result<sqlx::any::AnyRow, AppError> {
    let expired = || {
        AppError::BadRequest(
            "there is no sign-up waiting in this browser, or it expired: start again".into(),
        )
    };
    let cookie_state = cookie_state.ok_or_else(expired)?;
    sqlx::query(
        "SELECT id, provider, subject, email, display_name, profile_json FROM sign_in_flows \
         WHERE state_hash = $1 AND status = $3 AND expires_at > $2",
    )
    .bind(hash_secret(cookie_state))
    .bind(state.clock.now_ms())
    .bind(SignInFlowStatus::AwaitingSignup.as_str())
    .fetch_optional(state.db.pool())
    .await?
    .ok_or_else(expired)
}

/// The sign-up waiting in this browser.
///
/// Errors: 400 when there is none (or it expired).
pub async fn pending_signup(
    state: &AppState,
    cookie_state: Option<&str>,
) -> Result<PendingSignup, AppError> {
    let row = pending_row(state, cookie_state).await?;
    Ok(PendingSignup {
        provider: Provider::parse(&row.try_get::<String, _>("provider")?)?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
    })
}

/// What the new member confirms to finish a sign-up through a provider.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SignupConfirmation {
    /// Name shown to others, 1–64 characters.
    #[serde(default)]
    pub display_name: String,
    /// Email address for the account.
    #[serde(default)]
    pub email: String,
    /// Present when the person confirms being 16 or older.
    pub age_16_or_over: Option<String>,
    /// Present when the person accepts the terms in force.
    pub accept_terms: Option<String>,
}

/// How a provider sign-up ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignupDone {
    /// The provider vouched for the address: the account (this id) exists, verified.
    Created(String),
    /// Any other address: a link went to it (or, if it has an account, a notice), and
    /// nothing exists until the link is followed ([`super::mailed_signup`]).
    CheckEmail(String),
}

/// Finishes a sign-up through a provider. An address the provider vouches for gets the
/// account (no password) and its identity at once, verified (bonus and welcome email); any
/// other waits for the link mailed to it, whether or not an account has it.
///
/// Errors: 400 when no sign-up waits; 422 `age_16_or_over` when not confirmed (the
/// provider's profile is deleted: nothing about the person is kept); 422 `accept_terms`
/// when the terms are not accepted (the sign-up stays pending); 422 for a bad name or
/// email; 409 `email_taken` when an account already has the address the provider vouched
/// for (the person's own: log in with its password and link the provider from the
/// dashboard instead); 429 when `ip` or everyone made too many sign-ups (the pending
/// sign-up stays, to be finished later).
pub async fn complete_signup(
    state: &AppState,
    cookie_state: Option<&str>,
    form: &SignupConfirmation,
    ip: std::net::IpAddr,
) -> Result<SignupDone, AppError> {
    let row = pending_row(state, cookie_state).await?;
    let flow_id: String = row.try_get("id")?;
    if !crate::identity::accounts::validate::checkbox_ticked(form.age_16_or_over.as_deref()) {
        sqlx::query("DELETE FROM sign_in_flows WHERE id = $1")
            .bind(&flow_id)
            .execute(state.db.pool())
            .await?;
        return Err(AppError::invalid("age_16_or_over", UNDER_16_MESSAGE));
    }
    // Unlike the age, terms not ticked keep the pending sign-up: ticking them is all it takes.
    let terms_version = crate::identity::accounts::terms::required(
        state,
        crate::identity::accounts::validate::checkbox_ticked(form.accept_terms.as_deref()),
    )?;
    let display_name = validate::display_name(&form.display_name)?;
    let email = validate::email_address(&form.email)?;
    let provider = Provider::parse(&row.try_get::<String, _>("provider")?)?;
    state.signups.check(ip)?;
    let raw: String = row.try_get("profile_json")?;
    // The provider vouches only for the mailbox it returned, not one typed over it: the
    // same address exactly (as normalised for sending), not merely one with the same
    // matching key (`strasse@` and `straße@` match, but are two mailboxes).
    let vouched = provider.read_profile(&raw)?;
    let email_verified = vouched.email_verified
        && vouched
            .email
            .as_deref()
            .and_then(|e| validate::email_address(e).ok())
            .is_some_and(|e| e.address == email.address);
    let profile = ProviderProfile {
        subject: row.try_get("subject")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        email_verified,
        raw,
    };
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let claimed = sqlx::query("DELETE FROM sign_in_flows WHERE id = $1 AND status = $2")
        .bind(&flow_id)
        .bind(SignInFlowStatus::AwaitingSignup.as_str())
        .execute(&mut *tx)
        .await?;
    if claimed.rows_affected() != 1 {
        return Err(AppError::BadRequest(
            "this sign-up was already finished: log in".into(),
        ));
    }
    if !email_verified {
        tx.commit().await?;
        let held = mailed_signup::HeldSignup {
            provider,
            profile: &profile,
            display_name: &display_name,
            email: &email,
            terms_version: &terms_version,
        };
        mailed_signup::hold(state, &held).await?;
        return Ok(SignupDone::CheckEmail(email.address));
    }
    let account = NewAccount {
        email: &email.address,
        email_key: &email.key,
        display_name: &display_name,
        password_hash: None,
        terms_version: &terms_version,
        email_verified,
    };
    let account_id = super::provider_account::create(
        &mut tx,
        state,
        &account,
        provider,
        "an account with this email already exists: log in with your password",
    )
    .await?;
    identities::insert(&mut tx, &account_id, provider, &profile, now).await?;
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    tracing::info!(account_id = %account_id, provider = provider.as_str(), "account created through a sign-in provider");
    Ok(SignupDone::Created(account_id))
}
