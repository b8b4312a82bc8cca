//! A count over a sliding window, kept in a fixed number of time buckets so
//! memory does not grow with traffic.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::histogram::{self, DURATION_BUCKETS};

/// Buckets per window: the window slides in steps of a sixtieth of itself.
const BUCKETS: u32 = 60;

#[derive(Clone, Debug)]
pub(crate) struct SlidingCount {
    window: Duration,
    bucket: Duration,
    /// (bucket number since the epoch, count), oldest first.
    buckets: VecDeque<(u64, u64)>,
}

impl SlidingCount {
    pub(crate) fn new(window: Duration) -> Self {
        let bucket = (window / BUCKETS).max(Duration::from_millis(1));
        SlidingCount { window, bucket, buckets: VecDeque::new() }
    }

    fn bucket_of(&self, at: SystemTime) -> u64 {
        let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
        (since.as_nanos() / self.bucket.as_nanos().max(1)) as u64
    }

    pub(crate) fn add(&mut self, at: SystemTime, n: u64) {
        let bucket = self.bucket_of(at);
        match self.buckets.iter_mut().rev().find(|(b, _)| *b == bucket) {
            Some((_, count)) => *count += n,
            None => {
                self.buckets.push_back((bucket, n));
                self.buckets.make_contiguous().sort_unstable_by_key(|(b, _)| *b);
            }
        }
    }

    /// Occurrences in `(now - window, now]`, dropping buckets that slid out.
    pub(crate) fn total(&mut self, now: SystemTime) -> u64 {
        let newest = self.bucket_of(now);
        let span = (self.window.as_nanos() / self.bucket.as_nanos().max(1)) as u64;
        let oldest = newest.saturating_sub(span.saturating_sub(1));
        while self.buckets.front().is_some_and(|(b, _)| *b < oldest) {
            self.buckets.pop_front();
        }
        self.buckets.iter().filter(|(b, _)| *b <= newest).map(|(_, n)| n).sum()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

/// Call-duration histograms over a sliding window, in twenty steps: what a
/// latency percentile is read from.
#[derive(Clone, Debug)]
pub(crate) struct SlidingHistogram {
    window: Duration,
    step: Duration,
    /// (step number since the epoch, counts per duration bucket), oldest first.
    steps: VecDeque<(u64, Box<[u64; DURATION_BUCKETS]>)>,
}

const HISTOGRAM_STEPS: u32 = 20;

impl SlidingHistogram {
    pub(crate) fn new(window: Duration) -> Self {
        let step = (window / HISTOGRAM_STEPS).max(Duration::from_millis(1));
        SlidingHistogram { window, step, steps: VecDeque::new() }
    }

    fn step_of(&self, at: SystemTime) -> u64 {
        let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
        (since.as_nanos() / self.step.as_nanos().max(1)) as u64
    }

    pub(crate) fn add(&mut self, at: SystemTime, counts: &[u64; DURATION_BUCKETS]) {
        let step = self.step_of(at);
        let slot = match self.steps.iter().position(|(s, _)| *s == step) {
            Some(index) => index,
            None => {
                self.steps.push_back((step, Box::new([0; DURATION_BUCKETS])));
                self.steps.make_contiguous().sort_unstable_by_key(|(s, _)| *s);
                self.steps.iter().position(|(s, _)| *s == step).unwrap_or(0)
            }
        };
        if let Some((_, buckets)) = self.steps.get_mut(slot) {
            buckets.iter_mut().zip(counts).for_each(|(total, n)| *total += n);
        }
    }

    /// Calls in the window and the `percentile` (0–100] of their durations,
    /// interpolated within its bucket; `None` without calls.
    pub(crate) fn percentile(&mut self, now: SystemTime, percentile: f64) -> Option<(u64, Duration)> {
        let newest = self.step_of(now);
        let span = (self.window.as_nanos() / self.step.as_nanos().max(1)) as u64;
        let oldest = newest.saturating_sub(span.saturating_sub(1));
        while self.steps.front().is_some_and(|(s, _)| *s < oldest) {
            self.steps.pop_front();
        }
        let mut merged = [0u64; DURATION_BUCKETS];
        for (_, buckets) in self.steps.iter().filter(|(s, _)| *s <= newest) {
            merged.iter_mut().zip(buckets.iter()).for_each(|(total, n)| *total += n);
        }
        histogram::interpolated_percentile(&merged, percentile)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_read_within_the_window() {
        let start = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut histogram = SlidingHistogram::new(Duration::from_secs(60));
        let bucket_of = |d: Duration| (0..DURATION_BUCKETS).rfind(|&i| histogram::bucket_lower_bound(i) <= d).unwrap();
        let mut counts = [0u64; DURATION_BUCKETS];
        counts[bucket_of(Duration::from_millis(10))] = 95;
        counts[bucket_of(Duration::from_millis(1500))] = 5;
        histogram.add(start, &counts);
        let (calls, p50) = histogram.percentile(start, 50.0).unwrap();
        assert_eq!(calls, 100);
        assert!(p50 > Duration::from_millis(8) && p50 < Duration::from_millis(13), "{p50:?}");
        let (_, p99) = histogram.percentile(start, 99.0).unwrap();
        assert!(p99 > Duration::from_millis(1200) && p99 < Duration::from_millis(1900), "{p99:?}");
        assert!(histogram.percentile(start + Duration::from_secs(61), 50.0).is_none(), "slid out");
        assert!(histogram.is_empty());
    }

    #[test]
    fn counts_slide_out_of_the_window() {
        let start = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut count = SlidingCount::new(Duration::from_secs(60));
        count.add(start, 3);
        count.add(start + Duration::from_secs(30), 2);
        assert_eq!(count.total(start + Duration::from_secs(30)), 5);
        assert_eq!(count.total(start + Duration::from_secs(61)), 2);
        assert_eq!(count.total(start + Duration::from_secs(95)), 0);
        assert!(count.is_empty());
    }
}
