//! The owner's five-step wizard ("Connect your AI agent"): (1) name and description,
//! (2) category and tags, (3) declared skills (public) and private notes, (4) price, delivery
//! time, revisions and order form, (5) review and publish. Each step saves a draft through
//! [`update`]; [`publish`] checks that every step is complete.

use serde::Deserialize;

use super::order_form::{FormField, validate_form};
use super::{Agent, AgentStatus, CATEGORIES, load_owned};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::tokens::new_id;
use crate::platform::unicode;

/// Step 1: a new draft agent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    /// Name, 1–80 characters.
    pub name: String,
    /// What it does, up to 4,000 characters.
    #[serde(default)]
    pub description: String,
}

/// Changes to a draft or published agent; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentChanges {
    /// Name, 1–80 characters.
    pub name: Option<String>,
    /// Description, up to 4,000 characters.
    pub description: Option<String>,
    /// One of the category keys.
    pub category: Option<String>,
    /// Up to 10 tags of 1–30 characters (`a-z`, `0-9`, `-`, space).
    pub tags: Option<Vec<String>>,
    /// Up to 30 declared tools and skills of 1–80 characters.
    pub skills: Option<Vec<String>>,
    /// Private notes, up to 4,000 characters.
    pub private_notes: Option<String>,
    /// Price per order, 1–1,000,000 points.
    pub price_points: Option<i64>,
    /// Delivery time, 1–1,440 hours.
    pub delivery_hours: Option<i64>,
    /// Revisions per order, 0–10.
    pub revision_limit: Option<i64>,
    /// The order form.
    pub order_form: Option<Vec<FormField>>,
    /// The wizard step to show next (1–5).
    pub wizard_step: Option<i64>,
}

fn clean_text(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<String, AppError> {
    let value = value.trim();
    let len = value.chars().count();
    if len < min || len > max {
        return Err(AppError::invalid(
            field,
            format!("must be {min}-{max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
}

fn clean_list(
    field: &'static str,
    items: &[String],
    max_items: usize,
    max_len: usize,
    tag: bool,
) -> Result<Vec<String>, AppError> {
    if items.len() > max_items {
        return Err(AppError::invalid(
            field,
            format!("at most {max_items} entries"),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for item in items {
        // Tags and skills are names shown on the agent's card: the one name rule (which
        // refuses line breaks too).
        let mut item = unicode::name(field, item, max_len)?;
        if tag {
            item = item.to_lowercase();
            if !item
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == ' ')
            {
                return Err(AppError::invalid(
                    field,
                    "tags use letters, digits, - and spaces",
                ));
            }
        }
        if !out.contains(&item) {
            out.push(item);
        }
    }
    Ok(out)
}

fn in_range(
    field: &'static str,
    value: i64,
    min: i64,
    max: i64,
    what: &str,
) -> Result<i64, AppError> {
    if value < min || value > max {
        return Err(AppError::invalid(
            field,
            format!("{what} must be between {min} and {max}"),
        ));
    }
    Ok(value)
}

/// Creates a draft agent for `owner_id` (step 1 done; the wizard moves to step 2).
///
/// Errors: 422 for a bad name or description.
pub async fn create(state: &AppState, owner_id: &str, new: &NewAgent) -> Result<Agent, AppError> {
    let name = unicode::name("name", &new.name, 80)?;
    let description = clean_text("description", &new.description, 0, 4000)?;
    let now = state.clock.now_ms();
    let id = new_id();
    sqlx::query(
        "INSERT INTO agents (id, owner_id, name, description, wizard_step, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 2, $6, $5, $5)",
    )
    .bind(&id)
    .bind(owner_id)
    .bind(&name)
    .bind(&description)
    .bind(now)
    .bind(AgentStatus::Draft.as_str())
    .execute(state.db.pool())
    .await?;
    tracing::info!(agent_id = %id, "agent draft created");
    load_owned(state.db.pool(), &id, owner_id).await
}

/// Applies `changes` to agent `id` of `owner_id`. A published agent must stay publishable.
///
/// Errors: 404 for another owner's agent; 422 naming the first bad field (nothing saved).
pub async fn update(
    state: &AppState,
    owner_id: &str,
    id: &str,
    changes: &AgentChanges,
) -> Result<Agent, AppError> {
    let mut agent = load_owned(state.db.pool(), id, owner_id).await?;
    if let Some(v) = &changes.name {
        agent.name = unicode::name("name", v, 80)?;
    }
    if let Some(v) = &changes.description {
        agent.description = clean_text("description", v, 0, 4000)?;
    }
    if let Some(v) = &changes.category {
        if !CATEGORIES.iter().any(|(k, _)| k == v) {
            let keys: Vec<&str> = CATEGORIES.iter().map(|(k, _)| *k).collect();
            return Err(AppError::invalid(
                "category",
                format!("must be one of: {}", keys.join(", ")),
            ));
        }
        agent.category = v.clone();
    }
    if let Some(v) = &changes.tags {
        agent.tags = clean_list("tags", v, 10, 30, true)?;
    }
    if let Some(v) = &changes.skills {
        agent.skills = clean_list("skills", v, 30, 80, false)?;
    }
    if let Some(v) = &changes.private_notes {
        agent.private_notes = clean_text("private_notes", v, 0, 4000)?;
    }
    if let Some(v) = changes.price_points {
        agent.price_points = in_range("price_points", v, 1, 1_000_000, "the price in points")?;
    }
    if let Some(v) = changes.delivery_hours {
        agent.delivery_hours =
            in_range("delivery_hours", v, 1, 1440, "the delivery time in hours")?;
    }
    if let Some(v) = changes.revision_limit {
        agent.revision_limit = in_range("revision_limit", v, 0, 10, "the revisions per order")?;
    }
    if let Some(v) = &changes.order_form {
        validate_form(v)?;
        agent.order_form = v.clone();
    }
    if let Some(v) = changes.wizard_step {
        agent.wizard_step = in_range("wizard_step", v, 1, 5, "the wizard step")?;
    }
    if agent.status == AgentStatus::Published {
        check_publishable(&agent)?;
    }
    save(state, &agent).await?;
    load_owned(state.db.pool(), id, owner_id).await
}

fn check_publishable(agent: &Agent) -> Result<(), AppError> {
    if agent.category.is_empty() {
        return Err(AppError::invalid(
            "category",
            "choose a category (step 2) before publishing",
        ));
    }
    if agent.price_points <= 0 {
        return Err(AppError::invalid(
            "price_points",
            "set a price of at least 1 point (step 4) before publishing",
        ));
    }
    if agent.description.trim().is_empty() {
        return Err(AppError::invalid(
            "description",
            "describe what the agent does (step 1) before publishing",
        ));
    }
    Ok(())
}

async fn save(state: &AppState, agent: &Agent) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE agents SET name = $1, description = $2, category = $3, tags = $4, skills = $5, private_notes = $6, \
         price_points = $7, delivery_hours = $8, revision_limit = $9, order_form = $10, wizard_step = $11, updated_at = $12 \
         WHERE id = $13",
    )
    .bind(&agent.name)
    .bind(&agent.description)
    .bind(&agent.category)
    .bind(json(&agent.tags)?)
    .bind(json(&agent.skills)?)
    .bind(&agent.private_notes)
    .bind(agent.price_points)
    .bind(agent.delivery_hours)
    .bind(agent.revision_limit)
    .bind(json(&agent.order_form)?)
    .bind(agent.wizard_step)
    .bind(state.clock.now_ms())
    .bind(&agent.id)
    .execute(state.db.pool())
    .await?;
    Ok(())
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::Internal(e.into()))
}

/// Step 5: publishes agent `id` (idempotent).
///
/// Errors: 404 for another owner's agent; 422 naming the missing step's field.
pub async fn publish(state: &AppState, owner_id: &str, id: &str) -> Result<Agent, AppError> {
    let agent = load_owned(state.db.pool(), id, owner_id).await?;
    check_publishable(&agent)?;
    let now = state.clock.now_ms();
    sqlx::query(
        "UPDATE agents SET status = $3, wizard_step = 5, published_at = COALESCE(published_at, $1), updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .bind(AgentStatus::Published.as_str())
    .execute(state.db.pool())
    .await?;
    tracing::info!(agent_id = id, "agent published");
    load_owned(state.db.pool(), id, owner_id).await
}

/// The agents of `owner_id`, newest first.
pub async fn list_owned(state: &AppState, owner_id: &str) -> Result<Vec<Agent>, AppError> {
    let sql = format!(
        "SELECT {} FROM agents a JOIN accounts o ON o.id = a.owner_id WHERE a.owner_id = $1 ORDER BY a.created_at DESC, a.id DESC",
        super::AGENT_COLUMNS
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner_id)
        .fetch_all(state.db.pool())
        .await?;
    rows.iter().map(Agent::from_row).collect()
}
