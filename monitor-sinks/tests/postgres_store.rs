//! The store's meaning, checked on PostgreSQL and, with the same cases, on
//! SQLite: each case is a function over a [`Backend`] that opens handles
//! on one fresh database (a schema of its own on PostgreSQL, a file in a
//! temporary directory on SQLite), instantiated per back end by
//! `store_cases!`.

mod pg_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use monitor_runtime::alerting::{Alert, AlertDetails, AlertState, Notification};
use monitor_runtime::audit::{AuditRecord, AuditRecordBuilder, ComplianceStatus};
use monitor_runtime::{Batch, Context, Event, GroupKey, GroupSnapshot, GroupStatus, Severity, SinkErrorKind};
use monitor_sinks::postgres::{AuditKey, AuditKeyRing, PostgresOptions, PostgresStore};
use monitor_sinks::sqlite::{AuditChainOptions, SqliteOptions, SqliteStore};
use monitor_sinks::store::{
    AlertChange, AlertQuery, AlertStatus, AuditQuery, ChainCheck, CheckpointStatus, GroupChange, GroupQuery,
    OPERATOR_PROCESS, Store, TriageField,
};
use pg_support::TestSchema;

/// One fresh database of a back end, and handles on it.
trait Backend {
    /// A new handle on the database, without an audit key.
    async fn open(&self) -> Arc<dyn Store>;
    /// A new handle signing the audit chain with `keys`, its checkpoint at `checkpoint`.
    async fn open_keyed(&self, keys: AuditKeyRing, checkpoint: &Path) -> Arc<dyn Store>;
}

struct Postgres(TestSchema);

impl Backend for Postgres {
    async fn open(&self) -> Arc<dyn Store> {
        Arc::new(self.0.store().await)
    }

    async fn open_keyed(&self, keys: AuditKeyRing, checkpoint: &Path) -> Arc<dyn Store> {
        let options: PostgresOptions = self.0.options().audit_keys(keys).audit_checkpoint(checkpoint);
        Arc::new(PostgresStore::connect(&options).await.unwrap())
    }
}

struct Sqlite(tempfile::TempDir);

impl Sqlite {
    fn path(&self) -> PathBuf {
        self.0.path().join("monitor.db")
    }
}

impl Backend for Sqlite {
    async fn open(&self) -> Arc<dyn Store> {
        Arc::new(SqliteStore::open(self.path()).unwrap().shared())
    }

    async fn open_keyed(&self, keys: AuditKeyRing, checkpoint: &Path) -> Arc<dyn Store> {
        let options = SqliteOptions {
            audit: AuditChainOptions { keys, checkpoint: Some(checkpoint.to_path_buf()) },
            ..SqliteOptions::default()
        };
        Arc::new(SqliteStore::open_with(self.path(), &options).unwrap().shared())
    }
}

async fn postgres() -> Postgres {
    Postgres(TestSchema::new("store_case"))
}

async fn sqlite() -> Sqlite {
    Sqlite(tempfile::tempdir().unwrap())
}

/// Each case as a test per back end: `postgres::case` and `sqlite::case`.
macro_rules! store_cases {
    ($($case:ident),* $(,)?) => {
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(&super::postgres().await).await;
                }
            )*
        }
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(&super::sqlite().await).await;
                }
            )*
        }
    };
}

store_cases!(
    group_counts_add_up_across_two_handles_and_a_snapshot_keeps_the_stored_status,
    queries_filter_by_severity_status_time_module_assignee_and_keys_within_the_limit,
    events_are_kept_whole_and_read_newest_first,
    audit_rows_are_queried_and_the_unkeyed_chain_verifies,
    a_keyed_chain_verifies_as_authentic_and_a_keyless_handle_may_not_extend_it,
    notifications_are_kept_once_per_key_and_destination,
    bulk_triage_by_module_and_last_seen_leaves_history_and_audit_rows,
    status_changes_since_a_cursor_name_the_groups_changed,
    alert_incidents_go_from_firing_to_acknowledged_to_resolved_with_mean_times,
);

// ---- what the cases write ----

const T0: u64 = 1_700_000_000;

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + seconds)
}

/// Snapshots and events are made by the runtime; the cases read them from
/// JSON, the way they travel.
fn snapshot(key: u64, module: &str, severity: Severity, new: u64, seen: (u64, u64)) -> GroupSnapshot {
    changed_snapshot(key, module, severity, new, seen, GroupStatus::Open, false)
}

fn changed_snapshot(
    key: u64,
    module: &str,
    severity: Severity,
    new: u64,
    (first, last): (u64, u64),
    status: GroupStatus,
    status_changed: bool,
) -> GroupSnapshot {
    serde_json::from_value(serde_json::json!({
        "key": key,
        "template": format!("payment <*> failed in {module}"),
        "location": { "module": module, "function": "submit", "file": "src/pay.rs", "line": 42 },
        "error_type": "BankError",
        "severity": severity,
        "kind": "error",
        "status": status,
        "status_changed": status_changed,
        "count": new,
        "new_occurrences": new,
        "first_seen": at(first),
        "last_seen": at(last),
    }))
    .unwrap()
}

fn event(key: u64, message: &str, seconds: u64) -> Arc<Event> {
    let context = Context { service: Some("payments".into()), ..Context::default() };
    Arc::new(
        serde_json::from_value(serde_json::json!({
            "timestamp": at(seconds),
            "kind": "error",
            "severity": "critical",
            "group_key": key,
            "template": "payment <*> failed",
            "location": { "module": "payments::sepa", "function": "submit", "file": "src/pay.rs", "line": 42 },
            "error_type": "BankError",
            "message": message,
            "chain": ["connection reset"],
            "context": context,
            "args": [["batch", "7"]],
            "duration": Duration::from_millis(12),
            "occurrences": 1,
        }))
        .unwrap(),
    )
}

fn audit(action: &'static str, actor: &str, status: ComplianceStatus) -> Arc<AuditRecord> {
    let mut builder = AuditRecordBuilder::new("payment_processing", action, status);
    builder.reference("payment", &"PAY-1").actor(&actor).detail("amount_cents", &1250);
    Arc::new(builder.finish())
}

fn batch_of_groups(groups: Vec<GroupSnapshot>) -> Batch {
    Batch { groups, ..Batch::default() }
}

fn batch_of_audits(audits: Vec<Arc<AuditRecord>>) -> Batch {
    Batch { audits, ..Batch::default() }
}

// ---- the cases ----

async fn group_counts_add_up_across_two_handles_and_a_snapshot_keeps_the_stored_status(backend: &impl Backend) {
    let (a, b) = (backend.open().await, backend.open().await);
    a.write_batch(&batch_of_groups(vec![snapshot(1, "pay", Severity::Error, 3, (10, 20))])).await.unwrap();
    b.write_batch(&batch_of_groups(vec![snapshot(1, "pay", Severity::Error, 4, (5, 30))])).await.unwrap();
    let group = a.group(GroupKey(1)).await.unwrap().unwrap();
    assert_eq!(group.count, 7, "added, never overwritten");
    assert_eq!((group.first_seen, group.last_seen), (at(5), at(30)), "seen times widen");
    assert_eq!(group.location.line, 42);

    // An operator's status stays when a process that did not change it writes.
    assert!(a.change_group(GroupKey(1), &GroupChange::by("alice").status(GroupStatus::Investigating)).await.unwrap());
    b.write_batch(&batch_of_groups(vec![snapshot(1, "pay", Severity::Error, 1, (31, 31))])).await.unwrap();
    assert_eq!(a.group(GroupKey(1)).await.unwrap().unwrap().status, GroupStatus::Investigating);
    // A process's own change (a regression reopening it, say) is taken.
    let reopened = changed_snapshot(1, "pay", Severity::Error, 1, (32, 32), GroupStatus::Resolved, true);
    b.write_batch(&batch_of_groups(vec![reopened])).await.unwrap();
    let group = a.group(GroupKey(1)).await.unwrap().unwrap();
    assert_eq!((group.status, group.count), (GroupStatus::Resolved, 9));
}

async fn queries_filter_by_severity_status_time_module_assignee_and_keys_within_the_limit(backend: &impl Backend) {
    let store = backend.open().await;
    store
        .write_batch(&batch_of_groups(vec![
            snapshot(1, "payments::sepa", Severity::Warning, 1, (0, 100)),
            snapshot(2, "payments::sepa::mandates", Severity::Error, 1, (0, 200)),
            snapshot(3, "payments::sepa_legacy", Severity::Critical, 1, (0, 300)),
            snapshot(4, "ledger", Severity::Error, 1, (0, 400)),
            snapshot(5, "payments%sepa", Severity::Error, 1, (0, 500)),
        ]))
        .await
        .unwrap();
    let keys = |groups: Vec<monitor_sinks::store::StoredGroup>| groups.iter().map(|g| g.key.0).collect::<Vec<_>>();
    let query = |query: GroupQuery| {
        let store = store.clone();
        async move { keys(store.groups(&query).await.unwrap()) }
    };
    assert_eq!(query(GroupQuery::default()).await, [5, 4, 3, 2, 1], "most recently seen first");
    assert_eq!(query(GroupQuery { limit: 2, ..GroupQuery::default() }).await, [5, 4]);
    assert_eq!(query(GroupQuery { min_severity: Some(Severity::Critical), ..GroupQuery::default() }).await, [3]);
    assert_eq!(query(GroupQuery { seen_since: Some(at(300)), ..GroupQuery::default() }).await, [5, 4, 3]);
    assert_eq!(query(GroupQuery { seen_before: Some(at(300)), ..GroupQuery::default() }).await, [2, 1]);
    let sepa = GroupQuery { module: Some("payments::sepa".into()), ..GroupQuery::default() };
    assert_eq!(query(sepa).await, [2, 1], "submodules at `::` only, not sepa_legacy");
    // `%` and `_` in a module filter are the characters, not patterns.
    let percent = GroupQuery { module: Some("payments%sepa".into()), ..GroupQuery::default() };
    assert_eq!(query(percent).await, [5]);
    let underscore = GroupQuery { module: Some("payments_sepa".into()), ..GroupQuery::default() };
    assert!(query(underscore).await.is_empty());
    let some = GroupQuery { keys: Some(vec![GroupKey(1), GroupKey(4), GroupKey(99)]), ..GroupQuery::default() };
    assert_eq!(query(some).await, [4, 1]);
    assert!(query(GroupQuery { keys: Some(vec![]), ..GroupQuery::default() }).await.is_empty());

    assert!(store.change_group(GroupKey(2), &GroupChange::by("alice").assign("bob")).await.unwrap());
    assert!(store.change_group(GroupKey(4), &GroupChange::by("alice").status(GroupStatus::Ignored)).await.unwrap());
    assert_eq!(query(GroupQuery { assignee: Some("bob".into()), ..GroupQuery::default() }).await, [2]);
    assert_eq!(query(GroupQuery { status: Some(GroupStatus::Ignored), ..GroupQuery::default() }).await, [4]);
    assert_eq!(store.group(GroupKey(2)).await.unwrap().unwrap().assignee.as_deref(), Some("bob"));
    assert!(store.group(GroupKey(99)).await.unwrap().is_none());
    assert_eq!(store.group_statuses().await.unwrap(), [(GroupKey(4), GroupStatus::Ignored)]);
}

async fn events_are_kept_whole_and_read_newest_first(backend: &impl Backend) {
    let store = backend.open().await;
    let events =
        vec![event(1, "payment 1 failed", 1), event(2, "payment 2 failed", 2), event(1, "payment 3 failed", 3)];
    store.write_batch(&Batch { events, ..Batch::default() }).await.unwrap();
    assert_eq!(store.event_count().await.unwrap(), 3);
    let of_one = store.events_of_group(GroupKey(1), 10).await.unwrap();
    let messages: Vec<&str> = of_one.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages, ["payment 3 failed", "payment 1 failed"]);
    assert_eq!(store.events_of_group(GroupKey(1), 1).await.unwrap().len(), 1);
    let recent = store.recent_events(2).await.unwrap();
    assert_eq!(recent.iter().map(|e| e.message.as_str()).collect::<Vec<_>>(), ["payment 3 failed", "payment 2 failed"]);
    assert!(recent[0].id > recent[1].id);
    let event = &recent[0];
    assert_eq!(event.timestamp, at(3));
    assert_eq!(event.severity, Severity::Critical);
    assert_eq!(event.location.module, "payments::sepa");
    assert_eq!(event.error_type.as_deref(), Some("BankError"));
    assert_eq!(event.chain, ["connection reset"]);
    assert_eq!(event.context.service.as_deref(), Some("payments"));
    assert_eq!(event.args, [("batch".to_owned(), "7".to_owned())]);
    assert_eq!(event.duration, Some(Duration::from_millis(12)));
    assert_eq!(event.occurrences, 1);
}

async fn audit_rows_are_queried_and_the_unkeyed_chain_verifies(backend: &impl Backend) {
    let (a, b) = (backend.open().await, backend.open().await);
    a.write_batch(&batch_of_audits(vec![
        audit("settle", "anna", ComplianceStatus::Compliant),
        audit("settle", "ben", ComplianceStatus::Failed),
    ]))
    .await
    .unwrap();
    b.write_batch(&batch_of_audits(vec![audit("refund", "anna", ComplianceStatus::Compliant)])).await.unwrap();

    let all = a.audit_records(&AuditQuery::default()).await.unwrap();
    assert_eq!(all.iter().map(|row| row.seq).collect::<Vec<_>>(), [1, 2, 3], "one chain for both handles");
    assert_eq!(all[2].prev_hash, all[1].hash);
    assert_eq!(all[0].details["amount_cents"], 1250);
    assert_eq!(all[0].reference.as_ref().unwrap().id, "PAY-1");
    let anna = AuditQuery { actor: Some("anna".into()), ..AuditQuery::default() };
    assert_eq!(a.audit_records(&anna).await.unwrap().len(), 2);
    let failed = AuditQuery { status: Some(ComplianceStatus::Failed), ..AuditQuery::default() };
    assert_eq!(a.audit_records(&failed).await.unwrap()[0].actor.as_deref(), Some("ben"));
    let refunds = AuditQuery { action: Some("refund".into()), limit: 1, ..AuditQuery::default() };
    assert_eq!(a.audit_records(&refunds).await.unwrap().len(), 1);
    assert_eq!(a.audit_records(&AuditQuery { limit: 2, ..AuditQuery::default() }).await.unwrap().len(), 2);

    let report = b.verify_audit_chain().await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!((report.rows, report.unkeyed_rows), (3, 3));
    assert_eq!(report.check, ChainCheck::UnkeyedLinksOnly);
    assert_eq!(report.checkpoint, CheckpointStatus::NotConfigured);
}

async fn a_keyed_chain_verifies_as_authentic_and_a_keyless_handle_may_not_extend_it(backend: &impl Backend) {
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("audit-checkpoint");
    let key = AuditKey::from_hex(&"5e".repeat(32)).unwrap();
    let keyed = backend.open_keyed(AuditKeyRing::new(key.clone()), &checkpoint).await;
    let again = backend.open_keyed(AuditKeyRing::new(key), &checkpoint).await;
    keyed.write_batch(&batch_of_audits(vec![audit("settle", "anna", ComplianceStatus::Compliant)])).await.unwrap();
    again.write_batch(&batch_of_audits(vec![audit("settle", "ben", ComplianceStatus::Compliant)])).await.unwrap();

    let report = keyed.verify_audit_chain().await.unwrap();
    assert!(report.is_authentic(), "{report}");
    assert_eq!((report.rows, report.keyed_rows), (2, 2));
    assert!(matches!(report.checkpoint, CheckpointStatus::Signed { seq: 2, .. }), "{report}");

    let keyless = backend.open().await;
    let unsigned = batch_of_audits(vec![audit("settle", "eve", ComplianceStatus::Compliant)]);
    let error = keyless.write_batch(&unsigned).await.unwrap_err();
    assert_eq!(error.kind, SinkErrorKind::Rejected);
    assert!(error.message.contains("opened without a key"), "{error}");
    assert_eq!(keyed.audit_records(&AuditQuery::default()).await.unwrap().len(), 2);
}

fn notification(key: &str, destination: &str, rule: &str, state: AlertState, severity: Severity) -> Arc<Notification> {
    notification_at(key, destination, rule, state, severity, 0, None)
}

fn notification_at(
    key: &str,
    destination: &str,
    rule: &str,
    state: AlertState,
    severity: Severity,
    starts: u64,
    ends: Option<u64>,
) -> Arc<Notification> {
    let alert = Alert {
        rule: rule.to_owned(),
        severity,
        labels: BTreeMap::from([("service".to_owned(), "payments".to_owned())]),
        state,
        value: 12.0,
        threshold: 10.0,
        summary: format!("{rule}: 12 errors"),
        starts_at: at(starts),
        ends_at: ends.map(at),
        repeat_interval: Duration::from_secs(3600),
        details: AlertDetails::default(),
    };
    Arc::new(Notification { key: key.to_owned(), destination: destination.to_owned(), alert, summary: None })
}

fn batch_of_notifications(notifications: Vec<Arc<Notification>>) -> Batch {
    Batch { notifications, ..Batch::default() }
}

async fn notifications_are_kept_once_per_key_and_destination(backend: &impl Backend) {
    let (a, b) = (backend.open().await, backend.open().await);
    let fired = |destination| notification("n1", destination, "bank_down", AlertState::Firing, Severity::Critical);
    a.write_batch(&batch_of_notifications(vec![fired("ops"), fired("oncall")])).await.unwrap();
    // A retried batch, and another instance writing the same notification.
    a.write_batch(&batch_of_notifications(vec![fired("ops")])).await.unwrap();
    b.write_batch(&batch_of_notifications(vec![fired("oncall")])).await.unwrap();
    let other = notification("n2", "ops", "slow_ledger", AlertState::Firing, Severity::Warning);
    b.write_batch(&batch_of_notifications(vec![other])).await.unwrap();

    let all = a.notifications(None, 100).await.unwrap();
    assert_eq!(all.len(), 3, "{all:#?}");
    let bank = a.notifications(Some("bank_down"), 100).await.unwrap();
    let destinations: Vec<&str> = bank.iter().map(|n| n.destination.as_str()).collect();
    assert_eq!(destinations, ["ops", "oncall"], "oldest first");
    assert_eq!(bank[0].state, "firing");
    assert_eq!(bank[0].labels["service"], "payments");
    assert_eq!(bank[0].starts_at, at(0));
    assert_eq!(a.notifications(None, 1).await.unwrap().len(), 1);
    assert_eq!(a.alerts(&AlertQuery::default()).await.unwrap().len(), 2, "one incident per alert");
}

async fn bulk_triage_by_module_and_last_seen_leaves_history_and_audit_rows(backend: &impl Backend) {
    let store = backend.open().await;
    store
        .write_batch(&batch_of_groups(vec![
            snapshot(1, "payments::sepa", Severity::Error, 1, (0, 100)),
            snapshot(2, "payments::sepa::mandates", Severity::Error, 1, (0, 200)),
            snapshot(3, "payments::sepa", Severity::Error, 1, (0, 900)),
            snapshot(4, "ledger", Severity::Error, 1, (0, 100)),
        ]))
        .await
        .unwrap();
    let before = SystemTime::now() - Duration::from_secs(5);
    let stale_sepa =
        GroupQuery { module: Some("payments::sepa".into()), seen_before: Some(at(500)), ..GroupQuery::all() };
    let resolve = GroupChange::by("alice").status(GroupStatus::Resolved).note("bank fixed its cut-off");
    assert_eq!(store.change_groups(&stale_sepa, &resolve).await.unwrap(), 2);
    let status = |key| {
        let store = store.clone();
        async move { store.group(GroupKey(key)).await.unwrap().unwrap().status }
    };
    assert_eq!(status(1).await, GroupStatus::Resolved);
    assert_eq!(status(2).await, GroupStatus::Resolved);
    assert_eq!(status(3).await, GroupStatus::Open, "seen after the cut");
    assert_eq!(status(4).await, GroupStatus::Open, "another module");

    // Already resolved: no change, no entry, not counted (without a note).
    let again = GroupChange::by("bob").status(GroupStatus::Resolved);
    assert_eq!(store.change_groups(&stale_sepa, &again).await.unwrap(), 0);

    let history = store.group_history(GroupKey(2)).await.unwrap();
    let fields: Vec<TriageField> = history.iter().map(|entry| entry.field).collect();
    assert_eq!(fields, [TriageField::Status, TriageField::Note]);
    assert_eq!(history[0].by, "alice");
    assert_eq!((history[0].from.as_deref(), history[0].to.as_deref()), (Some("open"), Some("resolved")));
    assert_eq!(history[1].to.as_deref(), Some("bank fixed its cut-off"));
    assert!(history[0].at >= before && history[0].at <= SystemTime::now() + Duration::from_secs(5));
    assert!(history[0].id < history[1].id);

    let audits = store
        .audit_records(&AuditQuery { process: Some(OPERATOR_PROCESS.into()), ..AuditQuery::default() })
        .await
        .unwrap();
    assert_eq!(audits.len(), 2, "one audit row per group changed");
    assert!(audits.iter().all(|row| row.actor.as_deref() == Some("alice") && row.action == "group.triage"));
    assert_eq!(audits[0].details["status"]["to"], "resolved");
    assert!(store.verify_audit_chain().await.unwrap().is_intact());

    let nothing = GroupChange::by("alice");
    assert!(store.change_groups(&GroupQuery::all(), &nothing).await.is_err(), "a change that changes nothing");
}

async fn status_changes_since_a_cursor_name_the_groups_changed(backend: &impl Backend) {
    let (a, b) = (backend.open().await, backend.open().await);
    a.write_batch(&batch_of_groups(vec![
        snapshot(1, "pay", Severity::Error, 1, (0, 1)),
        snapshot(2, "pay", Severity::Error, 1, (0, 1)),
    ]))
    .await
    .unwrap();
    let start = b.status_changes(None).await.unwrap();
    assert!(start.changes.is_empty(), "every group is open");
    assert!(a.change_group(GroupKey(2), &GroupChange::by("alice").status(GroupStatus::Ignored)).await.unwrap());
    let changed = b.status_changes(Some(start.cursor)).await.unwrap();
    assert_eq!(changed.changes, [(GroupKey(2), GroupStatus::Ignored)]);
    assert!(changed.cursor >= start.cursor);
    assert_eq!(b.status_changes(None).await.unwrap().changes, [(GroupKey(2), GroupStatus::Ignored)]);
}

async fn alert_incidents_go_from_firing_to_acknowledged_to_resolved_with_mean_times(backend: &impl Backend) {
    let (a, b) = (backend.open().await, backend.open().await);
    // Times near now, so the operators' acknowledgement and resolution (at
    // the store's now) make sense against them.
    let now = SystemTime::now().duration_since(at(0)).unwrap().as_secs();
    let fire = |key: &str, severity, starts| {
        notification_at(key, "ops", "bank_down", AlertState::Firing, severity, starts, None)
    };
    let started = now - 600;
    a.write_batch(&batch_of_notifications(vec![fire("f1", Severity::Warning, started)])).await.unwrap();
    let incidents = a.alerts(&AlertQuery::default()).await.unwrap();
    assert_eq!(incidents.len(), 1);
    let id = incidents[0].id;
    assert_eq!((incidents[0].status, incidents[0].fired), (AlertStatus::Active, 1));
    assert_eq!(incidents[0].started_at, at(started));

    // A repeat from another instance is the same incident.
    b.write_batch(&batch_of_notifications(vec![fire("f2", Severity::Warning, started)])).await.unwrap();
    assert_eq!(a.alerts(&AlertQuery::default()).await.unwrap().len(), 1);

    let AlertChange::Changed(acked) = b.acknowledge_alert(id, "alice", Some("on it")).await.unwrap() else {
        panic!("acknowledged")
    };
    assert_eq!(acked.status, AlertStatus::Acknowledged);
    assert_eq!((acked.acknowledged_by.as_deref(), acked.ack_comment.as_deref()), (Some("alice"), Some("on it")));
    assert!(matches!(a.acknowledge_alert(id, "bob", None).await.unwrap(), AlertChange::Unchanged(_)));
    assert_eq!(a.acknowledge_alert(id + 1000, "bob", None).await.unwrap(), AlertChange::NotFound);
    assert!(a.acknowledge_alert(id, " ", None).await.is_err(), "somebody acknowledges");

    // Its severity rises: active again, at the higher severity.
    a.write_batch(&batch_of_notifications(vec![fire("f3", Severity::Critical, started)])).await.unwrap();
    let risen = a.alert(id).await.unwrap().unwrap();
    assert_eq!((risen.status, risen.severity), (AlertStatus::Active, Severity::Critical));

    // It resolves by itself.
    let resolved =
        notification_at("r1", "ops", "bank_down", AlertState::Resolved, Severity::Critical, started, Some(now - 300));
    a.write_batch(&batch_of_notifications(vec![resolved])).await.unwrap();
    let done = a.alert(id).await.unwrap().unwrap();
    assert_eq!(done.status, AlertStatus::Resolved);
    assert!(done.resolved_automatically());
    assert_eq!(done.resolved_at, Some(at(now - 300)));

    // Firing again within the repeat interval: the same incident, fired twice.
    a.write_batch(&batch_of_notifications(vec![fire("f4", Severity::Critical, now - 200)])).await.unwrap();
    let refired = a.alert(id).await.unwrap().unwrap();
    assert_eq!((refired.status, refired.fired), (AlertStatus::Active, 2));
    assert_eq!(a.alerts(&AlertQuery::default()).await.unwrap().len(), 1);

    // Resolved by an operator this time, audited.
    let AlertChange::Changed(closed) = b.resolve_alert(id, "carol", Some("bank confirmed")).await.unwrap() else {
        panic!("resolved")
    };
    assert_eq!(closed.resolved_by.as_deref(), Some("carol"));
    assert!(!closed.resolved_automatically());
    assert!(matches!(a.resolve_alert(id, "dave", None).await.unwrap(), AlertChange::Unchanged(_)));
    let audits = a.audit_records(&AuditQuery { process: Some(OPERATOR_PROCESS.into()), ..AuditQuery::default() }).await;
    let actions: Vec<(String, Option<String>)> =
        audits.unwrap().into_iter().map(|row| (row.action, row.actor)).collect();
    assert_eq!(
        actions,
        [
            ("alert.acknowledge".to_owned(), Some("alice".to_owned())),
            ("alert.resolve".to_owned(), Some("carol".to_owned()))
        ]
    );

    // Long after the repeat interval: a new incident.
    a.write_batch(&batch_of_notifications(vec![fire("f5", Severity::Critical, now + 7200)])).await.unwrap();
    let all = a.alerts(&AlertQuery::default()).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        a.alerts(&AlertQuery { status: Some(AlertStatus::Active), ..AlertQuery::default() }).await.unwrap().len(),
        1
    );

    let stats = a.alert_stats(at(started - 1), at(started + 1)).await.unwrap();
    assert_eq!(stats.len(), 1);
    let stats = &stats[0];
    assert_eq!((stats.rule.as_str(), stats.incidents, stats.acknowledged, stats.resolved), ("bank_down", 1, 1, 1));
    let mtta = stats.mtta.unwrap();
    assert!(mtta >= Duration::from_secs(599) && mtta < Duration::from_secs(700), "{mtta:?}");
    assert!(stats.mttr.unwrap() >= mtta);
}
