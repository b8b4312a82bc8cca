//! The basic types of a capture: events, their kinds, locations, group keys,
//! statuses and snapshots.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::backtrace::Backtrace;
use crate::context::Context;
use monitor_rules::Severity;

/// Why an event was captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum EventKind {
    /// A monitored function returned `Err`, or `capture_error` was called.
    Error,
    /// A monitored function panicked (the panic went on unwinding).
    Panic,
    /// A monitored call took longer than its `slow` threshold.
    Slow,
    /// `capture_message` was called.
    Message,
}

impl EventKind {
    /// The lowercase name used in storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Error => "error",
            EventKind::Panic => "panic",
            EventKind::Slow => "slow",
            EventKind::Message => "message",
        }
    }

    /// Parses the name written by [`EventKind::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Error, Self::Panic, Self::Slow, Self::Message].into_iter().find(|kind| kind.as_str() == name)
    }
}

/// Why an occurrence was queued as an event rather than only counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum QueueReason {
    /// The first occurrence of a group this process had never seen.
    NewGroup,
    /// A resolved group seen again (it reopened).
    Regression,
    /// The first occurrence of a known group in a new deduplication window.
    #[default]
    NewWindow,
    /// Every `sample_every`th occurrence within a window.
    Sample,
}

/// Where an event comes from in the source code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Module path, such as `billing::invoices`.
    pub module: Cow<'static, str>,
    /// Function name (or the `name = "…"` given to `#[monitor]`).
    pub function: Cow<'static, str>,
    /// Source file.
    pub file: Cow<'static, str>,
    /// Line of the function (or of the `capture_*` call).
    pub line: u32,
}

/// One captured occurrence, as every sink sees it (already scrubbed).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// When it happened.
    pub timestamp: SystemTime,
    /// Why it was captured.
    pub kind: EventKind,
    /// How bad it is.
    pub severity: Severity,
    /// The 64-bit key of the group its repeats are counted in.
    pub group_key: GroupKey,
    /// The message with its variable parts masked (`invoice <*> not found`).
    pub template: String,
    /// Where it comes from.
    pub location: Location,
    /// The error's type name, when there is an error value.
    pub error_type: Option<Cow<'static, str>>,
    /// The error's message (scrubbed).
    pub message: String,
    /// Messages of the error's `source()` chain, outermost first (scrubbed).
    pub chain: Vec<String>,
    /// The context in force when it happened (scrubbed).
    pub context: Arc<Context>,
    /// Arguments named in `#[monitor(args(…))]`, `Debug`-formatted and scrubbed.
    pub args: Vec<(Cow<'static, str>, String)>,
    /// How long the call took, for monitored calls.
    pub duration: Option<Duration>,
    /// How many times the group had been seen in the current window when this
    /// event was queued (1 for the first occurrence, more for samples).
    pub occurrences: u64,
    /// Why this occurrence was queued.
    #[serde(default)]
    pub reason: QueueReason,
    /// The stack where it happened: taken for the first occurrence of a
    /// group and for panics, unless the monitor was built with
    /// [`backtraces(false)`](crate::MonitorBuilder::backtraces); `None` for
    /// every other event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backtrace: Option<Backtrace>,
}

/// A stable 64-bit key naming a group of repeated events.
///
/// ```
/// use monitor_runtime::GroupKey;
///
/// let key = GroupKey(0x2a);
/// assert_eq!(key.to_string(), "000000000000002a");
/// assert_eq!("000000000000002a".parse::<GroupKey>().unwrap(), key);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupKey(pub u64);

impl fmt::Display for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl std::str::FromStr for GroupKey {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        u64::from_str_radix(s, 16).map(GroupKey)
    }
}

/// Where a group stands in its triage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupStatus {
    /// New or unhandled.
    Open,
    /// Somebody is looking at it.
    Investigating,
    /// Fixed; seeing it again reopens it (a regression).
    Resolved,
    /// Counted, but never delivered again.
    Ignored,
}

impl GroupStatus {
    /// The lowercase name used in storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            GroupStatus::Open => "open",
            GroupStatus::Investigating => "investigating",
            GroupStatus::Resolved => "resolved",
            GroupStatus::Ignored => "ignored",
        }
    }

    /// Parses the name written by [`GroupStatus::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Open, Self::Investigating, Self::Resolved, Self::Ignored]
            .into_iter()
            .find(|status| status.as_str() == name)
    }
}

/// The counters of one group at one moment, sent to sinks so storage keeps
/// totals even for occurrences that were only counted.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GroupSnapshot {
    /// The group's key.
    pub key: GroupKey,
    /// The group's template.
    pub template: String,
    /// Where the group's events come from.
    pub location: Location,
    /// The error type of the group's events.
    pub error_type: Option<Cow<'static, str>>,
    /// The severity of the group's events.
    pub severity: Severity,
    /// The kind of the group's events.
    pub kind: EventKind,
    /// Triage status, as this process knows it.
    pub status: GroupStatus,
    /// True when this process changed the status since the previous
    /// snapshot (`set_group_status`, or a resolved group seen again). A
    /// store takes `status` only then: otherwise the status it holds (an
    /// operator's change made there) stays.
    #[serde(default)]
    pub status_changed: bool,
    /// Occurrences since the group was first seen by this process.
    pub count: u64,
    /// Occurrences since the previous snapshot of this group (what a store
    /// adds to its running total).
    pub new_occurrences: u64,
    /// When this process first saw it.
    pub first_seen: SystemTime,
    /// When this process last saw it.
    pub last_seen: SystemTime,
    /// The group this one became an alias of, when the grouper learnt that
    /// its template and another's are one (a word that looked constant is a
    /// variable). Its stored counts stay where they are; later occurrences
    /// go to the group named here.
    #[serde(default)]
    pub merged_into: Option<GroupKey>,
}
