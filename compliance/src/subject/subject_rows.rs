//! Selecting a data subject's rows in any table of the data map, through the table's `links`,
//! and reading column values whose types only the database knows. Shared by export and
//! erasure, so both see exactly the same rows.
//!
//! SQL here is built from identifiers of the validated data map only (checked again by
//! [`ident`]); values, the account id included, are always bound (`$1`).

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::policy::data_map::{DataMap, TableSpec};

/// The table holding accounts: the subject's own row and other people's display names.
pub const ACCOUNTS_TABLE: &str = "accounts";

/// A data-map identifier made safe to splice into SQL: only `[A-Za-z0-9_]`, quoted.
///
/// The data map is validated against the real schema at start-up, so this never fails for
/// a loaded map; it is a second line of defence against a hand-edited policy.
pub fn ident(name: &str) -> Result<String, String> {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(format!("\"{name}\""))
    } else {
        Err(format!("{name:?} is not a plain SQL identifier"))
    }
}

/// The `WHERE` condition selecting `table`'s rows that belong to the subject bound as `$1`:
/// the OR of its links. `None` when the table has no links (holds nobody's data). A `via`
/// link without `subject_column` follows the other table's own links, so a row reached
/// through several tables (an order message, through its order, to the agent's owner)
/// belongs to every party of the row it points at.
///
/// Errors: an identifier that is not plain (see [`ident`]), a `via` without its table, or
/// `via` links nested deeper than [`MAX_VIA_DEPTH`] (a loop in the data map).
pub fn condition(map: &DataMap, table: &TableSpec) -> Result<Option<String>, String> {
    condition_at(map, table, 0)
}

/// How many `via` links without `subject_column` may be followed in a row.
pub const MAX_VIA_DEPTH: usize = 4;

fn condition_at(map: &DataMap, table: &TableSpec, depth: usize) -> Result<Option<String>, String> {
    let mut parts = Vec::new();
    for link in &table.links {
        let col = ident(&link.column)?;
        let Some(via) = &link.via else {
            parts.push(format!("{col} = $1"));
            continue;
        };
        let (other, other_key) = via
            .split_once('.')
            .ok_or_else(|| format!("via {via:?} is not table.column"))?;
        let other_spec = map
            .tables
            .get(other)
            .ok_or_else(|| format!("via {via:?}: unknown table"))?;
        let inner = match &link.subject_column {
            Some(subject_column) => format!("{} = $1", ident(subject_column)?),
            None if depth >= MAX_VIA_DEPTH => {
                return Err(format!("via {via:?}: links nested too deep (a loop?)"));
            }
            None => match condition_at(map, other_spec, depth + 1)? {
                Some(c) => c,
                None => continue,
            },
        };
        parts.push(format!(
            "{col} IN (SELECT {} FROM {} WHERE {inner})",
            ident(other_key)?,
            ident(other)?,
        ));
    }
    if parts.is_empty() {
        Ok(None)
    } else {
        Ok(Some(format!("({})", parts.join(" OR "))))
    }
}

/// Tables in the order erasure must visit them: a table that reaches the subject `via`
/// another table comes before that table (its rows are found through the other's), and
/// `last` (the subject's own table, whose email and name erasure needs until the end)
/// comes last. Ties in name order.
pub fn erasure_order<'a>(map: &'a DataMap, last: &'a str) -> Vec<&'a str> {
    let mut order: Vec<&str> = Vec::new();
    let mut remaining: Vec<&str> = map
        .tables
        .keys()
        .map(String::as_str)
        .filter(|t| *t != last)
        .collect();
    // Kahn-style: repeatedly take tables no remaining table reaches through.
    while !remaining.is_empty() {
        let referenced_by_remaining = |t: &str| {
            remaining.iter().any(|other| {
                map.tables.get(*other).is_some_and(|spec| {
                    spec.links.iter().any(|l| {
                        l.via
                            .as_deref()
                            .and_then(|v| v.split_once('.'))
                            .is_some_and(|(vt, _)| vt == t && *other != t)
                    })
                })
            })
        };
        let pos = remaining
            .iter()
            .position(|t| !referenced_by_remaining(t))
            .unwrap_or(0); // a cycle: break it in name order
        order.push(remaining.remove(pos));
    }
    if map.tables.contains_key(last) {
        order.push(last);
    }
    order
}

/// The value of column `index` of `row` as JSON, whatever its SQL type (integer, real,
/// text or NULL), decided by the value's own type (no trial decoding).
pub fn json_value(row: &AnyRow, index: usize) -> Value {
    use sqlx::any::AnyTypeInfoKind as Kind;
    let Ok(raw) = row.try_get_raw(index) else {
        return Value::Null;
    };
    let kind = sqlx::ValueRef::type_info(&raw).kind();
    match kind {
        Kind::Null => Value::Null,
        Kind::Bool => row
            .try_get::<Option<bool>, _>(index)
            .ok()
            .flatten()
            .map_or(Value::Null, Value::from),
        Kind::SmallInt | Kind::Integer | Kind::BigInt => row
            .try_get::<Option<i64>, _>(index)
            .ok()
            .flatten()
            .map_or(Value::Null, Value::from),
        Kind::Real | Kind::Double => row
            .try_get::<Option<f64>, _>(index)
            .ok()
            .flatten()
            .or_else(|| {
                row.try_get::<Option<f32>, _>(index)
                    .ok()
                    .flatten()
                    .map(f64::from)
            })
            .map_or(Value::Null, Value::from),
        Kind::Text | Kind::Blob => row
            .try_get::<Option<String>, _>(index)
            .ok()
            .flatten()
            .map_or(Value::Null, Value::from),
    }
}

/// The value of column `index` as text (integers printed), for keys and paths.
pub fn text_value(row: &AnyRow, index: usize) -> Option<String> {
    match json_value(row, index) {
        Value::String(s) => Some(s),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn children_come_before_parents_and_accounts_last() -> Result<(), crate::PolicyError> {
        let text = r#"version = 1
[tables.accounts]
purpose = "p"
links = [{ column = "id" }]
export = "profile"
erasure = "keep"
retention = "r"
[tables.accounts.columns]
id = { personal = true, category = "account", basis = "contract" }
[tables.z_messages]
purpose = "p"
links = [{ column = "conv", via = "b_conversations.id", subject_column = "owner" }]
export = "none"
erasure = "delete"
retention = "r"
[tables.z_messages.columns]
id = { personal = true, category = "account", basis = "contract" }
conv = { personal = true, category = "account", basis = "contract" }
[tables.b_conversations]
purpose = "p"
links = [{ column = "owner" }]
export = "none"
erasure = "delete"
retention = "r"
[tables.b_conversations.columns]
id = { personal = true, category = "account", basis = "contract" }
owner = { personal = true, category = "account", basis = "contract" }
"#;
        let map = DataMap::parse(Path::new("m.toml"), text)?;
        assert_eq!(
            erasure_order(&map, "accounts"),
            vec!["z_messages", "b_conversations", "accounts"]
        );
        let cond = condition(&map, &map.tables["z_messages"]).ok().flatten();
        assert_eq!(
            cond.as_deref(),
            Some("(\"conv\" IN (SELECT \"id\" FROM \"b_conversations\" WHERE \"owner\" = $1))")
        );
        assert!(ident("x; DROP TABLE y").is_err());
        Ok(())
    }
}
