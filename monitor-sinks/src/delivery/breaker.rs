//! The circuit breaker: a destination that keeps failing is left alone for a
//! while, its notifications kept in the spool, then probed with one.

use std::time::{Duration, Instant};

use crate::delivery::clock::later;

/// How long a failing destination is left alone.
///
/// The circuit opens when a notification has used up its retries, or when
/// the server asks for a wait longer than the retry policy's `max_wait`
/// (with `Retry-After`, or a rate-limit bucket empty for that long); then
/// it stays open for what the server asked, at most
/// [`MAX_SERVER_WAIT`](crate::delivery::MAX_SERVER_WAIT).
/// While it is open, notifications go straight to the spool. After
/// `open_for` one notification (the oldest in the spool) is tried once: if
/// it goes through, the circuit closes and the spool is replayed; if not,
/// the circuit opens again for twice as long, up to `max_open`.
///
/// ```
/// use std::time::Duration;
/// use monitor_sinks::delivery::BreakerPolicy;
///
/// let policy = BreakerPolicy::default().open_for(Duration::from_secs(5)).max_open(Duration::from_secs(60));
/// assert_eq!(policy, BreakerPolicy::default().open_for(Duration::from_secs(5)).max_open(Duration::from_secs(60)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerPolicy {
    open_for: Duration,
    max_open: Duration,
}

impl Default for BreakerPolicy {
    /// Open for 30 s at first, up to 5 minutes.
    fn default() -> Self {
        BreakerPolicy { open_for: Duration::from_secs(30), max_open: Duration::from_secs(300) }
    }
}

impl BreakerPolicy {
    /// How long the circuit stays open the first time.
    pub fn open_for(mut self, duration: Duration) -> Self {
        self.open_for = duration;
        self
    }

    /// The longest it stays open, however many probes failed.
    pub fn max_open(mut self, duration: Duration) -> Self {
        self.max_open = duration;
        self
    }
}

/// Where a destination's circuit stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// Notifications are sent.
    Closed,
    /// Nothing is sent before the instant; then one probe.
    Open(Instant),
    /// The destination answered that the webhook no longer exists (404, 410):
    /// nothing is sent again by this process.
    Disabled,
}

#[derive(Debug)]
pub(crate) struct Breaker {
    policy: BreakerPolicy,
    state: State,
    /// How long the circuit stays open the next time it opens.
    next_open: Duration,
}

impl Breaker {
    pub(crate) fn new(policy: BreakerPolicy) -> Self {
        Breaker { policy, state: State::Closed, next_open: policy.open_for }
    }

    pub(crate) fn state(&self) -> State {
        self.state
    }

    /// True when notifications must go to the spool rather than be tried.
    pub(crate) fn holds(&self, now: Instant) -> bool {
        match self.state {
            State::Closed => false,
            State::Open(until) => now < until,
            State::Disabled => true,
        }
    }

    /// When the next probe is due, while open.
    pub(crate) fn reopens_at(&self) -> Option<Instant> {
        match self.state {
            State::Open(until) => Some(until),
            _ => None,
        }
    }

    /// A notification went through (or was refused for its content: the
    /// destination is up).
    pub(crate) fn success(&mut self) {
        if self.state != State::Disabled {
            self.state = State::Closed;
            self.next_open = self.policy.open_for;
        }
    }

    /// Opens the circuit for the current period (doubling the next one), or
    /// until `at_least` when the server asked for longer.
    pub(crate) fn trip(&mut self, now: Instant, at_least: Option<Duration>) {
        if self.state == State::Disabled {
            return;
        }
        let open = self.next_open.max(at_least.unwrap_or_default());
        self.state = State::Open(later(now, open));
        self.next_open = self.next_open.saturating_mul(2).min(self.policy.max_open).max(self.policy.open_for);
    }

    /// Holds notifications until `until` (a server said it takes nothing
    /// before), then probes, without lengthening the next open period.
    pub(crate) fn pause_until(&mut self, until: Instant) {
        match self.state {
            State::Disabled => {}
            State::Open(open_until) if open_until >= until => {}
            _ => self.state = State::Open(until),
        }
    }

    pub(crate) fn disable(&mut self) {
        self.state = State::Disabled;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_longer_each_time_until_a_success() {
        let policy = BreakerPolicy::default().open_for(Duration::from_secs(1)).max_open(Duration::from_secs(3));
        let mut breaker = Breaker::new(policy);
        let now = Instant::now();
        let opens: Vec<Duration> = (0..4)
            .map(|_| {
                breaker.trip(now, None);
                breaker.reopens_at().map(|at| at - now).unwrap_or_default()
            })
            .collect();
        assert_eq!(opens, [1, 2, 3, 3].map(Duration::from_secs));
        assert!(breaker.holds(now));
        assert!(!breaker.holds(now + Duration::from_secs(3)));
        breaker.success();
        assert_eq!(breaker.state(), State::Closed);
        breaker.trip(now, Some(Duration::from_secs(10)));
        assert_eq!(breaker.reopens_at(), Some(now + Duration::from_secs(10)));
    }

    #[test]
    fn a_pause_holds_until_its_end_and_never_shortens_an_open_circuit() {
        let mut breaker = Breaker::new(BreakerPolicy::default().open_for(Duration::from_secs(10)));
        let now = Instant::now();
        breaker.pause_until(now + Duration::from_secs(3));
        assert_eq!(breaker.reopens_at(), Some(now + Duration::from_secs(3)));
        breaker.trip(now, None);
        breaker.pause_until(now + Duration::from_secs(5));
        assert_eq!(breaker.reopens_at(), Some(now + Duration::from_secs(10)));
        breaker.trip(now, Some(Duration::MAX));
        assert!(breaker.holds(now + Duration::from_secs(86_400)), "an absurd wait opens it for long, and panics not");
    }

    #[test]
    fn disabled_stays_disabled() {
        let mut breaker = Breaker::new(BreakerPolicy::default());
        breaker.disable();
        breaker.success();
        breaker.trip(Instant::now(), None);
        assert_eq!(breaker.state(), State::Disabled);
        assert!(breaker.holds(Instant::now() + Duration::from_secs(86_400)));
    }
}
