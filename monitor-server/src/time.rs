//! Points in time as operators write them (on the command line and in
//! query strings): an RFC 3339 time
//! (`2026-12-01T08:00:00Z`, or a date, `2026-12-01`, meaning its start in
//! UTC) or an age (`24h`, `7d`: that long ago).

use std::time::SystemTime;

/// Reads `text` as a time; `now` anchors ages.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// let now = SystemTime::now();
/// assert_eq!(monitor_server::time::parse_time("1h", now), Ok(now - Duration::from_secs(3600)));
/// ```
pub fn parse_time(text: &str, now: SystemTime) -> Result<SystemTime, String> {
    if let Ok(age) = humantime::parse_duration(text) {
        return now.checked_sub(age).ok_or_else(|| format!("`{text}` ago is before the start of time"));
    }
    let full = if text.len() == 10 { format!("{text}T00:00:00Z") } else { text.to_owned() };
    humantime::parse_rfc3339_weak(full.trim_end_matches('Z')).map_err(|_| {
        format!(
            "`{text}` is not a time: give an age such as 24h or 7d, a date such as 2026-12-01, or 2026-12-01T08:00:00Z"
        )
    })
}

/// A time for people: RFC 3339 in UTC, to the second.
///
/// ```
/// assert_eq!(monitor_server::time::show(std::time::UNIX_EPOCH), "1970-01-01T00:00:00Z");
/// ```
pub fn show(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn ages_dates_and_times() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(parse_time("1h", now).unwrap(), now - Duration::from_secs(3600));
        assert_eq!(show(parse_time("2027-01-15", now).unwrap()), "2027-01-15T00:00:00Z");
        assert_eq!(show(parse_time("2027-01-15T08:30:00Z", now).unwrap()), "2027-01-15T08:30:00Z");
        assert!(parse_time("yesterday", now).unwrap_err().contains("not a time"));
    }
}
