//! What `audit()` accepted is stored, and group counts and statuses survive
//! what used to lose them: bursts faster than the store, a store locked by
//! another connection, a shutdown racing callers, evictions and restarts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use monitor_runtime::audit::{AuditError, AuditEvent, audit};
use monitor_runtime::{GroupStatus, Monitor, QueueReason, Severity, capture_message};
use monitor_sinks::sqlite::{GroupQuery, SqliteSink, SqliteStore};
use monitor_sinks::store::GroupChange;

#[derive(AuditEvent)]
#[audit(process = "payment_processing", action = "settle", status = compliant)]
struct Settled {
    #[audit(reference = "payment")]
    payment: u64,
    thread: u64,
}

fn audit_rows(path: &std::path::Path) -> u64 {
    let store = SqliteStore::open(path).unwrap();
    let report = store.verify_audit_chain().unwrap();
    assert!(report.is_intact(), "{report:?}");
    report.rows
}

/// Audits from `threads` threads, `each` records apiece, and returns how
/// many `audit()` accepted.
fn burst(threads: u64, each: u64) -> u64 {
    let accepted = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..threads)
        .map(|thread| {
            let accepted = accepted.clone();
            std::thread::spawn(move || {
                for payment in 0..each {
                    match audit(&Settled { payment, thread }) {
                        Ok(()) => {
                            accepted.fetch_add(1, Relaxed);
                        }
                        Err(AuditError::QueueTimeout) => {}
                        Err(other) => panic!("unexpected refusal: {other}"),
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    accepted.load(Relaxed)
}

#[test]
fn every_record_a_burst_of_a_million_had_accepted_is_a_row_of_an_intact_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let guard =
        Monitor::builder().sink(SqliteSink::new(&path)).shutdown_timeout(Duration::from_secs(120)).install().unwrap();
    let accepted = burst(4, 250_000);
    let stats = guard.shutdown();
    assert!(accepted > 0);
    assert_eq!(stats.audits_delivered.get("sqlite"), Some(&accepted), "{stats:?}");
    assert_eq!(audit_rows(&path), accepted, "every accepted record is stored: {stats:?}");
    let lost: u64 = stats.dropped.iter().filter(|(reason, _)| reason.starts_with("sqlite:audit")).map(|(_, n)| n).sum();
    assert_eq!(lost, 0, "{stats:?}");
    eprintln!("accepted and stored {accepted} of 1,000,000; the rest were told QueueTimeout");
}

#[test]
fn a_store_slower_than_the_callers_makes_audit_wait_instead_of_dropping() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    // A queue of 16 records, 2 batches of 4 in the sink's queue: a burst of
    // thousands must be held back at `audit()`, not past it.
    let guard = Monitor::builder()
        .sink(SqliteSink::new(&path))
        .queue_capacity(16)
        .batch_size(4)
        .sink_queue_capacity(2)
        .install()
        .unwrap();
    let accepted = burst(2, 5_000);
    let stats = guard.shutdown();
    assert_eq!(audit_rows(&path), accepted, "{stats:?}");
    assert_eq!(stats.audits_queued, accepted, "{stats:?}");
}

#[test]
fn audit_records_and_group_counts_wait_out_a_locked_store_and_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let guard = Monitor::builder()
        .sink(SqliteSink::new(&path).busy_timeout(Duration::from_millis(20)))
        .flush_interval(Duration::from_millis(10))
        .install()
        .unwrap();
    let locker = rusqlite::Connection::open(&path).unwrap();
    locker.execute_batch("BEGIN EXCLUSIVE;").unwrap();
    for payment in 0..50 {
        audit(&Settled { payment, thread: 0 }).unwrap();
        capture_message("ledger out of balance", Severity::Error);
    }
    // The worker tries, the store refuses (locked) again and again.
    assert!(!guard.flush(Duration::from_millis(300)), "nothing can be written while the store is locked");
    locker.execute_batch("ROLLBACK;").unwrap();
    assert!(guard.flush(Duration::from_secs(30)));
    let stats = guard.shutdown();
    assert_eq!(audit_rows(&path), 50, "{stats:?}");
    let store = SqliteStore::open(&path).unwrap();
    let groups = store.groups(&GroupQuery::default()).unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].count, 50, "no group count was lost: {stats:?}");
    assert!(!stats.dropped.keys().any(|reason| reason.starts_with("sqlite:audit")), "{stats:?}");
}

#[test]
fn every_record_accepted_while_the_guard_drops_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let guard =
        Monitor::builder().sink(SqliteSink::new(&path)).shutdown_timeout(Duration::from_secs(60)).install().unwrap();
    let accepted = Arc::new(AtomicU64::new(0));
    let started = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|thread| {
            let (accepted, started, stop) = (accepted.clone(), started.clone(), stop.clone());
            std::thread::spawn(move || {
                started.fetch_add(1, Relaxed);
                let mut payment = 0;
                // Until the monitor is gone: then `audit()` says so.
                while !stop.load(Relaxed) {
                    match audit(&Settled { payment, thread }) {
                        Ok(()) => {
                            accepted.fetch_add(1, Relaxed);
                        }
                        Err(AuditError::QueueTimeout) => {}
                        Err(AuditError::ShutDown | AuditError::NotInstalled) => return,
                        Err(other) => panic!("unexpected refusal: {other}"),
                    }
                    payment += 1;
                }
            })
        })
        .collect();
    while started.load(Relaxed) < 8 || accepted.load(Relaxed) < 1_000 {
        std::thread::yield_now();
    }
    let stats = guard.shutdown();
    stop.store(true, Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    let accepted = accepted.load(Relaxed);
    assert_eq!(audit_rows(&path), accepted, "{stats:?}");
    // Refused calls (`ShutDown`) are counted too, and were told so.
    assert_eq!(stats.audits_queued, accepted, "{stats:?}");
    assert_eq!(stats.audits_delivered.get("sqlite"), Some(&accepted), "{stats:?}");
}

fn capture_twice(path: &std::path::Path, message: &str) -> Vec<QueueReason> {
    let sink = monitor_runtime::MemorySink::new();
    let guard = Monitor::builder().sink(SqliteSink::new(path)).sink(sink.clone()).install().unwrap();
    for _ in 0..2 {
        capture_message(message, Severity::Error);
    }
    guard.shutdown();
    sink.events().iter().map(|event| event.reason).collect()
}

fn stored_group(path: &std::path::Path) -> monitor_sinks::sqlite::StoredGroup {
    let groups = SqliteStore::open(path).unwrap().groups(&GroupQuery::default()).unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    groups.into_iter().next().unwrap()
}

#[test]
fn a_group_resolved_in_the_store_and_seen_after_a_restart_is_a_regression() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    assert_eq!(capture_twice(&path, "ledger out of balance"), [QueueReason::NewGroup]);
    let key = stored_group(&path).key;
    assert!(
        SqliteStore::open(&path)
            .unwrap()
            .change_group(key, &GroupChange::by("operator").status(GroupStatus::Resolved))
            .unwrap()
    );

    assert_eq!(capture_twice(&path, "ledger out of balance"), [QueueReason::Regression]);
    let group = stored_group(&path);
    assert_eq!(group.status, GroupStatus::Open, "a regression reopens it");
    assert_eq!(group.count, 4);
}

#[test]
fn a_group_ignored_in_the_store_stays_ignored_and_quiet_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    capture_twice(&path, "printer tray empty");
    let key = stored_group(&path).key;
    assert!(
        SqliteStore::open(&path)
            .unwrap()
            .change_group(key, &GroupChange::by("operator").status(GroupStatus::Ignored))
            .unwrap()
    );

    assert_eq!(capture_twice(&path, "printer tray empty"), [], "an ignored group delivers nothing");
    let group = stored_group(&path);
    assert_eq!(group.status, GroupStatus::Ignored, "a snapshot does not overwrite the store's status");
    assert_eq!(group.count, 4, "but it is still counted");
}

#[test]
fn a_status_an_operator_set_in_the_store_is_not_overwritten_by_a_running_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let guard = Monitor::builder().sink(SqliteSink::new(&path)).install().unwrap();
    for round in 0..2 {
        capture_message("ledger out of balance", Severity::Error);
        assert!(guard.flush(Duration::from_secs(10)));
        if round == 0 {
            let key = stored_group(&path).key;
            assert!(
                SqliteStore::open(&path)
                    .unwrap()
                    .change_group(key, &GroupChange::by("operator").status(GroupStatus::Investigating))
                    .unwrap()
            );
        }
    }
    guard.shutdown();
    let group = stored_group(&path);
    assert_eq!(group.status, GroupStatus::Investigating);
    assert_eq!(group.count, 2);
}

#[test]
fn a_group_an_operator_resolves_while_the_process_runs_is_a_regression_within_one_sync_interval() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let sink = monitor_runtime::MemorySink::new();
    let guard = Monitor::builder()
        .sink(SqliteSink::new(&path))
        .sink(sink.clone())
        .status_sync_interval(Duration::from_millis(200))
        .install()
        .unwrap();
    // One call site: the group is the same each time.
    let archive_unreachable = || capture_message("mandate archive unreachable", Severity::Error);
    archive_unreachable();
    assert!(guard.flush(Duration::from_secs(10)));
    let key = stored_group(&path).key;
    let resolved_at = std::time::Instant::now();
    assert!(
        SqliteStore::open(&path)
            .unwrap()
            .change_group(key, &GroupChange::by("operator").status(GroupStatus::Resolved))
            .unwrap()
    );
    // Seen again, over and over: until the process picks up the change it is
    // a repeat of an open group; from then on the first is a regression.
    loop {
        archive_unreachable();
        assert!(guard.flush(Duration::from_secs(10)));
        if sink.events().iter().any(|event| event.reason == QueueReason::Regression) {
            break;
        }
        assert!(resolved_at.elapsed() < Duration::from_secs(30), "the resolution was never picked up");
        std::thread::sleep(Duration::from_millis(50));
    }
    guard.shutdown();
    let reasons: Vec<_> = sink.events().iter().map(|event| event.reason).collect();
    assert_eq!(reasons.iter().filter(|r| **r == QueueReason::Regression).count(), 1, "{reasons:?}");
    assert_eq!(stored_group(&path).status, GroupStatus::Open, "the regression reopened it in the store");
}
