//! The first occurrence of a group and every panic carry the stack where
//! they happened, trimmed to the user's frames; other deliveries of a group
//! carry none, and a monitor built with `backtraces(false)` takes none.

use std::fmt;
use std::panic;
use std::sync::Arc;

use monitor_runtime::{Event, EventKind, MemorySink, Monitor, QueueReason, monitor};

#[derive(Debug)]
struct Declined(u32);

impl fmt::Display for Declined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "card declined for {} cents", self.0)
    }
}

impl std::error::Error for Declined {}

#[monitor]
fn charge_card(cents: u32) -> Result<u32, Declined> {
    if cents > 100 { Err(Declined(cents)) } else { Ok(cents) }
}

#[inline(never)]
fn check_out(cents: u32) -> Result<u32, Declined> {
    charge_card(cents)
}

#[monitor]
fn split_bill(total: u32, parts: u32) -> u32 {
    if parts == 0 {
        panic!("cannot split {total} into zero parts");
    }
    total / parts
}

#[monitor]
async fn fetch_rate(currency: &str) -> Result<f64, Declined> {
    tokio::task::yield_now().await;
    if currency == "XXX" { Err(Declined(0)) } else { Ok(1.0) }
}

fn frames_of(event: &Event) -> Vec<String> {
    event.backtrace.as_ref().map(|backtrace| backtrace.frames().to_vec()).unwrap_or_default()
}

/// The frames start at `function` (in this file) and hold nothing of the
/// monitor, of std's backtrace or of the panic machinery.
fn assert_starts_at_the_users(frames: &[String], function: &str) {
    let first = frames.first().unwrap_or_else(|| panic!("no frames at all"));
    assert!(first.starts_with(&format!("backtraces::{function}")), "{frames:#?}");
    assert!(first.contains("tests/backtraces.rs:"), "debug builds know the file and line: {first}");
    for frame in frames {
        for internal in
            ["monitor_runtime::", "std::backtrace", "panic_with_hook", "core::panicking", "rust_begin_unwind"]
        {
            assert!(!frame.contains(internal), "{internal} in {frames:#?}");
        }
    }
}

/// The events of `kind`, the first of its group first: the worker takes a
/// sample on its tick, and may take it before a new group's event.
fn events_of(sink: &MemorySink, kind: EventKind) -> Vec<Arc<Event>> {
    let mut events: Vec<_> = sink.events().into_iter().filter(|event| event.kind == kind).collect();
    events.sort_by_key(|event| event.occurrences);
    events
}

#[test]
fn the_first_error_of_a_group_carries_the_users_stack_and_a_sample_carries_none() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).sample_every(2).install().unwrap();
    for _ in 0..3 {
        assert!(check_out(250).is_err());
    }
    guard.shutdown();

    let events = events_of(&sink, EventKind::Error);
    assert_eq!(events.len(), 2, "the first and one sample: {events:#?}");
    assert_eq!(events[0].reason, QueueReason::NewGroup);
    let frames = frames_of(&events[0]);
    assert_starts_at_the_users(&frames, "charge_card");
    assert!(frames.iter().any(|frame| frame.starts_with("backtraces::check_out")), "its caller too: {frames:#?}");
    assert_eq!(events[1].reason, QueueReason::Sample);
    assert!(events[1].backtrace.is_none(), "a repeat's stack is its group's first one");
}

#[test]
fn every_delivered_panic_carries_the_stack_it_was_raised_on() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).sample_every(2).install().unwrap();
    for _ in 0..2 {
        assert!(panic::catch_unwind(|| split_bill(7, 0)).is_err());
    }
    guard.shutdown();

    let panics = events_of(&sink, EventKind::Panic);
    assert_eq!(panics.len(), 2, "{panics:#?}");
    assert_eq!(panics[1].reason, QueueReason::Sample);
    for event in &panics {
        assert_starts_at_the_users(&frames_of(event), "split_bill");
    }
}

#[test]
fn an_async_functions_error_carries_its_stack() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert!(runtime.block_on(fetch_rate("XXX")).is_err());
    guard.shutdown();

    let events = events_of(&sink, EventKind::Error);
    assert_eq!(events.len(), 1);
    let frames = frames_of(&events[0]);
    assert_starts_at_the_users(&frames, "fetch_rate");
    // Tokio's frames between the future and the `block_on` that ran it stay:
    // they are how the code got there.
    let last = frames.last().unwrap();
    assert!(last.starts_with("backtraces::an_async_functions_error_carries_its_stack"), "{frames:#?}");
}

#[test]
fn with_backtraces_off_no_event_carries_one() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).backtraces(false).install().unwrap();
    assert!(check_out(300).is_err());
    assert!(panic::catch_unwind(|| split_bill(3, 0)).is_err());
    guard.shutdown();

    let events = sink.events();
    assert_eq!(events.len(), 2, "{events:#?}");
    assert!(events.iter().all(|event| event.backtrace.is_none()), "{events:#?}");
}

#[test]
fn a_backtrace_is_stored_as_its_frames() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();
    assert!(check_out(400).is_err());
    guard.shutdown();

    let event = &sink.events()[0];
    let json = serde_json::to_value(event.as_ref()).unwrap();
    let frames = json["backtrace"].as_array().unwrap_or_else(|| panic!("no backtrace in {json}"));
    assert_eq!(frames.len(), frames_of(event).len());
    assert!(frames[0].as_str().unwrap().starts_with("backtraces::charge_card at "), "{frames:?}");
    let read_back: Event = serde_json::from_value(json).unwrap();
    assert_eq!(frames_of(&read_back), frames_of(event));
}
