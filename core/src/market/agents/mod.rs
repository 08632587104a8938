//! Agents: the AI workers owners connect and customers hire. Owners build an agent in a
//! five-step wizard ([`wizard`]), customers find it by browsing ([`browse`]); badges follow
//! documented rules ([`badges`]); publishing yields a skill setup bundle ([`skill_setup`]).
//!
//! Privacy: an agent's `private_notes` (tools, models, keys) are shown to its owner only
//! (policy: "Your tools, models, and API keys stay private").
//!
//! May use `platform` only; orders, chats and the pages build on it.

pub mod badges;
pub mod browse;
pub mod events;
pub mod order_form;
pub mod skill_setup;
pub mod wizard;

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::platform::error::AppError;
use crate::platform::time::rfc3339;
use order_form::FormField;

/// The categories an agent can be listed under.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("writing", "Writing & editing"),
    ("research", "Research"),
    ("coding", "Coding"),
    ("data", "Data & spreadsheets"),
    ("design", "Design"),
    ("marketing", "Marketing"),
    ("translation", "Translation"),
    ("other", "Other"),
];

/// An agent counts as online this long after its last heartbeat (ms).
pub const ONLINE_WINDOW_MS: i64 = 5 * 60_000;

heepr_compliance::stored_state! {
    /// Whether an agent is listed (`agents.status`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum AgentStatus: "agent status" {
        /// Still in the wizard; only its owner sees it.
        Draft = "draft",
        /// Listed and orderable.
        Published = "published",
    }
}

/// An agent as stored.
#[derive(Debug, Clone)]
pub struct Agent {
    /// Agent id.
    pub id: String,
    /// The owner's account id (never shown to customers).
    pub owner_id: String,
    /// The owner's display name.
    pub owner_name: String,
    /// Name, 1–80 characters.
    pub name: String,
    /// What it does.
    pub description: String,
    /// One of [`CATEGORIES`], or empty in a draft.
    pub category: String,
    /// Lower-case tags.
    pub tags: Vec<String>,
    /// Declared tools and skills (public).
    pub skills: Vec<String>,
    /// Owner-only notes on tools, models and keys.
    pub private_notes: String,
    /// Price of one order in points.
    pub price_points: i64,
    /// Promised delivery time (hours); the order's deadline.
    pub delivery_hours: i64,
    /// Revisions a customer may request per order.
    pub revision_limit: i64,
    /// The order form.
    pub order_form: Vec<FormField>,
    /// Wizard step the owner is on (1–5).
    pub wizard_step: i64,
    /// Draft or published.
    pub status: AgentStatus,
    /// Sum of review ratings.
    pub rating_total: i64,
    /// Number of reviews.
    pub review_count: i64,
    /// Orders completed.
    pub completed_orders: i64,
    /// Orders refunded for a missed deadline.
    pub refunded_orders: i64,
    /// Last heartbeat (Unix ms).
    pub last_heartbeat_at: Option<i64>,
    /// When first published (Unix ms).
    pub published_at: Option<i64>,
    /// Created (Unix ms).
    pub created_at: i64,
}

/// Columns [`Agent::from_row`] reads; `o` is the owner's account row.
pub const AGENT_COLUMNS: &str = "a.id, a.owner_id, o.display_name AS owner_name, a.name, a.description, a.category, \
     a.tags, a.skills, a.private_notes, a.price_points, a.delivery_hours, a.revision_limit, a.order_form, \
     a.wizard_step, a.status, a.rating_total, a.review_count, a.completed_orders, a.refunded_orders, \
     a.last_heartbeat_at, a.published_at, a.created_at";

fn json_col<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T, AppError> {
    let text: String = row.try_get(col)?;
    serde_json::from_str(&text)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("agents.{col} holds bad JSON: {e}")))
}

impl Agent {
    /// What the badge rules read of this agent.
    pub fn track_record(&self) -> badges::TrackRecord {
        badges::TrackRecord {
            review_count: self.review_count,
            rating_total: self.rating_total,
            completed_orders: self.completed_orders,
            refunded_orders: self.refunded_orders,
            delivery_hours: self.delivery_hours,
            published_at: self.published_at,
        }
    }

    /// Reads a row selected with [`AGENT_COLUMNS`].
    pub fn from_row(row: &AnyRow) -> Result<Agent, AppError> {
        Ok(Agent {
            id: row.try_get("id")?,
            owner_id: row.try_get("owner_id")?,
            owner_name: row.try_get("owner_name")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            category: row.try_get("category")?,
            tags: json_col(row, "tags")?,
            skills: json_col(row, "skills")?,
            private_notes: row.try_get("private_notes")?,
            price_points: row.try_get("price_points")?,
            delivery_hours: row.try_get("delivery_hours")?,
            revision_limit: row.try_get("revision_limit")?,
            order_form: json_col(row, "order_form")?,
            wizard_step: row.try_get("wizard_step")?,
            status: row.try_get("status")?,
            rating_total: row.try_get("rating_total")?,
            review_count: row.try_get("review_count")?,
            completed_orders: row.try_get("completed_orders")?,
            refunded_orders: row.try_get("refunded_orders")?,
            last_heartbeat_at: row.try_get("last_heartbeat_at")?,
            published_at: row.try_get("published_at")?,
            created_at: row.try_get("created_at")?,
        })
    }

    /// Average rating rounded to one decimal, `None` without reviews.
    pub fn rating(&self) -> Option<f64> {
        (self.review_count > 0).then(|| {
            let avg = self.rating_total as f64 / self.review_count as f64;
            (avg * 10.0).round() / 10.0
        })
    }

    /// Whether a heartbeat arrived within [`ONLINE_WINDOW_MS`] of `now`.
    pub fn online(&self, now: i64) -> bool {
        self.last_heartbeat_at
            .is_some_and(|t| now - t < ONLINE_WINDOW_MS)
    }

    /// What anyone may see.
    pub fn public_view(&self, now: i64) -> PublicAgent {
        PublicAgent {
            id: self.id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            category: self.category.clone(),
            tags: self.tags.clone(),
            skills: self.skills.clone(),
            owner_name: self.owner_name.clone(),
            price_points: self.price_points,
            delivery_hours: self.delivery_hours,
            revision_limit: self.revision_limit,
            order_form: self.order_form.clone(),
            rating: self.rating(),
            review_count: self.review_count,
            completed_orders: self.completed_orders,
            online: self.online(now),
            badges: badges::badges(&self.track_record(), now),
            published_at: self.published_at.map(rfc3339),
        }
    }

    /// What the owner sees: everything, private notes included.
    pub fn owner_view(&self, now: i64) -> OwnerAgent {
        OwnerAgent {
            public: self.public_view(now),
            status: self.status,
            wizard_step: self.wizard_step,
            private_notes: self.private_notes.clone(),
            created_at: rfc3339(self.created_at),
        }
    }
}

/// An agent as customers and visitors see it.
#[derive(Debug, Clone, Serialize)]
pub struct PublicAgent {
    /// Agent id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category key.
    pub category: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Declared tools and skills.
    pub skills: Vec<String>,
    /// The owner's display name.
    pub owner_name: String,
    /// Price per order (points).
    pub price_points: i64,
    /// Delivery time (hours).
    pub delivery_hours: i64,
    /// Revisions per order.
    pub revision_limit: i64,
    /// The order form to fill.
    pub order_form: Vec<FormField>,
    /// Average rating (1–5, one decimal), null without reviews.
    pub rating: Option<f64>,
    /// Number of reviews.
    pub review_count: i64,
    /// Orders completed.
    pub completed_orders: i64,
    /// Heartbeat within the last 5 minutes.
    pub online: bool,
    /// Badge keys (see docs/marketplace.md).
    pub badges: Vec<&'static str>,
    /// When published (RFC 3339).
    pub published_at: Option<String>,
}

impl PublicAgent {
    /// The badges in words, for pages.
    pub fn badge_labels(&self) -> Vec<&'static str> {
        self.badges.iter().map(|b| badges::label(b)).collect()
    }
}

/// An agent as its owner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerAgent {
    /// The public fields.
    #[serde(flatten)]
    pub public: PublicAgent,
    /// Draft or published.
    pub status: AgentStatus,
    /// Wizard step (1–5).
    pub wizard_step: i64,
    /// Private notes on tools, models and keys.
    pub private_notes: String,
    /// Created (RFC 3339).
    pub created_at: String,
}

impl OwnerAgent {
    /// `draft` or `published`, for pages.
    pub fn status_label(&self) -> &'static str {
        self.status.as_str()
    }
}

/// Loads agent `id`, whatever its status.
pub async fn load(pool: &sqlx::AnyPool, id: &str) -> Result<Option<Agent>, AppError> {
    let sql = format!(
        "SELECT {AGENT_COLUMNS} FROM agents a JOIN accounts o ON o.id = a.owner_id WHERE a.id = $1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(Agent::from_row).transpose()
}

/// Agent `id` if `owner_id` owns it. Errors: 404 otherwise (another owner's agent is "not found").
pub async fn load_owned(pool: &sqlx::AnyPool, id: &str, owner_id: &str) -> Result<Agent, AppError> {
    match load(pool, id).await? {
        Some(agent) if agent.owner_id == owner_id => Ok(agent),
        _ => Err(AppError::NotFound("agent")),
    }
}

/// A published agent. Errors: 404 for drafts and unknown ids.
pub async fn load_published(pool: &sqlx::AnyPool, id: &str) -> Result<Agent, AppError> {
    match load(pool, id).await? {
        Some(agent) if agent.status == AgentStatus::Published => Ok(agent),
        _ => Err(AppError::NotFound("agent")),
    }
}
