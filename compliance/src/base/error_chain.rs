//! One line for an error and its causes. heepr's error types never repeat their `source`
//! in their `Display` (a chain printer such as anyhow's would show the cause twice), so a
//! place that needs the whole story in one string (a request's `status_reason`, a run's
//! recorded error, a log line) joins the chain with this.

/// `err`'s message followed by each cause's, joined by ": ".
pub fn with_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::with_causes;

    fn io() -> std::io::Error {
        std::io::Error::other("disk on fire")
    }

    fn db() -> sqlx::Error {
        sqlx::Error::Protocol("wire in knots".into())
    }

    /// Every error type of the crate that carries a source leaves it out of its message, and
    /// the one-line form names it exactly once.
    #[test]
    fn no_error_repeats_its_source() {
        use crate::backup::BackupError;
        use crate::base::db::DbError;
        use crate::retention::sweep::SweepError;
        use crate::subject::erasure::ErasureError;
        use crate::subject::export::ExportError;
        let cases: Vec<(Box<dyn std::error::Error>, &str)> = vec![
            (
                Box::new(ErasureError::Io {
                    path: "mail/1.eml".into(),
                    source: io(),
                }),
                "disk on fire",
            ),
            (Box::new(ErasureError::Db(db())), "wire in knots"),
            (
                Box::new(ExportError::Io {
                    path: "exports".into(),
                    source: io(),
                }),
                "disk on fire",
            ),
            (Box::new(ExportError::Db(db())), "wire in knots"),
            (
                Box::new(BackupError::Io {
                    path: "backups/catalog.json".into(),
                    source: io(),
                }),
                "disk on fire",
            ),
            (Box::new(BackupError::Db(db())), "wire in knots"),
            (Box::new(SweepError::Db(db())), "wire in knots"),
            (Box::new(DbError::Connect(db())), "wire in knots"),
        ];
        for (err, cause) in cases {
            assert!(!err.to_string().contains(cause), "{err} repeats its source");
            assert_eq!(with_causes(err.as_ref()).matches(cause).count(), 1);
        }
    }
}
