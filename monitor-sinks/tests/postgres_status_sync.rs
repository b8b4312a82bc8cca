//! Statuses shared through the database: an operator (instance A's store)
//! resolves a group, and instance B, a running monitor that syncs statuses
//! every 200 ms, reports the error it sees again as a regression: the
//! group is open again in the store, the regression's event is stored, and
//! the history shows the reopening after the operator's change.

mod pg_support;

use std::time::{Duration, Instant};

use monitor_runtime::{GroupStatus, MemorySink, Monitor, QueueReason, Severity, capture_message};
use monitor_sinks::postgres::PostgresSink;
use monitor_sinks::store::{GroupChange, GroupQuery, REGRESSION_ACTOR, Store};
use pg_support::TestSchema;

#[test]
fn a_group_resolved_by_another_instance_and_seen_again_here_is_a_regression() {
    let schema = TestSchema::new("status_sync");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let memory = MemorySink::new();
    let guard = Monitor::builder()
        .status_sync_interval(Duration::from_millis(200))
        .sink(PostgresSink::new(&schema.url).schema(&schema.name))
        .sink(memory.clone())
        .install()
        .unwrap();
    // One call site: a group is its template and where it is captured.
    let capture = || capture_message("ledger out of balance", Severity::Error);
    capture();
    capture();
    assert!(guard.flush(Duration::from_secs(10)));

    // Instance A: another handle on the database, as an operator's tool.
    let store = runtime.block_on(schema.store());
    let group = runtime.block_on(store.groups(&GroupQuery::default())).unwrap().pop().expect("the group is stored");
    assert_eq!(group.status, GroupStatus::Open);
    let resolve = GroupChange::by("alice").status(GroupStatus::Resolved);
    assert!(runtime.block_on(store.change_group(group.key, &resolve)).unwrap());

    // Instance B picks the resolution up at its next sync; until then the
    // error is only counted (the dedup window is still open).
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut captured = 2;
    let regressed = loop {
        std::thread::sleep(Duration::from_millis(100));
        capture();
        captured += 1;
        assert!(guard.flush(Duration::from_secs(10)));
        if memory.events().iter().any(|event| event.reason == QueueReason::Regression) {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
    };
    assert!(regressed, "no regression within 10 s of the resolution");
    guard.shutdown();

    let stored = runtime.block_on(store.group(group.key)).unwrap().unwrap();
    assert_eq!(stored.status, GroupStatus::Open, "the regression reopened it in the store");
    assert_eq!(stored.count, captured, "every occurrence counted");
    let events = runtime.block_on(store.events_of_group(group.key, 10)).unwrap();
    assert_eq!(events.len(), 2, "the first occurrence's event and the regression's: {events:#?}");
    let history = runtime.block_on(store.group_history(group.key)).unwrap();
    let changes: Vec<_> =
        history.iter().map(|entry| (entry.by.as_str(), entry.from.as_deref(), entry.to.as_deref())).collect();
    assert_eq!(
        changes,
        [("alice", Some("open"), Some("resolved")), (REGRESSION_ACTOR, Some("resolved"), Some("open"))],
        "the operator's change, then the reopening the regression wrote"
    );
}
