//! Reading the migrated schema back and checking that the data map classifies it exactly:
//! no table or column unclassified, none classified that does not exist.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;

use crate::base::db::{Backend, Db};
use crate::policy::data_map::DataMap;

/// Table name → column names, as the database reports them.
pub type SchemaColumns = BTreeMap<String, BTreeSet<String>>;

/// Reads every table and column of the current schema (SQLite's internal tables excluded).
///
/// Errors: the database's error when the catalog cannot be queried.
pub async fn read_columns(db: &Db) -> Result<SchemaColumns, sqlx::Error> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT m.name AS table_name, p.name AS column_name \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS table_name, CAST(column_name AS TEXT) AS column_name \
             FROM information_schema.columns WHERE table_schema = current_schema()"
        }
    };
    let rows = sqlx::query(sql).fetch_all(db.pool()).await?;
    let mut columns = SchemaColumns::new();
    for row in rows {
        let table: String = row.try_get("table_name")?;
        let column: String = row.try_get("column_name")?;
        columns.entry(table).or_default().insert(column);
    }
    Ok(columns)
}

/// One column as the database declares it: enough to copy a row through sqlx `Any`, which
/// needs the value's type even for a NULL (PostgreSQL refuses a text NULL in a BIGINT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnShape {
    /// Column name.
    pub name: String,
    /// `true` for integer columns (decoded and bound as `i64`), `false` for text.
    pub integer: bool,
    /// Whether the column is part of the table's primary key.
    pub primary_key: bool,
}

/// Table name → its columns in declaration order.
pub type SchemaShapes = BTreeMap<String, Vec<ColumnShape>>;

/// Reads every table's columns with their type and primary-key membership. The schema holds
/// only integer and text columns (conventions: times as BIGINT ms, JSON and ids as TEXT).
///
/// Errors: the database's error when the catalog cannot be queried.
pub async fn read_shapes(db: &Db) -> Result<SchemaShapes, sqlx::Error> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
                    CAST(p.pk AS BIGINT) AS pk \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid"
        }
        Backend::Postgres => {
            "SELECT CAST(c.table_name AS TEXT) AS table_name, CAST(c.column_name AS TEXT) AS column_name, \
                    CAST(c.data_type AS TEXT) AS data_type, \
                    CAST(CASE WHEN EXISTS (SELECT 1 FROM information_schema.table_constraints tc \
                      JOIN information_schema.key_column_usage k ON tc.constraint_name = k.constraint_name \
                        AND tc.table_schema = k.table_schema \
                      WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema \
                        AND tc.table_name = c.table_name AND k.column_name = c.column_name) \
                    THEN 1 ELSE 0 END AS BIGINT) AS pk \
             FROM information_schema.columns c WHERE c.table_schema = current_schema() \
             ORDER BY c.table_name, c.ordinal_position"
        }
    };
    let rows = sqlx::query(sql).fetch_all(db.pool()).await?;
    let mut shapes = SchemaShapes::new();
    for row in rows {
        let table: String = row.try_get("table_name")?;
        let data_type: String = row.try_get("data_type")?;
        let pk: i64 = row.try_get("pk")?;
        shapes.entry(table).or_default().push(ColumnShape {
            name: row.try_get("column_name")?,
            integer: data_type.to_ascii_uppercase().contains("INT"),
            primary_key: pk > 0,
        });
    }
    Ok(shapes)
}

/// A foreign key: `table.column` references `ref_table.ref_column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    /// The referencing (child) table.
    pub table: String,
    /// The referencing column.
    pub column: String,
    /// The referenced (parent) table.
    pub ref_table: String,
    /// The referenced column.
    pub ref_column: String,
}

/// Every single-column foreign key of the schema.
///
/// Errors: the database's error when the catalog cannot be queried.
pub async fn read_foreign_keys(db: &Db) -> Result<Vec<ForeignKey>, sqlx::Error> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT m.name AS tbl, f.\"from\" AS col, f.\"table\" AS ref_tbl, COALESCE(f.\"to\", 'id') AS ref_col \
             FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT CAST(kcu.table_name AS TEXT) AS tbl, CAST(kcu.column_name AS TEXT) AS col, \
                    CAST(ccu.table_name AS TEXT) AS ref_tbl, CAST(ccu.column_name AS TEXT) AS ref_col \
             FROM information_schema.table_constraints tc \
             JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name AND tc.table_schema = kcu.table_schema \
             JOIN information_schema.constraint_column_usage ccu ON tc.constraint_name = ccu.constraint_name AND tc.table_schema = ccu.table_schema \
             WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()"
        }
    };
    let rows = sqlx::query(sql).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|row| {
            Ok(ForeignKey {
                table: row.try_get("tbl")?,
                column: row.try_get("col")?,
                ref_table: row.try_get("ref_tbl")?,
                ref_column: row.try_get("ref_col")?,
            })
        })
        .collect()
}

/// One disagreement between the schema and the data map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The schema has a table the data map does not classify.
    UnclassifiedTable(String),
    /// The schema has a column the data map does not classify.
    UnclassifiedColumn { table: String, column: String },
    /// The data map classifies a table the schema does not have.
    UnknownTable(String),
    /// The data map classifies a column the schema does not have.
    UnknownColumn { table: String, column: String },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::UnclassifiedTable(t) => write!(f, "table {t} is not in the data map"),
            Mismatch::UnclassifiedColumn { table, column } => {
                write!(f, "column {table}.{column} is not in the data map")
            }
            Mismatch::UnknownTable(t) => {
                write!(f, "the data map names table {t}, which does not exist")
            }
            Mismatch::UnknownColumn { table, column } => {
                write!(
                    f,
                    "the data map names column {table}.{column}, which does not exist"
                )
            }
        }
    }
}

/// Every disagreement between `schema` and `map`, tables first, in name order.
pub fn compare(map: &DataMap, schema: &SchemaColumns) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for (table, columns) in schema {
        let Some(spec) = map.tables.get(table) else {
            out.push(Mismatch::UnclassifiedTable(table.clone()));
            continue;
        };
        for column in columns {
            if !spec.columns.contains_key(column) {
                out.push(Mismatch::UnclassifiedColumn {
                    table: table.clone(),
                    column: column.clone(),
                });
            }
        }
        for column in spec.columns.keys() {
            if !columns.contains(column) {
                out.push(Mismatch::UnknownColumn {
                    table: table.clone(),
                    column: column.clone(),
                });
            }
        }
    }
    for table in map.tables.keys() {
        if !schema.contains_key(table) {
            out.push(Mismatch::UnknownTable(table.clone()));
        }
    }
    out
}
