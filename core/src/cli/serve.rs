//! `heepr serve`: checks the flags, opens the database, records the privacy policy in force,
//! and serves pages, API and background jobs until a shutdown signal.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use heepr_compliance::SystemClock;

use super::args::{GlobalArgs, ServeArgs};
use super::open;
use crate::platform::settings::{MailTransportConfig, Settings};
use crate::platform::state::AppState;

/// Runs `heepr serve` until SIGINT or SIGTERM.
///
/// Errors: an idle timeout longer than the absolute one; those of [`open`]; an address that
/// cannot be bound; the server's.
pub async fn run(global: &GlobalArgs, args: &ServeArgs) -> anyhow::Result<u8> {
    serve(global, args).await.map(|()| 0)
}

async fn serve(global: &GlobalArgs, args: &ServeArgs) -> anyhow::Result<()> {
    if args.session_idle_timeout > args.session_absolute_timeout {
        bail!(
            "--session-idle-timeout {} is longer than --session-absolute-timeout {}: the idle timeout must not exceed the absolute one",
            humantime::format_duration(args.session_idle_timeout),
            humantime::format_duration(args.session_absolute_timeout)
        );
    }
    let (db, policies) = open(global).await?;
    let now = heepr_compliance::Clock::now_ms(&SystemClock);
    crate::privacy::publications::record_current(&db, &policies, now)
        .await
        .context("recording the snapshot of the privacy policy in force")?;
    crate::privacy::publications::record_current_terms(&db, &policies, now)
        .await
        .context("recording the snapshots of the terms in force")?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("--bind {}: cannot listen", args.bind))?;
    let mut settings = settings_from_args(global, args)?;
    if args.public_url.is_none() {
        // With --bind :0 the port is known only now; the CSRF layer trusts this origin.
        settings.public_url = format!("http://{}", listener.local_addr()?);
    }
    let state = AppState::new(db, settings, policies, Arc::new(SystemClock))?;
    let url = state.settings.public_url.clone();
    println!(
        "heepr is listening on http://{} (public URL {url})",
        listener.local_addr()?
    );
    crate::serve(listener, state, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// The resolved [`Settings`] of `heepr serve`'s flags.
///
/// Errors: the fraud key file cannot be read or created.
pub fn settings_from_args(global: &GlobalArgs, args: &ServeArgs) -> anyhow::Result<Settings> {
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.bind));
    let mail_transport = match &args.smtp_url {
        Some(url) => MailTransportConfig::Smtp(url.clone()),
        None => MailTransportConfig::File(global.data_dir.join("mail")),
    };
    Ok(Settings {
        fraud_key: global.fraud_key()?,
        data_dir: global.data_dir.clone(),
        public_url,
        signup_bonus: args.signup_bonus,
        session_idle_ms: duration_ms(args.session_idle_timeout),
        session_absolute_ms: duration_ms(args.session_absolute_timeout),
        trusted_proxies: args.trusted_proxies.clone(),
        mail_from: args.mail_from.clone(),
        mail_transport,
        login_limits: args.limits.login_limits(),
        signup_limits: args.limits.signup_limits(),
        scheduler: (!args.no_scheduler).then_some(args.schedule_time_zone),
        backup_dir: global.backup_dir(),
        database_url: Some(global.resolved_database_url()),
        oauth: args.sign_in.settings(),
        upload_limit_bytes: args.upload_limit_bytes,
        upload_idle_timeout: args.upload_idle_timeout,
        mail_intake: args.intake.mailbox(),
        deferred_writes: crate::platform::deferred_writes::QueueConfig::default(),
        password_pool: crate::platform::passwords::PasswordPool::default(),
    })
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
