//! A panic resumed with `resume_unwind` (rayon, `JoinError::into_panic`, a
//! catcher passing a payload on) does not go through the panic hook: its
//! event must not carry the message of an earlier panic that was caught.

use std::any::Any;
use std::panic;

use monitor_runtime::{EventKind, MemorySink, Monitor, monitor};

/// Hands back a `u32` payload, and passes any other on as a panic.
#[monitor]
fn pass_on(payload: Box<dyn Any + Send>) -> u32 {
    match payload.downcast::<u32>() {
        Ok(number) => *number,
        Err(payload) => panic::resume_unwind(payload),
    }
}

#[monitor]
fn reconcile(batch: u32) -> u32 {
    assert!(batch != 0, "batch {batch} does not balance");
    batch
}

#[monitor]
fn reconcile_all(batch: u32) -> u32 {
    reconcile(batch)
}

fn panic_messages(sink: &MemorySink, function: &str) -> Vec<String> {
    sink.events()
        .into_iter()
        .filter(|event| event.kind == EventKind::Panic && event.location.function == function)
        .map(|event| event.message.clone())
        .collect()
}

#[test]
fn a_resumed_panic_is_reported_as_unknown_not_with_an_earlier_caught_message() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();

    // Caught where no monitored function sees it; the hook still remembers it.
    let earlier = panic::catch_unwind(|| panic!("ledger 17 is locked"));
    assert!(earlier.is_err());
    let resumed = panic::catch_unwind(|| pass_on(Box::new(42_i32))).unwrap_err();
    assert_eq!(resumed.downcast_ref::<i32>(), Some(&42), "the payload reaches the catcher unchanged");

    guard.shutdown();
    let messages = panic_messages(&sink, "pass_on");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(!messages[0].contains("ledger 17"), "an earlier panic's message: {}", messages[0]);
    assert!(messages[0].contains("unknown"), "{}", messages[0]);
}

#[test]
fn every_monitored_frame_a_panic_unwinds_reports_its_message() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();

    assert!(panic::catch_unwind(|| reconcile_all(0)).is_err());
    // And the message does not linger into a later resumed panic.
    assert!(panic::catch_unwind(|| pass_on(Box::new("not through the hook"))).is_err());

    guard.shutdown();
    for function in ["reconcile", "reconcile_all"] {
        let messages = panic_messages(&sink, function);
        assert_eq!(messages.len(), 1, "{function}: {messages:?}");
        assert!(messages[0].contains("batch 0 does not balance"), "{function}: {}", messages[0]);
    }
    let resumed = panic_messages(&sink, "pass_on");
    assert!(resumed.iter().all(|message| !message.contains("does not balance")), "{resumed:?}");
}
