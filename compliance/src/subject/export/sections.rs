//! The export's sections: which tables feed each (the data map's `export`), and each
//! section's JSON written row by row, in pages of [`PAGE_ROWS`], with other people shown by
//! display name only and stored files replaced by their path inside the archive.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value, json};
use sqlx::AnyPool;

use super::entry_names::archive_file_name;
use super::job::{ExportError, ExportJob, io_err};
use crate::policy::data_map::{DataMap, TableSpec};
use crate::subject::subject_rows::{self, ident, json_value, text_value};

/// Rows fetched per query while exporting.
pub const PAGE_ROWS: i64 = 500;
/// Display names cached per export before the cache is cleared (bounds memory).
const NAME_CACHE_MAX: usize = 10_000;

/// A stored file the archive should contain.
#[derive(Debug, Clone)]
pub(super) struct FileRef {
    pub(super) archive_path: String,
    pub(super) stored_path: String,
    pub(super) table: String,
    pub(super) key: String,
    pub(super) column: String,
}

/// Export sections → tables feeding them, both in name order (tables with links only).
pub fn sections(map: &DataMap) -> BTreeMap<String, Vec<(&str, &TableSpec)>> {
    let mut out: BTreeMap<String, Vec<(&str, &TableSpec)>> = BTreeMap::new();
    for (name, table) in &map.tables {
        if table.export != "none" && !table.links.is_empty() {
            out.entry(table.export.clone())
                .or_default()
                .push((name.as_str(), table));
        }
    }
    out
}

fn write_json<W: Write>(out: &mut W, value: &Value, path: &Path) -> Result<(), ExportError> {
    serde_json::to_writer(&mut *out, value).map_err(|e| io_err(path)(e.into()))
}

pub(super) async fn write_section<W: Write>(
    pool: &AnyPool,
    job: &ExportJob<'_>,
    section: &str,
    tables: &[(&str, &TableSpec)],
    out: &mut W,
    file_refs: &mut Vec<FileRef>,
    names: &mut NameCache,
) -> Result<(), ExportError> {
    let p = job.out_dir;
    let w = |out: &mut W, s: &str| out.write_all(s.as_bytes()).map_err(io_err(p));
    w(out, "{\"section\":")?;
    write_json(out, &Value::from(section), p)?;
    w(out, ",\"tables\":{")?;
    for (i, (table_name, table)) in tables.iter().enumerate() {
        if i > 0 {
            w(out, ",")?;
        }
        write_json(out, &Value::from(*table_name), p)?;
        w(out, ":{\"purpose\":")?;
        write_json(out, &Value::from(table.purpose.as_str()), p)?;
        w(out, ",\"rows\":[")?;
        write_table_rows(pool, job, table_name, table, out, file_refs, names).await?;
        w(out, "\n]}")?;
    }
    w(out, "}}\n")
}

async fn write_table_rows<W: Write>(
    pool: &AnyPool,
    job: &ExportJob<'_>,
    table_name: &str,
    table: &TableSpec,
    out: &mut W,
    file_refs: &mut Vec<FileRef>,
    names: &mut NameCache,
) -> Result<(), ExportError> {
    let cond = subject_rows::condition(job.map, table)
        .map_err(ExportError::Policy)?
        .ok_or_else(|| ExportError::Policy(format!("{table_name} has no links")))?;
    let columns = table.exported_columns();
    let key = ident(table.key_column()).map_err(ExportError::Policy)?;
    let mut select = vec![key.clone()];
    for (name, _) in &columns {
        select.push(ident(name).map_err(ExportError::Policy)?);
    }
    let base = format!(
        "SELECT {} FROM {} WHERE {cond}",
        select.join(", "),
        ident(table_name).map_err(ExportError::Policy)?
    );
    let file_columns = table.file_columns();
    let mut cursor: Option<Value> = None;
    let mut first = true;
    loop {
        let rows = match &cursor {
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{base} ORDER BY {key} LIMIT $2"
                )))
                .bind(job.account_id)
                .bind(PAGE_ROWS)
                .fetch_all(pool)
                .await?
            }
            Some(c) => {
                let q = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{base} AND {key} > $2 ORDER BY {key} LIMIT $3"
                )))
                .bind(job.account_id);
                let q = match c {
                    Value::Number(n) => q.bind(n.as_i64().unwrap_or(i64::MAX)),
                    other => q.bind(other.as_str().unwrap_or_default().to_string()),
                };
                q.bind(PAGE_ROWS).fetch_all(pool).await?
            }
        };
        let Some(last) = rows.last() else { break };
        cursor = Some(json_value(last, 0));
        for row in &rows {
            let row_key = text_value(row, 0).unwrap_or_default();
            let mut obj = Map::new();
            for (i, (name, spec)) in columns.iter().enumerate() {
                let mut value = json_value(row, i + 1);
                if spec.account_ref == Some(true) {
                    value = names.display(pool, job.account_id, &value).await?;
                }
                if spec.file == Some(true)
                    && let Value::String(stored) = &value
                {
                    let archive_path = archive_file_name(
                        table_name,
                        &row_key,
                        (file_columns.len() > 1).then_some(*name),
                        stored,
                    );
                    file_refs.push(FileRef {
                        archive_path: archive_path.clone(),
                        stored_path: stored.clone(),
                        table: table_name.to_string(),
                        key: row_key.clone(),
                        column: (*name).to_string(),
                    });
                    value = Value::from(archive_path);
                }
                obj.insert((*name).to_string(), value);
            }
            out.write_all(if first { b"\n" } else { b",\n" })
                .map_err(io_err(job.out_dir))?;
            first = false;
            write_json(out, &Value::Object(obj), job.out_dir)?;
        }
        if (rows.len() as i64) < PAGE_ROWS {
            break;
        }
    }
    Ok(())
}

/// Other people's display names, looked up once each (bounded cache).
#[derive(Debug, Default)]
pub(super) struct NameCache(HashMap<String, Value>);

impl NameCache {
    /// `value` (an account id) as the subject sees it: their own id as `{"you": true}`,
    /// anyone else's as `{"display_name": ...}`. An erased person's id, already replaced by
    /// their pseudonym on kept records, shows as that pseudonym.
    async fn display(
        &mut self,
        pool: &AnyPool,
        subject: &str,
        value: &Value,
    ) -> Result<Value, sqlx::Error> {
        let Value::String(id) = value else {
            return Ok(value.clone());
        };
        if id == subject {
            return Ok(json!({"you": true}));
        }
        if let Some(v) = self.0.get(id) {
            return Ok(v.clone());
        }
        let mut name: Option<String> =
            sqlx::query_scalar("SELECT display_name FROM accounts WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
        if name.is_none() {
            name = sqlx::query_scalar("SELECT pseudonym FROM pseudonyms WHERE pseudonym = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
        }
        let v = json!({"display_name": name});
        if self.0.len() >= NAME_CACHE_MAX {
            self.0.clear();
        }
        self.0.insert(id.clone(), v.clone());
        Ok(v)
    }
}
