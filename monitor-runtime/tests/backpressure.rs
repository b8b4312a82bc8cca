//! A slow or stuck sink never blocks the caller or hangs shutdown; every
//! event that is not delivered is counted with its reason.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use monitor_runtime::{Batch, MemorySink, Monitor, Severity, Sink, SinkError, async_trait, capture_message};

/// Takes a batch and never finishes writing it.
struct StuckSink(Arc<AtomicUsize>);

#[async_trait]
impl Sink for StuckSink {
    fn name(&self) -> &str {
        "stuck"
    }

    async fn write(&self, _batch: &Batch) -> Result<(), SinkError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<()>().await;
        Ok(())
    }
}

fn distinct_messages(n: usize) {
    let words = ["ledger", "mandate", "batch", "payment", "refund", "invoice", "member", "export"];
    for i in 0..n {
        // Many distinct messages: the grouper learns that these words vary
        // and dedup folds some of them, which are counted as deduplicated.
        let a = words[i % words.len()];
        let b = words[(i / words.len()) % words.len()];
        let c = words[(i / 64) % words.len()];
        capture_message(&format!("{a} {b} {c} failed"), Severity::Error);
    }
}

#[test]
fn full_queue_drops_and_counts_without_blocking() {
    let calls = Arc::new(AtomicUsize::new(0));
    let guard = Monitor::builder()
        .sink(StuckSink(calls.clone()))
        .queue_capacity(4)
        .sink_queue_capacity(1)
        .batch_size(1)
        .shutdown_timeout(Duration::from_millis(200))
        .install()
        .unwrap();
    distinct_messages(300);
    let stats = guard.shutdown();
    assert_eq!(stats.captured, 300);
    let dropped = stats.total_dropped();
    assert!(
        stats.dropped.contains_key("queue_full") || stats.dropped.contains_key("stuck:sink_queue_full"),
        "{stats:?}"
    );
    assert_eq!(
        stats.delivered.get("stuck").copied().unwrap_or(0) + dropped + stats.deduplicated,
        stats.captured,
        "nothing lost silently: {stats:?}"
    );
    assert!(calls.load(Ordering::SeqCst) >= 1);
}

#[test]
fn shutdown_returns_at_its_deadline_with_a_stuck_sink() {
    let memory = MemorySink::new();
    let guard = Monitor::builder()
        .sink(StuckSink(Arc::new(AtomicUsize::new(0))))
        .sink(memory.clone())
        .shutdown_timeout(Duration::from_millis(300))
        // Without stacks: the first backtrace a process resolves reads the
        // test binary's debug information, which on a busy machine alone
        // can outlast this short deadline. What is tested here is the
        // stuck neighbour, not symbolization.
        .backtraces(false)
        .install()
        .unwrap();
    distinct_messages(5);
    let started = Instant::now();
    let stats = guard.shutdown();
    // Generous bound: the point is that it returns at all, not how fast.
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(memory.events().len(), 5, "the healthy sink got everything despite its stuck neighbour");
    assert_eq!(stats.dropped.get("shutdown_deadline"), Some(&5), "{stats:?}");
}

#[test]
fn flush_with_a_stuck_sink_gives_up_at_its_timeout() {
    let guard = Monitor::builder()
        .sink(StuckSink(Arc::new(AtomicUsize::new(0))))
        .shutdown_timeout(Duration::from_millis(100))
        .install()
        .unwrap();
    capture_message("one", Severity::Info);
    assert!(!guard.flush(Duration::from_millis(100)));
}

/// Blocks a thread of the blocking pool for a long time in each write, as
/// a store waiting out another connection's lock does.
struct BlockingSink;

#[async_trait]
impl Sink for BlockingSink {
    fn name(&self) -> &str {
        "blocking"
    }

    async fn write(&self, _batch: &Batch) -> Result<(), SinkError> {
        let _ = tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_secs(30))).await;
        Ok(())
    }
}

#[test]
fn shutdown_keeps_its_deadline_while_a_write_blocks_a_thread() {
    let guard = Monitor::builder().sink(BlockingSink).shutdown_timeout(Duration::from_millis(300)).install().unwrap();
    distinct_messages(3);
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    let stats = guard.shutdown();
    // Generous bound: waiting for the blocked write would take 30 s.
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert_eq!(stats.dropped.get("shutdown_deadline"), Some(&3), "{stats:?}");
}
