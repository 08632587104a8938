//! Demo API keys (`api_keys`): two per agent, the first of every third agent revoked. Keys
//! are derived from the seed (never random), stored as their hash like real ones.

use rand::rngs::StdRng;

use super::agents::DemoAgent;
use super::bulk::Rows;
use super::seed::{BASE_MS, HOUR_MS, demo_id};
use crate::identity::api_keys;
use crate::platform::tokens::hash_secret;

/// The `api_keys` rows to fill.
pub fn table() -> Rows {
    Rows::new(
        "api_keys",
        &[
            "id",
            "agent_id",
            "prefix",
            "key_hash",
            "created_at",
            "last_used_at",
            "revoked_at",
        ],
    )
}

/// The two keys of agent number `i`.
pub fn for_agent(rng: &mut StdRng, seed: u64, i: usize, agent: &DemoAgent, keys: &mut Rows) {
    for k in 0..2 {
        let key = format!(
            "{}{:0>40}",
            api_keys::KEY_PREFIX,
            format!("{seed:x}{i:x}{k}")
        );
        let revoked = (k == 0 && i.is_multiple_of(3)).then_some(BASE_MS + 24 * HOUR_MS);
        keys.push(vec![
            demo_id(rng).into(),
            agent.id.clone().into(),
            key.chars().take(12).collect::<String>().into(),
            hash_secret(&key).into(),
            BASE_MS.into(),
            Some(BASE_MS + HOUR_MS).into(),
            revoked.into(),
        ]);
    }
}
