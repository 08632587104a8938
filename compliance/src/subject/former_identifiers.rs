//! The names and addresses a data subject had before they changed them, so erasure finds
//! the copies of the person written before the change (fresh tester, issue 10: after a
//! change of name and address, a counterparty's "Hi Carol Dempsey" and the mail sent to the
//! old address survived the erasure of "Caroline Westwood").
//!
//! [`remember`] is called in the transaction that changes an account's display name or
//! email (self-service or a staff rectification), before the change; [`read`] gives them to
//! the erasure, which stores them in its job row with the current ones (one per line) and
//! deletes the rows with the account's other data.

use sqlx::{Any, AnyConnection, Transaction};

crate::stored_state! {
    /// Which identifier a row remembers (`former_identifiers.kind`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Identifier: "former identifier kind" {
        /// The sign-in email address.
        Email = "email",
        /// The name shown to other people.
        DisplayName = "display_name",
    }
}

/// Inside `tx`, before `account_id`'s `kind` changes: remembers its current value (unless
/// empty or remembered already). `now_ms`: when it is replaced (Unix ms).
///
/// Errors: the database's.
pub async fn remember(
    tx: &mut Transaction<'static, Any>,
    account_id: &str,
    kind: Identifier,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let current = match kind {
        Identifier::Email => "SELECT email FROM accounts WHERE id = $1",
        Identifier::DisplayName => "SELECT display_name FROM accounts WHERE id = $1",
    };
    let value: Option<String> = sqlx::query_scalar(current)
        .bind(account_id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(());
    };
    let known: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM former_identifiers WHERE account_id = $1 AND kind = $2 AND value = $3",
    )
    .bind(account_id)
    .bind(kind.as_str())
    .bind(&value)
    .fetch_one(&mut **tx)
    .await?;
    if known > 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO former_identifiers (id, account_id, kind, value, replaced_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(account_id)
    .bind(kind.as_str())
    .bind(&value)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `account_id`'s former emails and former display names, oldest first.
///
/// Errors: the database's.
pub async fn read(
    conn: &mut AnyConnection,
    account_id: &str,
) -> Result<(Vec<String>, Vec<String>), sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, value FROM former_identifiers WHERE account_id = $1 ORDER BY replaced_at, id",
    )
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?;
    let (mut emails, mut names) = (Vec::new(), Vec::new());
    for (kind, value) in rows {
        match kind.parse::<Identifier>() {
            Ok(Identifier::Email) => emails.push(value),
            Ok(Identifier::DisplayName) => names.push(value),
            Err(_) => {}
        }
    }
    Ok((emails, names))
}
