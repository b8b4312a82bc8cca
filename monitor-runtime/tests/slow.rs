//! Calls over their `slow` threshold are captured as slow events with their duration.

use std::time::Duration;

use monitor_runtime::{EventKind, MemorySink, Monitor, Severity, callsites, monitor};

#[monitor(slow = "30ms", name = "ledger.reconcile")]
fn reconcile(delay_ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(delay_ms));
    delay_ms
}

#[test]
fn slow_call_is_an_event_with_its_duration() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();
    assert_eq!(reconcile(0), 0);
    assert_eq!(reconcile(40), 40);
    guard.shutdown();

    let events = sink.events();
    assert_eq!(events.len(), 1, "only the slow call: {events:?}");
    let slow = &events[0];
    assert_eq!(slow.kind, EventKind::Slow);
    assert_eq!(slow.severity, Severity::Warning);
    assert_eq!(slow.location.function, "ledger.reconcile");
    assert!(slow.duration.unwrap() >= Duration::from_millis(40));
    assert!(slow.message.contains("over its slow threshold of 30ms"), "{}", slow.message);
    let stats = callsites().into_iter().find(|s| s.function == "ledger.reconcile").unwrap();
    assert_eq!((stats.calls, stats.slow_calls), (2, 1));
}
