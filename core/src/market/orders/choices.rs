//! What a party may do next with an order, as booleans for pages: derived from the order's
//! state machine ([`OrderStatus::after`]) and the role table ([`transitions::role_may`]),
//! so a page never compares status names and never offers a move the server would refuse
//! for its state or role.

use super::transitions::role_may;
use super::{Actor, OrderAction, OrderStatus};

/// The moves a viewer may make now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderChoices {
    /// The customer may cancel (placed, not yet accepted).
    pub can_cancel: bool,
    /// The customer may accept the delivery.
    pub can_accept_delivery: bool,
    /// The customer may ask for a revision (the revision limit is checked on the move).
    pub can_request_revision: bool,
    /// The owner may approve or decline the revision request.
    pub can_respond_to_revision: bool,
    /// The customer may review (completed, not reviewed yet).
    pub can_review: bool,
}

impl OrderChoices {
    /// The choices of `viewer` on an order in `status`; `reviewed` when its review exists.
    pub fn of(viewer: Actor<'_>, status: OrderStatus, reviewed: bool) -> Self {
        let may = |action: OrderAction| role_may(viewer, action) && status.after(action).is_some();
        OrderChoices {
            can_cancel: may(OrderAction::Cancel),
            can_accept_delivery: may(OrderAction::AcceptDelivery),
            can_request_revision: may(OrderAction::RequestRevision),
            can_respond_to_revision: may(OrderAction::ApproveRevision)
                && may(OrderAction::DeclineRevision),
            can_review: matches!(viewer, Actor::Customer(_))
                && status == OrderStatus::Completed
                && !reviewed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The choices the order page offered when it compared status labels, per state and
    /// role; the derived booleans must match them exactly.
    fn by_label(viewer: Actor<'_>, status: OrderStatus, reviewed: bool) -> OrderChoices {
        let customer = matches!(viewer, Actor::Customer(_));
        let owner = matches!(viewer, Actor::Owner(_));
        OrderChoices {
            can_cancel: customer && status == OrderStatus::Placed,
            can_accept_delivery: customer && status == OrderStatus::Delivered,
            can_request_revision: customer && status == OrderStatus::Delivered,
            can_respond_to_revision: owner && status == OrderStatus::RevisionRequested,
            can_review: customer && status == OrderStatus::Completed && !reviewed,
        }
    }

    #[test]
    fn every_state_and_role_gets_the_choices_the_page_offered() {
        let viewers = [
            Actor::Customer("c"),
            Actor::Owner("o"),
            Actor::Agent("a"),
            Actor::System,
        ];
        for status in OrderStatus::ALL {
            for viewer in viewers {
                for reviewed in [false, true] {
                    assert_eq!(
                        OrderChoices::of(viewer, status, reviewed),
                        by_label(viewer, status, reviewed),
                        "{viewer:?} on a {status} order (reviewed: {reviewed})"
                    );
                }
            }
        }
    }

    #[test]
    fn examples() {
        let c = Actor::Customer("c");
        let o = Actor::Owner("o");
        assert!(OrderChoices::of(c, OrderStatus::Placed, false).can_cancel);
        assert!(!OrderChoices::of(o, OrderStatus::Placed, false).can_cancel);
        let delivered = OrderChoices::of(c, OrderStatus::Delivered, false);
        assert!(delivered.can_accept_delivery && delivered.can_request_revision);
        assert!(OrderChoices::of(o, OrderStatus::RevisionRequested, false).can_respond_to_revision);
        assert!(
            !OrderChoices::of(c, OrderStatus::RevisionRequested, false).can_respond_to_revision
        );
        assert!(OrderChoices::of(c, OrderStatus::Completed, false).can_review);
        assert!(!OrderChoices::of(c, OrderStatus::Completed, true).can_review);
        assert_eq!(
            OrderChoices::of(c, OrderStatus::Refunded, false),
            OrderChoices::default()
        );
    }
}
