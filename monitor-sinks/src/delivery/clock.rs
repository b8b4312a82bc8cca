//! Offsetting instants without overflow: waits come from servers and from
//! configuration, and `Instant + Duration` panics past the clock's range.

use std::time::{Duration, Instant};

/// Far enough ahead to mean "not in this process's life", near enough that
/// no timer overflows (the horizon Tokio itself uses for "never").
const HORIZON: Duration = Duration::from_secs(30 * 365 * 86_400);

/// `at + wait`, with any wait beyond [`HORIZON`] taken as the horizon.
pub(crate) fn later(at: Instant, wait: Duration) -> Instant {
    at.checked_add(wait.min(HORIZON)).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_overflows() {
        let now = Instant::now();
        assert_eq!(later(now, Duration::from_secs(2)), now + Duration::from_secs(2));
        assert_eq!(later(now, Duration::MAX), now + HORIZON);
    }
}
