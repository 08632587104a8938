//! A sign-up through a provider with an address the provider does not vouch for (one typed
//! over the provider's, or GitHub's public profile address) waits for the link mailed to
//! that address: nothing is created until the link is followed (issue 14 §3).
//!
//! Why: creating the account at once had to answer "this address already has an account"
//! to anyone holding a provider account, an oracle for who is a member; a neutral answer
//! alone did not close it, since signing in with the provider again afterwards found an
//! account in one case and none in the other. Now both cases answer "check your email",
//! and a later sign-in finds no account in either until the mailbox's owner acts:
//! - an address no account uses gets a link ([`hold`]); following it ([`confirm`]) creates
//!   the account, verified (the link proves the mailbox), with the provider linked, and
//!   asks the person to sign in with the provider;
//! - an address in use gets the "someone tried to sign up with your address" email (at
//!   most one an hour), and nothing is stored.
//!
//! An address gets at most [`MAX_PENDING`] pending sign-ups, one link every
//! [`LINK_GAP_MS`]: a provider account cannot make heepr mail an address without end.
//! Pending sign-ups hold personal data (`provider_signups` in the data map) and are deleted
//! when used, when replaced by a newer one of the same provider identity, and after
//! [`PROVIDER_SIGNUP_LINK_MS`] by the `provider_signups` retention rule.

use askama::Template;
use sqlx::Row;

use super::identities;
use super::provider::{Provider, ProviderProfile};
use crate::identity::accounts::signup::{NewAccount, tell_address_in_use};
use crate::identity::accounts::{lookup, validate::EmailAddress};
use crate::platform::error::AppError;
use crate::platform::mail::{self, Email};
use crate::platform::state::AppState;
use crate::platform::time::human;
use crate::platform::tokens::{hash_secret, new_id, new_secret};

/// How long the mailed link works (ms): 48 hours (retention rule `provider_signups`: 2
/// days).
pub const PROVIDER_SIGNUP_LINK_MS: i64 = 48 * 3_600_000;
/// Most pending sign-ups (unexpired links) per address.
pub const MAX_PENDING: i64 = 3;
/// Least time between two links mailed to one address (ms): one minute.
pub const LINK_GAP_MS: i64 = 60_000;

/// The email's template name (email log).
const TEMPLATE: &str = "provider_signup";

#[derive(Template)]
#[template(path = "email/provider_signup.txt")]
struct LinkMail<'a> {
    display_name: &'a str,
    provider: &'a str,
    link: &'a str,
    expires: &'a str,
}

/// A sign-up waiting for its link: what [`hold`] stores.
#[derive(Debug, Clone, Copy)]
pub struct HeldSignup<'a> {
    /// The provider and the profile it returned.
    pub provider: Provider,
    /// The profile (its `email_verified` is false: the provider did not vouch for `email`).
    pub profile: &'a ProviderProfile,
    /// The validated name and address the person typed.
    pub display_name: &'a str,
    /// The address typed.
    pub email: &'a EmailAddress,
    /// The terms version accepted.
    pub terms_version: &'a str,
}

/// Stores `signup` and mails its link, or, when the address has an account, tells that
/// account instead and stores nothing; the caller has already claimed the sign-in flow.
/// Answers the same either way.
///
/// Errors: the database's, the template's.
pub async fn hold(state: &AppState, signup: &HeldSignup<'_>) -> Result<(), AppError> {
    let now = state.clock.now_ms();
    let in_use = lookup::active_by_email_key(state.db.pool(), &signup.email.key)
        .await?
        .is_some();
    if in_use {
        return tell_address_in_use(state, &signup.email.key).await;
    }
    let mut tx = state.db.begin_write().await?;
    let (pending, latest): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MAX(created_at) FROM provider_signups WHERE email_key = $1 AND expires_at > $2",
    )
    .bind(&signup.email.key)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    if pending >= MAX_PENDING || latest.is_some_and(|at| now - at < LINK_GAP_MS) {
        // Silently: the links already mailed still work.
        return Ok(());
    }
    let token = new_secret();
    let expires_at = now.saturating_add(PROVIDER_SIGNUP_LINK_MS);
    let profile = signup.profile;
    // One pending sign-up per provider identity: the newest replaces the others.
    sqlx::query("DELETE FROM provider_signups WHERE provider = $1 AND subject = $2")
        .bind(signup.provider.as_str())
        .bind(&profile.subject)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO provider_signups (id, token_hash, provider, subject, email, email_key, display_name, \
         terms_version, provider_email, provider_display_name, profile_json, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(new_id())
    .bind(hash_secret(&token))
    .bind(signup.provider.as_str())
    .bind(&profile.subject)
    .bind(&signup.email.address)
    .bind(&signup.email.key)
    .bind(signup.display_name)
    .bind(signup.terms_version)
    .bind(&profile.email)
    .bind(&profile.display_name)
    .bind(&profile.raw)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    let link = format!("{}/auth/signup/confirm/{token}", state.settings.public_url);
    let body = LinkMail {
        display_name: signup.display_name,
        provider: signup.provider.label(),
        link: &link,
        expires: &human(expires_at),
    }
    .render()
    .map_err(|e| AppError::Internal(e.into()))?;
    let email = Email {
        template: TEMPLATE,
        to: signup.email.address.clone(),
        account_id: None,
        subject: "Finish creating your heepr account".to_owned(),
        body,
    };
    mail::enqueue(&mut tx, &email, now).await?;
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    Ok(())
}

/// Where a mailed sign-up link stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// It works: the account it would create.
    Usable {
        /// The provider to be linked.
        provider: Provider,
        /// The address.
        email: String,
    },
    /// Its 48 hours are over.
    Expired,
    /// Used already, replaced by a newer one, or never issued.
    Unknown,
}

/// What the link with `token` would do.
///
/// Errors: the database's; a stored provider that is not one (a damaged row).
pub async fn link_state(state: &AppState, token: &str) -> Result<LinkState, AppError> {
    let row = sqlx::query(
        "SELECT provider, email, expires_at FROM provider_signups WHERE token_hash = $1",
    )
    .bind(hash_secret(token))
    .fetch_optional(state.db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(LinkState::Unknown);
    };
    if row.try_get::<i64, _>("expires_at")? <= state.clock.now_ms() {
        return Ok(LinkState::Expired);
    }
    Ok(LinkState::Usable {
        provider: Provider::parse(&row.try_get::<String, _>("provider")?)?,
        email: row.try_get("email")?,
    })
}

/// Follows the link with `token`: creates the account (its address verified: the bonus and
/// the welcome email follow) and links the provider identity, in one transaction. Returns
/// the provider, to sign in with.
///
/// Errors: 404 when the link is unknown or used, 410 when expired; 409 `email_taken` when
/// an account got the address meanwhile, 409 `identity_taken` when the provider account got
/// linked to another account meanwhile (both only to the mailbox's owner: no oracle).
pub async fn confirm(state: &AppState, token: &str) -> Result<Provider, AppError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query(
        "SELECT id, provider, subject, email, email_key, display_name, terms_version, provider_email, \
         provider_display_name, profile_json, expires_at FROM provider_signups WHERE token_hash = $1",
    )
    .bind(hash_secret(token))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound("this link was used already, or a newer one replaced it"))?;
    if row.try_get::<i64, _>("expires_at")? <= now {
        return Err(AppError::Gone(
            "this link has expired (it works for 48 hours): sign up again".into(),
        ));
    }
    let provider = Provider::parse(&row.try_get::<String, _>("provider")?)?;
    sqlx::query("DELETE FROM provider_signups WHERE id = $1")
        .bind(row.try_get::<String, _>("id")?)
        .execute(&mut *tx)
        .await?;
    let (email, email_key, display_name, terms_version): (String, String, String, String) = (
        row.try_get("email")?,
        row.try_get("email_key")?,
        row.try_get("display_name")?,
        row.try_get("terms_version")?,
    );
    let account = NewAccount {
        email: &email,
        email_key: &email_key,
        display_name: &display_name,
        password_hash: None,
        terms_version: &terms_version,
        email_verified: true,
    };
    let account_id = super::provider_account::create(
        &mut tx,
        state,
        &account,
        provider,
        "an account with this address was created meanwhile: log in to it",
    )
    .await?;
    let profile = ProviderProfile {
        subject: row.try_get("subject")?,
        email: row.try_get("provider_email")?,
        display_name: row.try_get("provider_display_name")?,
        email_verified: false,
        raw: row.try_get("profile_json")?,
    };
    identities::insert(&mut tx, &account_id, provider, &profile, now).await?;
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    tracing::info!(account_id = %account_id, provider = provider.as_str(), "account created through a sign-in provider, address confirmed by link");
    Ok(provider)
}
