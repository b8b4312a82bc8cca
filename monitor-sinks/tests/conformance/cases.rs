//! The cases every store passes. Each takes a fresh database.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use monitor_runtime::alerting::AlertState;
use monitor_runtime::audit::ComplianceStatus;
use monitor_runtime::{EventKind, GroupStatus, Severity};
use monitor_sinks::sqlite::{AuditKey, AuditKeyRing};
use monitor_sinks::store::{
    AlertChange, AlertQuery, AlertStatus, AuditQuery, AuditRetention, ChainCheck, EventCounts, GroupChange, GroupQuery,
    OPERATOR_PROCESS, PatternRule, RetentionPolicy, Store, StoredEvent, TriageField,
};

use super::{Group, TestDatabase, alert, at, audit, batch, event, event_of, key, notifications};

pub async fn groups_add_up_across_instances(database: Arc<impl TestDatabase>) {
    let (one, two) = (database.open().await.unwrap(), database.open().await.unwrap());
    one.write_batch(&batch(vec![], &[Group::new(1, "payments::sepa", 3, at(100), at(200))], vec![], vec![]))
        .await
        .unwrap();
    two.write_batch(&batch(vec![], &[Group::new(1, "payments::sepa", 5, at(50), at(150))], vec![], vec![]))
        .await
        .unwrap();
    one.write_batch(&batch(vec![], &[Group::new(1, "payments::sepa", 2, at(300), at(400))], vec![], vec![]))
        .await
        .unwrap();
    let groups = two.groups(&GroupQuery::all()).await.unwrap();
    assert_eq!(groups.len(), 1, "one row per group: {groups:?}");
    let group = &groups[0];
    assert_eq!(group.count, 10, "counts add up, never overwrite");
    assert_eq!((group.first_seen, group.last_seen), (at(50), at(400)));
    assert_eq!(group.location.module, "payments::sepa");
    assert_eq!(group.error_type.as_deref(), Some("BankError"));
    assert_eq!(one.group(key(1)).await.unwrap().as_ref(), Some(group));
    assert_eq!(one.group(key(2)).await.unwrap(), None);
}

pub async fn group_queries_filter_and_order(database: Arc<impl TestDatabase>) {
    let store = database.open().await.unwrap();
    let groups = [
        Group::new(1, "payments::sepa", 1, at(0), at(10)),
        Group::new(2, "payments::sepa::mandates", 1, at(0), at(20)).severity(Severity::Critical),
        Group::new(3, "payments::sepa_legacy", 1, at(0), at(30)).severity(Severity::Warning),
        Group::new(4, "ledger", 1, at(0), at(40)),
    ];
    store.write_batch(&batch(vec![], &groups, vec![], vec![])).await.unwrap();
    let keys = |query: GroupQuery| {
        let store = store.clone();
        async move { store.groups(&query).await.unwrap().iter().map(|g| g.key).collect::<Vec<_>>() }
    };
    assert_eq!(keys(GroupQuery::default()).await, vec![key(4), key(3), key(2), key(1)], "most recent first");
    assert_eq!(keys(GroupQuery { limit: 2, ..GroupQuery::default() }).await, vec![key(4), key(3)]);
    let sepa = GroupQuery { module: Some("payments::sepa".into()), ..GroupQuery::default() };
    assert_eq!(keys(sepa).await, vec![key(2), key(1)], "the module and its submodules, not a prefix of the name");
    let severe = GroupQuery { min_severity: Some(Severity::Error), ..GroupQuery::default() };
    assert_eq!(keys(severe).await, vec![key(4), key(2), key(1)]);
    let window = GroupQuery { seen_since: Some(at(20)), seen_before: Some(at(40)), ..GroupQuery::default() };
    assert_eq!(keys(window).await, vec![key(3), key(2)], "since is inclusive, before is not");
    let chosen = GroupQuery { keys: Some(vec![key(1), key(4), key(99)]), ..GroupQuery::default() };
    assert_eq!(keys(chosen).await, vec![key(4), key(1)]);
    let none = GroupQuery { module: Some("payments::sepa%".into()), ..GroupQuery::default() };
    assert!(keys(none).await.is_empty(), "a wildcard in a module name is a character, not a pattern");
}

pub async fn events_round_trip_newest_first(database: Arc<impl TestDatabase>) {
    let store = database.open().await.unwrap();
    let events = vec![
        event(1, "payment 1 failed", at(1)),
        event(1, "payment 2 failed", at(2)),
        event(2, "payment 3 failed", at(3)),
    ];
    store.write_batch(&batch(events, &[], vec![], vec![])).await.unwrap();
    assert_eq!(store.event_count().await.unwrap(), 3);
    let of_one = store.events_of_group(key(1), 10).await.unwrap();
    assert_eq!(of_one.iter().map(|e| e.message.as_str()).collect::<Vec<_>>(), ["payment 2 failed", "payment 1 failed"]);
    let latest = &store.recent_events(1).await.unwrap()[0];
    assert_eq!(latest.message, "payment 3 failed");
    assert_eq!(latest.timestamp, at(3));
    assert_eq!(latest.group_key, key(2));
    assert_eq!(latest.location.module, "payments::sepa");
    assert_eq!(latest.location.line, 42);
    assert_eq!(latest.chain, ["connection reset"]);
    assert_eq!(latest.context.service.as_deref(), Some("payments"));
    assert_eq!(latest.args, [("batch".to_owned(), "7".to_owned())]);
    assert_eq!(latest.duration, Some(Duration::from_micros(1500)));
    assert_eq!(latest.occurrences, 3);
    assert!(of_one[0].id > of_one[1].id, "ids increase in insertion order");
}

pub async fn a_backtrace_is_stored_with_its_event_and_read_back_frame_by_frame(database: Arc<impl TestDatabase>) {
    let store = database.open().await.unwrap();
    let frames = [
        "payments::sepa::submit at src/pay.rs:42",
        "<payments::Batch as payments::Send>::send at src/batch.rs:7",
        "payments::main at src/main.rs:3",
    ];
    let mut with_backtrace = serde_json::to_value(event(1, "payment 1 failed", at(1))).unwrap();
    with_backtrace["backtrace"] = serde_json::json!(frames);
    let with_backtrace = serde_json::from_value(with_backtrace).unwrap();
    let without = event(1, "payment 2 failed", at(2));
    store.write_batch(&batch(vec![with_backtrace, without], &[], vec![], vec![])).await.unwrap();
    let stored = store.events_of_group(key(1), 10).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored[0].backtrace.is_empty(), "an event without one reads back without one: {:?}", stored[0]);
    assert_eq!(stored[1].backtrace, frames);
    assert_eq!(store.recent_events(2).await.unwrap(), stored, "every event query reads it");
}

pub async fn a_snapshot_changes_a_stored_status_only_when_its_process_changed_it(database: Arc<impl TestDatabase>) {
    let (operator, instance) = (database.open().await.unwrap(), database.open().await.unwrap());
    instance.write_batch(&batch(vec![], &[Group::new(1, "payments", 1, at(0), at(1))], vec![], vec![])).await.unwrap();
    assert!(operator.change_group(key(1), &GroupChange::by("alice").status(GroupStatus::Resolved)).await.unwrap());
    // Another instance's counts, with the status it last knew: the store keeps the operator's.
    instance.write_batch(&batch(vec![], &[Group::new(1, "payments", 4, at(0), at(2))], vec![], vec![])).await.unwrap();
    let group = operator.group(key(1)).await.unwrap().unwrap();
    assert_eq!((group.status, group.count), (GroupStatus::Resolved, 5));
    assert_eq!(instance.group_statuses().await.unwrap(), vec![(key(1), GroupStatus::Resolved)]);
    // Seen again there: a regression, which that instance reports as a change of its own.
    let regression = Group::new(1, "payments", 1, at(0), at(3)).status(GroupStatus::Open, true);
    instance.write_batch(&batch(vec![], &[regression], vec![], vec![])).await.unwrap();
    assert_eq!(operator.group(key(1)).await.unwrap().unwrap().status, GroupStatus::Open);
    assert!(instance.group_statuses().await.unwrap().is_empty(), "only groups not open are listed");
}

pub async fn status_changes_since_a_cursor(database: Arc<impl TestDatabase>) {
    let (operator, instance) = (database.open().await.unwrap(), database.open().await.unwrap());
    let groups = [Group::new(1, "a", 1, at(0), at(1)), Group::new(2, "b", 1, at(0), at(1))];
    instance.write_batch(&batch(vec![], &groups, vec![], vec![])).await.unwrap();
    let start = instance.status_changes(None).await.unwrap();
    assert!(start.changes.is_empty(), "every group is open: {:?}", start.changes);
    operator.change_group(key(2), &GroupChange::by("alice").status(GroupStatus::Ignored)).await.unwrap();
    let later = instance.status_changes(Some(start.cursor)).await.unwrap();
    assert_eq!(later.changes, vec![(key(2), GroupStatus::Ignored)]);
    assert!(later.cursor >= start.cursor);
    operator.change_group(key(2), &GroupChange::by("alice").status(GroupStatus::Open)).await.unwrap();
    let reopened = instance.status_changes(Some(later.cursor)).await.unwrap();
    assert_eq!(reopened.changes, vec![(key(2), GroupStatus::Open)], "a reopening is a change too");
}

pub async fn bulk_triage_by_module_and_last_seen_keeps_history_and_audits_each_change(
    database: Arc<impl TestDatabase>,
) {
    let store = database.open().await.unwrap();
    let groups = [
        Group::new(1, "payments::sepa", 1, at(0), at(10)),
        Group::new(2, "payments::sepa::mandates", 1, at(0), at(20)),
        Group::new(3, "payments::sepa", 1, at(0), at(500)),
        Group::new(4, "ledger", 1, at(0), at(10)),
    ];
    store.write_batch(&batch(vec![], &groups, vec![], vec![])).await.unwrap();
    let monday = at(100);
    let stale_sepa =
        GroupQuery { module: Some("payments::sepa".into()), seen_before: Some(monday), ..GroupQuery::all() };
    let resolve = GroupChange::by("alice").status(GroupStatus::Resolved);
    assert_eq!(store.change_groups(&stale_sepa, &resolve).await.unwrap(), 2);
    assert_eq!(store.change_groups(&stale_sepa, &resolve).await.unwrap(), 0, "already resolved: nothing to change");
    let status_of = |n| {
        let store = store.clone();
        async move { store.group(key(n)).await.unwrap().unwrap().status }
    };
    assert_eq!(status_of(1).await, GroupStatus::Resolved);
    assert_eq!(status_of(2).await, GroupStatus::Resolved);
    assert_eq!(status_of(3).await, GroupStatus::Open, "seen after Monday");
    assert_eq!(status_of(4).await, GroupStatus::Open, "another module");

    let history = store.group_history(key(2)).await.unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    let entry = &history[0];
    assert_eq!((entry.group, entry.by.as_str(), entry.field), (key(2), "alice", TriageField::Status));
    assert_eq!((entry.from.as_deref(), entry.to.as_deref()), (Some("open"), Some("resolved")));
    assert!(entry.at.elapsed().unwrap_or_default() < Duration::from_secs(600), "stamped when made");
    assert!(store.group_history(key(3)).await.unwrap().is_empty());

    let audits = store
        .audit_records(&AuditQuery { process: Some(OPERATOR_PROCESS.into()), ..AuditQuery::default() })
        .await
        .unwrap();
    assert_eq!(audits.len(), 2, "one audit record per group changed: {audits:?}");
    for record in &audits {
        assert_eq!(record.actor.as_deref(), Some("alice"));
        assert_eq!(record.action, "group.triage");
        let reference = record.reference.as_ref().unwrap();
        assert_eq!(reference.kind, "group");
        assert_eq!(record.details["status"]["to"], "resolved");
    }
    let mut referenced: Vec<String> = audits.iter().map(|r| r.reference.as_ref().unwrap().id.clone()).collect();
    referenced.sort();
    let mut expected = vec![key(1).to_string(), key(2).to_string()];
    expected.sort();
    assert_eq!(referenced, expected);
    assert!(store.verify_audit_chain().await.unwrap().is_intact());
}

pub async fn assignees_and_notes(database: Arc<impl TestDatabase>) {
    let store = database.open().await.unwrap();
    let groups = [Group::new(1, "payments", 1, at(0), at(1)), Group::new(2, "payments", 1, at(0), at(2))];
    store.write_batch(&batch(vec![], &groups, vec![], vec![])).await.unwrap();
    let change =
        GroupChange::by("alice").status(GroupStatus::Investigating).assign("bob").note("bank cut-off at 15:00");
    assert!(store.change_group(key(1), &change).await.unwrap());
    let group = store.group(key(1)).await.unwrap().unwrap();
    assert_eq!((group.status, group.assignee.as_deref()), (GroupStatus::Investigating, Some("bob")));
    let bobs = store.groups(&GroupQuery { assignee: Some("bob".into()), ..GroupQuery::default() }).await.unwrap();
    assert_eq!(bobs.iter().map(|g| g.key).collect::<Vec<_>>(), [key(1)]);

    // The same status and assignee again change nothing; a note is always kept.
    let again = GroupChange::by("carol").status(GroupStatus::Investigating).assign("bob");
    assert!(!store.change_group(key(1), &again).await.unwrap());
    assert!(store.change_group(key(1), &GroupChange::by("carol").note("called the bank")).await.unwrap());
    assert!(store.change_group(key(1), &GroupChange::by("carol").unassign()).await.unwrap());
    assert_eq!(store.group(key(1)).await.unwrap().unwrap().assignee, None);

    let history = store.group_history(key(1)).await.unwrap();
    let summary: Vec<_> =
        history.iter().map(|e| (e.by.as_str(), e.field, e.from.as_deref(), e.to.as_deref())).collect();
    assert_eq!(
        summary,
        [
            ("alice", TriageField::Status, Some("open"), Some("investigating")),
            ("alice", TriageField::Assignee, None, Some("bob")),
            ("alice", TriageField::Note, None, Some("bank cut-off at 15:00")),
            ("carol", TriageField::Note, None, Some("called the bank")),
            ("carol", TriageField::Assignee, Some("bob"), None),
        ]
    );
    assert!(history.windows(2).all(|w| w[0].id < w[1].id && w[0].at <= w[1].at));
    assert!(!store.change_group(key(77), &GroupChange::by("alice").note("no such group")).await.unwrap());
}

pub async fn a_bad_triage_change_is_refused_and_changes_nothing(database: Arc<impl TestDatabase>) {
    let store = database.open().await.unwrap();
    store.write_batch(&batch(vec![], &[Group::new(1, "payments", 1, at(0), at(1))], vec![], vec![])).await.unwrap();
    for (change, says) in [
        (GroupChange::by("").status(GroupStatus::Resolved), "who makes it"),
        (GroupChange::by("alice"), "changes nothing"),
        (GroupChange::by("alice").note("x".repeat(100_000)), "bytes"),
        (GroupChange::by("alice").assign("  "), "assignee is empty"),
    ] {
        let error = store.change_groups(&GroupQuery::all(), &change).await.unwrap_err();
        assert!(error.message.contains(says), "{error}");
    }
    assert_eq!(store.group(key(1)).await.unwrap().unwrap().status, GroupStatus::Open);
    assert!(store.group_history(key(1)).await.unwrap().is_empty());
    assert!(store.audit_records(&AuditQuery::default()).await.unwrap().is_empty());
}

pub async fn audit_records_chain_and_verify(database: Arc<impl TestDatabase>) {
    let (one, two) = (database.open().await.unwrap(), database.open().await.unwrap());
    let first = vec![
        audit("sepa_mandate_creation", "create", ComplianceStatus::Compliant, 1),
        audit("payment_processing", "submit", ComplianceStatus::Failed, 2),
    ];
    one.write_batch(&batch(vec![], &[], first, vec![])).await.unwrap();
    two.write_batch(&batch(
        vec![],
        &[],
        vec![audit("payment_processing", "submit", ComplianceStatus::Compliant, 3)],
        vec![],
    ))
    .await
    .unwrap();
    let all = one.audit_records(&AuditQuery::default()).await.unwrap();
    assert_eq!(all.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3], "one chain, whichever handle wrote");
    assert_eq!(all[1].prev_hash, all[0].hash);
    assert_eq!(all[2].prev_hash, all[1].hash);
    assert_eq!(all[0].details["amount_cents"], 1250);
    assert_eq!(all[0].actor.as_deref(), Some("clerk-3"));
    let failed = AuditQuery {
        process: Some("payment_processing".into()),
        status: Some(ComplianceStatus::Failed),
        ..AuditQuery::default()
    };
    let failed = two.audit_records(&failed).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].reference.as_ref().unwrap().id, "2");
    let report = two.verify_audit_chain().await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!(report.rows, 3);
    assert_eq!(report.check, ChainCheck::UnkeyedLinksOnly);
}

pub async fn a_keyed_chain_verifies_with_its_key(database: Arc<impl TestDatabase>) {
    let key = AuditKey::from_hex(&"5a".repeat(32)).unwrap();
    let store = database.open_keyed(AuditKeyRing::new(key.clone())).await.unwrap();
    let records = (0..5).map(|i| audit("batch_generation", "generate", ComplianceStatus::Compliant, i)).collect();
    store.write_batch(&batch(vec![], &[], records, vec![])).await.unwrap();
    store.change_groups(&GroupQuery::all(), &GroupChange::by("alice").note("nothing yet")).await.unwrap();
    let report = store.verify_audit_chain().await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!(report.check, ChainCheck::Keyed);
    assert_eq!((report.rows, report.keyed_rows), (5, 5));
    let rows = store.audit_records(&AuditQuery::default()).await.unwrap();
    assert!(rows.iter().all(|row| row.key_id.as_deref() == Some(key.id())));
    // Without the key the same rows are only consistent, not authenticated.
    let unkeyed = database.open().await.unwrap().verify_audit_chain().await.unwrap();
    assert_ne!(unkeyed.check, ChainCheck::Keyed);
}

pub async fn notifications_are_kept_once_per_key_and_destination(database: Arc<impl TestDatabase>) {
    let store = database.open().await.unwrap();
    let firing = alert("too_many_errors", AlertState::Firing, Severity::Error, at(0), None);
    let sent = notifications(&firing, "n-1", &["ops", "oncall"]);
    store.write_batch(&batch(vec![], &[], vec![], sent.clone())).await.unwrap();
    // A retried batch carries them again.
    store.write_batch(&batch(vec![], &[], vec![], sent)).await.unwrap();
    let kept = store.notifications(None, 100).await.unwrap();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert_eq!(kept.iter().map(|n| n.destination.as_str()).collect::<Vec<_>>(), ["ops", "oncall"]);
    assert!(kept.iter().all(|n| n.rule == "too_many_errors" && n.state == "firing" && n.value == 12.0));
    assert_eq!(store.notifications(Some("other"), 100).await.unwrap().len(), 0);
    let incidents = store.alerts(&AlertQuery::default()).await.unwrap();
    assert_eq!(incidents.len(), 1, "one incident however many destinations and retries: {incidents:?}");
}

pub async fn the_alert_lifecycle(database: Arc<impl TestDatabase>) {
    let store = database.open().await.unwrap();
    let send = |alert: monitor_runtime::alerting::Alert, key: &'static str| {
        let store = store.clone();
        async move { store.write_batch(&batch(vec![], &[], vec![], notifications(&alert, key, &["ops"]))).await.unwrap() }
    };
    send(alert("sepa_failures", AlertState::Firing, Severity::Error, at(0), None), "n-1").await;
    let incidents = store.alerts(&AlertQuery::default()).await.unwrap();
    assert_eq!(incidents.len(), 1);
    let incident = incidents[0].clone();
    assert_eq!((incident.status, incident.started_at, incident.fired), (AlertStatus::Active, at(0), 1));
    assert_eq!(incident.rule, "sepa_failures");
    assert_eq!(incident.labels.get("module").map(String::as_str), Some("payments::sepa"));
    assert_eq!((incident.value, incident.threshold), (12.0, 10.0));

    let AlertChange::Changed(acked) = store.acknowledge_alert(incident.id, "bob", Some("on it")).await.unwrap() else {
        panic!("an active alert can be acknowledged")
    };
    assert_eq!(acked.status, AlertStatus::Acknowledged);
    assert_eq!((acked.acknowledged_by.as_deref(), acked.ack_comment.as_deref()), (Some("bob"), Some("on it")));
    assert!(acked.acknowledged_at.is_some());
    assert!(matches!(store.acknowledge_alert(incident.id, "carol", None).await.unwrap(), AlertChange::Unchanged(_)));
    assert_eq!(store.acknowledge_alert(999_999, "bob", None).await.unwrap(), AlertChange::NotFound);
    assert!(store.acknowledge_alert(incident.id, " ", None).await.is_err(), "nobody cannot acknowledge");

    // A repeat of the same firing keeps the acknowledgement.
    send(alert("sepa_failures", AlertState::Firing, Severity::Error, at(0), None), "n-2").await;
    assert_eq!(store.alert(incident.id).await.unwrap().unwrap().status, AlertStatus::Acknowledged);

    // It resolves by itself…
    send(alert("sepa_failures", AlertState::Resolved, Severity::Error, at(0), Some(at(600))), "n-3").await;
    let resolved = store.alert(incident.id).await.unwrap().unwrap();
    assert_eq!((resolved.status, resolved.resolved_at), (AlertStatus::Resolved, Some(at(600))));
    assert!(resolved.resolved_automatically());

    // …and fires again within repeat_interval (1 h): the same incident.
    send(alert("sepa_failures", AlertState::Firing, Severity::Error, at(1200), None), "n-4").await;
    let reopened = store.alerts(&AlertQuery::default()).await.unwrap();
    assert_eq!(reopened.len(), 1, "counted once: {reopened:?}");
    assert_eq!((reopened[0].id, reopened[0].status, reopened[0].fired), (incident.id, AlertStatus::Active, 2));
    assert_eq!(reopened[0].resolved_at, None);

    let AlertChange::Changed(closed) = store.resolve_alert(incident.id, "carol", Some("bank fixed it")).await.unwrap()
    else {
        panic!("an active alert can be resolved")
    };
    assert_eq!((closed.status, closed.resolved_by.as_deref()), (AlertStatus::Resolved, Some("carol")));
    assert!(!closed.resolved_automatically());
    assert!(matches!(store.resolve_alert(incident.id, "carol", None).await.unwrap(), AlertChange::Unchanged(_)));

    // Well after repeat_interval: a new incident.
    let later = at(1200 + 7200);
    send(alert("sepa_failures", AlertState::Firing, Severity::Error, later, None), "n-5").await;
    let all = store.alerts(&AlertQuery::default()).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!((all[0].started_at, all[0].status), (later, AlertStatus::Active), "newest first");
    let active =
        store.alerts(&AlertQuery { status: Some(AlertStatus::Active), ..AlertQuery::default() }).await.unwrap();
    assert_eq!(active.len(), 1);

    let actions: Vec<_> = store
        .audit_records(&AuditQuery { process: Some(OPERATOR_PROCESS.into()), ..AuditQuery::default() })
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.action, r.actor.unwrap_or_default()))
        .collect();
    assert_eq!(
        actions,
        [("alert.acknowledge".to_owned(), "bob".to_owned()), ("alert.resolve".to_owned(), "carol".to_owned())],
        "each operator action audited once, refusals not at all"
    );
}

pub async fn an_acknowledged_alert_becomes_active_when_its_severity_rises(database: Arc<impl TestDatabase>) {
    let store = database.open().await.unwrap();
    let fire = |severity| alert("latency", AlertState::Firing, severity, at(0), None);
    store
        .write_batch(&batch(vec![], &[], vec![], notifications(&fire(Severity::Warning), "n-1", &["ops"])))
        .await
        .unwrap();
    let id = store.alerts(&AlertQuery::default()).await.unwrap()[0].id;
    store.acknowledge_alert(id, "bob", None).await.unwrap();
    store
        .write_batch(&batch(vec![], &[], vec![], notifications(&fire(Severity::Warning), "n-2", &["ops"])))
        .await
        .unwrap();
    assert_eq!(store.alert(id).await.unwrap().unwrap().status, AlertStatus::Acknowledged);
    store
        .write_batch(&batch(vec![], &[], vec![], notifications(&fire(Severity::Critical), "n-3", &["ops"])))
        .await
        .unwrap();
    let risen = store.alert(id).await.unwrap().unwrap();
    assert_eq!((risen.status, risen.severity), (AlertStatus::Active, Severity::Critical));
}

pub async fn mean_times_to_acknowledge_and_resolve_per_rule(database: Arc<impl TestDatabase>) {
    let store = database.open().await.unwrap();
    let now = std::time::SystemTime::now();
    for (rule, key) in [("a", "n-a"), ("b", "n-b")] {
        let firing = alert(rule, AlertState::Firing, Severity::Error, now - Duration::from_secs(60), None);
        store.write_batch(&batch(vec![], &[], vec![], notifications(&firing, key, &["ops"]))).await.unwrap();
    }
    let incidents = store.alerts(&AlertQuery::default()).await.unwrap();
    let id_of = |rule: &str| incidents.iter().find(|i| i.rule == rule).unwrap().id;
    store.acknowledge_alert(id_of("a"), "bob", None).await.unwrap();
    store.resolve_alert(id_of("a"), "bob", None).await.unwrap();
    let stats = store.alert_stats(now - Duration::from_secs(3600), now + Duration::from_secs(3600)).await.unwrap();
    assert_eq!(stats.iter().map(|s| s.rule.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    let (a, b) = (&stats[0], &stats[1]);
    assert_eq!((a.incidents, a.acknowledged, a.resolved), (1, 1, 1));
    let mtta = a.mtta.unwrap();
    assert!(mtta >= Duration::from_secs(59) && mtta < Duration::from_secs(600), "{mtta:?}");
    assert!(a.mttr.unwrap() >= mtta);
    assert_eq!((b.incidents, b.acknowledged, b.mtta, b.mttr), (1, 0, None, None));
    let before = store.alert_stats(now - Duration::from_secs(7200), now - Duration::from_secs(3600)).await.unwrap();
    assert!(before.is_empty(), "incidents are counted in the period they started");
}

pub async fn a_schema_newer_than_this_release_is_refused(database: Arc<impl TestDatabase>) {
    database.open().await.unwrap();
    database.pretend_newer_schema().await;
    let error = database.open().await.unwrap_err();
    assert!(error.message.contains("newer"), "{error}");
    assert!(error.message.contains("upgrade"), "says what to do: {error}");
}

pub async fn fleet_counts_add_up_per_group_and_minute(database: Arc<impl TestDatabase>) {
    let (one, two) = (database.open().await.unwrap(), database.open().await.unwrap());
    // Minute 0 (at 0 s and 30 s), minute 1 (at 90 s), minute 5 (at 330 s).
    one.write_batch(&batch(vec![], &[Group::new(1, "payments", 3, at(0), at(0))], vec![], vec![])).await.unwrap();
    two.write_batch(&batch(vec![], &[Group::new(1, "payments", 4, at(0), at(30))], vec![], vec![])).await.unwrap();
    two.write_batch(&batch(vec![], &[Group::new(1, "payments", 5, at(0), at(90))], vec![], vec![])).await.unwrap();
    one.write_batch(&batch(vec![], &[Group::new(2, "ledger", 6, at(0), at(330))], vec![], vec![])).await.unwrap();
    // A snapshot with no new occurrences (a status change only) counts nothing.
    one.write_batch(&batch(vec![], &[Group::new(2, "ledger", 0, at(0), at(330))], vec![], vec![])).await.unwrap();
    let counts = two.fleet_counts(at(0)).await.unwrap();
    let seen: Vec<_> = counts.iter().map(|c| (c.group, c.minute, c.count, c.module.as_str())).collect();
    assert_eq!(
        seen,
        [(key(1), at(0), 7, "payments"), (key(1), at(60), 5, "payments"), (key(2), at(300), 6, "ledger")],
        "oldest minute first"
    );
    assert_eq!(counts[0].severity, Severity::Error);
    assert_eq!(counts[0].template, "payment <*> failed in payments");
    let recent: Vec<_> = one.fleet_counts(at(70)).await.unwrap().iter().map(|c| (c.group, c.count)).collect();
    assert_eq!(recent, [(key(1), 5), (key(2), 6)], "from the minute `since` falls in");
}

pub async fn one_instance_leads_the_fleet_and_another_takes_over_when_it_stops(database: Arc<impl TestDatabase>) {
    let lease = Duration::from_millis(400);
    let (first, second) = (database.open().await.unwrap(), database.open().await.unwrap());
    assert_eq!(first.leader().await.unwrap(), None);
    assert!(first.lead("instance a", lease).await.unwrap());
    assert!(!second.lead("instance b", lease).await.unwrap(), "one leader at a time");
    assert!(first.lead("instance a", lease).await.unwrap(), "the leader keeps the lead");
    assert_eq!(second.leader().await.unwrap().as_deref(), Some("instance a"));
    // The leader goes away without a word.
    drop(first);
    let gone = std::time::Instant::now();
    while !second.lead("instance b", lease).await.unwrap() {
        assert!(gone.elapsed() < Duration::from_secs(10), "nobody took over");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(second.leader().await.unwrap().as_deref(), Some("instance b"));
    let third = database.open().await.unwrap();
    assert!(!third.lead("instance c", lease).await.unwrap());
}

const DAY: u64 = 86_400;

/// The policy the cases apply, checked first (as the sinks do).
fn checked(policy: RetentionPolicy) -> RetentionPolicy {
    policy.validate().unwrap();
    policy
}

/// Messages of the events still stored.
async fn stored_messages(store: &Arc<dyn Store>) -> Vec<String> {
    let mut messages: Vec<String> =
        store.recent_events(10_000).await.unwrap().into_iter().map(|event| event.message).collect();
    messages.sort();
    messages
}

pub async fn retention_by_age_keeps_groups_their_counts_and_the_audit_log(database: Arc<impl TestDatabase>) {
    let store = database.open().await.unwrap();
    let events = vec![event(1, "old", at(0)), event(1, "older", at(DAY)), event(1, "recent", at(35 * DAY))];
    let group = Group::new(1, "payments", 3, at(0), at(35 * DAY)).status(GroupStatus::Resolved, true);
    let audits = vec![audit("payment_processing", "submit", ComplianceStatus::Compliant, 1)];
    store.write_batch(&batch(events, &[group], audits, vec![])).await.unwrap();
    let policy = checked(RetentionPolicy::default());
    let now = at(40 * DAY);
    let plan = store.retention_plan(&policy, now).await.unwrap();
    assert_eq!(plan.events, EventCounts { age: 2, ..EventCounts::default() });
    assert_eq!(store.event_count().await.unwrap(), 3, "a plan changes nothing");
    let report = store.apply_retention(&policy, now).await.unwrap();
    assert_eq!(report.events, plan.events, "apply does what the plan said");
    assert_eq!(stored_messages(&store).await, ["recent"]);
    let kept = store.group(key(1)).await.unwrap().unwrap();
    assert_eq!((kept.count, kept.status, kept.first_seen), (3, GroupStatus::Resolved, at(0)), "counts survive");
    // Much later: every event goes, the group and the audit row stay.
    store.apply_retention(&policy, at(400 * DAY)).await.unwrap();
    assert_eq!(store.event_count().await.unwrap(), 0);
    assert_eq!(store.group(key(1)).await.unwrap().unwrap().count, 3, "a group without events stays");
    assert_eq!(store.audit_records(&AuditQuery::default()).await.unwrap().len(), 1, "event rules never touch audit");
    assert!(store.verify_audit_chain().await.unwrap().is_intact());
}

pub async fn retention_by_severity_and_kind_most_specific_first(database: Arc<impl TestDatabase>) {
    let store = database.open().await.unwrap();
    let now = at(1000 * DAY);
    let ago = |days: u64| at(1000 * DAY - days * DAY);
    let events = vec![
        event_of(1, "critical 40d", ago(40), Severity::Critical, EventKind::Error),
        event_of(1, "critical 400d", ago(400), Severity::Critical, EventKind::Error),
        event_of(2, "debug 10d", ago(10), Severity::Debug, EventKind::Message),
        event_of(2, "debug 1d", ago(1), Severity::Debug, EventKind::Message),
        event_of(3, "slow 5d", ago(5), Severity::Warning, EventKind::Slow),
        event_of(3, "slow debug 5d", ago(5), Severity::Debug, EventKind::Slow),
        event_of(4, "error 40d", ago(40), Severity::Error, EventKind::Error),
        event_of(4, "error 10d", ago(10), Severity::Error, EventKind::Error),
    ];
    store.write_batch(&batch(events, &[], vec![], vec![])).await.unwrap();
    let policy = checked(
        RetentionPolicy::default()
            .keep_severity(Severity::Critical, Duration::from_secs(365 * DAY))
            .keep_severity(Severity::Debug, Duration::from_secs(7 * DAY))
            .keep_kind(EventKind::Slow, Duration::from_secs(3 * DAY)),
    );
    let plan = store.retention_plan(&policy, now).await.unwrap();
    // Severity before kind: a slow debug event of 5 days is under the debug limit (7 days).
    assert_eq!(plan.events, EventCounts { age: 1, severity: 2, kind: 1, ..EventCounts::default() });
    let report = store.apply_retention(&policy, now).await.unwrap();
    assert_eq!(report.events, plan.events);
    assert_eq!(stored_messages(&store).await, ["critical 40d", "debug 1d", "error 10d", "slow debug 5d"]);
}

pub async fn retention_by_pattern_of_template_or_group(database: Arc<impl TestDatabase>) {
    let store = database.open().await.unwrap();
    let groups = [Group::new(1, "payments", 2, at(0), at(0)), Group::new(2, "ledger", 2, at(0), at(0))];
    let now = at(10 * DAY);
    let events = vec![
        event(1, "payments 3d", at(7 * DAY)),
        event(2, "ledger 3d", at(7 * DAY)),
        event(2, "ledger 12h", at(10 * DAY - DAY / 2)),
        event(3, "no group row 3d", at(7 * DAY)),
    ];
    store.write_batch(&batch(events, &groups, vec![], vec![])).await.unwrap();
    let policy = checked(
        RetentionPolicy::default()
            .pattern(PatternRule::template("payment <*> failed in ledger", Duration::from_secs(DAY)))
            .pattern(PatternRule::group(key(3), Duration::from_secs(2 * DAY))),
    );
    let plan = store.retention_plan(&policy, now).await.unwrap();
    assert_eq!(plan.events, EventCounts { pattern: 2, ..EventCounts::default() });
    assert_eq!(store.apply_retention(&policy, now).await.unwrap().events, plan.events);
    assert_eq!(stored_messages(&store).await, ["ledger 12h", "payments 3d"]);
    assert_eq!(store.group(key(2)).await.unwrap().unwrap().count, 2);
}

pub async fn retention_by_size_removes_the_lowest_severity_oldest_first(database: Arc<impl TestDatabase>) {
    let store = database.open().await.unwrap();
    // Text that does not compress, so the size of a row is about its length.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut noise = || {
        (0..100)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                format!("{:016x}", seed)
            })
            .collect::<String>()
    };
    for chunk in 0..4 {
        let events = (0..100)
            .map(|i| {
                let n = chunk * 100 + i;
                let severity = if n % 4 == 0 { Severity::Error } else { Severity::Debug };
                event_of(1, &format!("{n:04} {}", noise()), at(n), severity, EventKind::Error)
            })
            .collect();
        store.write_batch(&batch(events, &[], vec![], vec![])).await.unwrap();
    }
    let policy = checked(RetentionPolicy::none().max_size(400 * 1024));
    let now = at(1000);
    let plan = store.retention_plan(&policy, now).await.unwrap();
    assert!(plan.size_bytes.unwrap() > 400 * 1024, "{plan:?}");
    assert!(plan.events.size > 0, "{plan:?}");
    assert_eq!(plan.events.total(), plan.events.size);
    let report = store.apply_retention(&policy, now).await.unwrap();
    assert_eq!(report.events, plan.events);
    let kept = store.recent_events(10_000).await.unwrap();
    assert_eq!(kept.len() as u64, 400 - report.events.size);
    let number = |event: &StoredEvent| event.message[..4].parse::<u64>().unwrap();
    let (errors, debug): (Vec<_>, Vec<_>) = kept.iter().partition(|event| event.severity == Severity::Error);
    if errors.len() < 100 {
        assert!(debug.is_empty(), "an error went while debug events remained");
    }
    // Within a severity, the oldest went first: what remains is the newest.
    let remaining_debug: Vec<u64> = debug.iter().map(|event| number(event)).collect();
    let removed_debug = 300 - remaining_debug.len() as u64;
    // Debug events are those with n % 4 != 0; the k-th of them (from 0) is n - n / 4 - 1.
    assert!(remaining_debug.iter().all(|&n| n - n / 4 > removed_debug), "{remaining_debug:?}");
}

/// Audit records as a batch carries them.
fn audits(n: u64) -> Vec<monitor_runtime::audit::AuditRecord> {
    (0..n).map(|i| audit("payment_processing", "submit", ComplianceStatus::Compliant, i)).collect()
}

pub async fn audit_archive_then_verify_from_the_checkpoint_and_through_the_files(database: Arc<impl TestDatabase>) {
    let dir = tempfile::tempdir().unwrap();
    let key = AuditKey::from_hex(&"6b".repeat(32)).unwrap();
    let store = database.open_keyed(AuditKeyRing::new(key)).await.unwrap();
    store.write_batch(&batch(vec![], &[], audits(10), vec![])).await.unwrap();
    let retention = AuditRetention { older_than: Duration::from_secs(DAY), archive_dir: dir.path().to_owned() };
    let later = SystemTime::now() + Duration::from_secs(2 * DAY);
    let policy = checked(RetentionPolicy::none().audit(retention.older_than, dir.path()));
    let plan = store.retention_plan(&policy, later).await.unwrap();
    assert_eq!((plan.audit_rows, plan.audit_up_to), (9, Some(9)), "the last row stays");
    let archives = store.archive_audit(&retention, later).await.unwrap();
    assert_eq!(archives.len(), 1);
    let archive = &archives[0];
    assert_eq!((archive.first_seq, archive.up_to_seq, archive.rows), (1, 9, 9));
    assert_eq!(store.audit_archives().await.unwrap(), archives);
    let remaining = store.audit_records(&AuditQuery::default()).await.unwrap();
    assert_eq!(remaining.iter().map(|row| row.seq).collect::<Vec<_>>(), [10]);
    // New rows go on from the chain's head.
    store.write_batch(&batch(vec![], &[], audits(3), vec![])).await.unwrap();
    let report = store.verify_audit_chain().await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!((report.archived_up_to, report.rows, report.check.clone()), (Some(9), 4, ChainCheck::Keyed));
    assert!(report.to_string().contains("rows 1 to 9 were archived"), "{report}");
    let file = archive.path_in(dir.path());
    let lines = std::fs::read_to_string(&file).unwrap();
    assert_eq!(lines.lines().count(), 11, "a header, 9 rows, a trailer");
    let whole = store.verify_audit_chain_with_archives(&[file]).await.unwrap();
    assert!(whole.is_intact(), "{whole}");
    assert_eq!((whole.rows, whole.archive_files_checked, whole.keyed_rows), (13, 1, 13));
    // Nothing more is old enough.
    assert!(store.archive_audit(&retention, SystemTime::now()).await.unwrap().is_empty());
}

pub async fn a_tampered_archive_file_is_named_by_its_row(database: Arc<impl TestDatabase>) {
    let dir = tempfile::tempdir().unwrap();
    let store = database.open_keyed(AuditKeyRing::new(AuditKey::from_hex(&"6c".repeat(32)).unwrap())).await.unwrap();
    store.write_batch(&batch(vec![], &[], audits(8), vec![])).await.unwrap();
    let retention = AuditRetention { older_than: Duration::from_secs(DAY), archive_dir: dir.path().to_owned() };
    let later = SystemTime::now() + Duration::from_secs(2 * DAY);
    let file = store.archive_audit(&retention, later).await.unwrap()[0].path_in(dir.path());
    let text = std::fs::read_to_string(&file).unwrap();
    let edited: Vec<String> = text
        .lines()
        .map(|line| {
            let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
            if value["seq"] == 5 {
                value["actor"] = "mallory".into();
            }
            value.to_string()
        })
        .collect();
    std::fs::write(&file, edited.join("\n") + "\n").unwrap();
    let report = store.verify_audit_chain_with_archives(std::slice::from_ref(&file)).await.unwrap();
    let broken = report.first_broken.expect("the edit is found");
    assert_eq!(broken.seq, 5, "{}", broken.reason);
    // Without the file the store's own rows still verify from the checkpoint.
    assert!(store.verify_audit_chain().await.unwrap().is_intact());
    // A file of another segment, or none at all, is not the archive either.
    std::fs::remove_file(&file).unwrap();
    let missing = store.verify_audit_chain_with_archives(&[]).await.unwrap();
    assert!(missing.first_broken.unwrap().reason.contains("not given"));
}

pub async fn a_deleted_or_forged_archive_checkpoint_is_a_break(database: Arc<impl TestDatabase>) {
    let dir = tempfile::tempdir().unwrap();
    let store = database.open_keyed(AuditKeyRing::new(AuditKey::from_hex(&"6d".repeat(32)).unwrap())).await.unwrap();
    let retention = AuditRetention { older_than: Duration::from_secs(DAY), archive_dir: dir.path().to_owned() };
    let later = SystemTime::now() + Duration::from_secs(2 * DAY);
    store.write_batch(&batch(vec![], &[], audits(5), vec![])).await.unwrap();
    store.archive_audit(&retention, later).await.unwrap();
    store.write_batch(&batch(vec![], &[], audits(5), vec![])).await.unwrap();
    store.archive_audit(&retention, later).await.unwrap();
    let archives = store.audit_archives().await.unwrap();
    assert_eq!(archives.iter().map(|a| (a.first_seq, a.up_to_seq)).collect::<Vec<_>>(), [(1, 4), (5, 9)]);
    assert!(store.verify_audit_chain().await.unwrap().is_intact());

    // Someone without the key removes the latest checkpoint (to hide rows 5 to 9).
    database.tamper("DELETE FROM audit_archives WHERE up_to_seq = 9").await;
    let report = store.verify_audit_chain().await.unwrap();
    let broken = report.first_broken.expect("the deleted checkpoint is found");
    assert_eq!(broken.seq, 5, "{}", broken.reason);

    // …and forges the first one's row count: its MAC no longer holds.
    database.tamper("UPDATE audit_archives SET row_count = 3 WHERE up_to_seq = 4").await;
    let report = store.verify_audit_chain().await.unwrap();
    let broken = report.first_broken.expect("the forged checkpoint is found");
    assert_eq!(broken.seq, 1, "{}", broken.reason);
    assert!(broken.reason.contains("forged"), "{}", broken.reason);
}
