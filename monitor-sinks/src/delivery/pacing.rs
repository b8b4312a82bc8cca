//! Pacing: never faster than a platform accepts, so its rate limit is
//! never hit in the first place.

use std::time::{Duration, Instant};

use crate::delivery::clock::later;

/// What a response said about the rate limit (Discord's headers).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct RateLimit {
    /// Requests left in the current bucket (`X-RateLimit-Remaining`).
    pub remaining: Option<u64>,
    /// Time until the bucket refills (`X-RateLimit-Reset-After`, seconds),
    /// at most [`MAX_SERVER_WAIT`](crate::delivery::MAX_SERVER_WAIT).
    pub reset_after: Option<Duration>,
}

impl RateLimit {
    #[cfg(feature = "webhook")]
    pub(crate) fn from_headers(headers: &reqwest::header::HeaderMap) -> Self {
        use crate::delivery::retry::server_seconds;
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        RateLimit {
            remaining: text("x-ratelimit-remaining").and_then(|v| v.parse().ok()),
            reset_after: text("x-ratelimit-reset-after").and_then(|v| v.parse::<f64>().ok()).and_then(server_seconds),
        }
    }
}

/// When the next request to one destination may start.
#[derive(Debug)]
pub(crate) struct Pacer {
    min_interval: Duration,
    follow_headers: bool,
    next: Option<Instant>,
}

impl Pacer {
    /// At most one request per `min_interval`; with `follow_headers`, also
    /// wait for the bucket to refill when a response says it is empty.
    pub(crate) fn new(min_interval: Duration, follow_headers: bool) -> Self {
        Pacer { min_interval, follow_headers, next: None }
    }

    /// The earliest start of the next request.
    pub(crate) fn next_start(&self) -> Option<Instant> {
        self.next
    }

    /// A request started at `started` and was answered with `limit`.
    pub(crate) fn sent(&mut self, started: Instant, limit: RateLimit) {
        self.not_before(later(started, self.min_interval));
        if self.follow_headers
            && limit.remaining == Some(0)
            && let Some(reset) = limit.reset_after
        {
            self.not_before(later(Instant::now(), reset));
        }
    }

    /// No request before `at` (a server's `Retry-After`).
    pub(crate) fn not_before(&mut self, at: Instant) {
        self.next = Some(self.next.map_or(at, |next| next.max(at)));
    }
}

#[cfg(test)]
#[cfg(feature = "webhook")]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn one_per_interval() {
        let mut pacer = Pacer::new(Duration::from_secs(1), false);
        assert_eq!(pacer.next_start(), None);
        let start = Instant::now();
        pacer.sent(start, RateLimit::default());
        assert_eq!(pacer.next_start(), Some(start + Duration::from_secs(1)));
        pacer.not_before(start + Duration::from_millis(10));
        assert_eq!(pacer.next_start(), Some(start + Duration::from_secs(1)), "an earlier bound changes nothing");
    }

    #[test]
    fn an_absurd_reset_is_capped() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        headers.insert("x-ratelimit-reset-after", HeaderValue::from_static("1e19"));
        let limit = RateLimit::from_headers(&headers);
        assert_eq!(limit.reset_after, Some(crate::delivery::MAX_SERVER_WAIT));
        let mut pacer = Pacer::new(Duration::MAX, true);
        pacer.sent(Instant::now(), limit);
        assert!(pacer.next_start().is_some());
    }

    #[test]
    fn an_empty_discord_bucket_waits_for_its_reset() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        headers.insert("x-ratelimit-reset-after", HeaderValue::from_static("2.5"));
        let limit = RateLimit::from_headers(&headers);
        assert_eq!(limit, RateLimit { remaining: Some(0), reset_after: Some(Duration::from_millis(2500)) });
        let before = Instant::now();
        let mut pacer = Pacer::new(Duration::ZERO, true);
        pacer.sent(before, limit);
        assert!(pacer.next_start().is_some_and(|at| at >= before + Duration::from_millis(2500)));
        let mut ignoring = Pacer::new(Duration::ZERO, false);
        ignoring.sent(before, limit);
        assert_eq!(ignoring.next_start(), Some(before));
    }
}
