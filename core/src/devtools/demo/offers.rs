//! Demo offers (`offers`): every tenth order comes from an offer accepted in a pre-sale
//! thread; of the threads left without an order, every other one has an offer still open
//! or declined.

use rand::rngs::StdRng;

use super::agents::DemoAgent;
use super::bulk::Rows;
use super::chats::ThreadPair;
use super::seed::{BASE_MS, HOUR_MS, demo_id};
use crate::market::chats::offers::OfferStatus;

/// The `offers` rows to fill.
pub fn table() -> Rows {
    Rows::new(
        "offers",
        &[
            "id",
            "thread_id",
            "agent_id",
            "customer_id",
            "scope",
            "price_points",
            "delivery_hours",
            "expires_at",
            "status",
            "order_id",
            "created_at",
            "decided_at",
        ],
    )
}

/// The offer in thread `thread_id` that `customer` accepted, placing order `order_id` at
/// `created`; returns its id.
pub fn accepted(
    rng: &mut StdRng,
    thread_id: &str,
    agent: &DemoAgent,
    customer: &str,
    order_id: &str,
    created: i64,
    offers: &mut Rows,
) -> String {
    let oid = demo_id(rng);
    offers.push(vec![
        oid.clone().into(),
        thread_id.to_owned().into(),
        agent.id.clone().into(),
        customer.to_owned().into(),
        "Custom scope as discussed".into(),
        agent.price.into(),
        agent.hours.into(),
        (created + 48 * HOUR_MS).into(),
        OfferStatus::Accepted.as_str().into(),
        Some(order_id.to_owned()).into(),
        (created - HOUR_MS).into(),
        Some(created).into(),
    ]);
    oid
}

/// Offers still open or declined in the threads from number `first` on (those no order
/// came from).
pub fn open_and_declined(
    rng: &mut StdRng,
    pairs: &[ThreadPair],
    first: usize,
    agents: &[DemoAgent],
    offers: &mut Rows,
) {
    for (t, (tid, a, c)) in pairs.iter().enumerate().skip(first) {
        if t % 2 == 0 {
            let status = if t % 4 == 0 {
                OfferStatus::Open
            } else {
                OfferStatus::Declined
            };
            offers.push(vec![
                demo_id(rng).into(),
                tid.clone().into(),
                agents[*a].id.clone().into(),
                c.clone().into(),
                "A shorter version for less".into(),
                (agents[*a].price / 2).max(1).into(),
                agents[*a].hours.into(),
                (BASE_MS + 400 * 24 * HOUR_MS).into(),
                status.as_str().into(),
                Option::<String>::None.into(),
                BASE_MS.into(),
                (status == OfferStatus::Declined)
                    .then_some(BASE_MS + HOUR_MS)
                    .into(),
            ]);
        }
    }
}
