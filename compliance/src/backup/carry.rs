//! What a restore carries over: the privacy desk's own records made after the backup.
//!
//! A backup is restored to get the marketplace back to a known day, but the requests that
//! arrived since (and their emailed evidence, legal holds, restrictions, notes, export
//! archives, closed-address hashes, the audit trail) are the record that each person was
//! answered within 30 days: rolling them back with the marketplace would silently drop a
//! request. The data map marks those tables `restore = "carry"` (and the audit log
//! `restore = "chain"`); [`read`] copies their rows from the database about to be
//! overwritten into `DATA_DIR/restore-carry.json` (owner-only, written before the database is
//! touched), and [`apply`] writes them back over the restored database.
//!
//! The file doubles as the marker of an unfinished restore: while it exists the restore is
//! not done (a kill after the database was replaced leaves it, and the next
//! `backup restore` applies it instead of reading the already-restored database), and
//! `heepr serve` refuses to start. [`remove`] deletes it once everything was applied.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};

use crate::base::db::Db;
use crate::policy::data_map::{DataMap, RestoreAction};
use crate::policy::schema_check::{self, ForeignKey};

/// The carry file's name inside the data dir.
pub const CARRY_FILE: &str = "restore-carry.json";

/// How long before the backup was taken the carried audit entries start (ms). The backup's
/// newest entry is older than the backup; the entries after it are what must be carried,
/// and a day's overlap makes sure the first of them is in the file whatever the clocks.
const AUDIT_OVERLAP_MS: i64 = 24 * 3_600_000;

/// Rows written per write transaction while applying (the service is stopped during a
/// restore, so this only bounds the work a kill throws away; applying is idempotent).
const APPLY_BATCH_ROWS: usize = 500;

/// One stored value: the schema holds integers and text only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// An integer column's value (times in Unix ms, counts).
    Int(i64),
    /// A text column's value (ids, states, JSON, messages).
    Text(String),
}

/// The rows of one carried table, as read before the restore.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CarriedTable {
    /// Table name.
    pub name: String,
    /// `true` for the hash-chained audit log (appended, never overwritten).
    pub chain: bool,
    /// Column names, in the order of each row's values.
    pub columns: Vec<String>,
    /// Per column: `true` when it is an integer column.
    pub integer: Vec<bool>,
    /// The primary-key columns (the upsert's conflict target).
    pub key: Vec<String>,
    /// The rows, ordered by primary key (UUIDv7 ids: creation order, so a row is written
    /// after the earlier row it refers to).
    pub rows: Vec<Vec<Option<Value>>>,
}

/// Everything a restore carries over, with the backup it was read for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Carry {
    /// The backup being restored when this was read.
    pub backup_id: String,
    /// When the rows were read (Unix ms).
    pub read_at_ms: i64,
    /// The tables, parents before children.
    pub tables: Vec<CarriedTable>,
}

/// A carried row that was not written: the restored database lacks the row it refers to
/// (typically its account, created after the backup and gone with the restore).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    /// Table name.
    pub table: String,
    /// The row's primary key, its columns' values joined by `/`.
    pub key: String,
    /// The missing parent as `table.column` (e.g. `accounts.id`), never its value.
    pub missing: String,
}

/// What [`apply`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CarryOutcome {
    /// Rows written back, by table.
    pub written: BTreeMap<String, u64>,
    /// Rows not written because the restored database lacks what they refer to.
    pub skipped: Vec<SkippedRow>,
    /// Audit entries appended after the backup that were appended again.
    pub audit_rejoined: u64,
    /// Audit entries after the backup that do not continue the restored chain (a backup
    /// of another database): left out, and reported by the restore.
    pub audit_unjoined: u64,
}

/// Why carrying failed.
#[derive(Debug, thiserror::Error)]
pub enum CarryError {
    /// The database's error, with the table.
    #[error("carrying table {table} through the restore: {source}")]
    Db {
        /// The table being read or written.
        table: String,
        /// The cause.
        source: sqlx::Error,
    },
    /// The carry file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The carry file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The data map marks a table the schema lacks, or one without a primary key.
    #[error("table {0} is marked restore = \"carry\" but {1}")]
    Shape(String, &'static str),
}

fn db_err(table: &str) -> impl FnOnce(sqlx::Error) -> CarryError + '_ {
    move |source| CarryError::Db {
        table: table.to_string(),
        source,
    }
}

/// The carry file's path under `data_dir`.
pub fn file_path(data_dir: &Path) -> PathBuf {
    data_dir.join(CARRY_FILE)
}

/// Reads every carried table's rows from `db` (the database about to be overwritten by
/// backup `backup_id`, taken at `backup_taken_ms`, Unix ms). Audit entries are read from a
/// day before the backup on; other carried tables whole.
///
/// Errors: the database's, or a carried table the schema lacks or that has no primary key.
pub async fn read(
    db: &Db,
    map: &DataMap,
    backup_id: &str,
    backup_taken_ms: i64,
    now_ms: i64,
) -> Result<Carry, CarryError> {
    let shapes = schema_check::read_shapes(db)
        .await
        .map_err(db_err("(schema)"))?;
    let fks = schema_check::read_foreign_keys(db)
        .await
        .map_err(db_err("(schema)"))?;
    let mut tables = Vec::new();
    for name in carried_in_order(map, &fks) {
        let chain = map.tables[&name].restore == RestoreAction::Chain;
        let shape = shapes
            .get(&name)
            .ok_or_else(|| CarryError::Shape(name.clone(), "the schema has no such table"))?;
        let key: Vec<String> = shape
            .iter()
            .filter(|c| c.primary_key)
            .map(|c| c.name.clone())
            .collect();
        if key.is_empty() {
            return Err(CarryError::Shape(name, "it has no primary key"));
        }
        let columns: Vec<String> = shape.iter().map(|c| c.name.clone()).collect();
        let integer: Vec<bool> = shape.iter().map(|c| c.integer).collect();
        let filter = if chain { "WHERE occurred_at >= $1" } else { "" };
        let sql = format!(
            "SELECT {} FROM {name} {filter} ORDER BY {}",
            columns.join(", "),
            key.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if chain {
            query = query.bind(backup_taken_ms - AUDIT_OVERLAP_MS);
        }
        let found = query.fetch_all(db.pool()).await.map_err(db_err(&name))?;
        let mut rows = Vec::with_capacity(found.len());
        for row in &found {
            rows.push(decode(row, &integer).map_err(db_err(&name))?);
        }
        tables.push(CarriedTable {
            name,
            chain,
            columns,
            integer,
            key,
            rows,
        });
    }
    Ok(Carry {
        backup_id: backup_id.to_string(),
        read_at_ms: now_ms,
        tables,
    })
}

fn decode(row: &sqlx::any::AnyRow, integer: &[bool]) -> Result<Vec<Option<Value>>, sqlx::Error> {
    let mut values = Vec::with_capacity(integer.len());
    for (i, is_int) in integer.iter().enumerate() {
        values.push(if *is_int {
            row.try_get::<Option<i64>, _>(i)?.map(Value::Int)
        } else {
            row.try_get::<Option<String>, _>(i)?.map(Value::Text)
        });
    }
    Ok(values)
}

/// The carried tables, each after the carried tables it refers to (self-references and
/// references outside the carried set do not order).
fn carried_in_order(map: &DataMap, fks: &[ForeignKey]) -> Vec<String> {
    let carried: BTreeSet<&str> = map
        .tables
        .iter()
        .filter(|(_, t)| t.restore != RestoreAction::RollBack)
        .map(|(n, _)| n.as_str())
        .collect();
    let mut ordered: Vec<String> = Vec::new();
    let mut left: Vec<&str> = carried.iter().copied().collect();
    while !left.is_empty() {
        let ready = left
            .iter()
            .position(|t| {
                fks.iter().all(|fk| {
                    fk.table != *t
                        || fk.ref_table == *t
                        || !carried.contains(fk.ref_table.as_str())
                        || ordered.contains(&fk.ref_table)
                })
            })
            // A cycle among carried tables: take the rest in name order.
            .unwrap_or(0);
        ordered.push(left.remove(ready).to_string());
    }
    ordered
}

/// Writes `carry` to the carry file under `data_dir`, owner-only, flushed to disk, replacing
/// it atomically. It holds personal data (requests, emailed evidence) for the minutes a
/// restore takes; [`remove`] deletes it.
///
/// Errors: the file cannot be written.
pub fn save(data_dir: &Path, carry: &Carry) -> Result<(), CarryError> {
    let path = file_path(data_dir);
    let staged = data_dir.join(format!("{CARRY_FILE}.partial"));
    let file_err = |source| CarryError::File {
        path: path.clone(),
        source,
    };
    let body = serde_json::to_vec(carry).map_err(|e| file_err(std::io::Error::other(e)))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&staged).map_err(file_err)?;
    file.write_all(&body).map_err(file_err)?;
    file.sync_all().map_err(file_err)?;
    std::fs::rename(&staged, &path).map_err(file_err)?;
    if let Ok(dir) = std::fs::File::open(data_dir) {
        // The rename is durable only once the directory is; a failure here is not fatal
        // (the file is complete under one name or the other).
        let _ = dir.sync_all();
    }
    Ok(())
}

/// The carry file of an unfinished restore, if there is one.
///
/// Errors: the file exists but cannot be read or is not a carry.
pub fn load(data_dir: &Path) -> Result<Option<Carry>, CarryError> {
    let path = file_path(data_dir);
    let body = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(CarryError::File { path, source }),
    };
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| CarryError::File {
            path,
            source: std::io::Error::other(e),
        })
}

/// Deletes the carry file: the restore is finished.
///
/// Errors: the file exists and cannot be deleted.
pub fn remove(data_dir: &Path) -> Result<(), CarryError> {
    let path = file_path(data_dir);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(CarryError::File { path, source: e })
        }
        _ => Ok(()),
    }
}

/// Writes the carried rows back over the restored `db`: each row replaces the restored row
/// with the same primary key or is added, unless a row it refers to is missing (reported in
/// [`CarryOutcome::skipped`]); audit entries after the restored chain's head are appended
/// when they continue it. Idempotent: applying twice writes the same rows.
///
/// Errors: the database's, with the table.
pub async fn apply(db: &Db, carry: &Carry) -> Result<CarryOutcome, CarryError> {
    let fks = schema_check::read_foreign_keys(db)
        .await
        .map_err(db_err("(schema)"))?;
    let mut outcome = CarryOutcome::default();
    for table in &carry.tables {
        if table.chain {
            rejoin_chain(db, table, &mut outcome).await?;
            continue;
        }
        let refs: Vec<(usize, &ForeignKey)> = fks
            .iter()
            .filter(|fk| fk.table == table.name)
            .filter_map(|fk| {
                let i = table.columns.iter().position(|c| *c == fk.column)?;
                Some((i, fk))
            })
            .collect();
        let upsert = upsert_sql(table);
        let mut written = 0;
        for batch in table.rows.chunks(APPLY_BATCH_ROWS) {
            let mut tx = db.begin_write().await.map_err(db_err(&table.name))?;
            for row in batch {
                if let Some(missing) = missing_parent(&mut tx, row, &refs)
                    .await
                    .map_err(db_err(&table.name))?
                {
                    outcome.skipped.push(SkippedRow {
                        table: table.name.clone(),
                        key: key_text(table, row),
                        missing,
                    });
                    continue;
                }
                bind_row(sqlx::query(sqlx::AssertSqlSafe(upsert.clone())), table, row)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err(&table.name))?;
                written += 1;
            }
            tx.commit().await.map_err(db_err(&table.name))?;
        }
        outcome.written.insert(table.name.clone(), written);
    }
    Ok(outcome)
}

fn upsert_sql(table: &CarriedTable) -> String {
    let params: Vec<String> = (1..=table.columns.len()).map(|i| format!("${i}")).collect();
    let updates: Vec<String> = table
        .columns
        .iter()
        .filter(|c| !table.key.contains(c))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let action = if updates.is_empty() {
        "NOTHING".to_string()
    } else {
        format!("UPDATE SET {}", updates.join(", "))
    };
    format!(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO {action}",
        table.name,
        table.columns.join(", "),
        params.join(", "),
        table.key.join(", ")
    )
}

fn bind_row<'q>(
    mut query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    table: &CarriedTable,
    row: &'q [Option<Value>],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    for (value, is_int) in row.iter().zip(&table.integer) {
        query = match (value, is_int) {
            (Some(Value::Int(v)), _) => query.bind(*v),
            (Some(Value::Text(v)), _) => query.bind(v.as_str()),
            (None, true) => query.bind(None::<i64>),
            (None, false) => query.bind(None::<String>),
        };
    }
    query
}

/// The first row `row` refers to that the database lacks, as `table.column`.
async fn missing_parent(
    tx: &mut Transaction<'static, Any>,
    row: &[Option<Value>],
    refs: &[(usize, &ForeignKey)],
) -> Result<Option<String>, sqlx::Error> {
    for (i, fk) in refs {
        let Some(value) = &row[*i] else { continue };
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE {} = $1",
            fk.ref_table, fk.ref_column
        );
        let query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
        let found = match value {
            Value::Int(v) => query.bind(*v).fetch_one(&mut **tx).await?,
            Value::Text(v) => query.bind(v.as_str()).fetch_one(&mut **tx).await?,
        };
        if found == 0 {
            return Ok(Some(format!("{}.{}", fk.ref_table, fk.ref_column)));
        }
    }
    Ok(None)
}

fn key_text(table: &CarriedTable, row: &[Option<Value>]) -> String {
    table
        .key
        .iter()
        .filter_map(|k| table.columns.iter().position(|c| c == k))
        .map(|i| match &row[i] {
            Some(Value::Int(v)) => v.to_string(),
            Some(Value::Text(v)) => v.clone(),
            None => String::new(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Appends the carried audit entries that follow the restored chain's head, if the first
/// of them continues it (its `prev_hash` is the head's hash), and moves the head.
async fn rejoin_chain(
    db: &Db,
    table: &CarriedTable,
    outcome: &mut CarryOutcome,
) -> Result<(), CarryError> {
    let name = table.name.as_str();
    let col = |c: &str| {
        table
            .columns
            .iter()
            .position(|x| x == c)
            .ok_or(CarryError::Shape(
                table.name.clone(),
                "it lacks the chain's columns",
            ))
    };
    let (seq_i, prev_i, hash_i) = (col("seq")?, col("prev_hash")?, col("hash")?);
    let int_at = |row: &[Option<Value>], i: usize| match &row[i] {
        Some(Value::Int(v)) => *v,
        _ => i64::MIN,
    };
    let text_at = |row: &[Option<Value>], i: usize| match &row[i] {
        Some(Value::Text(v)) => v.clone(),
        _ => String::new(),
    };
    let mut tx = db.begin_write().await.map_err(db_err(name))?;
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err(name))?;
    let head_seq: i64 = head.try_get("seq").map_err(db_err(name))?;
    let head_hash: String = head.try_get("hash").map_err(db_err(name))?;
    let after: Vec<&Vec<Option<Value>>> = table
        .rows
        .iter()
        .filter(|r| int_at(r, seq_i) > head_seq)
        .collect();
    let Some(first) = after.first() else {
        return Ok(());
    };
    let continues = int_at(first, seq_i) == head_seq + 1 && text_at(first, prev_i) == head_hash;
    let consecutive = after
        .windows(2)
        .all(|w| int_at(w[1], seq_i) == int_at(w[0], seq_i) + 1);
    if !continues || !consecutive {
        outcome.audit_unjoined = after.len() as u64;
        return Ok(());
    }
    let insert = upsert_sql(table);
    for row in &after {
        bind_row(sqlx::query(sqlx::AssertSqlSafe(insert.clone())), table, row)
            .execute(&mut *tx)
            .await
            .map_err(db_err(name))?;
    }
    if let Some(last) = after.last() {
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(int_at(last, seq_i))
            .bind(text_at(last, hash_i))
            .execute(&mut *tx)
            .await
            .map_err(db_err(name))?;
    }
    tx.commit().await.map_err(db_err(name))?;
    outcome.audit_rejoined = after.len() as u64;
    Ok(())
}
