//! The order state machine. Allowed moves:
//!
//! ```text
//! placed ──accept──▶ in_progress ──deliver──▶ delivered ──accept delivery──▶ completed
//!   │                    ▲   │                   │  ▲
//!   │ cancel             │   │ deadline          │  │ owner declines
//!   ▼                    │   ▼                   ▼  │
//! cancelled    owner approves refunded    revision_requested
//! (placed also ──deadline──▶ refunded)
//! ```
//!
//! Completed, cancelled and refunded are terminal. Anything else is refused with 409.

use serde::Serialize;

use crate::platform::error::AppError;

heepr_compliance::stored_state! {
    /// Where an order is (`orders.status`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum OrderStatus: "order status" {
        /// Paid into escrow, waiting for the agent to accept.
        Placed = "placed",
        /// Accepted (or a revision approved): the agent is working.
        InProgress = "in_progress",
        /// The agent delivered; the customer accepts or asks for a revision.
        Delivered = "delivered",
        /// The customer asked for a revision; the owner approves or declines.
        RevisionRequested = "revision_requested",
        /// The customer accepted the delivery; escrow released to the owner.
        Completed = "completed",
        /// Cancelled before acceptance; escrow refunded.
        Cancelled = "cancelled",
        /// The deadline passed with no delivery; escrow refunded.
        Refunded = "refunded",
    }
}

/// What can happen to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderAction {
    /// The agent takes the order.
    Accept,
    /// The agent delivers.
    Deliver,
    /// The customer accepts the delivery.
    AcceptDelivery,
    /// The customer asks for a revision.
    RequestRevision,
    /// The owner approves the revision request.
    ApproveRevision,
    /// The owner declines the revision request.
    DeclineRevision,
    /// The customer cancels before acceptance.
    Cancel,
    /// The deadline passed without delivery.
    MissDeadline,
    /// A party's account is being erased: an order not yet completed is cancelled and its
    /// escrow refunded to the customer (no refund counted against the agent).
    CloseForErasure,
}

impl OrderAction {
    /// The action in words, for refusals ("cannot deliver an order that is cancelled").
    pub fn verb(self) -> &'static str {
        match self {
            OrderAction::Accept => "accept",
            OrderAction::Deliver => "deliver",
            OrderAction::AcceptDelivery => "accept the delivery of",
            OrderAction::RequestRevision => "request a revision of",
            OrderAction::ApproveRevision => "approve a revision of",
            OrderAction::DeclineRevision => "decline a revision of",
            OrderAction::Cancel => "cancel",
            OrderAction::MissDeadline => "refund",
            OrderAction::CloseForErasure => "close",
        }
    }
}

impl OrderStatus {
    /// Parses a stored name. Errors: 500 for a name the schema's CHECK should have refused.
    pub fn parse(s: &str) -> Result<Self, AppError> {
        Ok(s.parse()?)
    }

    /// Parses a name given by a client, `None` if unknown.
    pub fn from_name(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    /// Whether nothing more can happen to the order.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Completed | OrderStatus::Cancelled | OrderStatus::Refunded
        )
    }

    /// The status after `action`, or `None` when the move is not allowed.
    pub fn after(self, action: OrderAction) -> Option<OrderStatus> {
        use OrderAction as A;
        use OrderStatus as S;
        match (self, action) {
            (S::Placed, A::Accept) => Some(S::InProgress),
            (S::InProgress, A::Deliver) => Some(S::Delivered),
            (S::Delivered, A::AcceptDelivery) => Some(S::Completed),
            (S::Delivered, A::RequestRevision) => Some(S::RevisionRequested),
            (S::RevisionRequested, A::ApproveRevision) => Some(S::InProgress),
            (S::RevisionRequested, A::DeclineRevision) => Some(S::Delivered),
            (S::Placed, A::Cancel) => Some(S::Cancelled),
            (S::Placed | S::InProgress, A::MissDeadline) => Some(S::Refunded),
            (
                S::Placed | S::InProgress | S::Delivered | S::RevisionRequested,
                A::CloseForErasure,
            ) => Some(S::Cancelled),
            _ => None,
        }
    }

    /// [`Self::after`], or 409 `invalid_transition` saying why.
    pub fn require(self, action: OrderAction) -> Result<OrderStatus, AppError> {
        self.after(action).ok_or_else(|| AppError::Conflict {
            code: "invalid_transition",
            message: format!(
                "cannot {} an order that is {}",
                action.verb(),
                self.as_str().replace('_', " ")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states_allow_nothing() {
        let actions = [
            OrderAction::Accept,
            OrderAction::Deliver,
            OrderAction::AcceptDelivery,
            OrderAction::RequestRevision,
            OrderAction::ApproveRevision,
            OrderAction::DeclineRevision,
            OrderAction::Cancel,
            OrderAction::MissDeadline,
            OrderAction::CloseForErasure,
        ];
        for s in [
            OrderStatus::Completed,
            OrderStatus::Cancelled,
            OrderStatus::Refunded,
        ] {
            assert!(s.is_terminal());
            for a in actions {
                assert_eq!(s.after(a), None);
            }
        }
        assert_eq!(
            OrderStatus::Delivered.after(OrderAction::MissDeadline),
            None,
            "a delivered order is never refunded for the deadline"
        );
    }
}
