//! Network work off the UI task: each [`Effect`] runs on its own tokio task and its answer
//! comes back as a [`NetEvent`] through a channel. Reads are retried automatically (up to
//! [`READ_ATTEMPTS`] attempts with exponential backoff, only for no answer, 5xx or 429);
//! actions ([`Effect::Perform`]) are sent exactly once.

use std::future::Future;
use std::time::Duration;

use heepr_admin_api::{Account, AuditList, BackupList, IntakeList, RequestList, RuleList};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use crate::action::{DetailBundle, Effect, NetEvent};
use crate::api::{AdminClient, ApiError, ErasurePreview, RequestDetail, query_value};

/// Attempts for a read before its error is shown.
pub const READ_ATTEMPTS: u32 = 4;
/// First backoff (ms); doubled after each failure.
pub const FIRST_BACKOFF_MS: u64 = 250;

/// Runs `read` until it succeeds, fails for good, or [`READ_ATTEMPTS`] are used; each retry
/// is announced through `report`.
async fn retried<T, F, Fut>(
    what: &str,
    report: &(dyn Fn(NetEvent) + Sync),
    read: F,
) -> Result<T, ApiError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut backoff = FIRST_BACKOFF_MS;
    let mut attempt = 1;
    loop {
        match read().await {
            Err(e) if e.is_transient() && attempt < READ_ATTEMPTS => {
                attempt += 1;
                report(NetEvent::Retrying {
                    what: what.to_string(),
                    attempt,
                    reason: e.to_string(),
                });
                tokio::time::sleep(Duration::from_millis(backoff)).await;
                backoff *= 2;
            }
            other => return other,
        }
    }
}

async fn load_detail(
    client: &AdminClient,
    id: &str,
    report: &(dyn Fn(NetEvent) + Sync),
) -> Result<Box<DetailBundle>, ApiError> {
    let rid = query_value(id);
    let path = format!("/requests/{rid}");
    let detail: RequestDetail = retried("the request", report, || client.get(&path)).await?;
    let path = format!("/requests/{rid}/erasure/preview");
    let preview = retried("the erasure preview", report, || {
        client.get::<ErasurePreview>(&path)
    })
    .await;
    let path = format!("/accounts/{}", query_value(&detail.request.account_id));
    let account: Account = retried("the subject", report, || client.get(&path)).await?;
    // Only a request entered for an email has one; a server without intake has none.
    let path = format!("/intake?request_id={rid}");
    let intake = retried("the emailed message", report, || {
        client.get::<IntakeList>(&path)
    })
    .await
    .ok()
    .and_then(|l| l.messages.into_iter().next());
    Ok(Box::new(DetailBundle {
        detail,
        preview: Some(preview),
        holds: account.holds,
        restrictions: account.restrictions,
        objections: account.objections,
        intake,
    }))
}

/// Performs one effect against the server and returns its answer; retries of reads are
/// announced through `report` first.
pub async fn perform(
    client: &AdminClient,
    effect: Effect,
    report: &(dyn Fn(NetEvent) + Sync),
) -> NetEvent {
    match effect {
        Effect::LoadMe => NetEvent::Me(retried("who you are", report, || client.get("/me")).await),
        Effect::LoadQueue => NetEvent::Queue(
            retried("the queue", report, || {
                client.get::<RequestList>("/requests")
            })
            .await
            .map(|r| r.requests),
        ),
        Effect::LoadSubject(id) => {
            let path = format!("/accounts/{}", query_value(&id));
            let r = retried("a subject", report, || client.get::<Account>(&path))
                .await
                .map(|a| a.subject);
            NetEvent::Subject(id, r)
        }
        Effect::LoadDetail(id) => {
            let r = load_detail(client, &id, report).await;
            NetEvent::Detail(id, r)
        }
        Effect::LoadAudit { subject } => {
            let path = match subject {
                Some(s) => format!("/audit?limit=200&subject={}", query_value(&s)),
                None => "/audit?limit=200".to_string(),
            };
            NetEvent::Audit(
                retried("the audit trail", report, || client.get::<AuditList>(&path))
                    .await
                    .map(|e| e.entries),
            )
        }
        Effect::VerifyAudit => NetEvent::ChainVerified(
            retried("the chain check", report, || client.get("/audit/verify")).await,
        ),
        Effect::LoadRetention => NetEvent::Retention(
            retried("retention rules", report, || {
                client.get::<RuleList>("/retention/rules")
            })
            .await
            .map(|r| r.rules),
        ),
        Effect::LoadBackups => NetEvent::Backups(
            retried("the backup catalog", report, || {
                client.get::<BackupList>("/backups")
            })
            .await,
        ),
        Effect::FindSubject(email) => {
            let path = format!("/accounts?email={}", query_value(&email));
            let r = retried("the subject", report, || client.get::<Account>(&path))
                .await
                .map(Box::new);
            NetEvent::Found(email, r)
        }
        Effect::Perform(command) => {
            let result = client
                .post::<_, Value>(&command.path(), command.body().as_ref())
                .await;
            NetEvent::Done(command, result)
        }
    }
}

/// The answer to `effect` when its task died without one (a bug): an error naming that the
/// outcome is unknown, so no loading indicator or pending action stays stuck.
pub fn lost_answer(effect: Effect) -> NetEvent {
    let e = ApiError::Network(
        "the console lost the answer (internal error); reload to see the server's state".into(),
    );
    match effect {
        Effect::LoadMe => NetEvent::Me(Err(e)),
        Effect::LoadQueue => NetEvent::Queue(Err(e)),
        Effect::LoadSubject(id) => NetEvent::Subject(id, Err(e)),
        Effect::LoadDetail(id) => NetEvent::Detail(id, Err(e)),
        Effect::LoadAudit { .. } => NetEvent::Audit(Err(e)),
        Effect::VerifyAudit => NetEvent::ChainVerified(Err(e)),
        Effect::LoadRetention => NetEvent::Retention(Err(e)),
        Effect::LoadBackups => NetEvent::Backups(Err(e)),
        Effect::FindSubject(email) => NetEvent::Found(email, Err(e)),
        Effect::Perform(c) => NetEvent::Done(c, Err(e)),
    }
}

/// Starts `effect` on its own task; its answer (and any retry notes) go to `events`. If the
/// task dies, [`lost_answer`] is sent instead.
pub fn spawn(client: &AdminClient, effect: Effect, events: &UnboundedSender<NetEvent>) {
    let client = client.clone();
    let task_events = events.clone();
    let kept = effect.clone();
    let task = tokio::spawn(async move {
        let report_to = task_events.clone();
        let report = move |e: NetEvent| {
            let _ = report_to.send(e);
        };
        let answer = perform(&client, effect, &report).await;
        let _ = task_events.send(answer);
    });
    let events = events.clone();
    tokio::spawn(async move {
        if task.await.is_err() {
            let _ = events.send(lost_answer(kept));
        }
    });
}
