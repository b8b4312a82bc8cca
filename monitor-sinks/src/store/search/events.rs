//! Filters on events: what they carry (context, free text) for group and
//! event searches alike, and the whole query for events.

use std::time::SystemTime;

use monitor_runtime::{EventKind, GroupKey, Severity};

/// What a matching event carries: its context and its text. Empty by
/// default, taking every event.
///
/// ```
/// use monitor_sinks::store::EventFilter;
///
/// let filter = EventFilter {
///     service: Some("billing".into()),
///     tags: vec![("tenant".into(), "acme".into())],
///     text: Some("mandate rejected".into()),
///     ..EventFilter::default()
/// };
/// assert!(!filter.is_empty());
/// assert!(EventFilter::default().is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only events of this service.
    pub service: Option<String>,
    /// Only events of this environment.
    pub environment: Option<String>,
    /// Only events of this release.
    pub release: Option<String>,
    /// Only events of this user.
    pub user: Option<String>,
    /// Only events of this trace.
    pub trace_id: Option<String>,
    /// Only events carrying every one of these tags with these values.
    pub tags: Vec<(String, String)>,
    /// Only events whose message or template holds every word of this text
    /// (each as the start of a word, case-insensitively: `timeout` finds
    /// `Timeouts`). Words are runs of letters and digits.
    pub text: Option<String>,
}

impl EventFilter {
    /// True when it takes every event.
    pub fn is_empty(&self) -> bool {
        *self == EventFilter::default()
    }
}

/// Which events [`Store::event_page`](crate::store::Store::event_page) returns,
/// newest first, a page at a time.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use monitor_runtime::Severity;
/// use monitor_sinks::store::{EventFilter, EventQuery};
///
/// let last_hour = EventQuery {
///     min_severity: Some(Severity::Error),
///     function: Some("payments::*".into()),
///     since: Some(SystemTime::now() - Duration::from_secs(3600)),
///     context: EventFilter { trace_id: Some("4bf92f3577b34da6".into()), ..EventFilter::default() },
///     ..EventQuery::default()
/// };
/// assert_eq!(last_hour.limit, 100);
/// ```
#[derive(Clone, Debug)]
pub struct EventQuery {
    /// Only events of this severity or worse.
    pub min_severity: Option<Severity>,
    /// Only events of exactly this severity.
    pub severity: Option<Severity>,
    /// Only events of this kind.
    pub kind: Option<EventKind>,
    /// Only events of this group.
    pub group: Option<GroupKey>,
    /// Only events of this module or a module inside it; with `*`, a glob
    /// (as [`GroupQuery::module`](crate::store::GroupQuery::module)).
    pub module: Option<String>,
    /// Only events of this function (as
    /// [`GroupQuery::function`](crate::store::GroupQuery::function)).
    pub function: Option<String>,
    /// Only events of this error type.
    pub error_type: Option<String>,
    /// Only events at or after this time.
    pub since: Option<SystemTime>,
    /// Only events before this time.
    pub until: Option<SystemTime>,
    /// What the events carry: context and free text.
    pub context: EventFilter,
    /// Where a page starts: the [`Page::next`](super::Page::next) cursor of
    /// the page before.
    pub after: Option<String>,
    /// At most this many events (100 by default).
    pub limit: usize,
}

impl Default for EventQuery {
    fn default() -> Self {
        EventQuery {
            min_severity: None,
            severity: None,
            kind: None,
            group: None,
            module: None,
            function: None,
            error_type: None,
            since: None,
            until: None,
            context: EventFilter::default(),
            after: None,
            limit: 100,
        }
    }
}
