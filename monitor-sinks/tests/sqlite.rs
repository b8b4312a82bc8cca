//! The SQLite sink against real files: what is stored, the queries, and what
//! happens when the file cannot be used.

use std::time::{Duration, SystemTime};

use monitor_runtime::{EventKind, GroupStatus, InstallError, Monitor, Severity, SinkErrorKind, monitor};
use monitor_sinks::sqlite::{GroupQuery, SqliteSink, SqliteStore};
use monitor_sinks::store::GroupChange;

#[derive(Debug)]
struct BankError(u32);

impl std::fmt::Display for BankError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bank rejected batch {}", self.0)
    }
}

impl std::error::Error for BankError {}

#[monitor(severity = critical, args(batch))]
fn submit(batch: u32) -> Result<(), BankError> {
    Err(BankError(batch))
}

#[monitor(severity = warning)]
fn validate(line: u32) -> Result<(), String> {
    Err(format!("mandate reference missing on line {line}"))
}

#[monitor]
fn find_member(name: &str) -> Result<(), String> {
    Err(format!("member {name} not found in the directory"))
}

#[test]
fn groups_the_grouper_merged_are_stored_as_aliases_and_no_count_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let guard = Monitor::builder().service("records").sink(SqliteSink::new(&path)).install().unwrap();
    let names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"];
    // The first names come before the grouper knows the name is a variable.
    for name in &names[..3] {
        let _ = find_member(name);
    }
    assert!(guard.flush(Duration::from_secs(10)));
    for name in &names[3..] {
        let _ = find_member(name);
    }
    guard.shutdown();

    let store = SqliteStore::open(&path).unwrap();
    let groups = store.groups(&GroupQuery::default()).unwrap();
    let survivors: Vec<_> = groups.iter().filter(|group| group.merged_into.is_none()).collect();
    assert_eq!(survivors.len(), 1, "one group for one statement: {groups:#?}");
    let survivor = survivors[0];
    assert_eq!(survivor.template, "member <*> not found in the directory");
    assert!(groups.iter().all(|group| group.merged_into.is_none_or(|into| into == survivor.key)));
    assert_eq!(groups.iter().map(|group| group.count).sum::<u64>(), names.len() as u64, "every call counted once");
    // The aliases keep what they meant when they were handed out.
    assert!(groups.iter().filter(|group| group.merged_into.is_some()).all(|group| group.template.contains("member ")));
}

#[test]
fn events_and_groups_are_stored_and_queryable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let before = SystemTime::now() - Duration::from_secs(1);
    let guard = Monitor::builder().service("sepa").sink(SqliteSink::new(&path)).install().unwrap();
    for batch in 0..30 {
        let _ = submit(batch);
    }
    for line in 0..3 {
        let _ = validate(line);
    }
    let stats = guard.shutdown();
    assert_eq!(stats.delivered.get("sqlite"), Some(&stats.written));

    let mut store = SqliteStore::open(&path).unwrap();
    let all = store.groups(&GroupQuery::default()).unwrap();
    assert_eq!(all.len(), 2);
    let critical =
        store.groups(&GroupQuery { min_severity: Some(Severity::Critical), ..GroupQuery::default() }).unwrap();
    assert_eq!(critical.len(), 1);
    let submit_group = &critical[0];
    assert_eq!(submit_group.count, 30);
    assert_eq!(submit_group.location.function, "submit");
    assert!(submit_group.first_seen >= before && submit_group.last_seen >= submit_group.first_seen);
    let none_later = store
        .groups(&GroupQuery { seen_since: Some(SystemTime::now() + Duration::from_secs(60)), ..GroupQuery::default() })
        .unwrap();
    assert!(none_later.is_empty());

    let events = store.events_of_group(submit_group.key, 10).unwrap();
    assert_eq!(events.len(), 1, "dedup: one event stored for the window");
    let event = &events[0];
    assert_eq!(event.kind, EventKind::Error);
    assert_eq!(event.message, "bank rejected batch 0");
    assert_eq!(event.context.service.as_deref(), Some("sepa"));
    assert_eq!(event.args, vec![("batch".to_owned(), "0".to_owned())]);
    assert!(event.error_type.as_deref().unwrap().ends_with("BankError"));

    assert!(store.change_group(submit_group.key, &GroupChange::by("test").status(GroupStatus::Investigating)).unwrap());
    let investigating =
        store.groups(&GroupQuery { status: Some(GroupStatus::Investigating), ..GroupQuery::default() }).unwrap();
    assert_eq!(investigating.len(), 1);
}

/// Delivers nothing: storage's record of notifications is what is tested.
fn discard(
    _: &monitor_runtime::alerts::Destination,
) -> Result<Box<dyn monitor_runtime::Notifier>, monitor_runtime::DestinationError> {
    struct Discard;
    impl monitor_runtime::Notifier for Discard {
        fn notify(
            &self,
            _: std::sync::Arc<monitor_runtime::alerting::Notification>,
        ) -> Result<(), monitor_runtime::NotifyError> {
            Ok(())
        }
    }
    Ok(Box::new(Discard))
}

#[test]
fn alert_notifications_are_kept_with_their_details_per_destination() {
    use monitor_runtime::alerting::ManualClock;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    let guard = Monitor::builder()
        .service("sepa")
        .alerts(monitor_runtime::alerts! {
            destination ops = console;
            destination oncall = email("oncall@example.org");
            rule bank_down { when errors(severity >= critical) > 2 within 15m; notify ops, oncall; group_wait 30s; }
        })
        .delivery(discard)
        .clock(clock.clone())
        .sink(SqliteSink::new(&path))
        .install()
        .unwrap();
    for batch in 0..5 {
        let _ = submit(batch);
    }
    assert!(guard.flush(Duration::from_secs(10)));
    clock.advance(Duration::from_secs(30));
    assert!(guard.flush(Duration::from_secs(10)));
    clock.advance(Duration::from_secs(16 * 60));
    assert!(guard.flush(Duration::from_secs(10)));
    guard.shutdown();

    let store = SqliteStore::open(&path).unwrap();
    let stored = store.notifications(Some("bank_down"), 100).unwrap();
    let seen: Vec<(&str, &str)> = stored.iter().map(|n| (n.state.as_str(), n.destination.as_str())).collect();
    assert_eq!(seen, vec![("firing", "ops"), ("firing", "oncall"), ("resolved", "ops"), ("resolved", "oncall")]);
    let firing = &stored[0];
    assert_eq!((firing.value, firing.threshold, firing.severity.as_str()), (5.0, 2.0, "error"));
    assert_eq!(firing.details["message"], "bank rejected batch 0");
    assert_eq!(firing.details["service"], "sepa");
    assert_eq!(firing.details["occurrences"], 5);
    assert_eq!(firing.key, stored[1].key, "one key per notification, whatever the destination");
    assert_ne!(firing.key, stored[2].key);
    assert!(store.notifications(Some("another_rule"), 100).unwrap().is_empty());
}

#[test]
fn counts_add_up_across_restarts_and_reopening_does_not_migrate_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    for _ in 0..2 {
        let guard = Monitor::builder().sink(SqliteSink::new(&path)).install().unwrap();
        for batch in 0..5 {
            let _ = submit(batch);
        }
        guard.shutdown();
    }
    let store = SqliteStore::open(&path).unwrap();
    let groups = store.groups(&GroupQuery::default()).unwrap();
    assert_eq!(groups.len(), 1, "the same key in both runs");
    assert_eq!(groups[0].count, 10);
    assert_eq!(store.event_count().unwrap(), 2);
}

#[test]
fn a_path_that_cannot_be_opened_is_a_clear_install_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/monitor.db");
    let error = Monitor::builder().sink(SqliteSink::new(&path)).install().err().unwrap();
    let InstallError::Sink { sink, error } = error else { panic!("unexpected {error:?}") };
    assert_eq!(sink, "sqlite");
    assert_eq!(error.kind, SinkErrorKind::Unavailable);
    assert!(error.message.contains("no/such/dir/monitor.db"), "{}", error.message);
    assert!(error.message.contains("directory exists and is writable"), "{}", error.message);
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "these are not SQLite pages, and must survive").unwrap();
    let error = Monitor::builder().sink(SqliteSink::new(&path)).install().err().unwrap();
    assert!(error.to_string().contains("not a SQLite database"), "{error}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "these are not SQLite pages, and must survive");
}

#[test]
fn a_read_only_file_fails_install_or_is_skipped_when_optional() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    drop(SqliteStore::open(&path).unwrap());
    let mut permissions = std::fs::metadata(&path).unwrap().permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&path, permissions).unwrap();
    if std::fs::OpenOptions::new().write(true).open(&path).is_ok() {
        eprintln!("skipped: this user (root?) can write read-only files, so read-only cannot be simulated");
        return;
    }
    let error = Monitor::builder().sink(SqliteSink::new(&path)).install().err().unwrap();
    assert!(error.to_string().contains("read-only"), "{error}");

    let guard = Monitor::builder().optional_sink(SqliteSink::new(&path)).install().unwrap();
    assert_eq!(guard.stats().disabled_sinks, vec!["sqlite".to_owned()]);
}

#[test]
fn a_locked_database_drops_events_with_that_reason_keeps_counts_and_the_host_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let guard = Monitor::builder()
        .sink(SqliteSink::new(&path).busy_timeout(Duration::from_millis(50)))
        .flush_interval(Duration::from_millis(10))
        .install()
        .unwrap();
    let locker = rusqlite::Connection::open(&path).unwrap();
    locker.execute_batch("BEGIN EXCLUSIVE;").unwrap();
    let _ = submit(1);
    // The group's count is retried while the lock is held, so a flush cannot finish.
    assert!(!guard.flush(Duration::from_millis(500)));
    // On a busy machine the worker may not have tried the batch yet: the
    // lock is held until the event was dropped for it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !guard.stats().dropped.contains_key("sqlite:storage_locked") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    locker.execute_batch("ROLLBACK;").unwrap();
    assert!(guard.flush(Duration::from_secs(10)), "writes resume once the lock is gone");
    let _ = validate(2);
    let stats = guard.shutdown();
    assert_eq!(stats.dropped.get("sqlite:storage_locked"), Some(&1), "the event, a sample: {stats:?}");
    assert_eq!(stats.delivered.get("sqlite"), Some(&1), "{stats:?}");
    let groups = SqliteStore::open(&path).unwrap().groups(&GroupQuery::default()).unwrap();
    assert_eq!(groups.iter().map(|group| group.count).sum::<u64>(), 2, "both groups counted: {groups:?}");
}

#[test]
fn a_full_database_drops_with_that_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    // The empty schema takes 16 pages of 4 KiB; 96 KiB leaves room for a few events of the 40.
    let guard = Monitor::builder()
        .sink(SqliteSink::new(&path).max_size_bytes(160 * 1024))
        .batch_size(1)
        .shutdown_timeout(Duration::from_secs(1))
        .install()
        .unwrap();
    let filler = "x".repeat(3_000);
    for i in 0..40u8 {
        // A distinct leading word per message keeps each in its own group, so each is stored.
        let word: String = [b'a' + i % 26, b'a' + i / 26, b'q'].iter().map(|b| char::from(*b)).collect();
        monitor_runtime::capture_message(&format!("{word} {filler}"), Severity::Error);
    }
    let stats = guard.shutdown();
    // Events of a batch the full store refused are dropped as `storage_full`; the group counts of
    // a refused batch are retried until shutdown, and events queued behind that retry are counted
    // at the deadline. Which comes first depends on the worker's tick.
    let refused =
        ["sqlite:storage_full", "shutdown_deadline"].iter().filter_map(|r| stats.dropped.get(*r)).sum::<u64>();
    assert_eq!(
        stats.delivered.get("sqlite").copied().unwrap_or(0) + stats.total_dropped(),
        stats.captured,
        "{stats:?}"
    );
    // Old events make room for as long as there are any: a batch is refused only once none is left
    // (here the batch of 40 groups of 3 KB templates never fits).
    let store = SqliteStore::open(&path).unwrap();
    if refused > 0 {
        assert_eq!(store.event_count().unwrap(), 0, "refused while events could make room: {stats:?}");
    }
    assert!(store.event_count().unwrap() <= stats.delivered.get("sqlite").copied().unwrap_or(0));
}

#[test]
fn an_alert_acknowledged_in_the_store_sends_no_repeats_and_resolves_by_itself() {
    use monitor_runtime::alerting::ManualClock;
    use monitor_sinks::store::{AlertChange, AlertStatus};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    let guard = Monitor::builder()
        .alerts(monitor_runtime::alerts! {
            destination ops = console;
            rule bank_down { when errors(severity >= critical) > 2 within 3h; notify ops; group_wait 30s; repeat_interval 1h; }
        })
        .delivery(discard)
        .clock(clock.clone())
        .status_sync_interval(Duration::from_millis(100))
        .sink(SqliteSink::new(&path))
        .install()
        .unwrap();
    for batch in 0..5 {
        let _ = submit(batch);
    }
    assert!(guard.flush(Duration::from_secs(10)));
    clock.advance(Duration::from_secs(30));
    assert!(guard.flush(Duration::from_secs(10)));
    let mut store = SqliteStore::open(&path).unwrap();
    let incidents = store.alerts(&Default::default()).unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0].status, AlertStatus::Active);
    let acked = store.acknowledge_alert(incidents[0].id, "bob", Some("calling the bank")).unwrap();
    assert!(matches!(acked, AlertChange::Changed(_)));

    // The process picks the acknowledgement up within a sync interval or two.
    std::thread::sleep(Duration::from_millis(500));
    assert!(guard.flush(Duration::from_secs(10)));
    clock.advance(Duration::from_secs(3600));
    assert!(guard.flush(Duration::from_secs(10)));
    let firings = store.notifications(Some("bank_down"), 100).unwrap();
    assert_eq!(firings.len(), 1, "no repeat after an hour once acknowledged: {firings:?}");
    assert_eq!(guard.stats().alerts.routed.acknowledged_repeats, 1);

    // The window empties: it resolves by itself, and says so even though acknowledged.
    clock.advance(Duration::from_secs(3 * 3600));
    assert!(guard.flush(Duration::from_secs(10)));
    guard.shutdown();
    let states: Vec<String> =
        store.notifications(Some("bank_down"), 100).unwrap().into_iter().map(|n| n.state).collect();
    assert_eq!(states, ["firing", "resolved"]);
    let incident = store.alert(incidents[0].id).unwrap().unwrap();
    assert_eq!(incident.status, AlertStatus::Resolved);
    assert!(incident.resolved_automatically());
    assert_eq!(incident.acknowledged_by.as_deref(), Some("bob"), "the acknowledgement stays on record");
}

#[monitor]
fn settle(invoice: u32) -> Result<u32, String> {
    if invoice.is_multiple_of(4) { Err(format!("invoice {invoice} is closed")) } else { Ok(invoice) }
}

#[test]
fn calls_per_function_and_minute_are_stored_for_the_performance_charts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let before = SystemTime::now() - Duration::from_secs(120);
    // Calls before the monitor starts are not its to report.
    let _ = settle(1);
    let guard = Monitor::builder().service("billing").sink(SqliteSink::new(&path)).install().unwrap();
    for invoice in 0..40 {
        let _ = settle(invoice);
    }
    assert!(guard.flush(Duration::from_secs(10)), "a flush hands on the minute so far");
    for invoice in 0..20 {
        let _ = settle(invoice);
    }
    guard.shutdown();

    let store = SqliteStore::open(&path).unwrap();
    let hour = monitor_sinks::store::Buckets {
        since: before,
        until: SystemTime::now() + Duration::from_secs(120),
        width: Duration::from_secs(3600),
    };
    let stats = store.function_stats(&hour, None, Some("settle")).unwrap();
    let (calls, errors): (u64, u64) = stats.iter().fold((0, 0), |(c, e), s| (c + s.calls, e + s.errors));
    assert_eq!((calls, errors), (60, 15), "every call since install, the errors among them: {stats:#?}");
    let first = &stats[0];
    assert_eq!(first.function, "settle");
    assert!(first.p50 <= first.p95 && first.p95 <= first.p99, "{first:?}");
    assert!(store.function_stats(&hour, Some("ledger::*"), None).unwrap().is_empty(), "another module's functions");
}
