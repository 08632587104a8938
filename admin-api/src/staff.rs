//! Who is signed in: `GET /me`, and the staff roles.

use serde::{Deserialize, Serialize};

/// A staff member's role. Support may only read and sees data subjects' emails masked
/// (`a***@example.com`); every action answers 403 for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// May do everything: transitions, exports, erasures, holds, dry runs.
    PrivacyOfficer,
    /// Read-only.
    Support,
    /// Not known yet, or a role this reader does not know: treat as read-only.
    #[default]
    #[serde(other)]
    Unknown,
}

impl Role {
    /// Every role the server grants.
    pub const ALL: [Role; 2] = [Role::PrivacyOfficer, Role::Support];

    /// The wire name (`privacy_officer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::PrivacyOfficer => "privacy_officer",
            Role::Support => "support",
            Role::Unknown => "unknown",
        }
    }
}

/// `GET /me`: the staff member the bearer token belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Me {
    /// Staff id (the audit trail's actor is `staff:<id>`).
    pub id: String,
    /// The staff member's email.
    pub email: String,
    /// What they may do.
    pub role: Role,
}
