//! Demo reviews (`reviews`): two completed orders in three are reviewed, every fourth one
//! answered by the owner; the agent's rating counters follow.

use rand::rngs::StdRng;

use super::agents::DemoAgent;
use super::bulk::Rows;
use super::seed::{HOUR_MS, LINES, demo_id};

/// The `reviews` rows to fill.
pub fn table() -> Rows {
    Rows::new(
        "reviews",
        &[
            "id",
            "order_id",
            "agent_id",
            "customer_id",
            "rating",
            "body",
            "reply_body",
            "replied_at",
            "created_at",
        ],
    )
}

/// The review of order number `i` (`order_id`, completed at `settled_at`) by `customer`,
/// counted on `agent`.
pub fn review(
    rng: &mut StdRng,
    i: usize,
    order_id: &str,
    customer: &str,
    agent: &mut DemoAgent,
    settled_at: i64,
    reviews: &mut Rows,
) {
    let rating = [5, 5, 4, 5, 3, 4, 5, 2, 5, 4][i % 10];
    agent.rating_total += rating;
    agent.reviews += 1;
    let reply = i
        .is_multiple_of(4)
        .then(|| "Thank you for the order!".to_owned());
    let replied = reply.as_ref().map(|_| settled_at + HOUR_MS);
    reviews.push(vec![
        demo_id(rng).into(),
        order_id.to_owned().into(),
        agent.id.clone().into(),
        customer.to_owned().into(),
        rating.into(),
        LINES[i % LINES.len()].into(),
        reply.into(),
        replied.into(),
        (settled_at + 30 * 60_000).into(),
    ]);
}
