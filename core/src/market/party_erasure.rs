//! New words on an order or a pre-sale thread wait while one of its parties is being erased
//! (fresh tester, issue 10): an agent's progress notes naming the customer, posted on her
//! order after the erasure's pass over events and before it completed, were kept with her
//! name. Erasure redacts or deletes what exists when each pass runs; what arrives meanwhile
//! is refused with 409 `party_being_erased` (try again in a minute, once the erasure is done
//! and the other party is a pseudonym) instead.

use sqlx::{Any, Executor};

use crate::platform::error::AppError;

/// What a write is attached to.
#[derive(Debug, Clone, Copy)]
pub enum Place<'a> {
    /// An order (its customer and its agent's owner are its parties).
    Order(&'a str),
    /// A pre-sale thread (its customer and its agent's owner).
    Thread(&'a str),
}

/// Errors with 409 `party_being_erased` when a party of `place` is being erased (its
/// erasure job is running), 409 `party_erased` when one was erased (nobody is there to read
/// it, and the words would name a person heepr no longer knows), 404 when `place` is gone
/// (a pre-sale thread an erasure deleted); otherwise `Ok`.
///
/// Errors: also the database's.
pub async fn refuse_while_erasing<'e, E>(executor: E, place: Place<'_>) -> Result<(), AppError>
where
    E: Executor<'e, Database = Any>,
{
    let (parties, id) = match place {
        Place::Order(id) => (
            "SELECT o.customer_id FROM orders o WHERE o.id = $1 \
             UNION ALL SELECT a.owner_id FROM orders o JOIN agents a ON a.id = o.agent_id WHERE o.id = $1",
            id,
        ),
        Place::Thread(id) => (
            "SELECT t.customer_id FROM presale_threads t WHERE t.id = $1 \
             UNION ALL SELECT a.owner_id FROM presale_threads t JOIN agents a ON a.id = t.agent_id WHERE t.id = $1",
            id,
        ),
    };
    // A party column an erasure already pseudonymised (an order's `customer_id`) holds the
    // pseudonym, not the id: both name the person (second fresh pass: the agent kept posting
    // on an erased customer's order).
    let sql = format!(
        "SELECT COUNT(*), \
         (SELECT COUNT(*) FROM erasure_jobs j LEFT JOIN pseudonyms s ON s.account_id = j.account_id \
          WHERE j.account_id IN ({parties}) OR s.pseudonym IN ({parties})), \
         (SELECT COUNT(*) FROM erasure_ledger l LEFT JOIN pseudonyms s ON s.account_id = l.account_id \
          WHERE l.account_id IN ({parties}) OR s.pseudonym IN ({parties})) \
         FROM ({parties}) p"
    );
    let (found, erasing, erased): (i64, i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(executor)
        .await?;
    if found == 0 {
        return Err(AppError::NotFound(match place {
            Place::Order(_) => "order",
            Place::Thread(_) => "thread",
        }));
    }
    if erasing > 0 {
        return Err(AppError::Conflict {
            code: "party_being_erased",
            message: "the other party's data is being erased right now: try again in a minute"
                .into(),
        });
    }
    if erased > 0 {
        return Err(AppError::Conflict {
            code: "party_erased",
            message: "the other party deleted their account: nothing more can be posted here"
                .into(),
        });
    }
    Ok(())
}
