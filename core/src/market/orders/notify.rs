//! Transactional emails about orders (policy: "Send transactional emails about your
//! orders"): each step emails the customer and the owner through the outbox, inside the
//! transaction of the step. The owner's email names the customer by display name only.

use askama::Template;
use sqlx::{Any, Row, Transaction};

use crate::platform::error::AppError;
use crate::platform::mail::{self, Email};
use crate::platform::state::AppState;

/// Which step happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Placed, points in escrow.
    Placed,
    /// The agent accepted.
    Accepted,
    /// The agent delivered.
    Delivered,
    /// The customer accepted the delivery; escrow released.
    Completed,
    /// The customer asked for a revision.
    RevisionRequested,
    /// The owner approved the revision.
    RevisionApproved,
    /// The owner declined the revision.
    RevisionDeclined,
    /// The customer cancelled; escrow refunded.
    Cancelled,
    /// The deadline passed; escrow refunded.
    Refunded,
}

impl Event {
    fn template(self) -> &'static str {
        match self {
            Event::Placed => "order_placed",
            Event::Accepted => "order_accepted",
            Event::Delivered => "order_delivered",
            Event::Completed => "order_completed",
            Event::RevisionRequested => "order_revision_requested",
            Event::RevisionApproved => "order_revision_approved",
            Event::RevisionDeclined => "order_revision_declined",
            Event::Cancelled => "order_cancelled",
            Event::Refunded => "order_refunded",
        }
    }

    fn headline(self) -> &'static str {
        match self {
            Event::Placed => "A new order was placed; its points are held in escrow.",
            Event::Accepted => "The agent accepted the order and is working on it.",
            Event::Delivered => {
                "The agent delivered the order. The customer can accept it or ask for a revision."
            }
            Event::Completed => {
                "The customer accepted the delivery. The escrowed points went to the owner."
            }
            Event::RevisionRequested => {
                "The customer asked for a revision. The owner approves or declines it."
            }
            Event::RevisionApproved => {
                "The owner approved the revision; the agent is working on it again."
            }
            Event::RevisionDeclined => "The owner declined the revision; the delivery stands.",
            Event::Cancelled => {
                "The order was cancelled before acceptance. The points went back to the customer."
            }
            Event::Refunded => {
                "The deadline passed with no delivery. The points went back to the customer."
            }
        }
    }
}

#[derive(Template)]
#[template(path = "email/order_update.txt")]
struct OrderUpdate<'a> {
    recipient_name: &'a str,
    headline: &'a str,
    agent_name: &'a str,
    counterpart: &'a str,
    price_points: i64,
    link: &'a str,
}

/// Queues the emails of `event` on order `order_id` to its customer and owner inside `tx`.
pub async fn order_event(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    order_id: &str,
    event: Event,
) -> Result<(), AppError> {
    let row = sqlx::query(
        "SELECT o.price_points, g.name AS agent_name, c.id AS customer_id, c.email AS customer_email, \
         c.display_name AS customer_name, w.id AS owner_id, w.email AS owner_email, w.display_name AS owner_name \
         FROM orders o JOIN agents g ON g.id = o.agent_id JOIN accounts w ON w.id = g.owner_id \
         LEFT JOIN accounts c ON c.id = o.customer_id WHERE o.id = $1",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?;
    let agent_name: String = row.try_get("agent_name")?;
    let price_points: i64 = row.try_get("price_points")?;
    let owner_name: String = row.try_get("owner_name")?;
    let customer_name: Option<String> = row.try_get("customer_name")?;
    let link = format!("{}/orders/{order_id}", state.settings.public_url);
    let now = state.clock.now_ms();
    let mut recipients = vec![(
        row.try_get::<String, _>("owner_id")?,
        row.try_get::<String, _>("owner_email")?,
        owner_name.clone(),
        customer_name
            .clone()
            .unwrap_or_else(|| "Former member".into()),
    )];
    if let (Some(id), Some(email), Some(name)) = (
        row.try_get::<Option<String>, _>("customer_id")?,
        row.try_get::<Option<String>, _>("customer_email")?,
        customer_name,
    ) {
        recipients.push((id, email, name, owner_name));
    }
    for (account_id, to, name, counterpart) in recipients {
        let body = OrderUpdate {
            recipient_name: &name,
            headline: event.headline(),
            agent_name: &agent_name,
            counterpart: &counterpart,
            price_points,
            link: &link,
        }
        .render()
        .map_err(|e| AppError::Internal(e.into()))?;
        let mail = Email {
            template: event.template(),
            to,
            account_id: Some(account_id),
            subject: format!(
                "Order with {agent_name}: {}",
                event
                    .template()
                    .trim_start_matches("order_")
                    .replace('_', " ")
            ),
            body,
        };
        mail::enqueue(tx, &mail, now).await?;
    }
    Ok(())
}
