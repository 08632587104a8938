//! Row access the erasure passes share: a keyset pager over a table in key order, a
//! one-row rewrite that writes only the columns that change, and binding a value of a type
//! only the database knows. SQL comes from validated data-map identifiers; values are bound.

use serde_json::Value;
use sqlx::Any;
use sqlx::any::AnyRow;

/// Binds `v`, a value read back with [`crate::subject::subject_rows::json_value`], as the
/// type it came as: integers as BIGINT, NULL as NULL, text (and anything else) as TEXT.
pub(super) fn bind_value<'q>(
    q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    v: &Value,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    match v {
        Value::Number(n) => q.bind(n.as_i64().unwrap_or_default()),
        Value::Null => q.bind(None::<String>),
        Value::String(s) => q.bind(s.clone()),
        other => q.bind(other.to_string()),
    }
}

/// One page of `base` (a `SELECT <key>, ... FROM t WHERE <condition on $1>`) after
/// `cursor` in `key` order, at most `limit` rows; `$1` is bound to `account_id`.
pub(super) async fn fetch_page<'c, E>(
    conn: E,
    base: &str,
    key: &str,
    account_id: &str,
    cursor: Option<&Value>,
    limit: i64,
) -> Result<Vec<AnyRow>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    match cursor {
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{base} ORDER BY {key} LIMIT $2"
            )))
            .bind(account_id)
            .bind(limit)
            .fetch_all(conn)
            .await
        }
        Some(c) => {
            let q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{base} AND {key} > $2 ORDER BY {key} LIMIT $3"
            )))
            .bind(account_id);
            bind_value(q, c).bind(limit).fetch_all(conn).await
        }
    }
}

/// The rows of `base` (as for [`fetch_page`]) whose `key` is one of `keys` (at most a
/// page: well under the bind limit), in key order.
pub(super) async fn fetch_keys(
    tx: &mut sqlx::Transaction<'static, Any>,
    base: &str,
    key: &str,
    account_id: &str,
    keys: &[Value],
) -> Result<Vec<AnyRow>, sqlx::Error> {
    let placeholders: Vec<String> = (0..keys.len()).map(|i| format!("${}", i + 2)).collect();
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{base} AND {key} IN ({}) ORDER BY {key}",
        placeholders.join(", ")
    )))
    .bind(account_id);
    for k in keys {
        q = bind_value(q, k);
    }
    q.fetch_all(&mut **tx).await
}

/// Writes `changes` (quoted column, new value; NULL for `Value::Null`) to the row of table
/// `t` whose `key` is `key_value`; `false` when there is nothing to change.
pub(super) async fn rewrite_row(
    tx: &mut sqlx::Transaction<'static, Any>,
    t: &str,
    key: &str,
    key_value: &Value,
    changes: Vec<(String, Value)>,
) -> Result<bool, sqlx::Error> {
    if changes.is_empty() {
        return Ok(false);
    }
    let mut sets = Vec::new();
    let mut values = Vec::new();
    for (col, value) in changes {
        if value.is_null() {
            sets.push(format!("{col} = NULL"));
        } else {
            values.push(value);
            sets.push(format!("{col} = ${}", values.len()));
        }
    }
    let sql = format!(
        "UPDATE {t} SET {} WHERE {key} = ${}",
        sets.join(", "),
        values.len() + 1
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for v in &values {
        q = bind_value(q, v);
    }
    bind_value(q, key_value).execute(&mut **tx).await?;
    Ok(true)
}
