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
    ]);
    DemoAccount { id, email, created }
}
