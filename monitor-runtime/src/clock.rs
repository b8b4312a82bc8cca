//! The clock a monitored call reads at its start and its end.
//!
//! Two `Instant::now()` reads are the largest part of a successful call's
//! cost, so call guards read the CPU's time-stamp counter instead (through
//! `quanta`, which checks that the counter is invariant and calibrates it
//! against the monotonic clock, falling back to that clock where there is no
//! usable counter). Calibration takes a moment, so it happens once per
//! process, in `install()`, before any guard reads the clock.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();

/// A raw reading of the call clock; only [`nanos_since`] gives it meaning.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ticks(u64);

/// Calibrates the call clock if that is not done yet. Called by `install()`
/// before the monitor is marked installed, so guards never calibrate.
pub(crate) fn calibrate() {
    CLOCK.get_or_init(quanta::Clock::new);
}

/// Now, by the call clock; `None` before the first `install()`.
#[inline]
pub(crate) fn now() -> Option<Ticks> {
    CLOCK.get().map(|clock| Ticks(clock.raw()))
}

/// Nanoseconds from `start` to now (zero if the counter went backwards, as
/// it may between sockets).
#[inline]
pub(crate) fn nanos_since(start: Ticks) -> u64 {
    match CLOCK.get() {
        Some(clock) => clock.delta_as_nanos(start.0, clock.raw()),
        None => 0,
    }
}

/// Milliseconds since the Unix epoch read off the call clock: a
/// time-stamp counter read instead of a system-clock call on the path of
/// every repeated error (where only dedup windows use it). The offset to the
/// system clock is taken again on every worker tick, so the two never drift
/// apart by more than the counter drifts in one tick.
pub(crate) struct WallMillis {
    base: Ticks,
    /// System-clock milliseconds minus call-clock milliseconds since `base`.
    offset: AtomicI64,
}

impl WallMillis {
    /// `None` before the call clock is calibrated.
    pub(crate) fn new() -> Option<Self> {
        let wall = WallMillis { base: now()?, offset: AtomicI64::new(0) };
        wall.anchor();
        Some(wall)
    }

    /// Takes the offset to the system clock again.
    pub(crate) fn anchor(&self) {
        let system = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
        self.offset.store(system - self.elapsed_millis(), Relaxed);
    }

    pub(crate) fn now(&self) -> u64 {
        (self.elapsed_millis() + self.offset.load(Relaxed)).max(0) as u64
    }

    fn elapsed_millis(&self) -> i64 {
        (nanos_since(self.base) / 1_000_000) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn measures_what_the_system_clock_measures() {
        calibrate();
        let start = now().expect("calibrated");
        let reference = Instant::now();
        std::thread::sleep(Duration::from_millis(20));
        let measured = Duration::from_nanos(nanos_since(start));
        let expected = reference.elapsed();
        // Generous bounds: this checks the scale, not the machine's quietness.
        assert!(measured >= Duration::from_millis(15), "{measured:?} against {expected:?}");
        assert!(measured <= expected + Duration::from_millis(15), "{measured:?} against {expected:?}");
    }

    #[test]
    fn wall_milliseconds_follow_the_system_clock() {
        calibrate();
        let wall = WallMillis::new().expect("calibrated");
        let system = || SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        let (before, read, after) = (system(), wall.now(), system());
        assert!(before.saturating_sub(2) <= read && read <= after + 2, "{before} <= {read} <= {after}");
        std::thread::sleep(Duration::from_millis(30));
        wall.anchor();
        let (before, read, after) = (system(), wall.now(), system());
        assert!(before.saturating_sub(2) <= read && read <= after + 2, "{before} <= {read} <= {after}");
    }
}
