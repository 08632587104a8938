//! What the data map asks erasure to do with a table: its rule, which columns take which
//! action, and which columns hold another account's id (theirs to keep).

use crate::policy::data_map::{ColumnErasure, TableErasure, TableSpec};

/// The erasure rule of a table linked to a subject (`delete`, `update`, `keep`); `None` for
/// tables no subject owns rows in.
pub(super) fn table_rule(t: &TableSpec) -> Option<&'static str> {
    if t.links.is_empty() {
        return None;
    }
    match t.erasure {
        TableErasure::Delete => Some("delete"),
        TableErasure::Update => Some("update"),
        TableErasure::Keep => Some("keep"),
        TableErasure::None => None,
    }
}

/// The columns of `t` whose erasure action is `wanted`.
pub(super) fn actions(t: &TableSpec, wanted: ColumnErasure) -> Vec<&str> {
    t.columns
        .iter()
        .filter(|(_, c)| c.erasure == Some(wanted))
        .map(|(n, _)| n.as_str())
        .collect()
}

/// Whether `column` of `table` holds another account's id (`account_ref = true`): erasure
/// rewrites such a column only in rows where it holds the erased person's own id, never
/// where it names the other party (e.g. `orders.customer_id` when the agent's owner is
/// erased: the order is the owner's too, but the customer must stay the customer).
pub(super) fn is_account_ref(table: &TableSpec, column: &str) -> bool {
    table
        .columns
        .get(column)
        .is_some_and(|c| c.account_ref == Some(true))
}
