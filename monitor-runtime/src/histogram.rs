//! The one duration histogram of monitor: call sites count their calls in
//! it, and latency rules read percentiles from windows of it.

use std::time::Duration;

/// Number of duration buckets. Durations are counted in units of 1024 ns
/// ("microseconds"); each power of two of them is split into four buckets,
/// so a bucket's bounds are within 25% of each other and latency
/// percentiles are estimated to within that. Buckets 0–3 hold calls under
/// 4 µs, the last one everything from about 67 seconds up.
pub const DURATION_BUCKETS: usize = 104;

/// Call counts per duration bucket.
pub type Buckets = [u64; DURATION_BUCKETS];

/// The bucket of a duration of `nanos` nanoseconds.
#[inline]
pub(crate) fn bucket_index(nanos: u64) -> usize {
    let micros = nanos >> 10; // a power of two close enough to 1000 for bucketing
    if micros < 8 {
        return micros as usize;
    }
    // The top bit says the power of two, the next two bits the quarter within it.
    let top = (u64::BITS - 1 - micros.leading_zeros()) as usize;
    let quarter = ((micros >> (top - 2)) & 3) as usize;
    (4 * (top - 1) + quarter).min(DURATION_BUCKETS - 1)
}

/// The lower bound of duration bucket `index`.
///
/// ```
/// use monitor_runtime::histogram::bucket_lower_bound;
/// use std::time::Duration;
///
/// assert_eq!(bucket_lower_bound(0), Duration::ZERO);
/// assert_eq!(bucket_lower_bound(8), Duration::from_nanos(8 * 1024));
/// ```
pub fn bucket_lower_bound(index: usize) -> Duration {
    let index = index.min(DURATION_BUCKETS - 1);
    if index < 8 {
        return Duration::from_nanos(1024 * index as u64);
    }
    let (top, quarter) = (index / 4 + 1, (index % 4) as u64);
    Duration::from_nanos(1024 * ((4 + quarter) << (top - 2)))
}

/// The upper bound of duration bucket `index` (`None` for the last, open bucket).
///
/// ```
/// use monitor_runtime::histogram::{bucket_upper_bound, DURATION_BUCKETS};
/// use std::time::Duration;
///
/// assert_eq!(bucket_upper_bound(0), Some(Duration::from_nanos(1024)));
/// assert_eq!(bucket_upper_bound(8), Some(Duration::from_nanos(10 * 1024)));
/// assert_eq!(bucket_upper_bound(DURATION_BUCKETS - 1), None);
/// ```
pub fn bucket_upper_bound(index: usize) -> Option<Duration> {
    (index + 1 < DURATION_BUCKETS).then(|| bucket_lower_bound(index + 1))
}

/// An upper bound of the `q` quantile (0.0–1.0) of the durations counted
/// in `buckets` (`None` when there are none).
///
/// ```
/// use monitor_runtime::histogram::{quantile_upper_bound, DURATION_BUCKETS};
/// use std::time::Duration;
///
/// let mut buckets = [0; DURATION_BUCKETS];
/// buckets[8] = 10; // ten calls of 8 to 10 µs
/// assert_eq!(quantile_upper_bound(&buckets, 0.99), Some(Duration::from_nanos(10 * 1024)));
/// ```
pub fn quantile_upper_bound(buckets: &Buckets, q: f64) -> Option<Duration> {
    let calls: u64 = buckets.iter().sum();
    if calls == 0 {
        return None;
    }
    let target = ((calls as f64) * q.clamp(0.0, 1.0)).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (index, count) in buckets.iter().enumerate() {
        seen += count;
        if seen >= target {
            return Some(bucket_upper_bound(index).unwrap_or(Duration::MAX));
        }
    }
    None
}

/// The number of calls in `buckets` and their `percentile` (0–100],
/// interpolated within its bucket; `None` without calls.
///
/// ```
/// use monitor_runtime::histogram::{interpolated_percentile, DURATION_BUCKETS};
/// use std::time::Duration;
///
/// let mut buckets = [0; DURATION_BUCKETS];
/// buckets[8] = 10; // ten calls of 8 to 10 µs
/// let (calls, p50) = interpolated_percentile(&buckets, 50.0).unwrap();
/// assert_eq!(calls, 10);
/// assert_eq!(p50, Duration::from_nanos(9 * 1024));
/// ```
pub fn interpolated_percentile(buckets: &Buckets, percentile: f64) -> Option<(u64, Duration)> {
    let calls: u64 = buckets.iter().sum();
    if calls == 0 {
        return None;
    }
    let rank = (calls as f64 * percentile / 100.0).clamp(1.0, calls as f64);
    let mut before = 0.0;
    for (index, &count) in buckets.iter().enumerate() {
        let count = count as f64;
        if count > 0.0 && before + count >= rank {
            let low = bucket_lower_bound(index);
            let Some(high) = bucket_upper_bound(index) else { return Some((calls, low)) };
            let fraction = (rank - before) / count;
            return Some((calls, low + (high - low).mul_f64(fraction)));
        }
        before += count;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_quarters_of_powers_of_two() {
        assert_eq!(bucket_index(0), 0);
        assert_eq!(bucket_index(1023), 0);
        assert_eq!(bucket_index(1024), 1);
        assert_eq!(bucket_index(8 * 1024 - 1), 7);
        assert_eq!(bucket_index(8 * 1024), 8);
        assert_eq!(bucket_index(u64::MAX), DURATION_BUCKETS - 1);
        // Every duration lands in the bucket whose bounds hold it, and the
        // bounds of neighbouring buckets meet.
        for nanos in (0..40).map(|shift| (1u64 << shift) + 12_345 % (1u64 << shift).max(1)) {
            let index = bucket_index(nanos);
            let (low, high) = (bucket_lower_bound(index), bucket_upper_bound(index));
            assert!(Duration::from_nanos(nanos) >= low, "{nanos} ns in bucket {index} from {low:?}");
            assert!(high.is_none_or(|high| Duration::from_nanos(nanos) < high), "{nanos} ns under {high:?}");
        }
        for index in 0..DURATION_BUCKETS - 1 {
            assert_eq!(bucket_upper_bound(index), Some(bucket_lower_bound(index + 1)));
            let (low, high) = (bucket_lower_bound(index), bucket_lower_bound(index + 1));
            assert!(index < 8 || high.as_nanos() * 4 <= low.as_nanos() * 5, "bucket {index} is at most 25% wide");
        }
        assert!(bucket_lower_bound(DURATION_BUCKETS - 1) > Duration::from_secs(60));
    }
}
