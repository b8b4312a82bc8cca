//! When to try a notification again, and how long to wait first.

use std::time::{Duration, SystemTime};

use rand::Rng;

/// The longest wait a server can impose (`Retry-After`, Discord's
/// `retry_after` and `X-RateLimit-Reset-After`): one hour. A longer one is
/// taken as this long; the destination is then probed again, which costs
/// the server one request, rather than holding alerts for a day on the
/// word of a misconfigured (or hostile) server.
///
/// ```
/// use std::time::SystemTime;
/// use monitor_sinks::delivery::{MAX_SERVER_WAIT, parse_retry_after};
///
/// assert_eq!(parse_retry_after("9999999999999999999", SystemTime::now()), Some(MAX_SERVER_WAIT));
/// ```
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(3600);

/// How a destination retries a notification that failed for a reason that
/// may pass (a timeout, a lost connection, 408, 429, 5xx other than 501, an
/// SMTP 4xx answer).
///
/// The wait before attempt `n + 1` is drawn uniformly from
/// `0..=min(max_backoff, initial_backoff × 2ⁿ⁻¹)` ("full jitter", so that
/// many senders do not retry in step), and is at least what the server
/// asked for with `Retry-After`. A notification that still fails after
/// `max_attempts`, or whose server asks for a wait longer than `max_wait`,
/// goes to the spool.
///
/// ```
/// use std::time::Duration;
/// use monitor_sinks::delivery::RetryPolicy;
///
/// let policy = RetryPolicy::default().max_attempts(3).initial_backoff(Duration::from_millis(100));
/// assert!(policy.backoff(1) <= Duration::from_millis(100));
/// assert!(policy.backoff(3) <= Duration::from_millis(400));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_wait: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, 500 ms doubling up to 30 s, server waits of up to 60 s honoured in memory.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Attempts per notification before it goes to the spool (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The largest first wait.
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// The largest wait between two attempts, however many failed.
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// The longest wait a server can ask for (with `Retry-After`, or an
    /// empty Discord bucket) while notifications stay in memory; a longer
    /// one sends them to the spool and pauses the destination for that long
    /// (at most [`MAX_SERVER_WAIT`]).
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// Attempts per notification.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// See [`RetryPolicy::max_wait`].
    pub fn longest_wait(&self) -> Duration {
        self.max_wait
    }

    /// A random wait after `failures` failed attempts (1 for the first).
    pub fn backoff(&self, failures: u32) -> Duration {
        let ceiling = self.ceiling(failures);
        if ceiling.is_zero() {
            return ceiling;
        }
        rand::rng().random_range(Duration::ZERO..=ceiling)
    }

    fn ceiling(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.initial_backoff.saturating_mul(1 << doublings).min(self.max_backoff)
    }

    /// How long to wait after `failures` failed attempts when the server
    /// asked for `server_wait`: the longer of the two.
    pub(crate) fn wait(&self, failures: u32, server_wait: Option<Duration>) -> Duration {
        self.backoff(failures).max(server_wait.unwrap_or_default())
    }
}

/// A `Retry-After` value: delay seconds or an HTTP date (RFC 9110 §10.2.3),
/// at most [`MAX_SERVER_WAIT`]. Dates in the past mean "now"; anything else
/// unreadable is ignored.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use monitor_sinks::delivery::parse_retry_after;
///
/// assert_eq!(parse_retry_after("120", SystemTime::now()), Some(Duration::from_secs(120)));
/// let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
/// assert_eq!(parse_retry_after("Wed, 21 Oct 2026 07:29:30 GMT", now), Some(Duration::from_secs(90)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds).min(MAX_SERVER_WAIT));
    }
    // Not in the standard, but some servers send fractions of a second.
    // Digits and a point only: Rust's float syntax also takes "inf" and "1e9".
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return value.parse::<f64>().ok().and_then(server_seconds);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default().min(MAX_SERVER_WAIT))
}

/// Discord's `retry_after` (seconds, may be fractional) from a 429 body.
#[cfg_attr(not(feature = "webhook"), allow(dead_code))]
pub(crate) fn discord_retry_after(body: &[u8]) -> Option<Duration> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    server_seconds(value.get("retry_after")?.as_f64()?)
}

/// Seconds a server asked to wait, at most [`MAX_SERVER_WAIT`]; none when
/// negative or not a number.
pub(crate) fn server_seconds(seconds: f64) -> Option<Duration> {
    if seconds.is_nan() || seconds < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(seconds.min(MAX_SERVER_WAIT.as_secs_f64())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_ceiling_and_stays_there() {
        let policy = RetryPolicy::default().initial_backoff(Duration::from_secs(1)).max_backoff(Duration::from_secs(8));
        let ceilings: Vec<u64> = (1..=6).map(|n| policy.ceiling(n).as_secs()).collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 8, 8]);
        assert_eq!(policy.ceiling(u32::MAX), Duration::from_secs(8));
        for n in 1..=6 {
            assert!(policy.backoff(n) <= policy.ceiling(n));
        }
    }

    #[test]
    fn full_jitter_spreads_the_waits() {
        let policy = RetryPolicy::default().initial_backoff(Duration::from_secs(10));
        let waits: std::collections::BTreeSet<Duration> = (0..50).map(|_| policy.backoff(1)).collect();
        assert!(waits.len() > 10, "{waits:?}");
    }

    #[test]
    fn the_server_wait_wins_when_longer() {
        let policy = RetryPolicy::default().initial_backoff(Duration::from_millis(10));
        assert_eq!(policy.wait(1, Some(Duration::from_secs(7))), Duration::from_secs(7));
        assert!(policy.wait(1, None) <= Duration::from_millis(10));
    }

    #[test]
    fn discord_bodies() {
        assert_eq!(
            discord_retry_after(br#"{"message":"You are being rate limited.","retry_after":0.75,"global":false}"#),
            Some(Duration::from_millis(750))
        );
        assert_eq!(discord_retry_after(br#"{"retry_after":-1}"#), None);
        assert_eq!(discord_retry_after(b"<html>"), None);
    }

    #[test]
    fn absurd_waits_are_capped() {
        let now = SystemTime::now();
        for value in ["9999999999999999999", "99999999999999999999999", "3600.5", "86400.25"] {
            let wait = parse_retry_after(value, now);
            assert!(wait.is_some_and(|w| w <= MAX_SERVER_WAIT), "{value}: {wait:?}");
        }
        assert_eq!(parse_retry_after("9999999999999999999", now), Some(MAX_SERVER_WAIT));
        assert_eq!(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), Some(MAX_SERVER_WAIT));
        assert_eq!(parse_retry_after("inf", now), None);
        assert_eq!(parse_retry_after("1e19", now), None);
        assert_eq!(discord_retry_after(br#"{"retry_after":1e19}"#), Some(MAX_SERVER_WAIT));
        assert_eq!(discord_retry_after(br#"{"retry_after":1e400}"#), None, "not a number serde_json reads");
        assert_eq!(server_seconds(f64::INFINITY), Some(MAX_SERVER_WAIT));
        assert_eq!(server_seconds(f64::NAN), None);
    }

    #[test]
    fn retry_after_in_the_past_or_odd() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("1.5", now), Some(Duration::from_millis(1500)));
    }
}
