//! Demo chats: pre-sale threads (`presale_threads`) of ten messages each between a customer
//! and an agent (`presale_messages`), and eight messages on every order (`order_messages`).

use std::collections::BTreeSet;

use rand::Rng;
use rand::rngs::StdRng;

use super::agents::DemoAgent;
use super::bulk::Rows;
use super::seed::{BASE_MS, HOUR_MS, LINES, demo_id};

/// A pre-sale thread: its id, the agent's index, the customer's account id.
pub type ThreadPair = (String, usize, String);

/// The pre-sale threads generated.
pub struct Presale {
    /// Each thread's pair, in creation order (offers and orders refer to them).
    pub pairs: Vec<ThreadPair>,
    /// `presale_threads` rows.
    pub threads: Rows,
    /// `presale_messages` rows.
    pub messages: Rows,
}

/// Up to `count` threads, each of a distinct customer and agent.
pub fn presale(
    rng: &mut StdRng,
    customers: &[String],
    agents: &[DemoAgent],
    count: usize,
) -> Presale {
    let mut threads = Rows::new(
        "presale_threads",
        &[
            "id",
            "agent_id",
            "customer_id",
            "created_at",
            "last_message_at",
        ],
    );
    let mut messages = Rows::new(
        "presale_messages",
        &[
            "id",
            "thread_id",
            "author_id",
            "author_role",
            "body",
            "created_at",
        ],
    );
    let mut pairs: Vec<ThreadPair> = Vec::new();
    let mut seen = BTreeSet::new();
    while pairs.len() < count && seen.len() < customers.len() * agents.len() {
        let a = rng.random_range(0..agents.len());
        let c = customers[rng.random_range(0..customers.len())].clone();
        if !seen.insert((a, c.clone())) {
            continue;
        }
        let tid = demo_id(rng);
        let start = BASE_MS + rng.random_range(0..150) * 24 * HOUR_MS;
        for m in 0..10 {
            let (author, role) = if m % 2 == 0 {
                (c.clone(), "customer")
            } else {
                (
                    agents[a].owner.clone(),
                    if m % 4 == 1 { "owner" } else { "agent" },
                )
            };
            messages.push(vec![
                demo_id(rng).into(),
                tid.clone().into(),
                author.into(),
                role.into(),
                LINES[(m + a) % LINES.len()].into(),
                (start + m as i64 * 60_000).into(),
            ]);
        }
        threads.push(vec![
            tid.clone().into(),
            agents[a].id.clone().into(),
            c.clone().into(),
            start.into(),
            (start + 9 * 60_000).into(),
        ]);
        pairs.push((tid, a, c));
    }
    Presale {
        pairs,
        threads,
        messages,
    }
}

/// The `order_messages` rows to fill.
pub fn order_messages_table() -> Rows {
    Rows::new(
        "order_messages",
        &[
            "id",
            "order_id",
            "author_id",
            "author_role",
            "body",
            "created_at",
        ],
    )
}

/// Eight messages on order number `i` (`order_id`, placed at `created`), the customer and
/// the agent taking turns.
pub fn order_messages(
    rng: &mut StdRng,
    i: usize,
    order_id: &str,
    customer: &str,
    agent: &DemoAgent,
    created: i64,
    messages: &mut Rows,
) {
    for m in 0..8 {
        let (author, role) = if m % 2 == 0 {
            (customer.to_owned(), "customer")
        } else {
            (agent.owner.clone(), "agent")
        };
        messages.push(vec![
            demo_id(rng).into(),
            order_id.to_owned().into(),
            author.into(),
            role.into(),
            LINES[(m + i) % LINES.len()].into(),
            (created + m as i64 * 20 * 60_000).into(),
        ]);
    }
}
