//! SQLite retention beyond the conformance suite: a batch that meets the
//! size cap makes room instead of being refused, and a sink applying its
//! policy on a schedule.

#[allow(dead_code)]
mod conformance;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use monitor_runtime::audit::{AuditRecordBuilder, ComplianceStatus};
use monitor_runtime::{Monitor, SinkErrorKind};
use monitor_sinks::sqlite::{SqliteOptions, SqliteSink, SqliteStore};
use monitor_sinks::store::{AuditQuery, GroupQuery, RetentionPolicy};

use conformance::{Group, audit, batch, event};

/// A message of about `bytes` that does not compress: words as messages
/// have them, numbers among them.
fn filler(n: u64, bytes: usize) -> String {
    const WORDS: [&str; 8] = ["payment", "mandate", "rejected", "timeout", "bank", "batch", "debtor", "ledger"];
    let mut text = format!("{n:06} ");
    let mut seed = n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    while text.len() < bytes {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        text.push_str(&format!("{} {:x} ", WORDS[(seed % 8) as usize], seed >> 40));
    }
    text
}

#[test]
fn a_batch_at_the_size_cap_removes_old_events_instead_of_being_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capped.db");
    let options = SqliteOptions { max_size_bytes: Some(512 * 1024), ..SqliteOptions::default() };
    let mut store = SqliteStore::open_with(&path, &options).unwrap();
    let at = |n: u64| UNIX_EPOCH + Duration::from_secs(1_800_000_000 + n);
    let mut written = 0;
    // Four times the cap in events, every batch with an audit row.
    for round in 0..40u64 {
        let events = (0..50).map(|i| event(1, &filler(round * 50 + i, 1000), at(round * 50 + i))).collect();
        let group = Group::new(1, "payments", 50, at(0), at(round * 50 + 49));
        let audits = vec![audit("payment_processing", "submit", ComplianceStatus::Compliant, round)];
        store
            .write_batch(&batch(events, &[group], audits, vec![]))
            .unwrap_or_else(|error| panic!("round {round}: {error}"));
        written += 50;
    }
    let kept = store.event_count().unwrap();
    assert!(kept < written, "old events made room: {kept} of {written} kept");
    let newest = store.recent_events(1).unwrap();
    assert!(newest[0].message.starts_with("001999 "), "the last batch is stored");
    assert_eq!(store.groups(&GroupQuery::all()).unwrap()[0].count, written, "the group's count is whole");
    assert_eq!(store.audit_records(&AuditQuery::default()).unwrap().len(), 40, "no audit row is removed");
    assert!(store.verify_audit_chain().unwrap().is_intact());
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size <= 512 * 1024 + 64 * 1024, "the cap holds: {size}");
}

#[test]
fn with_no_event_left_to_remove_a_batch_at_the_cap_is_still_full() {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteOptions { max_size_bytes: Some(256 * 1024), ..SqliteOptions::default() };
    let mut store = SqliteStore::open_with(dir.path().join("capped.db"), &options).unwrap();
    let error = (0..1000u64)
        .find_map(|round| {
            let mut builder = AuditRecordBuilder::new("payment_processing", "submit", ComplianceStatus::Compliant);
            builder.detail("note", &filler(round, 4000));
            let record = builder.finish();
            store.write_batch(&batch(vec![], &[], vec![record], vec![])).err()
        })
        .expect("audit rows alone fill the file");
    assert_eq!(error.kind, SinkErrorKind::Full, "{error}");
}

#[test]
fn a_sink_applies_its_policy_on_a_schedule_off_the_callers_thread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        let long_ago = UNIX_EPOCH + Duration::from_secs(1_000);
        let events = (0..5).map(|i| event(1, &format!("old {i}"), long_ago)).collect();
        store.write_batch(&batch(events, &[Group::new(1, "payments", 5, long_ago, long_ago)], vec![], vec![])).unwrap();
    }
    let sink =
        SqliteSink::new(&path).retention(RetentionPolicy::default()).retention_interval(Duration::from_millis(20));
    let status = sink.retention_status();
    let guard = Monitor::builder().sink(sink).install().unwrap();
    // Waits for the first run (a generous deadline only stops a hung test).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while status.runs() == 0 {
        assert!(std::time::Instant::now() < deadline, "no retention run");
        std::thread::sleep(Duration::from_millis(10));
    }
    let run = status.last_run().unwrap();
    assert!(run.started <= SystemTime::now());
    let report = run.outcome.unwrap();
    assert_eq!(report.events.age, 5, "{report:?}");
    guard.shutdown();
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.event_count().unwrap(), 0);
    assert_eq!(store.group(conformance::key(1)).unwrap().unwrap().count, 5, "the group stays");
}
