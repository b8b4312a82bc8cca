//! How fast one process writes events into PostgreSQL: batches of events
//! as the pipeline hands them over, each one transaction whose events go in
//! as one `unnest` statement. The target is 50,000 events a second.

mod pg_support;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use monitor_runtime::{Batch, Context, Event};
use monitor_sinks::store::Store;
use pg_support::TestSchema;

const BATCHES: usize = 20;
const EVENTS_PER_BATCH: usize = 5_000;

fn event(index: usize) -> Arc<Event> {
    Arc::new(
        serde_json::from_value(serde_json::json!({
            "timestamp": SystemTime::now(),
            "kind": "error",
            "severity": "error",
            "group_key": (index % 200) as u64,
            "template": "payment <*> failed",
            "location": { "module": "payments::sepa", "function": "submit", "file": "src/pay.rs", "line": 42 },
            "error_type": "BankError",
            "message": format!("payment {index} failed: the bank rejected the batch"),
            "chain": ["connection reset by peer"],
            "context": Context { service: Some("payments".into()), ..Context::default() },
            "args": [["batch", index.to_string()]],
            "duration": Duration::from_micros(1200),
            "occurrences": 1,
        }))
        .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_writes_at_least_fifty_thousand_events_a_second() {
    let schema = TestSchema::new("ingest");
    let store = schema.store().await;
    let batches: Vec<Batch> = (0..BATCHES)
        .map(|b| Batch {
            events: (0..EVENTS_PER_BATCH).map(|i| event(b * EVENTS_PER_BATCH + i)).collect(),
            ..Batch::default()
        })
        .collect();
    store.write_batch(&batches[0]).await.unwrap(); // connects and prepares
    let started = Instant::now();
    for batch in &batches[1..] {
        store.write_batch(batch).await.unwrap();
    }
    let elapsed = started.elapsed();
    let written = (BATCHES - 1) * EVENTS_PER_BATCH;
    let rate = written as f64 / elapsed.as_secs_f64();
    eprintln!("{written} events in {elapsed:?}: {rate:.0} events/s");
    assert_eq!(store.event_count().await.unwrap(), (BATCHES * EVENTS_PER_BATCH) as u64);
    assert!(rate >= 50_000.0, "{rate:.0} events/s");
}
