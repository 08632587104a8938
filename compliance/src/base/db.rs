//! The portable database handle shared by core and compliance.
//!
//! One code path serves SQLite (the embedded default) and PostgreSQL through sqlx's `Any`
//! driver. The few places where the backends differ (how a write transaction starts, how the
//! schema is read back) live here, behind [`Db`].

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Transaction};

/// Which database server is behind a [`Db`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file (embedded default), opened in WAL mode with a busy timeout.
    Sqlite,
    /// PostgreSQL server, selected by a `postgres://` URL.
    Postgres,
}

impl Backend {
    /// The backend a database URL selects, or `None` for an unsupported scheme.
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// Errors opening a database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL's scheme is neither `sqlite:` nor `postgres://`.
    #[error("unsupported database URL scheme in {0:?}: use sqlite:PATH or postgres://...")]
    UnsupportedUrl(String),
    /// The driver refused the URL or the connection.
    #[error("cannot open database")]
    Connect(#[from] sqlx::Error),
    /// The database server refused the connection or the login.
    #[error("cannot open the database at {host}")]
    Open {
        /// `host:port` from the URL (no user or password).
        host: String,
        /// What the driver said.
        #[source]
        source: sqlx::Error,
    },
    /// The server did not answer within [`CONNECT_TIMEOUT`] (down, firewalled, wrong host).
    #[error("the database server at {host} did not answer within {} seconds", CONNECT_TIMEOUT.as_secs())]
    Unreachable {
        /// `host:port` from the URL (no user or password).
        host: String,
    },
}

/// How long opening the database may take before start-up reports the server
/// unreachable (a firewalled host otherwise hangs for the OS's TCP timeout, minutes).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The `host[:port]` of a database URL, for messages (no user, password or path).
fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.split(['/', '?']).next().unwrap_or(rest).to_string()
}

/// A pooled connection to heepr's database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

/// How long a SQLite writer waits for the lock before giving up (ms).
const SQLITE_BUSY_TIMEOUT_MS: u64 = 10_000;

impl Db {
    /// Opens a pool for `url` (`sqlite:PATH?mode=rwc` or `postgres://...`). SQLite connections
    /// get WAL mode, a busy timeout and foreign keys on.
    ///
    /// Errors: [`DbError::UnsupportedUrl`] for another scheme, [`DbError::Connect`] when the
    /// server or file cannot be opened.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend =
            Backend::from_url(url).ok_or_else(|| DbError::UnsupportedUrl(redact_url(url)))?;
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        // Erased values are overwritten on disk, not left in free pages.
                        conn.execute("PRAGMA secure_delete = ON").await?;
                        // A checkpoint that resets the write-ahead log also shrinks the file
                        // to this (bytes), so one long job does not leave gigabytes behind.
                        conn.execute("PRAGMA journal_size_limit = 67108864").await?;
                        conn.execute(sqlx::AssertSqlSafe(format!(
                            "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}"
                        )))
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options);
        // Only a server is waited for: SQLite opens a local file.
        let pool = if backend == Backend::Sqlite {
            pool.await?
        } else {
            match tokio::time::timeout(CONNECT_TIMEOUT, pool).await {
                Ok(Ok(pool)) => pool,
                Ok(Err(source)) => {
                    return Err(DbError::Open {
                        host: url_host(url),
                        source,
                    });
                }
                Err(_) => {
                    return Err(DbError::Unreachable {
                        host: url_host(url),
                    });
                }
            }
        };
        Ok(Db { pool, backend })
    }

    /// The connection pool, for queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`) so a read-then-write transaction cannot fail half-way with
    /// "database is locked" when another writer commits first; PostgreSQL's row locks do
    /// that job there.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// After an erasure on SQLite: moves the write-ahead log into the database file and
    /// truncates it, so old page images holding erased values do not linger in `-wal`
    /// (with `secure_delete` on, freed space in the database file is already zeroed).
    /// Nothing to do on PostgreSQL. Best effort: a busy reader can delay the truncation.
    pub async fn checkpoint(&self) -> Result<(), sqlx::Error> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Closes every connection (waits for checked-out ones).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `url` with any password replaced by `***`, for error messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_of_a_url_names_no_secret() {
        assert_eq!(
            url_host("postgres://heepr:secret@db.example:5433/heepr?sslmode=require"),
            "db.example:5433"
        );
        assert_eq!(url_host("postgres://db.example/heepr"), "db.example");
    }

    #[test]
    fn redacts_password_only() {
        assert_eq!(
            redact_url("postgres://bob:secret@db:5432/heepr"),
            "postgres://bob:***@db:5432/heepr"
        );
        assert_eq!(redact_url("sqlite:data/heepr.db"), "sqlite:data/heepr.db");
        assert_eq!(redact_url("postgres://db/heepr"), "postgres://db/heepr");
    }
}
