//! Demo agents (`agents`) and their events (`agent_events`): agents spread over the first
//! accounts as owners, every one published, with counters that match the orders and reviews
//! generated for them.

use rand::Rng;
use rand::rngs::StdRng;

use super::bulk::Rows;
use super::seed::{BASE_MS, HOUR_MS, demo_id};
use crate::market::agents::{AgentStatus, CATEGORIES};

const FIRST: &[&str] = &[
    "Nova", "Quill", "Atlas", "Echo", "Sage", "Pixel", "Orbit", "Cinder", "Maple", "Delta", "Juno",
    "Rook",
];
const SECOND: &[&str] = &[
    "Writer",
    "Analyst",
    "Coder",
    "Designer",
    "Researcher",
    "Translator",
    "Marketer",
    "Helper",
    "Scout",
    "Smith",
];
const TAGS: &[&str] = &[
    "blog",
    "seo",
    "python",
    "rust",
    "excel",
    "logo",
    "french",
    "summaries",
    "ads",
    "data",
    "legal",
    "email",
];
const SKILLS: &[&str] = &[
    "web search",
    "markdown",
    "code execution",
    "spreadsheets",
    "image generation",
    "translation memory",
    "citations",
];

/// A demo agent while its orders are generated (the counters follow them).
#[derive(Debug)]
pub struct DemoAgent {
    /// Agent id.
    pub id: String,
    /// The owner's account id.
    pub owner: String,
    /// Listed name.
    pub name: String,
    /// Listed price (points).
    pub price: i64,
    /// Listed delivery time (hours).
    pub hours: i64,
    /// Sum of its reviews' ratings.
    pub rating_total: i64,
    /// Reviews received.
    pub reviews: i64,
    /// Orders completed.
    pub completed: i64,
    /// Orders refunded after a missed deadline.
    pub refunded: i64,
}

/// `count` agents, owned in turn by `owners`.
pub fn plan(rng: &mut StdRng, count: usize, owners: &[String]) -> Vec<DemoAgent> {
    (0..count)
        .map(|i| DemoAgent {
            id: demo_id(rng),
            owner: owners[i % owners.len()].clone(),
            name: format!(
                "{} {} {}",
                FIRST[i % FIRST.len()],
                SECOND[(i / FIRST.len()) % SECOND.len()],
                i + 1
            ),
            price: 10 * rng.random_range(2..=30),
            hours: [12, 24, 48, 72, 168][rng.random_range(0..5)],
            rating_total: 0,
            reviews: 0,
            completed: 0,
            refunded: 0,
        })
        .collect()
}

/// The `agent_events` rows to fill.
pub fn events_table() -> Rows {
    Rows::new(
        "agent_events",
        &["id", "agent_id", "order_id", "kind", "detail", "created_at"],
    )
}

/// The event of `agent` accepting order `order_id` at `at`.
pub fn accept_event(
    rng: &mut StdRng,
    agent: &DemoAgent,
    order_id: &str,
    at: i64,
    events: &mut Rows,
) {
    events.push(vec![
        demo_id(rng).into(),
        agent.id.clone().into(),
        Some(order_id.to_owned()).into(),
        "accept".into(),
        "".into(),
        at.into(),
    ]);
}

/// Five hourly heartbeats of `agent`.
pub fn heartbeats(rng: &mut StdRng, agent: &DemoAgent, events: &mut Rows) {
    for h in 0..5 {
        events.push(vec![
            demo_id(rng).into(),
            agent.id.clone().into(),
            Option::<String>::None.into(),
            "heartbeat".into(),
            "".into(),
            (BASE_MS + h * HOUR_MS).into(),
        ]);
    }
}

/// The `agents` rows of `agents`, published, with their final counters.
pub fn rows(agents: &[DemoAgent]) -> Rows {
    let mut rows = Rows::new(
        "agents",
        &[
            "id",
            "owner_id",
            "name",
            "description",
            "category",
            "tags",
            "skills",
            "private_notes",
            "price_points",
            "delivery_hours",
            "revision_limit",
            "order_form",
            "wizard_step",
            "status",
            "rating_total",
            "review_count",
            "completed_orders",
            "refunded_orders",
            "last_heartbeat_at",
            "published_at",
            "created_at",
            "updated_at",
        ],
    );
    for (i, a) in agents.iter().enumerate() {
        let tags = format!(
            "[\"{}\",\"{}\"]",
            TAGS[i % TAGS.len()],
            TAGS[(i * 7 + 3) % TAGS.len()]
        );
        let skills = format!(
            "[\"{}\",\"{}\"]",
            SKILLS[i % SKILLS.len()],
            SKILLS[(i + 2) % SKILLS.len()]
        );
        let form = r#"[{"name":"topic","label":"Topic","type":"text","required":true,"max_length":200},{"name":"brief","label":"Brief","type":"file"}]"#;
        rows.push(vec![
            a.id.clone().into(),
            a.owner.clone().into(),
            a.name.clone().into(),
            format!(
                "{} takes {} work, delivered in {} hours.",
                a.name,
                CATEGORIES[i % CATEGORIES.len()].1,
                a.hours
            )
            .into(),
            CATEGORIES[i % CATEGORIES.len()].0.into(),
            tags.into(),
            skills.into(),
            "Runs on a private model; keys kept locally.".into(),
            a.price.into(),
            a.hours.into(),
            2.into(),
            form.into(),
            5.into(),
            AgentStatus::Published.as_str().into(),
            a.rating_total.into(),
            a.reviews.into(),
            a.completed.into(),
            a.refunded.into(),
            Some(BASE_MS + 4 * HOUR_MS).into(),
            Some(BASE_MS).into(),
            BASE_MS.into(),
            BASE_MS.into(),
        ]);
    }
    rows
}
