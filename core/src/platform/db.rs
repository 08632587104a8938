//! Opening heepr's database and applying the embedded migrations (`migrations/` at the
//! workspace root), the same set on SQLite and PostgreSQL; and [`SqlValue`], the values of
//! queries whose placeholders are counted at run time (search filters, multi-row inserts).

use anyhow::Context;
use heepr_compliance::Db;
use heepr_compliance::db::redact_url;
use sqlx::Arguments;
use sqlx::any::AnyArguments;

/// The embedded migrations, applied by `heepr migrate` and at start-up.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Opens `url` and applies pending migrations.
///
/// Errors: the URL (password redacted) and the driver's reason when the database cannot be
/// opened; the failing migration's reason when one does not apply.
pub async fn open_and_migrate(url: &str) -> anyhow::Result<Db> {
    let db = Db::connect(url, 16)
        .await
        .with_context(|| format!("opening database {}", redact_url(url)))?;
    MIGRATOR
        .run(db.pool())
        .await
        .with_context(|| format!("applying migrations to {}", redact_url(url)))?;
    Ok(db)
}

/// A value bound to a query built at run time, for the portable schema's column types (TEXT
/// and BIGINT). A NULL says its column's type, since PostgreSQL types every parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlValue {
    /// A TEXT value.
    Text(String),
    /// A BIGINT value.
    Int(i64),
    /// NULL in a TEXT column.
    NullText,
    /// NULL in a BIGINT column.
    NullInt,
}

impl From<&str> for SqlValue {
    fn from(s: &str) -> Self {
        SqlValue::Text(s.to_owned())
    }
}

impl From<String> for SqlValue {
    fn from(s: String) -> Self {
        SqlValue::Text(s)
    }
}

impl From<i64> for SqlValue {
    fn from(i: i64) -> Self {
        SqlValue::Int(i)
    }
}

impl From<Option<String>> for SqlValue {
    fn from(o: Option<String>) -> Self {
        o.map_or(SqlValue::NullText, SqlValue::Text)
    }
}

impl From<Option<i64>> for SqlValue {
    fn from(o: Option<i64>) -> Self {
        o.map_or(SqlValue::NullInt, SqlValue::Int)
    }
}

/// `values` as query arguments, `$1` first, for `sqlx::query_with` and friends.
///
/// Errors: [`sqlx::Error::Encode`] if a value cannot be encoded (not expected for these
/// types).
pub fn arguments<'v>(
    values: impl IntoIterator<Item = &'v SqlValue>,
) -> Result<AnyArguments, sqlx::Error> {
    let mut args = AnyArguments::default();
    for value in values {
        match value {
            SqlValue::Text(s) => args.add(s.clone()),
            SqlValue::Int(i) => args.add(*i),
            SqlValue::NullText => args.add(None::<String>),
            SqlValue::NullInt => args.add(None::<i64>),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(args)
}

/// Whether the database answers (the health check's probe).
///
/// Errors: the database's.
pub async fn ping(pool: &sqlx::AnyPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
}

/// Most values bound in one multi-row statement of the request path's batches. Far below
/// both backends' limits on bound parameters (SQLite 32,766, PostgreSQL 65,535): SQLite
/// through `Any` slows down sharply with very large statements (30,000 values per statement
/// measured 20 times slower than 1,000).
pub const MAX_BIND_PARAMS: usize = 1_000;

/// Most values bound in one `IN (...)` list, well under both backends' limits on bound
/// parameters (SQLite 32,766, PostgreSQL 65,535); longer lists are read in chunks.
pub const IN_LIST_CHUNK: usize = 500;

/// The rows of `select(list)` for every id of `ids`, where `list` is the inside of an
/// `IN (...)` of bound parameters: one statement per [`IN_LIST_CHUNK`] ids, however many.
///
/// Errors: the database's.
pub async fn fetch_for_ids(
    pool: &sqlx::AnyPool,
    ids: &[&str],
    select: impl Fn(&str) -> String,
) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let sql = select(&placeholders(1, chunk.len()));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(*id);
        }
        rows.extend(query.fetch_all(pool).await?);
    }
    Ok(rows)
}

/// `$first, $first+1, …` for `n` bound parameters: the inside of an `IN (...)` list (`$n`
/// placeholders work on both backends).
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Sets `column` of `table` to each pair's time for the row whose `id` is the pair's id,
/// inside `tx`: one `UPDATE ... SET column = CASE id WHEN ... END WHERE id IN (...)` per
/// chunk of [`MAX_BIND_PARAMS`], never moving a time backwards. `table` and `column` are
/// constants of the caller, never input. Returns how many rows changed.
///
/// Errors: the database's.
pub async fn set_times_by_id(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    table: &'static str,
    column: &'static str,
    times: &[(String, i64)],
) -> Result<u64, sqlx::Error> {
    let mut changed = 0;
    for chunk in times.chunks(MAX_BIND_PARAMS / 2) {
        let cases: String = (0..chunk.len())
            .map(|i| format!(" WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2))
            .collect();
        let ids: Vec<String> = (0..chunk.len())
            .map(|i| format!("${}", 2 * i + 1))
            .collect();
        let ids = ids.join(", ");
        let sql = format!(
            "UPDATE {table} SET {column} = CASE id{cases} END WHERE id IN ({ids}) \
             AND ({column} IS NULL OR {column} < CASE id{cases} END)"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, at) in chunk {
            query = query.bind(id.clone()).bind(*at);
        }
        changed += query.execute(&mut **tx).await?.rows_affected();
    }
    Ok(changed)
}

/// Deletes the rows of `table` whose `id` is in `ids`, inside `tx`, in chunks of
/// [`IN_LIST_CHUNK`]. `table` is a constant of the caller, never input. Returns how many
/// rows went.
///
/// Errors: the database's.
pub async fn delete_by_ids(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    table: &'static str,
    ids: &[String],
) -> Result<u64, sqlx::Error> {
    let mut deleted = 0;
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let sql = format!(
            "DELETE FROM {table} WHERE id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id.clone());
        }
        deleted += query.execute(&mut **tx).await?.rows_affected();
    }
    Ok(deleted)
}
