//! The pipeline: global install state, the shared part callers use, the
//! builder, the worker and the guard that shuts it down.

mod audits;
mod builder;
mod calls;
mod evaluator;
mod fleet;
mod held;
mod intake;
mod shutdown;
mod sinks;
mod summaries;
mod tick;
mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use arc_swap::{ArcSwap, ArcSwapOption};
use parking_lot::Mutex;

use crate::alerting::Clock;
use crate::alerts::{AlertConfig, Destination};
use crate::audit::record::AuditRecord;
use crate::context::Context;
use crate::dedup::DedupGroups;
use crate::event::{Event, GroupKey, GroupStatus};
use crate::fingerprint::Fingerprinter;
use crate::notify::{DestinationError, NotifierFactory, Notifiers};
use crate::stats::{AlertCounters, CallerDrop, Counted, Counters, DropReason, Stats};

use audits::AuditQueue;

pub use builder::{DEFAULT_STATUS_SYNC_INTERVAL, InstallError, Monitor, MonitorBuilder};
pub(crate) use intake::Occurrence;
pub use shutdown::MonitorGuard;

/// Checked on every monitored call: a plain relaxed load, so that without
/// `install()` a monitored function costs next to nothing.
static ENABLED: AtomicBool = AtomicBool::new(false);
static CURRENT: ArcSwapOption<Shared> = ArcSwapOption::const_empty();

/// What the worker receives. Audit records have their own queue (see `audits`).
pub(crate) enum Message {
    Event(Box<Event>),
    /// Audit records are piling up in their queue: take them now.
    TakeAudits,
    Heartbeat {
        name: String,
        at: std::time::SystemTime,
    },
    Alerts(Box<AlertConfig>, Box<Notifiers>),
    Flush(flume::Sender<()>),
    Shutdown {
        deadline: std::time::Instant,
        done: flume::Sender<()>,
    },
}

/// How [`Shared::submit`] treats a full queue.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Policy {
    /// Never wait: a full queue is a counted drop (events, on the caller's
    /// thread, which must never block).
    NoWait,
    /// Wait this long for room (audit records, heartbeats and reloads are
    /// rare and must not be lost to a burst of errors).
    Wait(std::time::Duration),
}

/// Why [`Shared::submit`] did not hand a message to the worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The queue stayed full for the whole wait.
    Full,
    /// The worker has stopped.
    ShutDown,
}

/// The part of an installed monitor that callers touch. Its fields are the
/// pipeline's own: the rest of the crate goes through its methods.
pub(crate) struct Shared {
    sender: flume::Sender<Message>,
    /// Events that need no prompt look (samples, first in a new window):
    /// the worker takes them on its tick, so queuing one wakes no thread.
    quiet_events: flume::Sender<Box<Event>>,
    audits: AuditQueue,
    groups: DedupGroups,
    fingerprinter: Fingerprinter,
    counters: Counters,
    base_context: Arc<Context>,
    disabled_sinks: Vec<String>,
    clock: Arc<dyn Clock>,
    /// The system clock's milliseconds, read off the call clock; `None`
    /// with a clock of the user's (tests), which is then read instead.
    wall_millis: Option<crate::clock::WallMillis>,
    alert_counters: Arc<AlertCounters>,
    /// The destinations in force and their notifiers, swapped by a reload.
    notifiers: ArcSwap<Notifiers>,
    /// The alert configuration in force, to compare a reload with.
    destinations: Mutex<Vec<Destination>>,
    /// What makes the notifiers of destinations other than the console.
    factory: Option<Arc<dyn NotifierFactory>>,
    /// The notifiers' last counts, once shutdown dropped them.
    retired_destinations: Mutex<std::collections::BTreeMap<String, crate::notify::DestinationStats>>,
    /// The alerts a store last said are acknowledged, for the router to
    /// take on its next look.
    acknowledged_alerts: Mutex<Option<Vec<crate::alerting::AcknowledgedAlert>>>,
    /// What the fleet source said at its last look, for the rules to take.
    fleet_look: Mutex<Option<crate::alerting::FleetLook>>,
    /// The longest fleet window in force, in milliseconds (0: no fleet rules).
    fleet_window_ms: std::sync::atomic::AtomicU64,
    /// Whether a sink offers a store to read summaries from: without one,
    /// a reload with summaries is refused.
    has_summary_source: bool,
    /// Whether events carry a stack backtrace (see `MonitorBuilder::backtraces`).
    backtraces: bool,
}

impl Shared {
    /// Hands a message to the worker, by `policy`, and counts what happened
    /// under the message's kind: the one place that sends to the worker.
    pub(crate) fn submit(&self, message: Message, policy: Policy) -> Result<(), Refused> {
        let kind = MessageKind::of(&message);
        let result = match self.sender.try_send(message) {
            Ok(()) => Ok(()),
            Err(flume::TrySendError::Disconnected(_)) => Err(Refused::ShutDown),
            Err(flume::TrySendError::Full(message)) => match policy {
                Policy::NoWait => Err(Refused::Full),
                Policy::Wait(timeout) => wait_for_room(&self.sender, message, timeout),
            },
        };
        self.count_submission(kind, result);
        result
    }

    /// Queues an event the worker takes on its next tick, without waking it.
    pub(crate) fn submit_quiet(&self, event: Box<Event>) {
        let result = match self.quiet_events.try_send(event) {
            Ok(()) => Ok(()),
            Err(flume::TrySendError::Full(_)) => Err(Refused::Full),
            Err(flume::TrySendError::Disconnected(_)) => Err(Refused::ShutDown),
        };
        self.count_submission(MessageKind::Event, result);
    }

    /// Quiet events no worker will take any more (once it has stopped).
    pub(super) fn quiet_events_left(&self) -> u64 {
        self.quiet_events.len() as u64
    }

    /// Hands an audit record to the worker, waiting at most `timeout` for
    /// room, and counts what happened.
    pub(crate) fn submit_audit(&self, record: AuditRecord, timeout: std::time::Duration) -> Result<(), Refused> {
        let result = self.audits.push(record, timeout, || self.nudge_worker());
        self.count_submission(MessageKind::Audit, result);
        result
    }

    /// [`Shared::submit_audit`] for async callers: a wait for room runs on
    /// Tokio's blocking pool when there is a runtime.
    pub(crate) async fn submit_audit_async(
        &self,
        record: AuditRecord,
        timeout: std::time::Duration,
    ) -> Result<(), Refused> {
        let result = self.audits.push_async(record, timeout, || self.nudge_worker()).await;
        self.count_submission(MessageKind::Audit, result);
        result
    }

    /// Wakes the worker to take the audit records. Never waits: when the
    /// queue is full the worker is awake anyway, and its tick takes them.
    pub(super) fn nudge_worker(&self) {
        let _ = self.sender.try_send(Message::TakeAudits);
    }

    fn count_submission(&self, kind: MessageKind, result: Result<(), Refused>) {
        let counters = &self.counters;
        match (kind, result) {
            (MessageKind::Event, Ok(())) => counters.count(Counted::Queued),
            (MessageKind::Event, Err(Refused::Full)) => counters.count(Counted::Dropped(CallerDrop::QueueFull)),
            (MessageKind::Event, Err(Refused::ShutDown)) => counters.drop_events(&DropReason::ShutDown, 1),
            (MessageKind::Audit, Ok(())) => counters.count(Counted::AuditQueued),
            (MessageKind::Audit, Err(Refused::Full)) => counters.drop_events(&DropReason::AuditQueueTimeout, 1),
            (MessageKind::Audit, Err(Refused::ShutDown)) => counters.drop_events(&DropReason::AuditShutDown, 1),
            (MessageKind::Control, Err(Refused::Full)) => counters.drop_events(&DropReason::ControlQueueTimeout, 1),
            (MessageKind::Control, _) => {}
        }
    }

    /// Whether first occurrences and panics carry a stack backtrace.
    pub(crate) fn wants_backtraces(&self) -> bool {
        self.backtraces
    }

    /// The service's own context (from the builder), under every scope.
    pub(crate) fn base_context(&self) -> &Arc<Context> {
        &self.base_context
    }

    /// Now, by the monitor's one clock (dedup windows, rules, timestamps).
    pub(crate) fn now(&self) -> std::time::SystemTime {
        self.clock.now()
    }

    /// Now in milliseconds since the epoch, as cheaply as it can be read.
    pub(crate) fn now_millis(&self) -> u64 {
        match &self.wall_millis {
            Some(wall) => wall.now(),
            None => crate::dedup::millis_since_epoch(self.clock.now()),
        }
    }

    /// Takes the call clock's offset to the system clock again (each tick).
    pub(super) fn anchor_clock(&self) {
        if let Some(wall) = &self.wall_millis {
            wall.anchor();
        }
    }

    fn stats(&self) -> Stats {
        let mut stats = self.counters.snapshot(self.groups.len(), self.groups.evictions(), self.disabled_sinks.clone());
        stats.alerts = self.alert_counters.get();
        stats.destinations = self.notifiers.load().stats();
        if stats.destinations.is_empty() {
            stats.destinations = self.retired_destinations.lock().clone();
        }
        stats
    }
}

/// What a message counts as when it is submitted.
#[derive(Clone, Copy)]
enum MessageKind {
    Event,
    Audit,
    Control,
}

impl MessageKind {
    fn of(message: &Message) -> Self {
        match message {
            Message::Event(_) => MessageKind::Event,
            _ => MessageKind::Control,
        }
    }
}

fn wait_for_room(
    sender: &flume::Sender<Message>,
    message: Message,
    timeout: std::time::Duration,
) -> Result<(), Refused> {
    match sender.send_timeout(message, timeout) {
        Ok(()) => Ok(()),
        Err(flume::SendTimeoutError::Timeout(_)) => Err(Refused::Full),
        Err(flume::SendTimeoutError::Disconnected(_)) => Err(Refused::ShutDown),
    }
}

#[inline]
pub(crate) fn is_installed() -> bool {
    ENABLED.load(Relaxed)
}

pub(crate) fn current() -> Option<Arc<Shared>> {
    if !is_installed() {
        return None;
    }
    CURRENT.load_full()
}

/// Runs `f` with the installed monitor, if there is one. Cheaper than
/// [`current`] on the caller's hot paths: the monitor is borrowed for the
/// call, no reference count is touched.
pub(crate) fn with_current<R>(f: impl FnOnce(&Shared) -> R) -> Option<R> {
    if !is_installed() {
        return None;
    }
    let current = CURRENT.load();
    current.as_deref().map(f)
}

fn set_current(shared: Option<Arc<Shared>>) {
    ENABLED.store(shared.is_some(), Relaxed);
    CURRENT.store(shared);
}

/// What happened to captured events since the current monitor was installed
/// (all zero, with `installed: false`, when none is).
pub fn stats() -> Stats {
    current().map(|shared| shared.stats()).unwrap_or_default()
}

/// Reports that the heartbeat `name` is alive; a rule `when absent(heartbeat
/// = "name") for 20m` fires when it stays silent longer. Costs one message
/// to the worker; does nothing without an installed monitor.
///
/// ```
/// let _guard = monitor_runtime::Monitor::builder().install().unwrap();
/// monitor_runtime::heartbeat("health");
/// ```
pub fn heartbeat(name: &str) {
    if let Some(shared) = current() {
        let at = shared.now();
        // A lost heartbeat is counted; the next one makes up for it.
        let _ = shared.submit(Message::Heartbeat { name: name.to_owned(), at }, CONTROL_WAIT);
    }
}

/// How long a heartbeat or a reload waits for room in the worker's queue.
const CONTROL_WAIT: Policy = Policy::Wait(std::time::Duration::from_millis(250));

/// Why [`reload_alerts`] or [`reload_alerts_from_path`] did not take a configuration.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReloadError {
    /// No monitor is installed.
    NotInstalled,
    /// The rule file has mistakes; the previous rules keep running.
    Invalid(crate::alerts::ConfigErrors),
    /// A new or changed destination cannot be delivered to (a malformed
    /// URL, no SMTP server, no delivery configured); the previous rules
    /// and destinations keep running.
    Destination(DestinationError),
    /// The worker's queue stayed full (or the worker stopped): the new
    /// rules were not taken and the previous ones keep running; try again.
    Busy,
    /// The configuration has summaries, but no sink writes to a store they
    /// can be read from; the previous rules keep running.
    NoSummaryStore {
        /// The summaries.
        summaries: Vec<String>,
    },
}

impl std::fmt::Display for ReloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReloadError::NotInstalled => f.write_str("no monitor is installed: install one before reloading its rules"),
            ReloadError::Invalid(errors) => {
                write!(f, "the new rules were not taken, the previous ones keep running: {errors}")
            }
            ReloadError::Destination(error) => {
                write!(f, "the new rules were not taken, the previous ones keep running: {error}")
            }
            ReloadError::NoSummaryStore { summaries } => write!(
                f,
                "the new rules were not taken, the previous ones keep running: {}",
                builder::no_summary_store(summaries)
            ),
            ReloadError::Busy => f.write_str(
                "the monitor's queue stayed full for 250 ms: the new rules were not taken, the previous ones keep \
                 running; try the reload again",
            ),
        }
    }
}

impl std::error::Error for ReloadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReloadError::Invalid(errors) => Some(errors),
            ReloadError::Destination(error) => Some(error),
            ReloadError::NotInstalled | ReloadError::Busy | ReloadError::NoSummaryStore { .. } => None,
        }
    }
}

/// Replaces the installed monitor's alert rules and destinations. Rules
/// that did not change keep their windows and firing alerts; alerts of
/// rules that are gone or changed resolve.
///
/// Destinations may be added, changed and removed, of any kind: the
/// notifiers of new and changed ones are made first (by the factory given
/// to [`MonitorBuilder::delivery`]), so a destination that cannot work
/// refuses the whole reload ([`ReloadError::Destination`]) and changes
/// nothing. Unchanged destinations keep their notifier (its queue, spool
/// and counts); a removed one delivers or spools what it holds, then stops.
pub fn reload_alerts(config: AlertConfig) -> Result<(), ReloadError> {
    let shared = current().ok_or(ReloadError::NotInstalled)?;
    if !shared.has_summary_source && !config.summaries.is_empty() {
        let summaries = config.summaries.iter().map(|summary| summary.name.clone()).collect();
        return Err(ReloadError::NoSummaryStore { summaries });
    }
    // One reload at a time: each builds on the destinations in force.
    let mut destinations = shared.destinations.lock();
    let current_notifiers = shared.notifiers.load_full();
    let notifiers = Notifiers::build(&config.destinations, Some(&current_notifiers), shared.factory.as_deref())
        .map_err(ReloadError::Destination)?;
    let new_destinations = config.destinations.clone();
    shared
        .submit(Message::Alerts(Box::new(config), Box::new(notifiers)), CONTROL_WAIT)
        .map_err(|_| ReloadError::Busy)?;
    *destinations = new_destinations;
    Ok(())
}

/// Reads and checks a rule file, then [`reload_alerts`]. A file with
/// mistakes changes nothing: every mistake is listed with file, line and
/// column, and the previous rules keep running.
///
/// ```
/// use monitor_runtime::{reload_alerts_from_path, ReloadError};
///
/// let _guard = monitor_runtime::Monitor::builder().install().unwrap();
/// let file = std::env::temp_dir().join(format!("rules-{}.toml", std::process::id()));
/// std::fs::write(&file, "[[rules]]\nname = \"typo\"\nwhen = \"errors > 0 within 0s\"\n").unwrap();
/// match reload_alerts_from_path(&file) {
///     Err(ReloadError::Invalid(errors)) => assert!(errors.0.len() >= 2, "{errors}"),
///     other => panic!("expected the file to be refused: {other:?}"),
/// }
/// # std::fs::remove_file(file).ok();
/// ```
pub fn reload_alerts_from_path(path: impl AsRef<std::path::Path>) -> Result<(), ReloadError> {
    if current().is_none() {
        return Err(ReloadError::NotInstalled);
    }
    let config = crate::alerts::AlertConfig::from_path(path).map_err(ReloadError::Invalid)?;
    reload_alerts(config)
}

/// Sets a group's triage status. Ignored groups are counted but never
/// delivered; a resolved group seen again reopens as a regression. Returns
/// false when the group is not in memory (never seen, or evicted).
///
/// ```
/// use monitor_runtime::{set_group_status, GroupKey, GroupStatus};
///
/// let _guard = monitor_runtime::Monitor::builder().install().unwrap();
/// assert!(!set_group_status(GroupKey(1), GroupStatus::Ignored), "no such group yet");
/// ```
pub fn set_group_status(key: GroupKey, status: GroupStatus) -> bool {
    current().is_some_and(|shared| shared.groups.set_status(key, status))
}

/// The triage status of a group held in memory.
pub fn group_status(key: GroupKey) -> Option<GroupStatus> {
    current().and_then(|shared| shared.groups.status(key))
}
