//! The pipeline: global install state, the shared part callers use, the
//! builder, the worker and the guard that shuts it down.

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

    fn stats(&self) -> Stats {
        self.counters.snapshot(self.groups.len(), self.groups.evictions(), self.disabled_sinks.clone())
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
