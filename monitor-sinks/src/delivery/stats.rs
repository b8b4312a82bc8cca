//! What happened to each destination's notifications: counted here, shown
//! as [`DestinationStats`] and published through the `metrics` facade.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::Notify;

use monitor_runtime::DestinationStats;
use monitor_runtime::metric_names::{NOTIFICATIONS, NOTIFICATIONS_DROPPED};

use crate::delivery::backlog::Backlog;

/// Why a destination dropped a notification: the `reason` of
/// `monitor_notifications_dropped_total` and the keys of
/// [`DestinationStats::dropped`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// The destination's in-memory queue was full.
    QueueFull,
    /// The spool was at its size cap.
    SpoolFull,
    /// Writing the spool failed.
    SpoolError,
    /// A spool line could not be read (cut short by a crash).
    SpoolCorrupt,
    /// The destination refused it for its content (HTTP 4xx, SMTP 5xx).
    Rejected,
    /// It could not be rendered (an e-mail that cannot be built).
    RenderFailed,
    /// Spooled for another kind of destination than the one now configured.
    TargetChanged,
    /// The delivery task was gone.
    Stopped,
}

impl DropReason {
    /// The reason's name, such as `spool_full`.
    ///
    /// ```
    /// assert_eq!(monitor_sinks::delivery::DropReason::SpoolFull.as_str(), "spool_full");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue_full",
            DropReason::SpoolFull => "spool_full",
            DropReason::SpoolError => "spool_error",
            DropReason::SpoolCorrupt => "spool_corrupt",
            DropReason::Rejected => "rejected",
            DropReason::RenderFailed => "render_failed",
            DropReason::TargetChanged => "target_changed",
            DropReason::Stopped => "stopped",
        }
    }
}

/// Counters shared by a sink, its delivery task and its handles.
#[derive(Debug)]
pub(crate) struct Counters {
    destination: String,
    sent: AtomicU64,
    retried: AtomicU64,
    spooled: AtomicU64,
    replayed: AtomicU64,
    dropped: Mutex<BTreeMap<String, u64>>,
    disabled: Mutex<Option<String>>,
    last_error: Mutex<Option<(String, Option<Instant>)>>,
    /// Accepted by `write()` and not yet sent, dropped or spooled.
    in_memory: AtomicU64,
    spool_pending: AtomicU64,
    /// What the spool's records wait for; a wait for idleness waits for
    /// them too while they are being replayed.
    backlog: Mutex<Backlog>,
    spool_other_version: AtomicU64,
    spool_notices: Mutex<Vec<String>>,
    idle: Notify,
}

impl Counters {
    pub(crate) fn new(destination: &str) -> Self {
        Counters {
            destination: destination.to_owned(),
            sent: AtomicU64::new(0),
            retried: AtomicU64::new(0),
            spooled: AtomicU64::new(0),
            replayed: AtomicU64::new(0),
            dropped: Mutex::new(BTreeMap::new()),
            disabled: Mutex::new(None),
            last_error: Mutex::new(None),
            in_memory: AtomicU64::new(0),
            spool_pending: AtomicU64::new(0),
            backlog: Mutex::new(Backlog::Empty),
            spool_other_version: AtomicU64::new(0),
            spool_notices: Mutex::new(Vec::new()),
            idle: Notify::new(),
        }
    }

    fn publish(&self, outcome: &'static str, count: u64) {
        metrics::counter!(NOTIFICATIONS, "destination" => self.destination.clone(), "outcome" => outcome)
            .increment(count);
    }

    pub(crate) fn accepted(&self) {
        self.in_memory.fetch_add(1, Relaxed);
    }

    /// A notification accepted by `write()` left memory (sent, dropped or
    /// spooled). Called last, after its outcome is counted (sent, dropped,
    /// spooled, the latest error), never before.
    pub(crate) fn left_memory(&self) {
        // Release: what the task did with the notification (spool, counts)
        // is seen by whoever sees the queue shrink (Acquire).
        if self.in_memory.fetch_sub(1, Release) <= 1 {
            self.idle.notify_waiters();
        }
    }

    pub(crate) fn sent(&self, replayed: bool) {
        if replayed {
            self.replayed.fetch_add(1, Relaxed);
            self.publish("replayed", 1);
        }
        // Release, last: a snapshot that sees this count also sees the
        // spool and the other counters as they were when it was sent.
        self.sent.fetch_add(1, Release);
        self.publish("sent", 1);
    }

    pub(crate) fn retried(&self) {
        self.retried.fetch_add(1, Relaxed);
        self.publish("retried", 1);
    }

    pub(crate) fn spooled(&self) {
        self.spooled.fetch_add(1, Relaxed);
        self.publish("spooled", 1);
    }

    pub(crate) fn dropped(&self, reason: DropReason, count: u64) {
        if count == 0 {
            return;
        }
        *self.dropped.lock().entry(reason.as_str().to_owned()).or_default() += count;
        self.publish("dropped", count);
        metrics::counter!(NOTIFICATIONS_DROPPED, "destination" => self.destination.clone(), "reason" => reason.as_str())
            .increment(count);
    }

    /// The spool holds `pending` records, waiting as `backlog` says. Called
    /// before a notification that was spooled leaves the in-memory count,
    /// so a waiter never sees it neither in memory nor in the backlog.
    pub(crate) fn set_spool(&self, pending: u64, backlog: Backlog) {
        self.set_spool_pending(pending);
        let changed = std::mem::replace(&mut *self.backlog.lock(), backlog) != backlog;
        if changed {
            // Waiters decide again: the backlog may be settled now, or a
            // probe they waited for may have failed.
            self.idle.notify_waiters();
        }
    }

    pub(crate) fn set_spool_pending(&self, pending: u64) {
        self.spool_pending.store(pending, Relaxed);
    }

    /// Nothing in memory, and nothing in the spool that moves before
    /// `deadline` (see [`Backlog::settled_by`]).
    fn idle_by(&self, deadline: Option<Instant>) -> bool {
        self.in_memory.load(Acquire) == 0 && self.backlog.lock().settled_by(deadline)
    }

    pub(crate) fn set_spool_other_version(&self, lines: u64) {
        self.spool_other_version.store(lines, Relaxed);
    }

    pub(crate) fn spool_notice(&self, notice: String) {
        self.spool_notices.lock().push(notice);
    }

    pub(crate) fn disable(&self, why: String) {
        *self.disabled.lock() = Some(why);
    }

    /// Records the latest failure; says whether it should be printed too
    /// (at most once a minute, so a dead endpoint does not flood stderr).
    pub(crate) fn failed(&self, why: String) -> bool {
        let mut last = self.last_error.lock();
        let now = Instant::now();
        let printed = last.as_ref().and_then(|(_, at)| *at);
        let print = printed.is_none_or(|at| now.duration_since(at) > Duration::from_secs(60));
        let at = if print { Some(now) } else { printed };
        *last = Some((why, at));
        print
    }

    pub(crate) fn snapshot(&self) -> DestinationStats {
        // Acquire, first, the queue and then `sent`: every outcome counted
        // before a notification left the queue, and the spool as it was
        // when a notification was counted sent, are seen. (In this order a
        // notification may show as both queued and sent for an instant,
        // never as neither.)
        let queued = self.in_memory.load(Acquire);
        let sent = self.sent.load(Acquire);
        let mut stats = DestinationStats::new(self.destination.clone());
        stats.sent = sent;
        stats.retried = self.retried.load(Relaxed);
        stats.spooled = self.spooled.load(Relaxed);
        stats.replayed = self.replayed.load(Relaxed);
        stats.dropped = self.dropped.lock().clone();
        stats.disabled = self.disabled.lock().clone();
        stats.queued = queued;
        stats.spool_pending = self.spool_pending.load(Relaxed);
        stats.spool_other_version = self.spool_other_version.load(Relaxed);
        stats.spool_notices = self.spool_notices.lock().clone();
        stats.last_error = self.last_error.lock().as_ref().map(|(why, _)| why.clone());
        stats
    }
}

/// A cloneable view of one destination's delivery, usable after its
/// notifier has moved into the monitor.
///
/// ```
/// # async fn example(notifier: &monitor_sinks::delivery::DeliveryNotifier) {
/// let handle = notifier.handle();
/// if !handle.wait_idle(std::time::Duration::from_secs(10)).await {
///     eprintln!("{} still busy: {:?}", handle.destination(), handle.stats());
/// }
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct DeliveryHandle {
    pub(crate) counters: Arc<Counters>,
}

impl DeliveryHandle {
    /// The destination's name.
    pub fn destination(&self) -> &str {
        &self.counters.destination
    }

    /// What happened so far.
    pub fn stats(&self) -> DestinationStats {
        self.counters.snapshot()
    }

    /// Waits until every notification handed to the sink has been
    /// delivered or dropped, or waits in the spool for a destination that
    /// is not tried again before `timeout` ends (its circuit open for
    /// longer, or the destination disabled); or until `timeout` passed.
    /// True when idle.
    ///
    /// The spool's backlog counts: records spooled during an outage (or
    /// left by an earlier run) that are being replayed, or whose probe is
    /// due within `timeout`, are waited for, so a process that waits before
    /// it exits does not leave them behind while the destination answers.
    /// Needs a Tokio runtime with its timer enabled.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        // A timeout past the clock's range waits as long as it takes.
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let notified = self.counters.idle.notified();
            tokio::pin!(notified);
            // Registered before the check, so a wake-up in between is not missed.
            notified.as_mut().enable();
            if self.counters.idle_by(deadline) {
                return true;
            }
            match deadline {
                Some(deadline) => {
                    if tokio::time::timeout_at(deadline.into(), notified).await.is_err() {
                        return self.counters.idle_by(Some(deadline));
                    }
                }
                None => notified.await,
            }
        }
    }
}
