//! What the records waiting in a destination's spool are waiting for: the
//! answer to "is there still delivery work to wait for?" that `flush` and
//! `wait_idle` give within their deadlines.
//!
//! A spool that holds records while the destination answers is work in
//! progress: the delivery task replays it at the destination's pace, and a
//! wait must not end (nor a process exit) half-way through it. A spool held
//! by an open circuit is work for later, but only if the probe comes after
//! the wait's deadline: a probe due before it may succeed and start the
//! replay, so the wait goes on.

use std::time::Instant;

/// Where a destination's spool backlog stands, as its delivery task last
/// published it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backlog {
    /// Nothing waits in the spool.
    Empty,
    /// Records wait and the destination is being tried: the spool is replayed.
    Replaying,
    /// Records wait for the circuit breaker's probe at this instant.
    HeldUntil(Instant),
    /// Records wait for the next start of the process (the destination is
    /// disabled: its webhook was deleted).
    HeldForGood,
}

impl Backlog {
    /// True when nothing in the spool will move before `deadline` (none:
    /// a wait as long as it takes), so a wait ending then misses nothing.
    pub(crate) fn settled_by(self, deadline: Option<Instant>) -> bool {
        match self {
            Backlog::Empty | Backlog::HeldForGood => true,
            Backlog::Replaying => false,
            Backlog::HeldUntil(probe) => deadline.is_some_and(|deadline| probe >= deadline),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_probe_due_before_the_deadline_is_waited_for() {
        let now = Instant::now();
        let soon = now + Duration::from_secs(1);
        let later = now + Duration::from_secs(60);
        assert!(!Backlog::HeldUntil(soon).settled_by(Some(later)));
        assert!(Backlog::HeldUntil(later).settled_by(Some(soon)));
        assert!(!Backlog::HeldUntil(later).settled_by(None), "a wait without end sees the probe");
        assert!(!Backlog::Replaying.settled_by(Some(later)));
        assert!(Backlog::Empty.settled_by(None) && Backlog::HeldForGood.settled_by(None));
    }
}
