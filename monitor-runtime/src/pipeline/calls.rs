//! The worker's tally of call counts per function and minute: each tick it
//! reads the call sites' counters, adds what changed since the tick before
//! to the current minute, and hands a minute on once it is over (or when
//! the monitor flushes or stops).

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::calls::CallCounts;
use crate::callsite::CallsiteStats;

type Site = (&'static str, &'static str, &'static str, u32);

fn site(stats: &CallsiteStats) -> Site {
    (stats.module, stats.function, stats.file, stats.line)
}

fn minute_of(time: SystemTime) -> SystemTime {
    let secs = time.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    UNIX_EPOCH + Duration::from_secs(secs - secs % 60)
}

pub(super) struct CallTally {
    /// Each call site's counters at the previous look.
    seen: HashMap<Site, CallsiteStats>,
    /// The minute being counted, and its counts per function.
    minute: SystemTime,
    counts: HashMap<(&'static str, &'static str), CallCounts>,
}

impl CallTally {
    /// A tally that counts only calls after `baseline` (the counters when
    /// the monitor started: calls before it are not its to report).
    pub(super) fn new(baseline: &[CallsiteStats], now: SystemTime) -> Self {
        CallTally {
            seen: baseline.iter().map(|stats| (site(stats), stats.clone())).collect(),
            minute: minute_of(now),
            counts: HashMap::new(),
        }
    }

    /// Takes the counters read at `now`; returns the counts of a minute
    /// that ended since the previous look.
    pub(super) fn observe(&mut self, callsites: &[CallsiteStats], now: SystemTime) -> Vec<CallCounts> {
        let minute = minute_of(now);
        let finished = if minute != self.minute { self.take() } else { Vec::new() };
        self.minute = minute;
        for stats in callsites {
            let before = self.seen.insert(site(stats), stats.clone());
            let Some(delta) = delta(stats, before.as_ref(), minute) else { continue };
            self.counts
                .entry((stats.module, stats.function))
                .or_insert_with(|| CallCounts::new(stats.module, stats.function, minute))
                .add(&delta);
        }
        finished
    }

    /// What the current minute has counted so far (on flush and shutdown).
    pub(super) fn take(&mut self) -> Vec<CallCounts> {
        let mut counts: Vec<CallCounts> = self.counts.drain().map(|(_, counts)| counts).collect();
        counts.sort_by(|a, b| (a.module, a.function).cmp(&(b.module, b.function)));
        counts
    }
}

/// What a call site counted since `before`, if anything.
fn delta(now: &CallsiteStats, before: Option<&CallsiteStats>, minute: SystemTime) -> Option<CallCounts> {
    let mut delta = CallCounts::new(now.module, now.function, minute);
    let since = |current: u64, earlier: fn(&CallsiteStats) -> u64| current.saturating_sub(before.map_or(0, earlier));
    delta.calls = since(now.calls, |s| s.calls);
    delta.errors = since(now.errors, |s| s.errors);
    delta.panics = since(now.panics, |s| s.panics);
    delta.slow_calls = since(now.slow_calls, |s| s.slow_calls);
    delta.total_duration = now.total_duration.saturating_sub(before.map_or(Duration::ZERO, |s| s.total_duration));
    for (index, count) in delta.duration_buckets.iter_mut().enumerate() {
        *count = now.duration_buckets[index].saturating_sub(before.map_or(0, |s| s.duration_buckets[index]));
    }
    // The counters are read one by one while calls go on: a call's error
    // may be read before its duration. Whatever changed is handed on, so
    // the sums over the looks stay exact.
    let changed = delta.calls + delta.errors + delta.panics + delta.slow_calls > 0 || !delta.total_duration.is_zero();
    changed.then_some(delta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::DURATION_BUCKETS;

    fn stats(calls: u64, errors: u64) -> CallsiteStats {
        let mut buckets = [0; DURATION_BUCKETS];
        buckets[3] = calls;
        CallsiteStats {
            module: "billing",
            function: "charge",
            file: "src/billing.rs",
            line: 7,
            calls,
            errors,
            panics: 0,
            cancellations: 0,
            slow_calls: 0,
            total_duration: Duration::from_micros(calls * 5),
            duration_buckets: buckets,
        }
    }

    #[test]
    fn a_minute_is_handed_on_once_it_is_over_with_only_the_calls_since_the_start() {
        let start = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut tally = CallTally::new(&[stats(10, 1)], start);
        assert!(tally.observe(&[stats(15, 2)], start + Duration::from_secs(20)).is_empty());
        assert!(tally.observe(&[stats(18, 2)], start + Duration::from_secs(40)).is_empty());
        let finished = tally.observe(&[stats(20, 4)], start + Duration::from_secs(61));
        assert_eq!(finished.len(), 1);
        assert_eq!((finished[0].calls, finished[0].errors, finished[0].minute), (8, 1, start));
        assert_eq!(finished[0].duration_buckets[3], 8);
        let rest = tally.take();
        assert_eq!((rest[0].calls, rest[0].errors, rest[0].minute), (2, 2, start + Duration::from_secs(60)));
        assert!(tally.take().is_empty(), "taken once");
    }
}
