//! Demo orders (`orders`) in every state, each with its escrow held and settled in the
//! ledger as its state says, eight messages, its accept event, its review when completed,
//! and every tenth one placed from an accepted offer.

use rand::Rng;
use rand::rngs::StdRng;

use super::agents::{self, DemoAgent};
use super::bulk::Rows;
use super::chats::{self, ThreadPair};
use super::ledger::MarketLedger;
use super::seed::{BASE_MS, HOUR_MS, demo_id};
use super::{offers, reviews};
use crate::market::orders::OrderStatus as S;

/// The states orders are spread over, in turn (so every state is present).
const STATUSES: [S; 12] = [
    S::Completed,
    S::Completed,
    S::Completed,
    S::Completed,
    S::Completed,
    S::InProgress,
    S::Placed,
    S::Delivered,
    S::RevisionRequested,
    S::Cancelled,
    S::Refunded,
    S::Refunded,
];

/// An order placed, for the files attached to it.
#[derive(Debug)]
pub struct PlacedOrder {
    /// Order id.
    pub id: String,
    /// The agent's index.
    pub agent: usize,
    /// The customer's account id.
    pub customer: String,
    /// Whether it was delivered (its files may be deliverables).
    pub delivered: bool,
}

/// The rows the orders bring, besides the ledger's.
pub struct OrderRows {
    /// `orders`.
    pub orders: Rows,
    /// `order_messages`.
    pub messages: Rows,
    /// `reviews`.
    pub reviews: Rows,
    /// `offers` (the accepted ones here; open and declined ones are added after).
    pub offers: Rows,
    /// `agent_events` (accept events here; heartbeats are added after).
    pub events: Rows,
}

impl Default for OrderRows {
    /// No rows yet.
    fn default() -> Self {
        OrderRows {
            orders: Rows::new(
                "orders",
                &[
                    "id",
                    "agent_id",
                    "customer_id",
                    "status",
                    "price_points",
                    "answers",
                    "offer_id",
                    "delivery_hours",
                    "deadline_at",
                    "revision_limit",
                    "revisions_used",
                    "revision_reason",
                    "accepted_at",
                    "delivered_at",
                    "closed_at",
                    "created_at",
                    "updated_at",
                ],
            ),
            messages: chats::order_messages_table(),
            reviews: reviews::table(),
            offers: offers::table(),
            events: agents::events_table(),
        }
    }
}

/// Who takes part in the orders.
pub struct Market<'a> {
    /// Customers' account ids.
    pub customers: &'a [String],
    /// The pre-sale threads (every tenth order comes from an offer in one).
    pub threads: &'a [ThreadPair],
}

/// `count` orders, the agents' counters and the ledger following them.
pub fn generate(
    rng: &mut StdRng,
    count: usize,
    market: &Market<'_>,
    agents: &mut [DemoAgent],
    ledger: &mut MarketLedger,
    rows: &mut OrderRows,
) -> Vec<PlacedOrder> {
    (0..count)
        .map(|i| order(rng, i, market, agents, ledger, rows))
        .collect()
}

/// Order number `i`.
fn order(
    rng: &mut StdRng,
    i: usize,
    market: &Market<'_>,
    agents: &mut [DemoAgent],
    ledger: &mut MarketLedger,
    rows: &mut OrderRows,
) -> PlacedOrder {
    let status = STATUSES[i % STATUSES.len()];
    let thread = i
        .is_multiple_of(10)
        .then(|| market.threads.get(i / 10))
        .flatten();
    let (a, customer) = match thread {
        Some((_, a, c)) => (*a, c.clone()),
        None => (
            rng.random_range(0..agents.len()),
            market.customers[rng.random_range(0..market.customers.len())].clone(),
        ),
    };
    let id = demo_id(rng);
    let created = BASE_MS + rng.random_range(0..150 * 24) * HOUR_MS;
    let price = agents[a].price;
    ledger.hold(&customer, &id, price, created);
    let terminal = status.is_terminal();
    let accepted = (!matches!(status, S::Placed | S::Cancelled)).then_some(created + HOUR_MS);
    let delivered = matches!(status, S::Completed | S::Delivered | S::RevisionRequested)
        .then_some(created + 6 * HOUR_MS);
    let closed = terminal.then_some(created + 8 * HOUR_MS);
    let settled_at = closed.unwrap_or(created);
    match status {
        S::Completed => {
            ledger.release(&id, &agents[a].owner, price, settled_at);
            agents[a].completed += 1;
            if !i.is_multiple_of(3) {
                let review_rows = &mut rows.reviews;
                reviews::review(
                    rng,
                    i,
                    &id,
                    &customer,
                    &mut agents[a],
                    settled_at,
                    review_rows,
                );
            }
        }
        S::Cancelled | S::Refunded => {
            ledger.refund(&id, &customer, price, settled_at);
            if status == S::Refunded {
                agents[a].refunded += 1;
            }
        }
        _ => {}
    }
    let agent = &agents[a];
    let offer_id = thread.map(|(tid, _, _)| {
        offers::accepted(rng, tid, agent, &customer, &id, created, &mut rows.offers)
    });
    // Active orders get a deadline far ahead so the demo is not refunded at once.
    let deadline = if terminal || delivered.is_some() {
        created + agent.hours * HOUR_MS
    } else {
        BASE_MS + 400 * 24 * HOUR_MS
    };
    let revision =
        (status == S::RevisionRequested).then(|| "Please shorten the introduction.".to_owned());
    rows.orders.push(vec![
        id.clone().into(),
        agent.id.clone().into(),
        customer.clone().into(),
        status.as_str().into(),
        price.into(),
        format!("{{\"topic\":\"Demo topic {}\"}}", i % 500).into(),
        offer_id.into(),
        agent.hours.into(),
        deadline.into(),
        2.into(),
        0.into(),
        revision.into(),
        accepted.into(),
        delivered.into(),
        closed.into(),
        created.into(),
        settled_at.into(),
    ]);
    chats::order_messages(rng, i, &id, &customer, agent, created, &mut rows.messages);
    if let Some(at) = accepted {
        agents::accept_event(rng, agent, &id, at, &mut rows.events);
    }
    PlacedOrder {
        id,
        agent: a,
        customer,
        delivered: delivered.is_some(),
    }
}
