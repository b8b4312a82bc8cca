//! What happened to each destination's notifications: counted here, shown
//! by [`DeliveryStats`] and published through the `metrics` facade.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::Notify;

/// Counter of notifications by destination and outcome (`sent`, `retried`,
/// `spooled`, `replayed`, `dropped`).
pub const NOTIFICATIONS: &str = "monitor_notifications_total";
/// Counter of dropped notifications by destination and reason.
pub const NOTIFICATIONS_DROPPED: &str = "monitor_notifications_dropped_total";

/// Why a notification was dropped.
pub mod reason {
    /// The destination's in-memory queue was full.
    pub const QUEUE_FULL: &str = "queue_full";
    /// The spool was at its size cap.
    pub const SPOOL_FULL: &str = "spool_full";
    /// Writing the spool failed.
    pub const SPOOL_ERROR: &str = "spool_error";
    /// A spool line could not be read (cut short by a crash).
    pub const SPOOL_CORRUPT: &str = "spool_corrupt";
    /// The destination refused it for its content (HTTP 4xx, SMTP 5xx).
    pub const REJECTED: &str = "rejected";
    /// It could not be rendered (an e-mail that cannot be built).
    pub const RENDER_FAILED: &str = "render_failed";
    /// Spooled for another kind of destination than the one now configured.
    pub const TARGET_CHANGED: &str = "target_changed";
    /// The delivery task was gone.
    pub const STOPPED: &str = "stopped";
}

/// A snapshot of one destination's delivery.
///
/// `sent` counts every notification delivered, `replayed` those of them
/// that came from the spool; `retried` counts attempts after the first;
/// `spooled` counts notifications written to the spool.
///
/// ```
/// let stats = monitor_delivery::DeliveryStats::default();
/// assert_eq!(stats.sent + stats.dropped.values().sum::<u64>(), 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryStats {
    /// The destination's name.
    pub destination: String,
    /// Notifications delivered.
    pub sent: u64,
    /// Attempts after the first.
    pub retried: u64,
    /// Notifications written to the spool.
    pub spooled: u64,
    /// Notifications delivered from the spool.
    pub replayed: u64,
    /// Notifications dropped, by reason (see [`reason`](crate::stats::reason)).
    pub dropped: BTreeMap<String, u64>,
    /// Why the destination was disabled (a webhook that answered 404 or 410).
    pub disabled: Option<String>,
    /// Notifications waiting in memory or being delivered.
    pub queued: u64,
    /// Notifications in the spool.
    pub spool_pending: u64,
    /// The latest failure, for people.
    pub last_error: Option<String>,
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

    pub(crate) fn dropped(&self, reason: &'static str, count: u64) {
        if count == 0 {
            return;
        }
        *self.dropped.lock().entry(reason.to_owned()).or_default() += count;
        self.publish("dropped", count);
        metrics::counter!(NOTIFICATIONS_DROPPED, "destination" => self.destination.clone(), "reason" => reason)
            .increment(count);
    }

    pub(crate) fn set_spool_pending(&self, pending: u64) {
        self.spool_pending.store(pending, Relaxed);
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

    pub(crate) fn snapshot(&self) -> DeliveryStats {
        // Acquire, first, the queue and then `sent`: every outcome counted
        // before a notification left the queue, and the spool as it was
        // when a notification was counted sent, are seen. (In this order a
        // notification may show as both queued and sent for an instant,
        // never as neither.)
        let queued = self.in_memory.load(Acquire);
        let sent = self.sent.load(Acquire);
        DeliveryStats {
            destination: self.destination.clone(),
            sent,
            retried: self.retried.load(Relaxed),
            spooled: self.spooled.load(Relaxed),
            replayed: self.replayed.load(Relaxed),
            dropped: self.dropped.lock().clone(),
            disabled: self.disabled.lock().clone(),
            queued,
            spool_pending: self.spool_pending.load(Relaxed),
            last_error: self.last_error.lock().as_ref().map(|(why, _)| why.clone()),
        }
    }
}

/// A cloneable view of one destination's delivery, usable after its sink
/// has moved into the monitor.
///
/// ```
/// # async fn example(sink: &monitor_delivery::DeliverySink) {
/// let handle = sink.handle();
/// // … the sink is handed to `Monitor::builder().sink(sink)` …
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
    pub fn stats(&self) -> DeliveryStats {
        self.counters.snapshot()
    }

    /// Waits until every notification handed to the sink has been
    /// delivered, dropped or spooled, or `timeout` passed; true when idle.
    /// Needs a Tokio runtime with its timer enabled.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        // A timeout past the clock's range waits as long as it takes.
        let deadline = tokio::time::Instant::now().checked_add(timeout);
        loop {
            let notified = self.counters.idle.notified();
            tokio::pin!(notified);
            // Registered before the check, so a wake-up in between is not missed.
            notified.as_mut().enable();
            if self.counters.in_memory.load(Acquire) == 0 {
                return true;
            }
            match deadline {
                Some(deadline) => {
                    if tokio::time::timeout_at(deadline, notified).await.is_err() {
                        return self.counters.in_memory.load(Acquire) == 0;
                    }
                }
                None => notified.await,
            }
        }
    }
}
