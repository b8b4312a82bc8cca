//! The clock a monitored call reads at its start and its end.
//!
//! Two `Instant::now()` reads are the largest part of a successful call's
//! cost, so call guards read the CPU's time-stamp counter instead (through
//! `quanta`, which checks that the counter is invariant and calibrates it
//! against the monotonic clock, falling back to that clock where there is no
//! usable counter). Calibration takes a moment, so it happens once per
//! process, in `install()`, before any guard reads the clock.

use std::sync::OnceLock;

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
}
