//! Values as every store keeps them in its columns. Times: milliseconds
//! since the Unix epoch in an integer column, which both databases compare
//! and index cheaply and which an audit row's link covers exactly. Group
//! keys: their 16 hex digits. Lists and maps: JSON text.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use monitor_runtime::GroupKey;

/// Milliseconds since the Unix epoch (0 for a time before it).
pub(crate) fn millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// The time `ms` milliseconds after the Unix epoch (the epoch for a negative number).
pub(crate) fn from_millis(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

/// The start of the minute `time` falls in, in milliseconds: what fleet
/// counts are kept per.
pub(crate) fn minute_of(time: SystemTime) -> i64 {
    let ms = millis(time);
    ms - ms.rem_euclid(60_000)
}

/// A group key as stored (a key that does not parse, which only a hand
/// edit makes, reads as key 0).
pub(crate) fn parse_key(text: &str) -> GroupKey {
    text.parse().unwrap_or(GroupKey(0))
}

/// JSON columns: serializing plain strings and maps cannot fail, but if it
/// ever did the row is still written, with `null`.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}
