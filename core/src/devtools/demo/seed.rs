//! What every demo table is made from: ids and times drawn from the seed's stream, and the
//! lines people write in chats and reviews. The same seed gives the same values in the same
//! order, so each generator must draw in a fixed order.

use rand::Rng;
use rand::rngs::StdRng;

/// Demo accounts' activity is laid out before 2026-11-01T00:00:00Z (Unix ms).
pub const DEMO_ANCHOR_MS: i64 = 1_793_491_200_000;
/// How far back demo account activity reaches (ms): 18 months.
pub const SPAN_MS: i64 = 540 * 24 * 3_600_000;
/// 2026-01-01T00:00:00Z: marketplace times are spread over the 180 days after it.
pub const BASE_MS: i64 = 1_767_225_600_000;
/// One hour (ms).
pub const HOUR_MS: i64 = 3_600_000;

/// A deterministic time-ordered id (UUIDv7 of `ms`, random bits from the seed's stream).
pub fn timed_id(rng: &mut StdRng, ms: i64) -> String {
    let bytes: [u8; 10] = rng.random();
    uuid::Builder::from_unix_timestamp_millis(u64::try_from(ms).unwrap_or(0), &bytes)
        .into_uuid()
        .to_string()
}

/// A deterministic id from the seed's stream (UUID-shaped, version 7 bits set).
pub fn demo_id(rng: &mut StdRng) -> String {
    let bytes: [u8; 16] = rng.random();
    let mut b = uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .into_bytes();
    b[6] = (b[6] & 0x0f) | 0x70;
    uuid::Uuid::from_bytes(b).to_string()
}

/// Chat messages and review texts.
pub const LINES: &[&str] = &[
    "Thanks, starting now.",
    "Could you share an example of the tone you like?",
    "Here is a first outline.",
    "Looks good, please continue.",
    "I added the sources at the end.",
    "Can you shorten the intro?",
    "Done, see the attached file.",
    "Great work, thank you!",
    "Is a table fine for the results?",
    "Yes, a table is perfect.",
];
