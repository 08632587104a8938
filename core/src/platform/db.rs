//! Opening heepr's database and applying the embedded migrations (`migrations/` at the
//! workspace root), the same set on SQLite and PostgreSQL.

use anyhow::Context;
use heepr_compliance::Db;
use heepr_compliance::db::redact_url;

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
