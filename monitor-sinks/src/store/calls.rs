//! Calls per function over time, from the call counts every instance
//! stores per minute: calls, error rate and latency percentiles, for the
//! performance charts. Both stores keep the same rows; the sums and the
//! percentiles are computed here, once.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use monitor_runtime::CallCounts;
use monitor_runtime::histogram::{Buckets as Histogram, DURATION_BUCKETS};

use super::aggregate::Buckets;
use super::search::sql::{Dialect, Filter};
use super::{StoreError, from_millis, millis};

/// One function's calls in one bucket of time, across every instance.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionStats {
    /// Start of the bucket.
    pub start: SystemTime,
    /// Module path.
    pub module: String,
    /// Function name.
    pub function: String,
    /// Calls that finished.
    pub calls: u64,
    /// Of them, calls that returned `Err`.
    pub errors: u64,
    /// Of them, calls that panicked.
    pub panics: u64,
    /// Of them, calls over the function's `slow` threshold.
    pub slow_calls: u64,
    /// Errors and panics per call (0.0–1.0).
    pub error_rate: f64,
    /// Mean duration.
    pub mean: Duration,
    /// Median duration, interpolated in its histogram bucket (buckets are
    /// a quarter of a power of two wide: within 19% of the true value).
    pub p50: Duration,
    /// 95th percentile duration.
    pub p95: Duration,
    /// 99th percentile duration.
    pub p99: Duration,
}

/// A stored row of call counts, as both stores read it.
pub(crate) struct CallRow {
    pub(crate) minute_ms: i64,
    pub(crate) module: String,
    pub(crate) function: String,
    pub(crate) calls: i64,
    pub(crate) errors: i64,
    pub(crate) panics: i64,
    pub(crate) slow_calls: i64,
    pub(crate) total_us: i64,
    /// Non-empty histogram buckets as a JSON object `{"index": count}`.
    pub(crate) buckets: String,
}

impl CallRow {
    /// The row a store writes for `counts`.
    pub(crate) fn of(counts: &CallCounts) -> CallRow {
        let buckets: BTreeMap<String, u64> = counts
            .duration_buckets
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .map(|(index, count)| (index.to_string(), *count))
            .collect();
        let int = |n: u64| n.min(i64::MAX as u64) as i64;
        CallRow {
            minute_ms: millis(counts.minute),
            module: counts.module.to_owned(),
            function: counts.function.to_owned(),
            calls: int(counts.calls),
            errors: int(counts.errors),
            panics: int(counts.panics),
            slow_calls: int(counts.slow_calls),
            total_us: int(counts.total_duration.as_micros().min(u64::MAX as u128) as u64),
            buckets: serde_json::to_string(&buckets).unwrap_or_else(|_| "{}".to_owned()),
        }
    }
}

/// The rows `function_stats` reads: in the range, of the module and
/// function asked for (globs, as searches take them).
pub(crate) fn call_rows_query(
    buckets: &Buckets,
    module: Option<&str>,
    function: Option<&str>,
    dialect: Dialect,
) -> Result<(String, Filter), StoreError> {
    buckets.width_ms()?;
    let mut filter = Filter::new(dialect);
    filter.time_range("minute_ms", Some(buckets.since), Some(buckets.until));
    filter.code_location(module, function);
    let sql = format!(
        "SELECT minute_ms, module, function, calls, errors, panics, slow_calls, total_us, buckets FROM call_counts {}",
        filter.where_clause()
    );
    Ok((sql, filter))
}

/// Sums the rows per bucket and function; percentiles from the merged
/// histograms. Ordered by bucket, then module and function.
pub(crate) fn function_stats_of(rows: Vec<CallRow>, buckets: &Buckets) -> Result<Vec<FunctionStats>, StoreError> {
    let width = buckets.width_ms()?;
    let mut sums: BTreeMap<(i64, String, String), (CallSums, Histogram)> = BTreeMap::new();
    for row in rows {
        let start = row.minute_ms.div_euclid(width) * width;
        let (sum, histogram) = sums
            .entry((start, row.module, row.function))
            .or_insert_with(|| (CallSums::default(), [0; DURATION_BUCKETS]));
        sum.calls += row.calls.max(0) as u64;
        sum.errors += row.errors.max(0) as u64;
        sum.panics += row.panics.max(0) as u64;
        sum.slow_calls += row.slow_calls.max(0) as u64;
        sum.total_us += row.total_us.max(0) as u64;
        let counts: BTreeMap<String, u64> = serde_json::from_str(&row.buckets).unwrap_or_default();
        for (index, count) in counts {
            if let Some(slot) = index.parse::<usize>().ok().and_then(|index| histogram.get_mut(index)) {
                *slot += count;
            }
        }
    }
    Ok(sums
        .into_iter()
        .filter(|(_, (sum, _))| sum.calls > 0)
        .map(|((start, module, function), (sum, histogram))| {
            let percentile = |p: f64| {
                monitor_runtime::histogram::interpolated_percentile(&histogram, p).map_or(Duration::ZERO, |(_, d)| d)
            };
            FunctionStats {
                start: from_millis(start),
                module,
                function,
                calls: sum.calls,
                errors: sum.errors,
                panics: sum.panics,
                slow_calls: sum.slow_calls,
                error_rate: (sum.errors + sum.panics) as f64 / sum.calls as f64,
                mean: Duration::from_micros(sum.total_us / sum.calls),
                p50: percentile(50.0),
                p95: percentile(95.0),
                p99: percentile(99.0),
            }
        })
        .collect())
}

#[derive(Default)]
struct CallSums {
    calls: u64,
    errors: u64,
    panics: u64,
    slow_calls: u64,
    total_us: u64,
}
