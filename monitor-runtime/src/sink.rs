//! The one small trait every destination implements.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::alerting::{AcknowledgedAlert, FleetSource, Notification};
use crate::audit::record::AuditRecord;
use crate::event::{Event, GroupKey, GroupSnapshot, GroupStatus};

/// A destination for batches of events: storage, console, webhooks, e-mail.
///
/// Each sink runs in its own task with its own bounded queue, so a slow sink
/// holds back no other. The tasks share the worker's thread: a sink must not
/// block it (do blocking I/O in `tokio::task::spawn_blocking`, as the SQLite
/// sink does). Errors are counted as drops under the sink's name and
/// the error's [`SinkErrorKind`].
///
/// ```
/// use monitor_runtime::{async_trait, Batch, Sink, SinkError};
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// #[derive(Default)]
/// struct CountingSink(AtomicUsize);
///
/// #[async_trait]
/// impl Sink for CountingSink {
///     fn name(&self) -> &str {
///         "counting"
///     }
///
///     async fn write(&self, batch: &Batch) -> Result<(), SinkError> {
///         self.0.fetch_add(batch.events.len(), Ordering::Relaxed);
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait Sink: Send + Sync + 'static {
    /// A short name for stats and error messages, such as `sqlite`.
    fn name(&self) -> &str;

    /// Called once by `install()` before any batch: open files, connect,
    /// create tables. An error here stops `install()` (or disables this sink
    /// when it was added with `optional_sink`).
    fn start(&mut self) -> Result<(), SinkError> {
        Ok(())
    }

    /// The triage statuses this sink holds for groups that are not open,
    /// read once by `install()` after [`Sink::start`]. A store is the truth
    /// for statuses: a group resolved there and seen again is reported as a
    /// regression, an ignored one stays quiet. Sinks that keep no statuses
    /// leave the default (none). An error is reported on stderr and the
    /// monitor starts without them.
    fn stored_statuses(&self) -> Result<Vec<(GroupKey, GroupStatus)>, SinkError> {
        Ok(Vec::new())
    }

    /// Statuses that changed in this sink's store since the previous call
    /// (the sink keeps its own cursor), changed by an operator or by another
    /// instance sharing the store. Called every
    /// [`status_sync_interval`](crate::MonitorBuilder::status_sync_interval),
    /// in order with the batches. A group resolved there and seen again here
    /// is then reported as a regression; an ignored one stays quiet. Sinks
    /// that keep no statuses leave the default (none). An error is reported
    /// (at most once a minute) and the call is made again next time.
    async fn status_changes(&self) -> Result<Vec<(GroupKey, GroupStatus)>, SinkError> {
        Ok(Vec::new())
    }

    /// The alerts acknowledged in this sink's store: `None` for a sink that
    /// keeps no alerts (the default). Read with
    /// [`Sink::status_changes`]; the router then sends no repeat
    /// notifications for them until they resolve or their severity rises.
    async fn acknowledged_alerts(&self) -> Result<Option<Vec<AcknowledgedAlert>>, SinkError> {
        Ok(None)
    }

    /// Where fleet rules (`... across fleet`) read every instance's counts
    /// and take their turn to lead: a sink writing to a store shared by many
    /// instances offers one. Asked once, after [`Sink::start`].
    fn fleet(&self) -> Option<Arc<dyn FleetSource>> {
        None
    }

    /// Where scheduled summaries are read from: a sink writing to a store
    /// offers one, sharing the lead with its [`Sink::fleet`] so that one
    /// instance of a fleet sends each summary. Asked once, after [`Sink::start`].
    fn summaries(&self) -> Option<Arc<dyn crate::summary::SummarySource>> {
        None
    }

    /// Writes one batch. Called for one batch at a time, in order.
    async fn write(&self, batch: &Batch) -> Result<(), SinkError>;

    /// Makes everything written so far durable. Called on flush and shutdown.
    async fn flush(&self) -> Result<(), SinkError> {
        Ok(())
    }
}

/// What the worker hands to each sink at once.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// Events queued since the last batch, in the order they were captured.
    pub events: Vec<Arc<Event>>,
    /// Groups whose counters changed since the last batch.
    pub groups: Vec<GroupSnapshot>,
    /// Audit records, in the order they were recorded (never deduplicated).
    pub audits: Vec<Arc<AuditRecord>>,
    /// A record of the alert notifications the router released, each
    /// already handed to its destination's notifier: storage keeps them.
    pub notifications: Vec<Arc<Notification>>,
    /// Calls per function and minute: a minute once it is over, or what
    /// a minute has counted so far when the monitor flushes or stops.
    pub calls: Vec<crate::CallCounts>,
}

impl Batch {
    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.groups.is_empty()
            && self.audits.is_empty()
            && self.notifications.is_empty()
            && self.calls.is_empty()
    }
}

/// Why a sink could not take a batch; the kind becomes the drop reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SinkErrorKind {
    /// The destination cannot be reached or opened.
    Unavailable,
    /// The destination is out of space (a full disk).
    Full,
    /// The destination is locked by someone else (a busy database).
    Locked,
    /// The destination refused the data as invalid.
    Rejected,
    /// Anything else.
    Other,
}

impl SinkErrorKind {
    /// The name used in drop reasons, such as `storage_full`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SinkErrorKind::Unavailable => "unavailable",
            SinkErrorKind::Full => "storage_full",
            SinkErrorKind::Locked => "storage_locked",
            SinkErrorKind::Rejected => "rejected",
            SinkErrorKind::Other => "sink_error",
        }
    }
}

/// An error from a sink: its kind, for counting, and a message for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SinkError {
    /// What kind of failure this is.
    pub kind: SinkErrorKind,
    /// What went wrong and, where possible, how to fix it.
    pub message: String,
}

impl SinkError {
    /// A new error of `kind`.
    ///
    /// ```
    /// use monitor_runtime::{SinkError, SinkErrorKind};
    ///
    /// let err = SinkError::new(SinkErrorKind::Full, "disk full while writing monitor.db");
    /// assert_eq!(err.to_string(), "storage_full: disk full while writing monitor.db");
    /// ```
    pub fn new(kind: SinkErrorKind, message: impl Into<String>) -> Self {
        SinkError { kind, message: message.into() }
    }
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

impl std::error::Error for SinkError {}

/// Consumes and ignores [`Batch`]es; handy to measure the pipeline alone.
#[derive(Clone, Copy, Debug, Default)]
pub struct NullSink;

#[async_trait]
impl Sink for NullSink {
    fn name(&self) -> &str {
        "null"
    }

    async fn write(&self, _batch: &Batch) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Keeps everything it receives in memory: for tests, examples and
/// development. Clones share the same storage.
///
/// ```
/// use monitor_runtime::{capture_message, MemorySink, Monitor, Severity};
///
/// let sink = MemorySink::new();
/// let guard = Monitor::builder().sink(sink.clone()).install().unwrap();
/// capture_message("disk almost full", Severity::Warning);
/// guard.shutdown();
/// assert_eq!(sink.events()[0].message, "disk almost full");
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemorySink {
    inner: std::sync::Arc<parking_lot::Mutex<MemoryContents>>,
}

#[derive(Debug, Default)]
struct MemoryContents {
    events: Vec<std::sync::Arc<crate::event::Event>>,
    audits: Vec<std::sync::Arc<crate::audit::AuditRecord>>,
    groups: std::collections::BTreeMap<crate::event::GroupKey, crate::event::GroupSnapshot>,
    notifications: Vec<std::sync::Arc<crate::alerting::Notification>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event received, in order.
    pub fn events(&self) -> Vec<std::sync::Arc<crate::event::Event>> {
        self.inner.lock().events.clone()
    }

    /// Every audit record received, in order.
    pub fn audits(&self) -> Vec<std::sync::Arc<crate::audit::AuditRecord>> {
        self.inner.lock().audits.clone()
    }

    /// Every alert notification received, in order.
    pub fn notifications(&self) -> Vec<std::sync::Arc<crate::alerting::Notification>> {
        self.inner.lock().notifications.clone()
    }

    /// The latest snapshot of every group received, by key.
    pub fn groups(&self) -> Vec<crate::event::GroupSnapshot> {
        self.inner.lock().groups.values().cloned().collect()
    }
}

#[async_trait]
impl Sink for MemorySink {
    fn name(&self) -> &str {
        "memory"
    }

    async fn write(&self, batch: &Batch) -> Result<(), SinkError> {
        let mut contents = self.inner.lock();
        contents.events.extend(batch.events.iter().cloned());
        contents.audits.extend(batch.audits.iter().cloned());
        contents.notifications.extend(batch.notifications.iter().cloned());
        for group in &batch.groups {
            contents.groups.insert(group.key, group.clone());
        }
        Ok(())
    }
}
