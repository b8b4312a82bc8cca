//! What every store returns: groups, events and their queries, and the
//! error a store reports (with the kind the pipeline counts drops under).

use std::fmt;
use std::time::{Duration, SystemTime};

use monitor_runtime::{Context, EventKind, GroupKey, GroupStatus, Location, Severity, SinkError, SinkErrorKind};

use super::search::{EventFilter, GroupSort};

/// An error of the store, with the kind the pipeline counts drops under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError {
    /// What kind of failure it is (`Full`, `Locked`, `Unavailable`, …).
    pub kind: SinkErrorKind,
    /// What went wrong, naming the file, and how to fix it.
    pub message: String,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {}

impl From<StoreError> for SinkError {
    fn from(error: StoreError) -> Self {
        SinkError::new(error.kind, error.message)
    }
}

/// A group as stored: totals across every process that reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredGroup {
    /// The group's key.
    pub key: GroupKey,
    /// The group's template.
    pub template: String,
    /// Where its events come from.
    pub location: Location,
    /// Error type of its events.
    pub error_type: Option<String>,
    /// Severity of its events.
    pub severity: Severity,
    /// Triage status.
    pub status: GroupStatus,
    /// Occurrences in total.
    pub count: u64,
    /// First occurrence.
    pub first_seen: SystemTime,
    /// Latest occurrence.
    pub last_seen: SystemTime,
    /// The group this one became an alias of: the grouper learnt later that
    /// a word of its template is a variable. Its counts stay here; later
    /// occurrences are counted in the group named.
    pub merged_into: Option<GroupKey>,
    /// Who is looking into it (set by triage), if anyone.
    pub assignee: Option<String>,
}

/// An event as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    /// Row id, increasing in insertion order.
    pub id: i64,
    /// When it happened.
    pub timestamp: SystemTime,
    /// Why it was captured.
    pub kind: EventKind,
    /// How bad it is.
    pub severity: Severity,
    /// Its group.
    pub group_key: GroupKey,
    /// Its template.
    pub template: String,
    /// Where it comes from.
    pub location: Location,
    /// Error type, if any.
    pub error_type: Option<String>,
    /// Scrubbed message.
    pub message: String,
    /// Scrubbed `source()` chain.
    pub chain: Vec<String>,
    /// Context in force.
    pub context: Context,
    /// Captured arguments.
    pub args: Vec<(String, String)>,
    /// Duration of the call, if timed.
    pub duration: Option<Duration>,
    /// Occurrences in the window when it was queued.
    pub occurrences: u64,
    /// The frames of its stack backtrace, innermost first (see
    /// [`Backtrace`](monitor_runtime::Backtrace)); empty when it has none.
    pub backtrace: Vec<String>,
}

/// Which groups a store returns ([`Store::groups`](super::Store::groups),
/// [`Store::group_page`](super::Store::group_page)), or which a bulk triage
/// change applies to ([`Store::change_groups`](super::Store::change_groups)).
///
/// Filters on what a group's events carry (service, environment, release,
/// user, trace id, tags, free text) take the groups with at least one
/// stored event that matches.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use monitor_runtime::{GroupStatus, Severity};
/// use monitor_sinks::store::{EventFilter, GroupQuery, GroupSort};
///
/// let query = GroupQuery { min_severity: Some(Severity::Error), status: Some(GroupStatus::Open), ..GroupQuery::default() };
/// assert_eq!(query.limit, 100);
///
/// // Every group of `payments::sepa` (and its submodules) last seen over a week ago.
/// let stale = GroupQuery {
///     module: Some("payments::sepa".into()),
///     seen_before: Some(SystemTime::now() - Duration::from_secs(7 * 86_400)),
///     ..GroupQuery::all()
/// };
/// assert!(stale.matches_module("payments::sepa::mandates"));
/// assert!(!stale.matches_module("payments::sepa_legacy"));
///
/// // The most frequent groups of production whose events mention a timeout.
/// let noisy = GroupQuery {
///     events: EventFilter { environment: Some("production".into()), text: Some("timeout".into()), ..EventFilter::default() },
///     sort: GroupSort::Count,
///     ..GroupQuery::default()
/// };
/// # let _ = noisy;
/// ```
#[derive(Clone, Debug)]
pub struct GroupQuery {
    /// Only groups of this severity or worse.
    pub min_severity: Option<Severity>,
    /// Only groups of exactly this severity.
    pub severity: Option<Severity>,
    /// Only groups of this kind of event (errors, panics, slow calls, …).
    pub kind: Option<EventKind>,
    /// Only groups with this status.
    pub status: Option<GroupStatus>,
    /// Only groups last seen at or after this time.
    pub seen_since: Option<SystemTime>,
    /// Only groups last seen before this time.
    pub seen_before: Option<SystemTime>,
    /// Only groups of this module or of a module inside it
    /// (`payments::sepa` takes `payments::sepa::mandates`, not
    /// `payments::sepa_legacy`); with `*`, a glob as rules use
    /// (`payments::*`).
    pub module: Option<String>,
    /// Only groups of this function: a name (`charge`), or a path whose
    /// leading modules may be left out (`sepa::charge`), with `*` globs
    /// (`payments::*`), as rules match functions.
    pub function: Option<String>,
    /// Only groups of this error type.
    pub error_type: Option<String>,
    /// Only groups assigned to this person.
    pub assignee: Option<String>,
    /// Only these groups.
    pub keys: Option<Vec<GroupKey>>,
    /// Only groups with a stored event matching these (context and free
    /// text); the empty filter takes every group.
    ///
    /// Text alone is answered from the words of letters each group's
    /// events have held, which a group keeps when retention removes old
    /// events: a group matches when its events, together, held every such
    /// word (each as the start of a word, lower-cased; words are compared
    /// by their first 48 characters), and one stored event holds every
    /// word with a digit (a number, a reference). With any other event
    /// filter, one stored event must match all of them, text included.
    pub events: EventFilter,
    /// The order of the groups.
    pub sort: GroupSort,
    /// Where a page starts: the [`Page::next`](super::Page::next) cursor of
    /// the page before, with the same filters and sort.
    pub after: Option<String>,
    /// At most this many groups (100 by default; [`GroupQuery::all`] has no
    /// limit).
    pub limit: usize,
}

impl Default for GroupQuery {
    fn default() -> Self {
        GroupQuery {
            min_severity: None,
            severity: None,
            kind: None,
            status: None,
            seen_since: None,
            seen_before: None,
            module: None,
            function: None,
            error_type: None,
            assignee: None,
            keys: None,
            events: EventFilter::default(),
            sort: GroupSort::default(),
            after: None,
            limit: 100,
        }
    }
}

impl GroupQuery {
    /// Every group, without a limit: the start of a bulk change's filter.
    pub fn all() -> Self {
        GroupQuery { limit: usize::MAX, ..GroupQuery::default() }
    }

    /// Whether `module` is [`GroupQuery::module`] or inside it (always true
    /// without a module filter).
    pub fn matches_module(&self, module: &str) -> bool {
        match &self.module {
            None => true,
            Some(wanted) if wanted.contains('*') => super::search::glob_matches(wanted, module),
            Some(wanted) => {
                module == wanted || (module.starts_with(wanted.as_str()) && module[wanted.len()..].starts_with("::"))
            }
        }
    }

    /// The limit as a SQL `LIMIT` (saturating at `i64::MAX`).
    pub(crate) fn sql_limit(&self) -> i64 {
        self.limit.min(i64::MAX as usize) as i64
    }
}

/// An event's backtrace as both stores keep it: its frames, one a line
/// (a frame never holds a line break); NULL without one.
pub(crate) fn backtrace_text(event: &monitor_runtime::Event) -> Option<String> {
    event.backtrace.as_ref().map(|backtrace| backtrace.frames().join("\n")).filter(|text| !text.is_empty())
}

/// The frames of a stored backtrace (see [`backtrace_text`]).
pub(crate) fn backtrace_frames(text: Option<&str>) -> Vec<String> {
    text.map(|text| text.lines().map(str::to_owned).collect()).unwrap_or_default()
}
