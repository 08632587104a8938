//! Demo technical logs: each account's welcome email in the email log (`email_log`, one in
//! fifty bounced) and up to five requests in the request log (`request_log`), so the
//! retention rules (12-month email log, 90-day request log) have something to sweep.

use rand::Rng;
use rand::rngs::StdRng;

use super::accounts::DemoAccount;
use super::bulk::Rows;
use super::seed::{DEMO_ANCHOR_MS, timed_id};

const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "curl/8.5.0",
];
const ROUTES: &[(&str, &str, i64)] = &[
    ("GET", "/", 200),
    ("GET", "/dashboard", 200),
    ("GET", "/api/v1/me", 200),
    ("GET", "/api/v1/me/ledger", 200),
    ("POST", "/login", 303),
    ("POST", "/api/v1/sessions", 401),
    ("GET", "/api/v1/me/sessions", 200),
];

/// The `email_log` rows to fill.
pub fn email_table() -> Rows {
    Rows::new(
        "email_log",
        &[
            "id",
            "account_id",
            "recipient",
            "template",
            "subject",
            "status",
            "transport",
            "error",
            "queued_at",
            "finished_at",
        ],
    )
}

/// The `request_log` rows to fill.
pub fn request_table() -> Rows {
    Rows::new(
        "request_log",
        &[
            "id",
            "occurred_at",
            "method",
            "route",
            "status",
            "latency_ms",
            "client_ip",
            "user_agent",
            "account_id",
        ],
    )
}

/// `account`'s welcome email, sent or (one in fifty) failed.
pub fn welcome_email(rng: &mut StdRng, account: &DemoAccount, emails: &mut Rows) {
    let created = account.created;
    let failed = rng.random_range(0..50) == 0;
    let id = timed_id(rng, created);
    let finished = created + rng.random_range(100..5_000);
    emails.push(vec![
        id.into(),
        account.id.clone().into(),
        account.email.clone().into(),
        "welcome".into(),
        "Welcome to heepr".into(),
        if failed { "failed" } else { "sent" }.into(),
        "smtp".into(),
        failed.then(|| "550 mailbox unavailable".to_owned()).into(),
        created.into(),
        finished.into(),
    ]);
}

/// Up to five requests by `account` from one IP and browser.
pub fn requests(rng: &mut StdRng, account: &DemoAccount, requests: &mut Rows) {
    let created = account.created;
    let ip = format!("198.51.100.{}", rng.random_range(1..255));
    let agent = USER_AGENTS[rng.random_range(0..USER_AGENTS.len())];
    for _ in 0..rng.random_range(0..6) {
        let at = created + rng.random_range(0..(DEMO_ANCHOR_MS - created).max(1));
        let (method, route, status) = ROUTES[rng.random_range(0..ROUTES.len())];
        let id = timed_id(rng, at);
        requests.push(vec![
            id.into(),
            at.into(),
            method.into(),
            route.into(),
            status.into(),
            rng.random_range(1..120_i64).into(),
            ip.clone().into(),
            agent.into(),
            account.id.clone().into(),
        ]);
    }
}
