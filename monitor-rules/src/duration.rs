//! Durations as written in rules: `30s`, `5m`, `4h`, `1h30m`, `7d`.

use std::time::Duration;

/// Parses a duration, with a message that says what is allowed.
///
/// ```
/// use monitor_rules::parse_duration;
/// use std::time::Duration;
///
/// assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
/// assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
/// assert!(parse_duration("5 minutes-ish").unwrap_err().contains("such as"));
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|error| {
        format!(
            "malformed duration `{text}` ({error}): write a number and a unit, such as `30s`, `15m`, `4h` or `1h30m`"
        )
    })
}
