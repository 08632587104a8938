//! Bulk inserts for the demo generators: rows collected per table in memory, written with
//! multi-row `INSERT`s in chunks, every value bound ([`SqlValue`]).

use anyhow::Context;
use sqlx::{Any, Transaction};

use crate::platform::db::{SqlValue, arguments};

/// Most bound values per multi-row INSERT. Far below both backends' limits: SQLite through
/// `Any` slows down sharply with very large statements (measured: 30,000 values per statement
/// was 20 times slower than 1,000).
const MAX_PARAMS: usize = 1_000;

/// Rows for one table, each in the order of its columns.
#[derive(Debug)]
pub struct Rows {
    /// The table (a constant of the generator, never input).
    table: &'static str,
    /// Its columns, in the order of each row's values.
    columns: &'static [&'static str],
    /// The rows collected so far.
    rows: Vec<Vec<SqlValue>>,
}

impl Rows {
    /// No rows yet for `table` with `columns`.
    pub fn new(table: &'static str, columns: &'static [&'static str]) -> Self {
        Rows {
            table,
            columns,
            rows: Vec::new(),
        }
    }

    /// Adds a row (one value per column, in order).
    pub fn push(&mut self, row: Vec<SqlValue>) {
        debug_assert_eq!(row.len(), self.columns.len(), "{}", self.table);
        self.rows.push(row);
    }

    /// Adds `rows`.
    pub fn extend(&mut self, rows: Vec<Vec<SqlValue>>) {
        for row in rows {
            self.push(row);
        }
    }

    /// How many rows are collected.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row is collected.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the rows inside `tx` in chunks of multi-row INSERTs; returns how many.
    ///
    /// Errors: the database's, naming the table.
    pub async fn write(&self, tx: &mut Transaction<'static, Any>) -> anyhow::Result<u64> {
        let per_chunk = (MAX_PARAMS / self.columns.len()).max(1);
        for chunk in self.rows.chunks(per_chunk) {
            let mut sql = format!(
                "INSERT INTO {} ({}) VALUES ",
                self.table,
                self.columns.join(", ")
            );
            let mut n = 0;
            for i in 0..chunk.len() {
                sql.push_str(if i == 0 { "(" } else { ", (" });
                for c in 0..self.columns.len() {
                    n += 1;
                    sql.push_str(&format!("{}${n}", if c == 0 { "" } else { ", " }));
                }
                sql.push(')');
            }
            // Table and column names are the generator's constants; every value is bound.
            sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments(chunk.iter().flatten())?)
                .execute(&mut **tx)
                .await
                .with_context(|| format!("inserting demo rows into {}", self.table))?;
        }
        Ok(self.rows.len() as u64)
    }
}
