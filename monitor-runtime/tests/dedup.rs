//! Repeated errors become one group: counted every time, delivered once per window.

use std::time::{Duration, SystemTime};

use monitor_runtime::alerting::ManualClock;
use monitor_runtime::{GroupStatus, MemorySink, Monitor, monitor, set_group_status};

#[derive(Debug)]
struct Missing(u64);

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invoice {} not found in /srv/archive/{}.pdf", self.0, self.0)
    }
}

impl std::error::Error for Missing {}

#[monitor]
fn fetch(id: u64) -> Result<(), Missing> {
    Err(Missing(id))
}

#[monitor]
fn other_place(id: u64) -> Result<(), Missing> {
    Err(Missing(id + 1))
}

#[test]
fn varying_ids_fold_into_one_group_per_call_site() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).sample_every(1000).install().unwrap();
    for id in 0..500 {
        let _ = fetch(id * 7919);
    }
    let _ = other_place(3);
    let stats = guard.shutdown();

    assert_eq!(stats.captured, 501);
    assert_eq!(stats.queued, 2, "one event per group in the window");
    assert_eq!(stats.deduplicated, 499);
    let groups = sink.groups();
    assert_eq!(groups.len(), 2);
    let fetch_group = groups.iter().find(|g| g.location.function == "fetch").unwrap();
    assert_eq!(fetch_group.count, 500);
    assert!(!fetch_group.template.contains("7919"), "ids are masked: {}", fetch_group.template);
    let first = &sink.events()[0];
    assert_eq!(first.message, "invoice 0 not found in /srv/archive/0.pdf");
    assert_eq!(first.group_key, fetch_group.key);
}

#[test]
fn a_new_window_delivers_again_and_samples_carry_counts() {
    let sink = MemorySink::new();
    // A clock the test moves: on a busy machine, 25 calls can take longer
    // than a short window of the system clock.
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    let guard = Monitor::builder()
        .sink(sink.clone())
        .clock(clock.clone())
        .dedup_window(Duration::from_millis(300))
        .sample_every(10)
        .install()
        .unwrap();
    for id in 0..25 {
        let _ = fetch(id);
    }
    clock.advance(Duration::from_millis(400));
    let _ = fetch(99);
    guard.shutdown();
    let occurrences: Vec<u64> = sink.events().iter().map(|e| e.occurrences).collect();
    assert_eq!(occurrences, vec![1, 10, 20, 1]);
}

#[test]
fn ignored_groups_are_counted_but_not_delivered_and_resolved_ones_regress() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();
    let _ = fetch(1);
    guard.flush(Duration::from_secs(5));
    let key = sink.events()[0].group_key;

    assert!(set_group_status(key, GroupStatus::Resolved));
    let _ = fetch(2);
    assert!(set_group_status(key, GroupStatus::Ignored));
    let _ = fetch(3);
    let stats = guard.shutdown();

    assert_eq!(sink.events().len(), 2, "the regression was delivered, the ignored repeat was not");
    assert_eq!(stats.suppressed, 1);
    let group = sink.groups().into_iter().find(|g| g.key == key).unwrap();
    assert_eq!((group.count, group.status), (3, GroupStatus::Ignored));
}

#[test]
fn group_table_is_bounded_and_evictions_are_counted() {
    #[monitor]
    fn distinct(kind: u8) -> Result<(), String> {
        // Different words, not different numbers: each is its own template.
        let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];
        Err(format!("{} failed", words[usize::from(kind) % words.len()]))
    }
    let guard = Monitor::builder().max_groups(4).flush_interval(Duration::from_millis(5)).install().unwrap();
    for kind in 0..5 {
        let _ = distinct(kind);
    }
    std::thread::sleep(Duration::from_millis(100));
    for kind in 5..10 {
        let _ = distinct(kind);
    }
    let stats = guard.shutdown();
    assert!(stats.groups <= 5, "bounded: {stats:?}");
    assert!(stats.evicted_groups >= 1, "{stats:?}");
    assert_eq!(stats.captured, 10);
    assert_eq!(
        stats.queued + stats.dropped.get("group_limit").copied().unwrap_or(0),
        10,
        "every occurrence is delivered or counted as dropped: {stats:?}"
    );
}
