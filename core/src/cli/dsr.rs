//! `heepr dsr ...`: data-subject requests from the command line (list, show, export, erase),
//! recorded as verified requests of the CLI channel and run at once.

use anyhow::{Context, bail};

use super::args::{DsrCommand, GlobalArgs};
use super::operator_state;
use crate::platform::state::AppState;

fn app_err(context: &str) -> impl FnOnce(crate::platform::error::AppError) -> anyhow::Error + '_ {
    move |e| anyhow::anyhow!("{context}: {}", e.public_message())
}

async fn subject_by_email(state: &AppState, email: &str) -> anyhow::Result<String> {
    crate::privacy::requests::intake::account_by_email(state, email)
        .await
        .map_err(app_err("--email"))?
        .with_context(|| format!("--email {email}: no active account has this email"))
}

/// How long the CLI waits for a job a running server claimed: 200 ms steps (30 minutes).
const CLI_WAIT_STEPS: u32 = 9_000;

/// Records a verified request of `kind` for `account_id` from the CLI, runs its job now, and
/// returns it once completed.
///
/// Errors: the request did not complete (its status and reason).
async fn run_cli_request(
    state: &AppState,
    account_id: &str,
    kind: heepr_compliance::dsr::RequestKind,
) -> anyhow::Result<crate::privacy::requests::Dsr> {
    use crate::privacy::requests::intake::{Channel, NewRequest};
    let new = NewRequest {
        account_id,
        kind,
        channel: Channel::Cli,
        details: None,
        actor: &heepr_compliance::audit::AuditActor::CLI,
        verified: Some(heepr_compliance::dsr::VerifiedBy::Operator),
        run_job_now: true,
    };
    let dsr = crate::privacy::requests::intake::create(state, &new)
        .await
        .map_err(app_err("recording the request"))?;
    let ran =
        crate::privacy::jobs::run_request(state, &dsr.id, crate::privacy::jobs::process_holder())
            .await
            .map_err(app_err("running the job"))?;
    let mut done = crate::privacy::requests::get(state.db.pool(), &dsr.id, state.clock.now_ms())
        .await
        .map_err(app_err("reading the request"))?;
    if !ran {
        // A running `heepr serve` claimed the job first, or another job of the same
        // person holds its lock: wait (bounded), trying again to run it ourselves.
        for _ in 0..CLI_WAIT_STEPS {
            if done.status != heepr_compliance::dsr::RequestStatus::InProgress {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            crate::privacy::jobs::run_request(
                state,
                &dsr.id,
                crate::privacy::jobs::process_holder(),
            )
            .await
            .map_err(app_err("running the job"))?;
            done = crate::privacy::requests::get(state.db.pool(), &dsr.id, state.clock.now_ms())
                .await
                .map_err(app_err("reading the request"))?;
        }
    }
    if done.status != heepr_compliance::dsr::RequestStatus::Completed {
        bail!(
            "request {} is {}: {}",
            done.id,
            done.status,
            done.status_reason.unwrap_or_default()
        );
    }
    Ok(done)
}

/// Runs `heepr dsr ...`.
///
/// Errors: an unknown subject or request; a request that did not complete.
pub async fn run(global: &GlobalArgs, cmd: &DsrCommand) -> anyhow::Result<u8> {
    if let DsrCommand::Intake { imap, once, json } = cmd {
        return super::dsr_intake::run(global, imap, *once, *json).await;
    }
    dsr(global, cmd).await.map(|()| 0)
}

async fn dsr(global: &GlobalArgs, cmd: &DsrCommand) -> anyhow::Result<()> {
    use heepr_compliance::dsr::{RequestKind, RequestStatus};
    let state = operator_state(global).await?;
    let now = state.clock.now_ms();
    match cmd {
        DsrCommand::List { status, json } => {
            let status = status
                .as_deref()
                .map(|s| s.parse::<RequestStatus>())
                .transpose()
                .map_err(|e| anyhow::anyhow!("--status: {e}"))?;
            let filter = crate::privacy::requests::DsrFilter {
                status,
                ..Default::default()
            };
            let list = crate::privacy::requests::list(state.db.pool(), &filter, now)
                .await
                .map_err(app_err("listing requests"))?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                println!(
                    "{:<36}  {:<18}  {:<21}  {:<24}  overdue",
                    "id", "kind", "status", "due"
                );
                for r in list {
                    println!(
                        "{:<36}  {:<18}  {:<21}  {:<24}  {}",
                        r.id,
                        r.kind.as_str(),
                        r.status.as_str(),
                        r.due_at,
                        if r.overdue { "yes" } else { "" }
                    );
                }
            }
            Ok(())
        }
        DsrCommand::Show { id } => {
            let dsr = crate::privacy::requests::get(state.db.pool(), id, now)
                .await
                .map_err(app_err("dsr show"))?;
            let subject =
                crate::privacy::requests::summary::subject_summary(&state, &dsr.account_id, false)
                    .await
                    .map_err(app_err("dsr show"))?;
            let timeline = heepr_compliance::audit::list(
                state.db.pool(),
                &heepr_compliance::audit::AuditFilter {
                    request_id: Some(id.clone()),
                    limit: Some(500),
                    ..Default::default()
                },
            )
            .await?;
            let out = serde_json::json!({"request": dsr, "subject": subject, "timeline": timeline});
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
        DsrCommand::Export { email, out } => {
            let account_id = subject_by_email(&state, email).await?;
            let done = run_cli_request(&state, &account_id, RequestKind::Access).await?;
            let path = global
                .data_dir
                .join(crate::privacy::export_archive::EXPORTS_DIR)
                .join(format!("{}.tar.gz", done.id));
            match out {
                Some(out) => {
                    std::fs::copy(&path, out)
                        .with_context(|| format!("--out {}: cannot write", out.display()))?;
                    println!("{}", out.display());
                }
                None => println!("{}", path.display()),
            }
            Ok(())
        }
        // Dispatched by `run` before the operator state is built.
        DsrCommand::Intake { .. } => Ok(()),
        DsrCommand::Erase {
            email,
            preview,
            yes,
        } => {
            let account_id = subject_by_email(&state, email).await?;
            if *preview || !*yes {
                let counts = heepr_compliance::erasure::preview(
                    state.db.pool(),
                    &state.policies.data_map,
                    &account_id,
                )
                .await?;
                println!(
                    "{:<20}  {:<7}  {:>7}  {:>7}  {:>7}  {:>13}  {:>8}  {:>7}",
                    "table",
                    "rule",
                    "rows",
                    "deleted",
                    "nulled",
                    "pseudonymised",
                    "redacted",
                    "kept"
                );
                for (t, c) in counts {
                    println!(
                        "{:<20}  {:<7}  {:>7}  {:>7}  {:>7}  {:>13}  {:>8}  {:>7}",
                        t,
                        c.erasure,
                        c.rows,
                        c.deleted,
                        c.nulled,
                        c.pseudonymised,
                        c.redacted,
                        c.kept
                    );
                }
                return Ok(());
            }
            let done = run_cli_request(&state, &account_id, RequestKind::Erasure).await?;
            println!("account {account_id} erased (request {})", done.id);
            Ok(())
        }
    }
}
