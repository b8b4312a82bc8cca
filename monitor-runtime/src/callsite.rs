//! Per-call-site statistics, kept in atomics so a call never takes a lock.
//!
//! `#[monitor]` makes one `static` [`Callsite`] per annotated function. The
//! first call made while the monitor is installed registers it in a global
//! list, so [`callsites`] can report every function that ran.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use parking_lot::Mutex;

use monitor_rules::Severity;

use crate::histogram::{self, DURATION_BUCKETS, bucket_index};

/// A function annotated with `#[monitor]`: where it is, how it is
/// configured, and what its calls did.
pub struct Callsite {
    module: &'static str,
    function: &'static str,
    file: &'static str,
    line: u32,
    severity: Severity,
    slow_nanos: u64,
    arg_names: &'static [&'static str],
    registered: AtomicBool,
    buckets: [AtomicU64; DURATION_BUCKETS],
    total_nanos: AtomicU64,
    errors: AtomicU64,
    panics: AtomicU64,
    cancellations: AtomicU64,
    slow_calls: AtomicU64,
    metrics: OnceLock<CallsiteMetrics>,
}

/// Handles into the `metrics` facade, registered once per call site.
struct CallsiteMetrics {
    duration: metrics::Histogram,
    ok: metrics::Counter,
    error: metrics::Counter,
    panic: metrics::Counter,
    cancelled: metrics::Counter,
}

/// What a finished call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    Error,
    Panic,
    Cancelled,
}

static REGISTRY: Mutex<Vec<&'static Callsite>> = Mutex::new(Vec::new());

impl Callsite {
    /// Made by `#[monitor]`; not meant to be called by hand.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn new(
        module: &'static str,
        function: &'static str,
        file: &'static str,
        line: u32,
        severity: Severity,
        slow_nanos: u64,
        arg_names: &'static [&'static str],
    ) -> Self {
        Callsite {
            module,
            function,
            file,
            line,
            severity,
            slow_nanos,
            arg_names,
            registered: AtomicBool::new(false),
            buckets: [const { AtomicU64::new(0) }; DURATION_BUCKETS],
            total_nanos: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            panics: AtomicU64::new(0),
            cancellations: AtomicU64::new(0),
            slow_calls: AtomicU64::new(0),
            metrics: OnceLock::new(),
        }
    }

    /// Module path of the function.
    pub fn module(&self) -> &'static str {
        self.module
    }

    /// Function name, or the `name = "…"` given to `#[monitor]`.
    pub fn function(&self) -> &'static str {
        self.function
    }

    /// Source file.
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// Line of the function in its file.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// Severity of the events this function produces.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The `slow` threshold, if one was given.
    pub fn slow_threshold(&self) -> Option<Duration> {
        (self.slow_nanos > 0).then(|| Duration::from_nanos(self.slow_nanos))
    }

    pub(crate) fn arg_names(&self) -> &'static [&'static str] {
        self.arg_names
    }

    /// Whether a call of `nanos` nanoseconds is over the `slow` threshold.
    #[inline]
    pub(crate) fn is_slow(&self, nanos: u64) -> bool {
        self.slow_nanos > 0 && nanos > self.slow_nanos
    }

    /// Records one finished call of `nanos` nanoseconds. This is the whole
    /// cost of a successful monitored call besides its two clock reads, so
    /// it stays branch-light: two relaxed adds and two relaxed loads.
    #[inline]
    pub(crate) fn record(&'static self, nanos: u64, outcome: Outcome) {
        self.buckets[bucket_index(nanos)].fetch_add(1, Relaxed);
        self.total_nanos.fetch_add(nanos, Relaxed);
        match outcome {
            Outcome::Ok => {}
            Outcome::Error => {
                self.errors.fetch_add(1, Relaxed);
            }
            Outcome::Panic => {
                self.panics.fetch_add(1, Relaxed);
            }
            Outcome::Cancelled => {
                self.cancellations.fetch_add(1, Relaxed);
            }
        }
        if !self.registered.load(Relaxed) {
            self.register();
        }
        if let Some(handles) = self.metrics.get() {
            handles.duration.record(nanos as f64 * 1e-9);
            match outcome {
                Outcome::Ok => handles.ok.increment(1),
                Outcome::Error => handles.error.increment(1),
                Outcome::Panic => handles.panic.increment(1),
                Outcome::Cancelled => handles.cancelled.increment(1),
            }
        }
    }

    pub(crate) fn record_slow(&self) {
        self.slow_calls.fetch_add(1, Relaxed);
    }

    #[cold]
    fn register(&'static self) {
        if self.registered.swap(true, Relaxed) {
            return;
        }
        REGISTRY.lock().push(self);
        let labels = [("module", self.module), ("function", self.function)];
        let outcome = |name: &'static str| {
            metrics::counter!(
                crate::metric_names::CALLS,
                &[("module", self.module), ("function", self.function), ("outcome", name)]
            )
        };
        let _ = self.metrics.set(CallsiteMetrics {
            duration: metrics::histogram!(crate::metric_names::CALL_DURATION, &labels),
            ok: outcome("ok"),
            error: outcome("error"),
            panic: outcome("panic"),
            cancelled: outcome("cancelled"),
        });
    }

    /// A consistent-enough copy of this call site's counters.
    pub fn stats(&self) -> CallsiteStats {
        let buckets: [u64; DURATION_BUCKETS] = std::array::from_fn(|i| self.buckets[i].load(Relaxed));
        CallsiteStats {
            module: self.module,
            function: self.function,
            file: self.file,
            line: self.line,
            calls: buckets.iter().sum(),
            errors: self.errors.load(Relaxed),
            panics: self.panics.load(Relaxed),
            cancellations: self.cancellations.load(Relaxed),
            slow_calls: self.slow_calls.load(Relaxed),
            total_duration: Duration::from_nanos(self.total_nanos.load(Relaxed)),
            duration_buckets: buckets,
        }
    }
}

impl std::fmt::Debug for Callsite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callsite")
            .field("module", &self.module)
            .field("function", &self.function)
            .field("file", &self.file)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

/// Counters of one call site, as returned by [`callsites`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallsiteStats {
    /// Module path.
    pub module: &'static str,
    /// Function name.
    pub function: &'static str,
    /// Source file.
    pub file: &'static str,
    /// Line of the function.
    pub line: u32,
    /// Calls that finished, whatever their outcome.
    pub calls: u64,
    /// Calls that returned `Err`.
    pub errors: u64,
    /// Calls that panicked.
    pub panics: u64,
    /// Async calls whose future was dropped before it finished.
    pub cancellations: u64,
    /// Calls over the `slow` threshold.
    pub slow_calls: u64,
    /// Sum of all call durations.
    pub total_duration: Duration,
    /// Call counts per duration bucket (see [`histogram`](mod@crate::histogram)).
    pub duration_buckets: [u64; DURATION_BUCKETS],
}

impl CallsiteStats {
    /// An upper bound of the `q` quantile (0.0–1.0) of call durations, from
    /// the histogram buckets (`None` when there were no calls).
    pub fn quantile_upper_bound(&self, q: f64) -> Option<Duration> {
        histogram::quantile_upper_bound(&self.duration_buckets, q)
    }
}

/// Statistics of every call site that has run while the monitor was installed.
///
/// ```
/// #[monitor_runtime::monitor]
/// fn add(a: u32, b: u32) -> u32 {
///     a + b
/// }
///
/// let _guard = monitor_runtime::Monitor::builder().install().unwrap();
/// add(1, 2);
/// let stats = monitor_runtime::callsites();
/// let add_stats = stats.iter().find(|s| s.function == "add").unwrap();
/// assert!(add_stats.calls >= 1);
/// ```
pub fn callsites() -> Vec<CallsiteStats> {
    REGISTRY.lock().iter().map(|callsite| callsite.stats()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_reads_the_buckets() {
        static SITE: Callsite = Callsite::new("m", "f", "f.rs", 1, Severity::Error, 0, &[]);
        for _ in 0..99 {
            SITE.record(500, Outcome::Ok);
        }
        SITE.record(5_000_000, Outcome::Error);
        let stats = SITE.stats();
        assert_eq!(stats.calls, 100);
        assert_eq!(stats.errors, 1);
        assert_eq!(stats.quantile_upper_bound(0.5), Some(Duration::from_nanos(1024)));
        assert!(stats.quantile_upper_bound(1.0).unwrap() >= Duration::from_millis(5));
    }
}
