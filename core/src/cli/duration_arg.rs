//! Durations on the command line (`30m`, `12h`, `7d`), shared by every flag that takes one.

use std::time::Duration;

/// A duration flag's value: humantime syntax, longer than zero.
///
/// Errors: the value and the syntax expected.
pub(super) fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 30m, 12h, 7d)"))?;
    if d.is_zero() {
        return Err("must be longer than zero".into());
    }
    Ok(d)
}
