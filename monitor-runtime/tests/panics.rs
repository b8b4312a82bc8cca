//! A panic in a monitored function is recorded and unwinds exactly as before.

use std::panic;

use monitor_runtime::{EventKind, MemorySink, Monitor, Severity, callsites, monitor};

#[monitor(severity = error)]
fn divide(total: u32, parts: u32) -> u32 {
    if parts == 0 {
        panic!("cannot split {total} into zero parts");
    }
    total / parts
}

#[monitor]
fn outer_catches() -> Result<u32, String> {
    panic::catch_unwind(|| divide(10, 0)).map_err(|_| "inner panicked".to_owned())
}

/// (calls, panics, errors) of a function so far: call-site counters live as
/// long as the process, which other tests of this file share under plain
/// `cargo test`.
fn counts_of(function: &str) -> (u64, u64, u64) {
    callsites().into_iter().find(|s| s.function == function).map_or((0, 0, 0), |s| (s.calls, s.panics, s.errors))
}

#[test]
fn panic_is_recorded_and_its_payload_reaches_the_catcher_unchanged() {
    let (divide_before, outer_before) = (counts_of("divide"), counts_of("outer_catches"));
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();

    let payload = panic::catch_unwind(|| divide(7, 0)).unwrap_err();
    assert_eq!(payload.downcast_ref::<String>().map(String::as_str), Some("cannot split 7 into zero parts"));
    assert_eq!(divide(9, 3), 3, "later calls work as before");
    // A panic caught inside a monitored function is not that function's panic.
    assert_eq!(outer_catches(), Err("inner panicked".to_owned()));

    let stats = guard.shutdown();
    assert_eq!(stats.captured, 3, "two panics of `divide` and the error `outer_catches` returned");
    let events = sink.events();
    let panic_event = events.iter().find(|e| e.kind == EventKind::Panic).unwrap();
    assert_eq!(panic_event.location.function, "divide");
    assert!(panic_event.message.contains("cannot split 7 into zero parts"), "{}", panic_event.message);
    assert!(panic_event.severity >= Severity::Critical);
    assert!(panic_event.duration.is_some());

    let (calls, panics, _) = counts_of("divide");
    assert_eq!((calls - divide_before.0, panics - divide_before.1), (3, 2));
    let (_, panics, errors) = counts_of("outer_catches");
    assert_eq!((panics - outer_before.1, errors - outer_before.2), (0, 1));
}

#[test]
fn a_thread_that_panics_still_dies() {
    let guard = Monitor::builder().install().unwrap();
    let handle = std::thread::spawn(|| divide(1, 0));
    let payload = handle.join().unwrap_err();
    assert!(payload.downcast_ref::<String>().unwrap().contains("zero parts"));
    assert_eq!(guard.shutdown().captured, 1);
}
