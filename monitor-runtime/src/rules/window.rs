//! A count over a sliding window, kept in a fixed number of time buckets so
//! memory does not grow with traffic.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

#[cfg(test)]
mod tests {
    use super::*;

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
