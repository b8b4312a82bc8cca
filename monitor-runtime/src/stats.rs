//! Counters of what happened to every captured event, and the `stats()` call.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use parking_lot::Mutex;

use crate::alerting::RouterCounts;
use crate::metric_names;
use crate::notify::{DestinationStats, NotifyError};
use crate::sink::SinkErrorKind;

/// Why an event, an audit record or a notification was not delivered.
///
/// Shown in [`Stats::dropped`] and as the `reason` label of
/// `monitor_events_dropped_total` by its name (its `Display`):
///
/// ```
/// use monitor_runtime::{DropReason, SinkErrorKind};
///
/// assert_eq!(DropReason::QueueFull.to_string(), "queue_full");
/// let sqlite = DropReason::Sink { sink: "sqlite".into(), record: monitor_runtime::RecordKind::Audit, kind: SinkErrorKind::Full };
/// assert_eq!(sqlite.to_string(), "sqlite:audit_storage_full");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DropReason {
    /// The bounded queue to the worker was full.
    QueueFull,
    /// The dedup table was full of groups.
    GroupLimit,
    /// Formatting the error panicked (the host went on).
    CapturePanicked,
    /// Still queued or being written when the shutdown deadline passed.
    ShutdownDeadline,
    /// Captured after the monitor started shutting down.
    ShutDown,
    /// An audit record found the queue full for the whole bounded wait.
    AuditQueueTimeout,
    /// An audit record came after the monitor shut down.
    AuditShutDown,
    /// A heartbeat or rule reload found the queue full for 250 ms.
    ControlQueueTimeout,
    /// A sink did not take records: its queue was full (`kind` is then
    /// `None`) or it failed.
    Sink {
        /// The sink's name.
        sink: String,
        /// What kind of record was lost.
        record: RecordKind,
        /// How the sink failed.
        kind: SinkErrorKind,
    },
    /// A sink's own queue was full.
    SinkQueueFull {
        /// The sink's name.
        sink: String,
        /// What kind of record was lost.
        record: RecordKind,
    },
    /// A destination's notifier refused a notification.
    Notification {
        /// The destination's name.
        destination: String,
        /// Why it refused.
        error: NotifyError,
    },
}

/// The kinds of record the worker hands to sinks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RecordKind {
    /// Captured events.
    Event,
    /// Audit records.
    Audit,
    /// Storage's copies of alert notifications (their delivery is counted
    /// per destination).
    Notification,
}

impl RecordKind {
    /// The prefix of drop reasons: none for events, `audit_` for audit records.
    const fn prefix(self) -> &'static str {
        match self {
            RecordKind::Event => "",
            RecordKind::Audit => "audit_",
            RecordKind::Notification => "notification_",
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DropReason::QueueFull => f.write_str("queue_full"),
            DropReason::GroupLimit => f.write_str("group_limit"),
            DropReason::CapturePanicked => f.write_str("capture_panicked"),
            DropReason::ShutdownDeadline => f.write_str("shutdown_deadline"),
            DropReason::ShutDown => f.write_str("shut_down"),
            DropReason::AuditQueueTimeout => f.write_str("audit_queue_timeout"),
            DropReason::AuditShutDown => f.write_str("audit_shut_down"),
            DropReason::ControlQueueTimeout => f.write_str("control_queue_timeout"),
            DropReason::Sink { sink, record, kind } => write!(f, "{sink}:{}{}", record.prefix(), kind.as_str()),
            DropReason::SinkQueueFull { sink, record } => write!(f, "{sink}:{}sink_queue_full", record.prefix()),
            DropReason::Notification { destination, error } => {
                write!(f, "{destination}:notification_{}", error.as_str())
            }
        }
    }
}

/// Drops counted on the caller's thread, each with its own atomic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallerDrop {
    QueueFull,
    GroupLimit,
    CapturePanicked,
}

impl CallerDrop {
    const ALL: [CallerDrop; 3] = [CallerDrop::QueueFull, CallerDrop::GroupLimit, CallerDrop::CapturePanicked];

    fn reason(self) -> DropReason {
        match self {
            CallerDrop::QueueFull => DropReason::QueueFull,
            CallerDrop::GroupLimit => DropReason::GroupLimit,
            CallerDrop::CapturePanicked => DropReason::CapturePanicked,
        }
    }
}

/// What the caller's thread counts: each one relaxed atomic add.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Counted {
    Captured,
    Queued,
    Deduplicated,
    Suppressed,
    AuditQueued,
    Dropped(CallerDrop),
}

/// Counters shared by callers and the worker. Hot ones are atomics; the
/// per-sink maps are only touched by the worker and by `stats()`.
#[derive(Default)]
pub(crate) struct Counters {
    captured: AtomicU64,
    queued: AtomicU64,
    deduplicated: AtomicU64,
    suppressed: AtomicU64,
    audits_queued: AtomicU64,
    caller_drops: [AtomicU64; 3],
    written: AtomicU64,
    by_reason: Mutex<BTreeMap<DropReason, u64>>,
    delivered: Mutex<BTreeMap<String, u64>>,
    audits_delivered: Mutex<BTreeMap<String, u64>>,
}

impl Counters {
    /// Counts one thing on the caller's thread.
    #[inline]
    pub(crate) fn count(&self, what: Counted) {
        let counter = match what {
            Counted::Captured => &self.captured,
            Counted::Queued => &self.queued,
            Counted::Deduplicated => &self.deduplicated,
            Counted::Suppressed => &self.suppressed,
            Counted::AuditQueued => &self.audits_queued,
            Counted::Dropped(drop) => &self.caller_drops[drop as usize],
        };
        counter.fetch_add(1, Relaxed);
    }

    /// Counts `n` records lost for `reason`.
    pub(crate) fn drop_events(&self, reason: &DropReason, n: u64) {
        if n == 0 {
            return;
        }
        *self.by_reason.lock().entry(reason.clone()).or_default() += n;
    }

    /// Counts events the worker handed to sinks.
    pub(crate) fn written(&self, n: u64) {
        self.written.fetch_add(n, Relaxed);
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
        let mut dropped: BTreeMap<String, u64> =
            self.by_reason.lock().iter().map(|(reason, n)| (reason.to_string(), *n)).collect();
        for drop in CallerDrop::ALL {
            let n = self.caller_drops[drop as usize].load(Relaxed);
            if n > 0 {
                *dropped.entry(drop.reason().to_string()).or_default() += n;
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
            alerts: AlertStats::default(),
            destinations: BTreeMap::new(),
        }
    }
}

/// What `stats()` shows of alerting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlertStats {
    /// Rules being evaluated.
    pub rules: usize,
    /// Alerts firing at the last evaluation.
    pub firing: u64,
    /// Alerts that resolved.
    pub resolved: u64,
    /// What the router did with notifications.
    pub routed: RouterCounts,
    /// Configurations taken by `reload_alerts`.
    pub reloads: u64,
    /// Records a rule did not count because it already tracked
    /// [`MAX_LABEL_SETS`](crate::alerting::MAX_LABEL_SETS) distinct label sets
    /// (a `group_by` on a label with too many values).
    pub over_label_limit: u64,
    /// Scheduled summaries handed to a destination's notifier (one per
    /// destination of each summary sent).
    pub summaries_sent: u64,
}

/// Alerting's counts, written by the worker and read by `stats()`.
#[derive(Default)]
pub(crate) struct AlertCounters {
    stats: Mutex<AlertStats>,
    /// Counted by the summary tasks, apart from what the evaluator sets.
    summaries_sent: std::sync::atomic::AtomicU64,
}

impl AlertCounters {
    pub(crate) fn get(&self) -> AlertStats {
        let summaries_sent = self.summaries_sent.load(std::sync::atomic::Ordering::Relaxed);
        AlertStats { summaries_sent, ..*self.stats.lock() }
    }

    pub(crate) fn set(&self, stats: AlertStats) {
        *self.stats.lock() = stats;
    }

    pub(crate) fn count_summary(&self) {
        self.summaries_sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
/// | `shut_down` | captured while the monitor was shutting down |
/// | `<sink>:sink_queue_full` | that sink's own queue was full |
/// | `<sink>:<kind>` | that sink failed, e.g. `sqlite:storage_full`, `sqlite:storage_locked` |
/// | `audit_queue_timeout` | an audit record found the queue full for the whole bounded wait |
/// | `<sink>:audit_<kind>` | that sink failed to store audit records (`<kind>` as above, `sink_queue_full` included) |
/// | `<destination>:notification_<reason>` | that destination's notifier refused a notification (`queue_full`, `stopped`) |
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
#[non_exhaustive]
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
    pub alerts: AlertStats,
    /// What happened to each alert destination's notifications, by name.
    pub destinations: BTreeMap<String, DestinationStats>,
}

impl Stats {
    /// Total events lost, all reasons together.
    pub fn total_dropped(&self) -> u64 {
        self.dropped.values().sum()
    }
}
