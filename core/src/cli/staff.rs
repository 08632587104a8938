//! `heepr staff create|list|revoke|rotate`: staff accounts of the privacy desk and their
//! admin API tokens (shown once, valid 90 days unless told otherwise), and offboarding.

use std::time::Duration;

use super::args::{GlobalArgs, StaffCommand};
use super::open;
use crate::identity::staff;
use crate::platform::time::rfc3339;

/// Runs `heepr staff ...`.
///
/// Errors: those of [`open`]; a bad, taken or unknown email; a deactivated member (rotate).
pub async fn run(global: &GlobalArgs, command: &StaffCommand) -> anyhow::Result<u8> {
    let (db, _) = open(global).await?;
    let now = chrono::Utc::now().timestamp_millis();
    let fail = |what: &'static str| {
        move |e: crate::platform::error::AppError| {
            anyhow::anyhow!("staff {what}: {}", e.public_message())
        }
    };
    match command {
        StaffCommand::Create {
            email,
            role,
            expires_in,
        } => {
            let (member, token) = staff::create_with_ttl(&db, email, *role, ms(*expires_in), now)
                .await
                .map_err(fail("create"))?;
            println!(
                "staff account {} ({}) created, role {}",
                member.id, member.email, member.role
            );
            print_token(&token, now, *expires_in);
        }
        StaffCommand::List { json } => {
            let list = staff::list(&db, now).await.map_err(fail("list"))?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print_table(&list);
            }
        }
        StaffCommand::Revoke { email } => {
            let (member, revoked) =
                staff::revoke(&db, email, &heepr_compliance::audit::AuditActor::CLI, now)
                    .await
                    .map_err(fail("revoke"))?;
            println!("{} deactivated; {revoked} token(s) revoked", member.email);
        }
        StaffCommand::Rotate { email, expires_in } => {
            let (member, token) = staff::rotate(
                &db,
                email,
                ms(*expires_in),
                &heepr_compliance::audit::AuditActor::CLI,
                now,
            )
            .await
            .map_err(fail("rotate"))?;
            println!("{}: old tokens revoked", member.email);
            print_token(&token, now, *expires_in);
        }
    }
    Ok(0)
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn print_token(token: &str, now: i64, expires_in: Duration) {
    println!("admin API token (shown once, store it now): {token}");
    println!("expires {}", rfc3339(now.saturating_add(ms(expires_in))));
}

fn print_table(list: &[staff::StaffSummary]) {
    let time = |t: Option<i64>| t.map_or_else(|| "-".to_string(), rfc3339);
    println!(
        "{:<36}  {:<32}  {:<15}  {:<6}  {:<24}  {:<24}  status",
        "id", "email", "role", "tokens", "expires", "last used"
    );
    for s in list {
        println!(
            "{:<36}  {:<32}  {:<15}  {:<6}  {:<24}  {:<24}  {}",
            s.id,
            s.email,
            s.role.as_str(),
            s.active_tokens,
            time(s.expires_at),
            time(s.last_used_at),
            if s.deactivated_at.is_some() {
                "deactivated"
            } else {
                "active"
            }
        );
    }
}
