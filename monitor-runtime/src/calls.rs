//! Per-function call counts by minute: what storage keeps of the call
//! sites' counters, so operators can chart calls, error rates and latency
//! percentiles over time after the process is gone.

use std::time::{Duration, SystemTime};

use crate::histogram::{self, Buckets};

/// One function's calls in one minute (or the part of it one batch saw),
/// handed to sinks in [`Batch::calls`](crate::Batch::calls). Stores add
/// up the rows of a minute from every instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallCounts {
    /// Module path.
    pub module: &'static str,
    /// Function name.
    pub function: &'static str,
    /// Start of the minute.
    pub minute: SystemTime,
    /// Calls that finished in it.
    pub calls: u64,
    /// Of them, calls that returned `Err`.
    pub errors: u64,
    /// Of them, calls that panicked.
    pub panics: u64,
    /// Of them, calls over the `slow` threshold.
    pub slow_calls: u64,
    /// Sum of their durations.
    pub total_duration: Duration,
    /// Their durations, per bucket of [`histogram`](mod@crate::histogram).
    pub duration_buckets: Box<Buckets>,
}

impl CallCounts {
    /// Empty counts of `module::function` in the minute starting at `minute`.
    ///
    /// ```
    /// use std::time::UNIX_EPOCH;
    /// use monitor_runtime::CallCounts;
    ///
    /// let counts = CallCounts::new("billing", "charge", UNIX_EPOCH);
    /// assert_eq!(counts.calls, 0);
    /// assert_eq!(counts.percentile(95.0), None);
    /// ```
    pub fn new(module: &'static str, function: &'static str, minute: SystemTime) -> Self {
        CallCounts {
            module,
            function,
            minute,
            calls: 0,
            errors: 0,
            panics: 0,
            slow_calls: 0,
            total_duration: Duration::ZERO,
            duration_buckets: Box::new([0; histogram::DURATION_BUCKETS]),
        }
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &CallCounts) {
        self.calls += other.calls;
        self.errors += other.errors;
        self.panics += other.panics;
        self.slow_calls += other.slow_calls;
        self.total_duration += other.total_duration;
        for (mine, theirs) in self.duration_buckets.iter_mut().zip(other.duration_buckets.iter()) {
            *mine += theirs;
        }
    }

    /// The `percentile` (0–100) of call durations, interpolated within its
    /// histogram bucket; `None` without calls.
    pub fn percentile(&self, percentile: f64) -> Option<Duration> {
        histogram::interpolated_percentile(&self.duration_buckets, percentile).map(|(_, duration)| duration)
    }
}
