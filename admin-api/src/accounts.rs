//! Data subjects as staff see them (the subject summary, found by id or email), legal
//! holds, the child flag, rectification and restriction of processing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A data subject at a glance: how many of their rows the data map finds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Subject {
    /// Account id.
    pub account_id: String,
    /// Email; masked (`a***@example.com`) for the support role.
    pub email: String,
    /// Display name (the pseudonym once erased).
    pub display_name: String,
    /// Account status: `active` or `closed`.
    pub status: String,
    /// Whether erasure has completed.
    pub erased: bool,
    /// Whether an active legal hold exists.
    pub on_hold: bool,
    /// Rows per data-map category (`account`, `marketplace_activity`, `agent_operations`,
    /// `technical`); a table counts toward each category of its personal columns.
    pub rows_by_category: BTreeMap<String, i64>,
    /// Rows per table (tables with rows only).
    pub rows_by_table: BTreeMap<String, i64>,
}

/// A legal hold: while active, erasure and retention sweeps leave the account's data alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Hold {
    /// Hold id.
    pub id: String,
    /// The held account.
    pub account_id: String,
    /// Why the data must be preserved.
    pub reason: String,
    /// Who placed it (`staff:<id>`, `cli`).
    pub placed_by: String,
    /// When it was placed (Unix ms).
    pub placed_at: i64,
    /// Who lifted it, once lifted.
    pub lifted_by: Option<String>,
    /// When it was lifted (Unix ms).
    pub lifted_at: Option<i64>,
    /// Why it was lifted.
    pub lift_reason: Option<String>,
}

impl Hold {
    /// Whether the hold is still in force (not lifted).
    pub fn is_active(&self) -> bool {
        self.lifted_at.is_none()
    }
}

/// A hold named where it gets in the way (an erasure preview, a `legal_hold` refusal).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HoldRef {
    /// Hold id.
    pub id: String,
    /// Why it was placed.
    pub reason: String,
}

/// `GET /accounts/{id}/holds`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HoldList {
    /// Every hold on the account, active first.
    pub holds: Vec<Hold>,
}

/// Body of `POST /accounts/{id}/holds` (placing) and `POST /holds/{id}/lift` (lifting).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Why; must not be empty (422 `invalid_field` `reason`).
    pub reason: String,
}

/// `POST /holds/{id}/lift`'s answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HoldLifted {
    /// The id of the hold lifted.
    pub lifted: String,
    /// The account it was on.
    pub account_id: String,
}

/// Body of `POST /accounts/{id}/child-flag`: the account belongs to someone under 16, so
/// an erasure request is recorded, verified and started at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildFlag {
    /// A note added to the request's details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The query of `GET /accounts`: the subject with this email.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountsQuery {
    /// The account's email, matched as sign-up stores it (trimmed, lower case); required
    /// (422 `invalid_field` `email`), 404 when no account has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A restriction of processing (GDPR Art. 18): while in force (`lifted_at` null) the
/// account's agents leave browse, search and the leaderboard, new orders to or from it are
/// refused (409 `account_restricted`), and it gets no non-transactional email; export and
/// erasure still work.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Restriction {
    /// Restriction id.
    pub id: String,
    /// The restricted account.
    pub account_id: String,
    /// Why; shown to the person on their privacy page.
    pub reason: String,
    /// The restriction request it answered, if any.
    pub request_id: Option<String>,
    /// Who placed it (`staff:<id>`).
    pub placed_by: String,
    /// When it was placed (Unix ms).
    pub placed_at: i64,
    /// Who lifted it, once lifted.
    pub lifted_by: Option<String>,
    /// When it was lifted (Unix ms).
    pub lifted_at: Option<i64>,
    /// Why it was lifted.
    pub lift_reason: Option<String>,
}

/// Body of `POST /accounts/{id}/restriction`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceRestriction {
    /// Why; must not be empty (422 `invalid_field` `reason`). The person sees it.
    pub reason: String,
    /// A restriction request of this subject that the restriction answers: it is completed
    /// (422 `request_id` for another subject's or kind; 409 `transition_not_allowed` when
    /// it cannot be completed now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// An objection to processing (GDPR Art. 21): while in force (`withdrawn_at` null) the
/// processing it names leaves the person out (`product_analytics`: their orders are not
/// counted in the aggregate analytics, whatever their consent says).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Objection {
    /// Objection id.
    pub id: String,
    /// The objecting account.
    pub account_id: String,
    /// The processing objected to: `product_analytics`.
    pub processing: String,
    /// What the person said; shown to them on their privacy page.
    pub reason: String,
    /// The objection request it answered, if any.
    pub request_id: Option<String>,
    /// Who recorded it (`staff:<id>`).
    pub placed_by: String,
    /// When it was recorded (Unix ms).
    pub placed_at: i64,
    /// Who recorded its end.
    pub withdrawn_by: Option<String>,
    /// When it ended (Unix ms).
    pub withdrawn_at: Option<i64>,
    /// Why it ended.
    pub withdraw_reason: Option<String>,
}

/// Body of `POST /accounts/{id}/objection`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceObjection {
    /// The processing objected to: `product_analytics` (others: 422 `invalid_field`
    /// `processing`).
    pub processing: String,
    /// What the person said; must not be empty (422 `invalid_field` `reason`). The person
    /// sees it.
    pub reason: String,
    /// An objection request of this subject that this answers: it is completed (422
    /// `request_id` for another subject's or kind; 409 `transition_not_allowed` when it
    /// cannot be completed now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Body of `POST /accounts/{id}/rectify`: one field corrected (GDPR Art. 16).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rectify {
    /// `display_name` or `email` (others: 422 `invalid_field` `field`).
    pub field: String,
    /// The correct value, validated as at sign-up (422 `value`); an email another account
    /// uses is refused (409 `email_taken`).
    pub value: String,
    /// Why; must not be empty (422 `reason`). Neither it nor the values enter the audit
    /// trail, which names only the field.
    pub reason: String,
    /// A rectification request of this subject that the change answers: it is completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// `POST /accounts/{id}/rectify`'s answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rectified {
    /// The subject after the change (email masked for support).
    pub subject: Subject,
    /// The field changed.
    pub field: String,
    /// The request completed with it, if one was named.
    pub completed_request: Option<String>,
}
