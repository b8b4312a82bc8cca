#![allow(unreachable_pub)]
//! What the conformance suite needs from each store, and builders of the
//! records a batch carries (built through their serde form, since the
//! pipeline's types are not built by hand elsewhere).

pub mod cases;
pub mod count_retention;
pub mod search;
pub mod summary;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use monitor_runtime::alerting::{Alert, AlertDetails, AlertState, Notification};
use monitor_runtime::audit::{AuditRecord, AuditRecordBuilder, ComplianceStatus};
use monitor_runtime::{Batch, Context, Event, EventKind, GroupKey, GroupSnapshot, GroupStatus, Severity, async_trait};
use monitor_sinks::sqlite::AuditKeyRing;
use monitor_sinks::store::{Store, StoreError};
use serde_json::json;

/// One database a case runs against, fresh for the case.
#[async_trait]
pub trait TestDatabase: Send + Sync {
    /// A handle on it, as one more instance would open it.
    async fn open(&self) -> Result<Arc<dyn Store>, StoreError>;
    /// A handle whose audit chain is keyed.
    async fn open_keyed(&self, keys: AuditKeyRing) -> Result<Arc<dyn Store>, StoreError>;
    /// Marks the database as migrated by a release newer than this one.
    async fn pretend_newer_schema(&self);
    /// Runs `sql` behind the store's back, as someone who can write the
    /// database but has no key would.
    async fn tamper(&self, sql: &str);
}

/// A fixed time: `secs` seconds after a day in 2027.
pub fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

/// A group's key from a small number.
pub fn key(n: u64) -> GroupKey {
    GroupKey(0x5eed_0000 + n)
}

/// A group's counters as the worker hands them on.
pub struct Group {
    pub key: GroupKey,
    pub module: &'static str,
    pub severity: Severity,
    pub new: u64,
    pub first: SystemTime,
    pub last: SystemTime,
    pub status: GroupStatus,
    pub status_changed: bool,
}

impl Group {
    pub fn new(n: u64, module: &'static str, new: u64, first: SystemTime, last: SystemTime) -> Self {
        Group {
            key: key(n),
            module,
            severity: Severity::Error,
            new,
            first,
            last,
            status: GroupStatus::Open,
            status_changed: false,
        }
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn status(mut self, status: GroupStatus, changed: bool) -> Self {
        self.status = status;
        self.status_changed = changed;
        self
    }

    pub fn snapshot(&self) -> GroupSnapshot {
        serde_json::from_value(json!({
            "key": self.key,
            "template": format!("payment <*> failed in {}", self.module),
            "location": { "module": self.module, "function": "submit", "file": "src/pay.rs", "line": 42 },
            "error_type": "BankError",
            "severity": self.severity,
            "kind": EventKind::Error,
            "status": self.status,
            "status_changed": self.status_changed,
            "count": self.new,
            "new_occurrences": self.new,
            "first_seen": self.first,
            "last_seen": self.last,
            "merged_into": null,
        }))
        .expect("a group snapshot")
    }
}

/// An event of group `n` at `when`.
pub fn event(n: u64, message: &str, when: SystemTime) -> Event {
    let context = Context { service: Some("payments".into()), user: Some("u-17".into()), ..Context::default() };
    serde_json::from_value(json!({
        "timestamp": when,
        "kind": EventKind::Error,
        "severity": Severity::Error,
        "group_key": key(n),
        "template": "payment <*> failed",
        "location": { "module": "payments::sepa", "function": "submit", "file": "src/pay.rs", "line": 42 },
        "error_type": "BankError",
        "message": message,
        "chain": ["connection reset"],
        "context": context,
        "args": [["batch", "7"]],
        "duration": { "secs": 0, "nanos": 1_500_000 },
        "occurrences": 3,
        "reason": "new_group",
    }))
    .expect("an event")
}

/// An event of group `n` at `when` with this severity and kind.
pub fn event_of(n: u64, message: &str, when: SystemTime, severity: Severity, kind: EventKind) -> Event {
    let mut value = serde_json::to_value(event(n, message, when)).expect("an event");
    value["severity"] = json!(severity);
    value["kind"] = json!(kind);
    serde_json::from_value(value).expect("an event")
}

/// An audit record of `process`.
pub fn audit(process: &'static str, action: &'static str, status: ComplianceStatus, reference: u64) -> AuditRecord {
    let mut builder = AuditRecordBuilder::new(process, action, status);
    builder.reference("mandate", &reference).actor(&"clerk-3").detail("amount_cents", &1250);
    builder.finish()
}

/// An alert of rule `rule` as the router hands it on.
pub fn alert(rule: &str, state: AlertState, severity: Severity, starts: SystemTime, ends: Option<SystemTime>) -> Alert {
    Alert {
        rule: rule.to_owned(),
        severity,
        labels: [("module".to_owned(), "payments::sepa".to_owned())].into(),
        state,
        value: 12.0,
        threshold: 10.0,
        summary: "12 errors within 5m (more than 10)".to_owned(),
        starts_at: starts,
        ends_at: ends,
        repeat_interval: Duration::from_secs(3600),
        details: AlertDetails::default(),
    }
}

/// One notification of `alert` to each destination.
pub fn notifications(alert: &Alert, key: &str, destinations: &[&str]) -> Vec<Arc<Notification>> {
    destinations
        .iter()
        .map(|destination| {
            Arc::new(Notification {
                key: key.to_owned(),
                destination: (*destination).to_owned(),
                alert: alert.clone(),
                summary: None,
            })
        })
        .collect()
}

/// A batch of these parts.
pub fn batch(
    events: Vec<Event>,
    groups: &[Group],
    audits: Vec<AuditRecord>,
    notifications: Vec<Arc<Notification>>,
) -> Batch {
    Batch {
        events: events.into_iter().map(Arc::new).collect(),
        groups: groups.iter().map(Group::snapshot).collect(),
        audits: audits.into_iter().map(Arc::new).collect(),
        notifications,
        calls: Vec::new(),
    }
}

/// Runs `case` against `database` (the macro's body).
pub async fn run<D: TestDatabase, F: std::future::Future<Output = ()>>(database: D, case: impl FnOnce(Arc<D>) -> F) {
    let database = Arc::new(database);
    case(database.clone()).await;
    drop(database);
}

/// The conformance suite for one store: `$database` is an async expression
/// giving a fresh [`TestDatabase`].
#[macro_export]
macro_rules! conformance_suite {
    ($database:expr) => {
        $crate::conformance_suite!(@cases cases $database;
            groups_add_up_across_instances,
            group_queries_filter_and_order,
            events_round_trip_newest_first,
            a_backtrace_is_stored_with_its_event_and_read_back_frame_by_frame,
            a_snapshot_changes_a_stored_status_only_when_its_process_changed_it,
            status_changes_since_a_cursor,
            bulk_triage_by_module_and_last_seen_keeps_history_and_audits_each_change,
            assignees_and_notes,
            a_bad_triage_change_is_refused_and_changes_nothing,
            audit_records_chain_and_verify,
            a_keyed_chain_verifies_with_its_key,
            notifications_are_kept_once_per_key_and_destination,
            the_alert_lifecycle,
            an_acknowledged_alert_becomes_active_when_its_severity_rises,
            mean_times_to_acknowledge_and_resolve_per_rule,
            a_schema_newer_than_this_release_is_refused,
            fleet_counts_add_up_per_group_and_minute,
            one_instance_leads_the_fleet_and_another_takes_over_when_it_stops,
            retention_by_age_keeps_groups_their_counts_and_the_audit_log,
            retention_by_severity_and_kind_most_specific_first,
            retention_by_pattern_of_template_or_group,
            retention_by_size_removes_the_lowest_severity_oldest_first,
            audit_archive_then_verify_from_the_checkpoint_and_through_the_files,
            a_tampered_archive_file_is_named_by_its_row,
            a_deleted_or_forged_archive_checkpoint_is_a_break,
        );
        $crate::conformance_suite!(@cases count_retention $database;
            retention_of_counts_removes_old_minutes_and_hours_and_keeps_group_totals,
            hourly_audit_totals_go_only_for_hours_before_the_oldest_stored_audit_row,
        );
        $crate::conformance_suite!(@cases search $database;
            events_are_found_by_context_tags_location_and_time,
            free_text_finds_words_and_their_beginnings_in_any_script,
            groups_are_found_by_what_their_events_carry,
            groups_are_found_by_the_words_of_any_of_their_events,
            pages_stay_steady_while_new_events_arrive,
            charts_count_occurrences_new_groups_top_groups_and_audit_records,
            top_groups_count_the_window_alone_whatever_the_groups_did_before,
            charts_from_hourly_totals_count_what_the_rows_count,
            calls_per_function_add_up_across_instances_with_their_percentiles,
        );
        $crate::conformance_suite!(@cases summary $database;
            summaries_count_their_period_across_instances_with_regressions,
        );
    };
    // The cases of one module of the suite.
    (@cases $module:ident $database:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let database = $database.await;
                $crate::conformance::run(database, |database| $crate::conformance::$module::$case(database)).await;
            }
        )*
    };
}
