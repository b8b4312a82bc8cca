//! The stores under load: how many events a second one process writes in
//! batches (the pipeline's own batch size), and how long a page of 50
//! groups filtered by severity and time takes over a million stored
//! events. Against it, in the same run: tracing-subscriber's JSON lines
//! written by tracing-appender to a file, which is what a service writes
//! without monitor (fast, but nothing can be queried).
//!
//! `cargo bench -p monitor-benches --bench store`
//!
//! With `MONITOR_BENCH_DATABASE_URL=postgres://…` the PostgreSQL store is
//! measured too (in a schema of its own, dropped at the end).

// criterion_group! makes a public function without docs.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use monitor::store::{GroupQuery, Store};
use monitor::{Batch, Event, GroupSnapshot, Severity};
use serde_json::json;

/// The pipeline's default batch size.
const BATCH: usize = 256;
/// Distinct groups the events fall in.
const GROUPS: u64 = 20_000;
/// Events stored before the page query is timed.
const STORED_EVENTS: u64 = 1_000_000;

const SEVERITIES: [Severity; 4] = [Severity::Info, Severity::Warning, Severity::Error, Severity::Critical];

fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(1_800_000_000_000 + ms)
}

fn context() -> monitor::Context {
    monitor::Context { service: Some("payments".into()), environment: Some("production".into()), ..Default::default() }
}

/// Event `n`, of group `group`.
fn event(n: u64, group: u64) -> Arc<Event> {
    let event: Event = serde_json::from_value(json!({
        "timestamp": at(n), "kind": "error", "severity": SEVERITIES[(group % 4) as usize], "group_key": group,
        "template": format!("mandate <*> rejected by bank {group}"),
        "location": { "module": format!("payments::sepa::m{}", group % 50), "function": "submit", "file": "src/sepa.rs", "line": 9 },
        "error_type": "BankError", "message": format!("mandate {n} rejected by bank {group}"),
        "chain": ["connection reset by peer"], "context": context(),
        "args": [["mandate", n.to_string()]], "duration": { "secs": 0, "nanos": 1_200_000 },
        "occurrences": 1, "reason": "new_window",
    }))
    .expect("an event");
    Arc::new(event)
}

fn group(key: u64, count: u64, last: u64) -> GroupSnapshot {
    serde_json::from_value(json!({
        "key": key, "template": format!("mandate <*> rejected by bank {key}"),
        "location": { "module": format!("payments::sepa::m{}", key % 50), "function": "submit", "file": "src/sepa.rs", "line": 9 },
        "error_type": "BankError", "severity": SEVERITIES[(key % 4) as usize], "kind": "error", "status": "open",
        "status_changed": false, "count": count, "new_occurrences": count, "first_seen": at(0), "last_seen": at(last),
        "merged_into": null,
    }))
    .expect("a group")
}

/// Events `first..first + BATCH` in `spread` groups, as the worker hands a
/// full batch on (group counters follow on its tick, in a batch of their
/// own). A burst of one failure falls in a few groups; a flood of distinct
/// errors in as many groups as events.
fn events(first: u64, spread: u64) -> Batch {
    let group_of = |n: u64| (first / BATCH as u64 * spread + n % spread) % GROUPS;
    Batch { events: (first..first + BATCH as u64).map(|n| event(n, group_of(n))).collect(), ..Batch::default() }
}

/// The counters of the groups of events `first..first + BATCH`, as the
/// worker hands them on at its tick.
fn counters(first: u64) -> Batch {
    let mut groups: Vec<GroupSnapshot> = (first..first + BATCH as u64).map(|n| group(n % GROUPS, 1, n)).collect();
    groups.sort_by_key(|g| g.key);
    groups.dedup_by_key(|g| g.key);
    Batch { groups, ..Batch::default() }
}

/// The stores measured, each fresh: SQLite in a temporary directory, and
/// PostgreSQL when a URL is given.
/// A store measured: its name, the store, and what must live as long (its
/// directory, its schema).
struct Measured {
    name: &'static str,
    store: Arc<dyn Store>,
    _keep: Box<dyn std::any::Any>,
}

fn stores(runtime: &tokio::runtime::Runtime) -> Vec<Measured> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite = monitor::sqlite::SqliteStore::open(dir.path().join("bench.db")).expect("a SQLite file");
    let mut stores = vec![Measured { name: "sqlite", store: Arc::new(sqlite.shared()), _keep: Box::new(dir) }];
    if let Ok(url) = std::env::var("MONITOR_BENCH_DATABASE_URL") {
        let started = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let schema = BenchSchema { url, name: format!("bench_{}_{started:x}", std::process::id()) };
        let options = monitor::postgres::PostgresOptions::new(&schema.url).schema(&schema.name);
        let store =
            runtime.block_on(monitor::postgres::PostgresStore::connect(&options)).expect("the PostgreSQL server");
        stores.push(Measured { name: "postgres", store: Arc::new(store), _keep: Box::new(schema) });
    }
    stores
}

/// The PostgreSQL schema a run measures in, dropped with what it holds when
/// the run ends.
struct BenchSchema {
    url: String,
    name: String,
}

impl Drop for BenchSchema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // Its own thread and runtime: dropped from inside the bench's runtime too.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
                tokio::spawn(connection);
                client.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("dropping the bench schema {} failed: {dropped:?}", self.name);
        }
    }
}

fn ingest(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut group = c.benchmark_group("store_ingest");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(30);
    for Measured { name, store, _keep } in stores(&runtime) {
        let mut next = 0u64;
        for spread in [16, BATCH as u64] {
            group.bench_function(format!("{name}: write a batch of {BATCH} events in {spread} groups"), |b| {
                b.iter_batched(
                    || {
                        next += BATCH as u64;
                        events(next, spread)
                    },
                    |batch| runtime.block_on(store.write_batch(&batch)).expect("written"),
                    BatchSize::SmallInput,
                )
            });
        }
        group.bench_function(format!("{name}: add the counts of {BATCH} groups"), |b| {
            b.iter_batched(
                || {
                    next += BATCH as u64;
                    counters(next)
                },
                |batch| runtime.block_on(store.write_batch(&batch)).expect("written"),
                BatchSize::SmallInput,
            )
        });
    }
    // What a service writes without monitor: JSON lines to a file.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let appender = tracing_appender::rolling::never(dir.path(), "service.log");
    let subscriber =
        tracing::Dispatch::new(tracing_subscriber::fmt().json().with_writer(std::sync::Mutex::new(appender)).finish());
    group.bench_function(format!("tracing-appender JSON file: {BATCH} error lines"), |b| {
        tracing::dispatcher::with_default(&subscriber, || {
            let mut n = 0u64;
            b.iter(|| {
                for _ in 0..BATCH {
                    n += 1;
                    let group = n % GROUPS;
                    tracing::error!(
                        mandate = n,
                        group,
                        module = "payments::sepa",
                        "mandate {n} rejected by bank {group}"
                    );
                }
            })
        })
    });
    group.finish();
}

/// The page of groups an operator opens: errors and worse, seen in the
/// last part of the run, 50 at a time.
fn page() -> GroupQuery {
    GroupQuery {
        min_severity: Some(Severity::Error),
        seen_since: Some(at(STORED_EVENTS / 2)),
        limit: 50,
        ..GroupQuery::default()
    }
}

fn query(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut group = c.benchmark_group("store_query");
    group.sample_size(50);
    for Measured { name, store, _keep } in stores(&runtime) {
        let filled = Instant::now();
        let mut first = 0;
        while first < STORED_EVENTS {
            runtime.block_on(store.write_batch(&events(first, 16))).expect("filled");
            runtime.block_on(store.write_batch(&counters(first))).expect("filled");
            first += BATCH as u64;
        }
        let filled = filled.elapsed();
        let stored = runtime.block_on(store.event_count()).expect("counted");
        assert!(stored >= STORED_EVENTS, "{stored} events stored");
        // Percentiles of single queries, besides criterion's mean.
        let mut times: Vec<Duration> = (0..200)
            .map(|_| {
                let started = Instant::now();
                let groups = runtime.block_on(store.groups(&page())).expect("a page");
                assert_eq!(groups.len(), 50);
                started.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "{name}: {stored} events stored in {filled:.1?} ({:.0} events/s); page of 50 groups: p50 {:.2?}, p95 {:.2?}",
            stored as f64 / filled.as_secs_f64(),
            times[100],
            times[190]
        );
        group.bench_function(format!("{name}: page of 50 groups by severity and time over 1M events"), |b| {
            b.iter(|| runtime.block_on(store.groups(&page())).expect("a page"))
        });
    }
    group.finish();
}

criterion_group!(benches, ingest, query);
criterion_main!(benches);
