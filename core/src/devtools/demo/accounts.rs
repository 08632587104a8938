//! Demo accounts (`accounts`): active members with made-up names and `example.com` emails,
//! all with the password [`super::DEMO_PASSWORD`] (one hash), created over the 18 months
//! before the demo anchor.

use rand::Rng;
use rand::rngs::StdRng;

use super::bulk::Rows;
use super::seed::{DEMO_ANCHOR_MS, SPAN_MS, timed_id};

const FIRST: &[&str] = &[
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Katherine",
    "John",
    "Hedy",
    "Donald",
    "Sophie",
    "Niklaus",
    "Annie",
    "Guido",
    "Mary",
    "Bjarne",
    "Shafi",
    "Leslie",
    "Yukihiro",
    "Karen",
    "Rasmus",
    "Evelyn",
    "Anders",
    "Joan",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Johnson",
    "McCarthy",
    "Lamarr",
    "Knuth",
    "Wilson",
    "Wirth",
    "Easley",
    "van Rossum",
    "Shaw",
    "Stroustrup",
    "Goldwasser",
    "Lamport",
    "Matsumoto",
    "Spärck Jones",
    "Lerdorf",
    "Berezin",
    "Hejlsberg",
    "Clarke",
];

/// A demo account just drawn, for the rows that belong to it.
#[derive(Debug)]
pub struct DemoAccount {
    /// Account id.
    pub id: String,
    /// Email address.
    pub email: String,
    /// Created (Unix ms).
    pub created: i64,
}

/// The `accounts` rows to fill.
pub fn table() -> Rows {
    Rows::new(
        "accounts",
        &[
            "id",
            "email",
            "email_normalized",
            "display_name",
            "password_hash",
            "status",
            "age_16_or_over_confirmed_at",
            "created_at",
            "updated_at",
            "email_verified_at",
        ],
    )
}

/// Demo account number `index` (0-based), with `password_hash`.
pub fn account(
    rng: &mut StdRng,
    index: usize,
    password_hash: &str,
    rows: &mut Rows,
) -> DemoAccount {
    let created = DEMO_ANCHOR_MS - rng.random_range(0..SPAN_MS);
    let id = timed_id(rng, created);
    let first = FIRST[rng.random_range(0..FIRST.len())];
    let last = LAST[rng.random_range(0..LAST.len())];
    let email = format!(
        "{}.{}{}@example.com",
        first.to_lowercase(),
        last.to_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>(),
        index + 1
    );
    rows.push(vec![
        id.clone().into(),
        email.clone().into(),
        crate::identity::accounts::validate::email_key(&email).into(),
        format!("{first} {last}").into(),
        password_hash.into(),
        "active".into(),
        created.into(),
        created.into(),
        created.into(),
        // Demo accounts verified their address when they signed up (their bonus is in).
        created.into(),
    ]);
    DemoAccount { id, email, created }
}

/// The terms version demo accounts accepted: the first one `policies/terms.toml` published.
pub const DEMO_TERMS_VERSION: &str = "2026-05-20";

/// The `terms_acceptances` rows to fill.
pub fn terms_table() -> Rows {
    Rows::new(
        "terms_acceptances",
        &["id", "account_id", "version", "accepted_at"],
    )
}

/// `account`'s acceptance of the terms at sign-up. Its id is derived from the account id,
/// not drawn from the seed's stream, so adding it left every other demo value as it was.
pub fn terms_acceptance(account: &DemoAccount, rows: &mut Rows) {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("terms:{}", account.id));
    let mut bytes = [0u8; 10];
    bytes.copy_from_slice(&digest[..10]);
    let id = uuid::Builder::from_unix_timestamp_millis(
        u64::try_from(account.created).unwrap_or(0),
        &bytes,
    )
    .into_uuid()
    .to_string();
    rows.push(vec![
        id.into(),
        account.id.clone().into(),
        DEMO_TERMS_VERSION.into(),
        account.created.into(),
    ]);
}
