//! The pipeline: global install state, the shared part callers use, the
//! builder, the worker and the guard that shuts it down.

mod alerting;
mod builder;
mod shutdown;
mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use arc_swap::ArcSwapOption;

use crate::context::Context;
use crate::dedup::DedupGroups;
use crate::event::{Event, GroupKey, GroupStatus};
use crate::fingerprint::Fingerprinter;
use crate::stats::{self, Counters, Stats};

pub use alerting::AlertStats;
pub use builder::{InstallError, Monitor, MonitorBuilder};
pub use shutdown::MonitorGuard;

/// Checked on every monitored call: a plain relaxed load, so that without
/// `install()` a monitored function costs next to nothing.
static ENABLED: AtomicBool = AtomicBool::new(false);
static CURRENT: ArcSwapOption<Shared> = ArcSwapOption::const_empty();

/// What the worker receives.
pub(crate) enum Message {
    Event(Box<Event>),
    Audit(Box<crate::audit::AuditRecord>),
    Heartbeat { name: String, at: std::time::SystemTime },
    Alerts(Box<crate::alerts::AlertConfig>),
    Flush(flume::Sender<()>),
    Shutdown { deadline: std::time::Instant, done: flume::Sender<()> },
}

/// The part of an installed monitor that callers touch.
pub(crate) struct Shared {
    pub sender: flume::Sender<Message>,
    pub groups: DedupGroups,
    pub fingerprinter: Fingerprinter,
    pub counters: Counters,
    pub base_context: Arc<Context>,
    pub disabled_sinks: Vec<String>,
    pub clock: Arc<dyn crate::rules::Clock>,
    pub alert_counters: Arc<alerting::AlertCounters>,
    /// The alert destinations given at start-up: delivery sinks are made
    /// from them then, so a reload may not add or change network ones.
    pub destinations: Vec<crate::alerts::Destination>,
}

impl Shared {
    /// Offers a message to the worker without waiting; a full queue is a
    /// counted drop, never a blocked caller.
    pub(crate) fn enqueue(&self, message: Message) {
        match self.sender.try_send(message) {
            Ok(()) => {
                self.counters.queued.fetch_add(1, Relaxed);
            }
            Err(flume::TrySendError::Full(_)) => self.counters.count_caller_drop(stats::QUEUE_FULL),
            Err(flume::TrySendError::Disconnected(_)) => self.counters.drop_events("shut_down", 1),
        }
    }

    /// Heartbeats and reloads are rare and must not be lost to a burst of
    /// errors: they wait (briefly) for room rather than being dropped.
    /// True when the worker got it.
    pub(crate) fn enqueue_control(&self, message: Message) -> bool {
        match self.sender.send_timeout(message, std::time::Duration::from_millis(250)) {
            Ok(()) => true,
            Err(flume::SendTimeoutError::Timeout(_)) => {
                self.counters.drop_events(stats::CONTROL_QUEUE_TIMEOUT, 1);
                false
            }
            Err(flume::SendTimeoutError::Disconnected(_)) => false,
        }
    }

    fn stats(&self) -> Stats {
        let mut stats = self.counters.snapshot(self.groups.len(), self.groups.evictions(), self.disabled_sinks.clone());
        stats.alerts = self.alert_counters.get();
        stats
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
        let at = shared.clock.now();
        // A lost heartbeat is counted; the next one makes up for it.
        let _ = shared.enqueue_control(Message::Heartbeat { name: name.to_owned(), at });
    }
}

/// Why [`reload_alerts`] or [`reload_alerts_from_path`] did not take a configuration.
#[derive(Debug, PartialEq, Eq)]
pub enum ReloadError {
    /// No monitor is installed.
    NotInstalled,
    /// The rule file has mistakes; the previous rules keep running.
    Invalid(crate::alerts::ConfigErrors),
    /// The worker's queue stayed full (or the worker stopped): the new
    /// rules were not taken and the previous ones keep running; try again.
    Busy,
    /// The new rules add or change destinations that deliver over the
    /// network (webhooks, e-mail). Their delivery sinks were made from the
    /// destinations at start-up, so a reload cannot reach a new address;
    /// the previous rules keep running. Holds the names of the destinations
    /// concerned (never their URLs, which carry secrets).
    DestinationsChanged(Vec<String>),
}

impl std::fmt::Display for ReloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReloadError::NotInstalled => f.write_str("no monitor is installed: install one before reloading its rules"),
            ReloadError::Invalid(errors) => {
                write!(f, "the new rules were not taken, the previous ones keep running: {errors}")
            }
            ReloadError::Busy => f.write_str(
                "the monitor's queue stayed full for 250 ms: the new rules were not taken, the previous ones keep \
                 running; try the reload again",
            ),
            ReloadError::DestinationsChanged(names) => write!(
                f,
                "the new rules add or change the destinations {}: destinations are connected when the monitor \
                 starts, so the new rules were not taken and the previous ones keep running; keep the destinations \
                 as they are in a reload, and restart the process to change them",
                names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

impl std::error::Error for ReloadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReloadError::Invalid(errors) => Some(errors),
            ReloadError::NotInstalled | ReloadError::Busy | ReloadError::DestinationsChanged(_) => None,
        }
    }
}

/// Replaces the installed monitor's alert rules. Rules that did not change
/// keep their windows and firing alerts; alerts of rules that are gone or
/// changed resolve.
///
/// Destinations that deliver over the network (webhooks, e-mail) must stay
/// as they were at start-up ([`ReloadError::DestinationsChanged`]);
/// console destinations may come and go, and unused ones may be removed.
/// A destination's rate limit (`at most N per minute`) may change: the
/// router takes the new one.
pub fn reload_alerts(config: crate::alerts::AlertConfig) -> Result<(), ReloadError> {
    let shared = current().ok_or(ReloadError::NotInstalled)?;
    let changed = changed_destinations(&shared.destinations, &config.destinations);
    if !changed.is_empty() {
        return Err(ReloadError::DestinationsChanged(changed));
    }
    if shared.enqueue_control(Message::Alerts(Box::new(config))) { Ok(()) } else { Err(ReloadError::Busy) }
}

/// Names of the network destinations in `new` that are not among those of
/// start-up with the same name and target (their rate limits may differ:
/// the router, not the sink, keeps to them).
fn changed_destinations(installed: &[crate::alerts::Destination], new: &[crate::alerts::Destination]) -> Vec<String> {
    let is_network = |destination: &crate::alerts::Destination| destination.target != crate::alerts::Target::Console;
    new.iter()
        .filter(|destination| {
            let before = installed.iter().find(|old| old.name == destination.name);
            match before {
                // A start-up delivery sink keeps sending to its address under
                // this name, whatever the new target says.
                Some(old) if is_network(old) => old.target != destination.target,
                _ => is_network(destination),
            }
        })
        .map(|destination| destination.name.clone())
        .collect()
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
