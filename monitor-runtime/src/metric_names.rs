//! Names of the metrics published through the [`metrics`] facade.
//!
//! Install any `metrics` recorder (Prometheus, StatsD, …) before
//! `install()`; each call site registers its handles on its first call. The
//! event counters are published by the worker at each flush interval, so
//! capturing an event never touches the recorder.
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `monitor_calls_total` | counter | `module`, `function`, `outcome` (`ok`, `error`, `panic`, `cancelled`) |
//! | `monitor_call_duration_seconds` | histogram | `module`, `function` |
//! | `monitor_events_captured_total` | counter | |
//! | `monitor_events_dropped_total` | counter | `reason` |
//! | `monitor_events_delivered_total` | counter | `sink` |
//! | `monitor_groups` | gauge | |
//! | `monitor_notifications_total` | counter | `destination`, `outcome` |
//! | `monitor_notifications_dropped_total` | counter | `destination`, `reason` |

/// Counter of finished monitored calls.
pub const CALLS: &str = "monitor_calls_total";
/// Histogram of monitored call durations, in seconds.
pub const CALL_DURATION: &str = "monitor_call_duration_seconds";
/// Counter of captured events (before dedup).
pub const EVENTS_CAPTURED: &str = "monitor_events_captured_total";
/// Counter of events not delivered, by reason.
pub const EVENTS_DROPPED: &str = "monitor_events_dropped_total";
/// Counter of events delivered, by sink.
pub const EVENTS_DELIVERED: &str = "monitor_events_delivered_total";
/// Gauge of live dedup groups.
pub const GROUPS: &str = "monitor_groups";
/// Counter of alert notifications by destination and outcome (`sent`,
/// `retried`, `spooled`, `replayed`, `dropped`), published by the
/// destinations' notifiers.
pub const NOTIFICATIONS: &str = "monitor_notifications_total";
/// Counter of dropped alert notifications by destination and reason.
pub const NOTIFICATIONS_DROPPED: &str = "monitor_notifications_dropped_total";

/// Gives the installed recorder each metric's unit and help text (what a
/// Prometheus exposition shows as `# HELP`). [`Monitor::builder`]'s
/// `install()` calls it; call it again after installing a recorder later.
///
/// [`Monitor::builder`]: crate::Monitor::builder
///
/// ```
/// monitor_runtime::metric_names::describe();
/// ```
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(CALLS, Unit::Count, "Finished monitored calls, by module, function and outcome.");
    describe_histogram!(CALL_DURATION, Unit::Seconds, "Durations of monitored calls, by module and function.");
    describe_counter!(EVENTS_CAPTURED, Unit::Count, "Events captured, before deduplication.");
    describe_counter!(EVENTS_DROPPED, Unit::Count, "Events not delivered, by reason.");
    describe_counter!(EVENTS_DELIVERED, Unit::Count, "Events delivered, by sink.");
    describe_gauge!(GROUPS, Unit::Count, "Error groups the deduplicator holds.");
    describe_counter!(NOTIFICATIONS, Unit::Count, "Alert notifications, by destination and outcome.");
    describe_counter!(NOTIFICATIONS_DROPPED, Unit::Count, "Alert notifications dropped, by destination and reason.");
}
