//! Counters of what happened to every captured event, and the `stats()` call.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use parking_lot::Mutex;

use crate::metric_names;

/// Drop reasons counted on the caller's thread.
pub(crate) const QUEUE_FULL: &str = "queue_full";
pub(crate) const GROUP_LIMIT: &str = "group_limit";
pub(crate) const CAPTURE_PANICKED: &str = "capture_panicked";
pub(crate) const SHUTDOWN_DEADLINE: &str = "shutdown_deadline";
pub(crate) const SINK_QUEUE_FULL: &str = "sink_queue_full";
pub(crate) const CONTROL_QUEUE_TIMEOUT: &str = "control_queue_timeout";

/// Counters shared by callers and the worker. Hot ones are atomics; the
/// per-sink maps are only touched by the worker and by `stats()`.
#[derive(Default)]
pub(crate) struct Counters {
    pub captured: AtomicU64,
    pub queued: AtomicU64,
    pub deduplicated: AtomicU64,
    pub suppressed: AtomicU64,
    pub queue_full: AtomicU64,
    pub group_limit: AtomicU64,
    pub capture_panicked: AtomicU64,
    pub written: AtomicU64,
    pub audits_queued: AtomicU64,
    by_reason: Mutex<BTreeMap<String, u64>>,
    delivered: Mutex<BTreeMap<String, u64>>,
    audits_delivered: Mutex<BTreeMap<String, u64>>,
}

impl Counters {
    /// Counts `n` events lost for `reason` (kept as a string so sinks can
    /// name their own reasons, for example `sqlite:storage_full`).
    pub(crate) fn drop_events(&self, reason: &str, n: u64) {
        if n == 0 {
            return;
        }
        *self.by_reason.lock().entry(reason.to_owned()).or_default() += n;
    }

    pub(crate) fn count_caller_drop(&self, reason: &'static str) {
        let counter = match reason {
            QUEUE_FULL => &self.queue_full,
            GROUP_LIMIT => &self.group_limit,
            _ => &self.capture_panicked,
        };
        counter.fetch_add(1, Relaxed);
    }

    pub(crate) fn delivered(&self, sink: &str, n: u64) {
        *self.delivered.lock().entry(sink.to_owned()).or_default() += n;
    }

    pub(crate) fn audits_delivered(&self, sink: &str, n: u64) {
        if n > 0 {
            *self.audits_delivered.lock().entry(sink.to_owned()).or_default() += n;
        }
    }

    /// Publishes the totals through the `metrics` facade. Called by the
    /// worker on each tick, so callers never pay for a metrics lookup.
    pub(crate) fn publish(&self, stats: &Stats) {
        metrics::counter!(metric_names::EVENTS_CAPTURED).absolute(stats.captured);
        for (reason, n) in &stats.dropped {
            metrics::counter!(metric_names::EVENTS_DROPPED, "reason" => reason.clone()).absolute(*n);
        }
        for (sink, n) in &stats.delivered {
            metrics::counter!(metric_names::EVENTS_DELIVERED, "sink" => sink.clone()).absolute(*n);
        }
        metrics::gauge!(metric_names::GROUPS).set(stats.groups as f64);
    }

    pub(crate) fn snapshot(&self, groups: usize, evicted_groups: u64, disabled_sinks: Vec<String>) -> Stats {
        let mut dropped = self.by_reason.lock().clone();
        for (reason, counter) in [
            (QUEUE_FULL, &self.queue_full),
            (GROUP_LIMIT, &self.group_limit),
            (CAPTURE_PANICKED, &self.capture_panicked),
        ] {
            let n = counter.load(Relaxed);
            if n > 0 {
                *dropped.entry(reason.to_owned()).or_default() += n;
            }
        }
        Stats {
            installed: true,
            captured: self.captured.load(Relaxed),
            queued: self.queued.load(Relaxed),
            deduplicated: self.deduplicated.load(Relaxed),
            suppressed: self.suppressed.load(Relaxed),
            written: self.written.load(Relaxed),
            delivered: self.delivered.lock().clone(),
            audits_queued: self.audits_queued.load(Relaxed),
            audits_delivered: self.audits_delivered.lock().clone(),
            dropped,
            groups,
            evicted_groups,
            disabled_sinks,
            alerts: Default::default(),
        }
    }
}

/// What happened to captured events since `install()`.
///
/// Every event that was captured but not delivered to a sink is in
/// `dropped`, under its reason:
///
/// | reason | meaning |
/// |---|---|
/// | `queue_full` | the bounded queue to the worker was full |
/// | `group_limit` | the dedup table was full of groups |
/// | `capture_panicked` | formatting the error panicked (the host went on) |
/// | `shutdown_deadline` | still queued when the shutdown deadline passed |
/// | `<sink>:sink_queue_full` | that sink's own queue was full |
/// | `<sink>:<kind>` | that sink failed, e.g. `sqlite:storage_full`, `sqlite:storage_locked` |
/// | `audit_queue_timeout` | an audit record found the queue full for the whole bounded wait |
/// | `<sink>:audit_<kind>` | that sink failed to store audit records (`<kind>` as above, `sink_queue_full` included) |
/// | `<sink>:notification_<kind>` | that sink did not take alert notifications, the same way |
/// | `control_queue_timeout` | a heartbeat or rule reload found the queue full for 250 ms |
///
/// ```
/// let guard = monitor_runtime::Monitor::builder().install().unwrap();
/// monitor_runtime::capture_message("hello", monitor_runtime::Severity::Info);
/// guard.flush(std::time::Duration::from_secs(5));
/// let stats = monitor_runtime::stats();
/// assert_eq!(stats.captured, 1);
/// assert!(stats.dropped.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Whether a monitor is installed right now.
    pub installed: bool,
    /// Occurrences captured, repeats included.
    pub captured: u64,
    /// Events put on the worker's queue (first in window, samples, regressions).
    pub queued: u64,
    /// Occurrences only counted in their group (repeats within the window).
    pub deduplicated: u64,
    /// Occurrences of ignored groups.
    pub suppressed: u64,
    /// Events handed to sinks by the worker.
    pub written: u64,
    /// Events each sink accepted, by sink name.
    pub delivered: BTreeMap<String, u64>,
    /// Audit records handed to the worker.
    pub audits_queued: u64,
    /// Audit records each sink accepted, by sink name.
    pub audits_delivered: BTreeMap<String, u64>,
    /// Events lost, by reason (see the table above).
    pub dropped: BTreeMap<String, u64>,
    /// Live dedup groups.
    pub groups: usize,
    /// Groups evicted because the table was over its limit.
    pub evicted_groups: u64,
    /// Sinks that failed to start and were left out (see `optional_sink`).
    pub disabled_sinks: Vec<String>,
    /// Alert rules, alerts and notifications.
    pub alerts: crate::pipeline::AlertStats,
}

impl Stats {
    /// Total events lost, all reasons together.
    pub fn total_dropped(&self) -> u64 {
        self.dropped.values().sum()
    }
}
