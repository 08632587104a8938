//! Creating the account of a sign-up through a provider, whichever way it was confirmed (at
//! once for a vouched address, by the mailed link for any other).

use super::provider::Provider;
use crate::identity::accounts::signup::{NewAccount, create_account};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Inside `tx`: creates the account of a provider sign-up ([`create_account`]). A taken
/// address answers 409 `email_taken` with `taken`, followed by the way out: link the
/// provider from the existing account's dashboard.
///
/// Errors: that 409; [`create_account`]'s.
pub(super) async fn create(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    state: &AppState,
    account: &NewAccount<'_>,
    provider: Provider,
    taken: &str,
) -> Result<String, AppError> {
    match create_account(tx, state, account).await {
        Err(AppError::Conflict {
            code: "email_taken",
            ..
        }) => Err(AppError::Conflict {
            code: "email_taken",
            message: format!(
                "{taken}, then link {} from your dashboard",
                provider.label()
            ),
        }),
        other => other,
    }
}
