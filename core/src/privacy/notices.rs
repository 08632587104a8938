//! Change notices for published policies. Policy: "We'll post changes here with a new
//! effective date. For material changes, we'll send a notification email to the address on
//! your account."
//!
//! Publishing a material version queues one email per active account through the outbox,
//! in batches, each batch one transaction that records a `policy_notices` row (unique per
//! policy, version and account) beside the email. A job killed midway loses at most its
//! open batch (rolled back); a rerun picks up the accounts with no notice row, so each
//! recipient gets the notice exactly once. Delivery and the email log are the outbox's.

use askama::Template;
use heepr_compliance::published::{self, PolicyVersion};
use heepr_compliance::{Clock, Db, Policies};
use sqlx::Row;

use crate::identity::accounts::AccountStatus;
use crate::identity::restrictions::unrestricted;
use crate::platform::error::AppError;
use crate::platform::mail::{self, Email};
use crate::platform::tokens::new_id;
use crate::privacy::publications::{self, PRIVACY_POLICY};

/// The email log's template name of a change notice.
pub const NOTICE_TEMPLATE: &str = "policy_change";

/// How much work one run may do.
#[derive(Debug, Clone, Copy)]
pub struct BatchLimits {
    /// Accounts per transaction.
    pub batch_size: i64,
    /// Stop after this many batches (`None`: until every active account is notified).
    /// A stop here leaves the same state as a kill between two batches.
    pub max_batches: Option<u32>,
}

/// What a publish run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishReport {
    /// The version published.
    pub version: String,
    /// Whether it is material (only material versions send notices).
    pub material: bool,
    /// Whether this run recorded the version's snapshot (false when published before).
    pub first_publication: bool,
    /// Notices queued by this run.
    pub queued: u64,
    /// Batches committed by this run.
    pub batches: u32,
    /// Whether every active account now has its notice.
    pub complete: bool,
}

impl std::fmt::Display for PublishReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.material {
            return write!(
                f,
                "privacy policy {} is not marked material: published without notices",
                self.version
            );
        }
        write!(
            f,
            "privacy policy {}: {} notices queued in {} batches; {}",
            self.version,
            self.queued,
            self.batches,
            if self.complete {
                "every active account has been notified"
            } else {
                "stopped early: run again to notify the rest"
            }
        )
    }
}

#[derive(Template)]
#[template(path = "email/policy_change.txt")]
struct NoticeText<'a> {
    display_name: &'a str,
    title: &'a str,
    effective: &'a str,
    summary: &'a str,
    public_url: &'a str,
    previous: &'a str,
}

/// Publishes `version` of the privacy policy: records its snapshot (the text as it reads
/// now, kept for when it is an old version), then, when material, queues a change notice to
/// every active account that has not had one for this version.
///
/// Errors: 422 on `version` for a version not in `privacy_policy.toml`; database
/// failures (the open batch is rolled back; a rerun resumes).
pub async fn publish(
    db: &Db,
    policies: &Policies,
    clock: &dyn Clock,
    public_url: &str,
    version: &str,
    limits: BatchLimits,
) -> Result<PublishReport, AppError> {
    let policy = &policies.privacy_policy;
    let index = policy
        .versions
        .iter()
        .position(|v| v.version == version)
        .ok_or_else(|| {
            let known: Vec<&str> = policy.versions.iter().map(|v| v.version.as_str()).collect();
            AppError::invalid(
                "version",
                format!(
                    "{version:?} is not in privacy_policy.toml; published versions: {}",
                    known.join(", ")
                ),
            )
        })?;
    let published = &policy.versions[index];
    let previous = index
        .checked_sub(1)
        .and_then(|i| policy.versions.get(i))
        .unwrap_or(published);
    let blocks = published::render(published, &policies.facts())
        .map_err(|reason| AppError::Internal(anyhow::anyhow!("privacy policy: {reason}")))?;
    let first_publication =
        publications::record(db, PRIVACY_POLICY, published, &blocks, clock.now_ms()).await?;
    let mut report = PublishReport {
        version: version.to_owned(),
        material: published.material,
        first_publication,
        queued: 0,
        batches: 0,
        complete: !published.material,
    };
    if !published.material {
        return Ok(report);
    }
    loop {
        if limits.max_batches.is_some_and(|max| report.batches >= max) {
            return Ok(report);
        }
        let queued = notify_batch(
            db,
            &policy.title,
            published,
            previous,
            public_url,
            clock.now_ms(),
            limits.batch_size,
        )
        .await?;
        if queued == 0 {
            report.complete = true;
            return Ok(report);
        }
        report.queued += queued;
        report.batches += 1;
        tracing::info!(version, queued, "policy change notices queued");
    }
}

/// One batch in one transaction: up to `batch_size` active, unrestricted accounts without
/// a notice for this version get a notice row and a queued email. Returns how many.
async fn notify_batch(
    db: &Db,
    title: &str,
    published: &PolicyVersion,
    previous: &PolicyVersion,
    public_url: &str,
    now: i64,
    batch_size: i64,
) -> Result<u64, AppError> {
    let mut tx = db.begin_write().await?;
    // A restricted account gets no non-transactional email (GDPR Art. 18).
    let sql = format!(
        "SELECT a.id, a.email, a.display_name FROM accounts a WHERE a.status = $4 AND {} \
         AND NOT EXISTS (SELECT 1 FROM policy_notices n WHERE n.account_id = a.id AND n.policy = $1 AND n.version = $2) \
         ORDER BY a.id LIMIT $3",
        unrestricted("a.id")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(PRIVACY_POLICY)
        .bind(&published.version)
        .bind(batch_size)
        .bind(AccountStatus::Active.as_str())
        .fetch_all(&mut *tx)
        .await?;
    let mut queued = 0;
    for row in rows {
        let account_id: String = row.try_get("id")?;
        let notice_id = new_id();
        let inserted = sqlx::query(
            "INSERT INTO policy_notices (id, policy, version, account_id, email_id, queued_at) VALUES ($1, $2, $3, $4, '', $5) \
             ON CONFLICT (policy, version, account_id) DO NOTHING",
        )
        .bind(&notice_id)
        .bind(PRIVACY_POLICY)
        .bind(&published.version)
        .bind(&account_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != 1 {
            continue; // a concurrent run got there first
        }
        let display_name: String = row.try_get("display_name")?;
        let body = NoticeText {
            display_name: &display_name,
            title,
            effective: &published.effective,
            summary: &published.summary,
            public_url,
            previous: &previous.version,
        }
        .render()
        .map_err(|e| AppError::Internal(e.into()))?;
        let notice = Email {
            template: NOTICE_TEMPLATE,
            to: row.try_get("email")?,
            account_id: Some(account_id),
            subject: format!("heepr's {} is changing", title.to_lowercase()),
            body,
        };
        let email_id = mail::enqueue(&mut tx, &notice, now).await?;
        sqlx::query("UPDATE policy_notices SET email_id = $1 WHERE id = $2")
            .bind(&email_id)
            .bind(&notice_id)
            .execute(&mut *tx)
            .await?;
        queued += 1;
    }
    tx.commit().await?;
    Ok(queued)
}
