//! `heepr backup ...`: create, list, verify, restore (then re-apply later erasures) and
//! rotate backups.

use anyhow::{Context, bail};
use heepr_compliance::backup::{self, carry};
use heepr_compliance::{Clock, SystemClock};

use super::args::{BackupArgs, BackupCommand, GlobalArgs};
use super::{load_policies, open};
use crate::platform::db;
use crate::privacy::retention;

/// Runs `heepr backup ...`.
///
/// Errors: the backup's (a failed dump, checksum or test restore), a server still running on
/// the database at restore, an erasure that cannot be re-applied.
pub async fn run(global: &GlobalArgs, args: &BackupArgs) -> anyhow::Result<u8> {
    let dir = global.backup_dir();
    let url = global.resolved_database_url();
    let now = SystemClock.now_ms();
    match &args.command {
        BackupCommand::Create => {
            let (db, _) = open(global).await?;
            heepr_compliance::ledger_copies::mirror(&global.data_dir, &dir)
                .with_context(|| format!("copying the ledgers to {}", dir.display()))?;
            let entry = backup::create(&db, &url, &dir, now).await?;
            println!(
                "backup {} written: {} ({} bytes, sha256 {})",
                entry.id,
                dir.join(&entry.file).display(),
                entry.size_bytes,
                entry.sha256
            );
        }
        BackupCommand::List { json } => {
            let catalog = backup::listing(&dir, now)?;
            for warning in &catalog.warnings {
                tracing::warn!("backups: {warning}");
            }
            if *json {
                println!("{}", serde_json::to_string_pretty(&catalog)?);
            } else if catalog.backups.is_empty() {
                println!("no backups in {}", dir.display());
            } else {
                for warning in &catalog.warnings {
                    println!("WARNING: {warning}");
                }
                for b in &catalog.backups {
                    let age_days = (now - b.created_at_ms) / heepr_compliance::clock::DAY_MS;
                    let verified = if !dir.join(&b.file).exists() {
                        "FILE MISSING".to_string()
                    } else {
                        b.verified_at_ms.map_or_else(
                            || "not verified".to_string(),
                            |t| format!("verified {}", crate::platform::time::rfc3339(t)),
                        )
                    };
                    println!(
                        "{}  {}  {age_days:>3} days  {:>12} bytes  schema {}  {}  sha256 {}",
                        b.id,
                        crate::platform::time::rfc3339(b.created_at_ms),
                        b.size_bytes,
                        b.schema_version,
                        verified,
                        b.sha256
                    );
                }
            }
        }
        BackupCommand::Verify { id } => {
            let entry = backup::verify(&dir, id, &url, now).await?;
            println!(
                "backup {} verified: checksum matches, test restore holds schema version {}",
                entry.id, entry.schema_version
            );
        }
        BackupCommand::Restore { id } => restore(global, &dir, id, &url, now).await?,
        BackupCommand::Rotate => {
            let policies = load_policies(&global.policies)?;
            let removed = retention::rotate_backups(&policies, &dir, &global.data_dir, now)?;
            println!("rotation removed {} backups", removed.len());
        }
    }
    Ok(0)
}

/// `heepr backup restore ID`: checks the backup, carries the privacy desk's records out of
/// the database about to be overwritten (or takes those an interrupted restore left),
/// restores, writes them back, re-applies later erasures and withdrawals, ends restored
/// credentials, reopens corrections the backup undid, sweeps, and only then removes the
/// carry file that marks the restore unfinished (every other command refuses meanwhile).
async fn restore(
    global: &GlobalArgs,
    dir: &std::path::Path,
    id: &str,
    url: &str,
    now: i64,
) -> anyhow::Result<()> {
    let mut global = global.clone();
    global.finishing_restore = true;
    let global = &global;
    let (db, policies) = open(global).await?;
    let running = crate::runtime::jobs::running_servers(&db, now).await?;
    if running > 0 {
        db.close().await;
        bail!(
            "a heepr server is running on this database ({running} seen in the last {} s): stop it before restoring backup {id}",
            crate::runtime::jobs::PRESENCE_TTL_MS / 1000
        );
    }
    let known = db::MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    let backend = heepr_compliance::Backend::from_url(url).context("unsupported database URL")?;
    // Every check before anything is written: a refused restore leaves no carry file.
    let checked = backup::check_restorable(dir, id, backend, known)?;
    let carry = carry_out(global, &db, &policies, id, checked.created_at_ms, now).await?;
    db.close().await;
    let entry = backup::restore(dir, id, url, backend, known).await?;
    let (db, policies) = open(global).await?;
    let carried = carry::apply(&db, &carry).await?;
    // A data dir that lost its ledgers (a new machine) takes them from their copy with the
    // backups, or every erasure since the backup would be undone.
    for (file, lines) in heepr_compliance::ledger_copies::merge_into(&global.data_dir, dir)
        .with_context(|| format!("reading the ledger copies in {}", dir.display()))?
    {
        println!("took {lines} entries of {file} from the copy kept with the backups");
    }
    let replayed = crate::privacy::restore::after_restore(
        &db,
        &policies,
        &global.data_dir,
        entry.created_at_ms,
    )
    .await?;
    let ended =
        crate::privacy::restore::end_credentials(&db, &global.data_dir, entry.created_at_ms, now)
            .await?;
    let reopened =
        crate::privacy::restore::reopen_undone_rectifications(&db, entry.created_at_ms, now)
            .await?;
    crate::privacy::restore::record(&db, &entry.id, &carried, replayed, now).await?;
    db.close().await;
    print_restored(&entry, &carried, replayed, &ended, &reopened);
    // The backup holds what the nightly sweeps deleted after it was taken (its rotation
    // is the published bound for that copy, not for the live database): sweep now, so
    // nothing restored stays past its period. The restore is finished only after it.
    let sweep = super::args::SweepArgs {
        rule: None,
        dry_run: false,
        json: false,
        batch_size: 1_000,
    };
    let swept = super::sweep::run(global, &sweep).await?;
    if swept != 0 {
        bail!(
            "the sweep after the restore did not finish (exit {swept}, causes above): run `heepr backup restore {id}` again to finish the restore"
        );
    }
    carry::remove(&global.data_dir)?;
    println!("swept what the backup held past its retention period; the restore is finished");
    Ok(())
}

/// The records to carry over the restore: an unfinished restore's (its database may be the
/// backup's already), else read now from the database about to be overwritten and saved.
async fn carry_out(
    global: &GlobalArgs,
    db: &heepr_compliance::Db,
    policies: &heepr_compliance::Policies,
    id: &str,
    taken_ms: i64,
    now: i64,
) -> anyhow::Result<carry::Carry> {
    if let Some(pending) = carry::load(&global.data_dir)? {
        println!(
            "an unfinished restore (of backup {}) left the privacy records it carries in {}: they are written back after this restore",
            pending.backup_id,
            carry::file_path(&global.data_dir).display()
        );
        return Ok(pending);
    }
    // The database about to be overwritten knows every erasure, also those run with
    // another data dir (another host, `dsr erase` from elsewhere): its ledger rows go into
    // this data dir's ledger file first, or the restore would forget them.
    heepr_compliance::erasure_ledger::sync_file(db.pool(), &global.data_dir)
        .await
        .map_err(|e| anyhow::anyhow!("copying the erasure ledger before the restore: {e}"))?;
    let read = carry::read(db, &policies.data_map, id, taken_ms, now).await?;
    carry::save(&global.data_dir, &read)?;
    Ok(read)
}

fn print_restored(
    entry: &backup::BackupEntry,
    carried: &carry::CarryOutcome,
    replayed: usize,
    ended: &crate::privacy::restore::EndedCredentials,
    reopened: &[String],
) {
    for id in reopened {
        println!(
            "reopened rectification request {id}: it was completed after the backup, and the restore undid the correction; apply it again"
        );
    }
    println!(
        "restored backup {} taken {}; re-applied {replayed} erasures recorded since",
        entry.id,
        crate::platform::time::rfc3339(entry.created_at_ms)
    );
    let written: Vec<String> = carried
        .written
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    println!(
        "carried the privacy records over the backup ({}); {} audit entries made since appended again",
        if written.is_empty() {
            "none".to_string()
        } else {
            written.join(", ")
        },
        carried.audit_rejoined
    );
    for skipped in &carried.skipped {
        println!(
            "not carried: {} {} (the backup has no {} it refers to; an account created after the backup is gone with the restore: answer that person by email)",
            skipped.table, skipped.key, skipped.missing
        );
    }
    if carried.audit_unjoined > 0 {
        println!(
            "{} audit entries made since the backup do not continue its chain (a backup of another database?) and were not appended",
            carried.audit_unjoined
        );
    }
    println!(
        "ended {} sessions and revoked {} staff tokens restored with the backup: people sign in again; give staff new tokens with `heepr staff rotate --email ...` (not to anyone who left since the backup)",
        ended.sessions, ended.staff_tokens
    );
    println!(
        "replayed the withdrawal ledger: {} consents withdrawn and {} agent API keys revoked again (taken back after the backup)",
        ended.consents_withdrawn, ended.api_keys_revoked
    );
    if ended.passwords_cleared > 0 {
        println!(
            "{} accounts replaced their password after the backup: the restored (old) password no longer works; they set a new one with \"Forgot your password?\" on the login page",
            ended.passwords_cleared
        );
    }
}
