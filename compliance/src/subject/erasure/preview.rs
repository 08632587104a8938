//! The erasure preview staff see before approving: per table, how many of the subject's rows
//! erasure would delete, null, pseudonymise, redact or keep. Reads only.

use std::collections::BTreeMap;

use sqlx::AnyPool;

use super::job::{ErasureError, TableCounts};
use super::table_rules;
use crate::policy::data_map::{ColumnErasure, DataMap, TableErasure};
use crate::subject::subject_rows::{self, ident};

async fn count(pool: &AnyPool, sql: String, account_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .fetch_one(pool)
        .await
}

/// Per table (with links and a delete, update or keep rule): how many of the subject's rows
/// erasure would delete, null, pseudonymise, redact or keep. Reads only.
///
/// Errors: [`ErasureError::Policy`], [`ErasureError::Db`].
pub async fn preview(
    pool: &AnyPool,
    map: &DataMap,
    account_id: &str,
) -> Result<BTreeMap<String, TableCounts>, ErasureError> {
    let mut out = BTreeMap::new();
    for (name, table) in &map.tables {
        let Some(rule) = table_rules::table_rule(table) else {
            continue;
        };
        let cond = subject_rows::condition(map, table)
            .map_err(ErasureError::Policy)?
            .unwrap_or_else(|| "1 = 0".into());
        let from = format!(
            "FROM {} WHERE {cond}",
            ident(name).map_err(ErasureError::Policy)?
        );
        let rows = count(pool, format!("SELECT COUNT(*) {from}"), account_id).await?;
        let mut c = TableCounts {
            erasure: rule,
            rows,
            ..TableCounts::default()
        };
        match table.erasure {
            TableErasure::Delete => c.deleted = rows,
            TableErasure::Keep => c.kept = rows,
            _ => {
                c.kept = rows;
                if let Some(col) = &table.delete_if_null {
                    let col = ident(col).map_err(ErasureError::Policy)?;
                    c.deleted = count(
                        pool,
                        format!("SELECT COUNT(*) {from} AND {col} IS NULL"),
                        account_id,
                    )
                    .await?;
                    c.kept = rows - c.deleted;
                }
                let any_not_null = |cols: Vec<&str>| -> Result<Option<String>, ErasureError> {
                    if cols.is_empty() {
                        return Ok(None);
                    }
                    let parts: Result<Vec<String>, String> = cols
                        .iter()
                        .map(|c| ident(c).map(|i| format!("{i} IS NOT NULL")))
                        .collect();
                    Ok(Some(parts.map_err(ErasureError::Policy)?.join(" OR ")))
                };
                if let Some(cond) = any_not_null(table_rules::actions(table, ColumnErasure::Null))?
                {
                    c.nulled = count(
                        pool,
                        format!("SELECT COUNT(*) {from} AND ({cond})"),
                        account_id,
                    )
                    .await?;
                }
                let mut pseudo = table_rules::actions(table, ColumnErasure::Pseudonymise);
                pseudo.extend(table_rules::actions(table, ColumnErasure::Set));
                let (refs, plain): (Vec<&str>, Vec<&str>) = pseudo
                    .into_iter()
                    .partition(|col| table_rules::is_account_ref(table, col));
                if !plain.is_empty() {
                    c.pseudonymised = rows;
                } else if !refs.is_empty() {
                    let parts: Result<Vec<String>, String> = refs
                        .iter()
                        .map(|col| ident(col).map(|i| format!("{i} = $1")))
                        .collect();
                    let holds_subject = parts.map_err(ErasureError::Policy)?.join(" OR ");
                    c.pseudonymised = count(
                        pool,
                        format!("SELECT COUNT(*) {from} AND ({holds_subject})"),
                        account_id,
                    )
                    .await?;
                }
                if let Some(cond) =
                    any_not_null(table_rules::actions(table, ColumnErasure::Redact))?
                {
                    c.redacted = count(
                        pool,
                        format!("SELECT COUNT(*) {from} AND ({cond})"),
                        account_id,
                    )
                    .await?;
                }
            }
        }
        out.insert(name.clone(), c);
    }
    Ok(out)
}
