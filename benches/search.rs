//! Search and aggregation over a million stored events: the group and
//! event pages an operator opens (filters, sorts, cursors, context, free
//! text) and the charts of a dashboard, on SQLite and (when a URL is given)
//! PostgreSQL. Against it, in the same run: `grep -F` over a JSON-lines
//! file of the same events, which is what people search without a store.
//!
//! `cargo bench -p monitor-benches --bench search`
//!
//! With `MONITOR_BENCH_DATABASE_URL=postgres://…` the PostgreSQL store is
//! measured too (in a schema of its own, dropped at the end).
//!
//! Each store gets 1,000,000 events over 7 days in 20,000 groups (new
//! groups appear all along, a few are hot), the group counters a worker
//! writes after each batch (so per-minute counts over the 7 days), and
//! 100,000 audit records over 30 days (made in `search_data.rs`). Besides criterion's figures, every
//! query runs up to 200 times on its own and the run prints its p50, p95
//! and p99, and a table of them at the end.

// criterion_group! makes a public function without docs.
#![allow(missing_docs)]

// The generator's items that only the fill tool uses (moving the end).
#[allow(dead_code)]
mod search_data;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use monitor::Severity;
use monitor::store::{Breakdown, Buckets, EventFilter, EventQuery, GroupQuery, GroupSort, Store};
use search_data::{AUDIT_DAYS, COMMON_WORD, DAY_MS, EVENT_DAYS, EVENTS, RARE_WORD, at, end_ms, fill, trace_id, user};

/// Timed runs of each query for its percentiles, fewer when a query is so
/// slow that they would take longer than `PERCENTILE_BUDGET`.
const RUNS: usize = 200;
const MIN_RUNS: usize = 20;
const PERCENTILE_BUDGET: Duration = Duration::from_secs(8);

/// A store measured: its name, the store, and what must live as long (its
/// directory, its schema). As in the store benchmark.
struct Measured {
    name: &'static str,
    store: Arc<dyn Store>,
    schema: Option<BenchSchema>,
    _dir: Option<tempfile::TempDir>,
}

fn stores(runtime: &tokio::runtime::Runtime) -> Vec<Measured> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite = monitor::sqlite::SqliteStore::open(dir.path().join("bench.db")).expect("a SQLite file");
    let mut stores = vec![Measured { name: "sqlite", store: Arc::new(sqlite.shared()), schema: None, _dir: Some(dir) }];
    if let Ok(url) = std::env::var("MONITOR_BENCH_DATABASE_URL") {
        let started = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let schema = BenchSchema { url, name: format!("bench_search_{}_{started:x}", std::process::id()) };
        let options = monitor::postgres::PostgresOptions::new(&schema.url).schema(&schema.name);
        let store =
            runtime.block_on(monitor::postgres::PostgresStore::connect(&options)).expect("the PostgreSQL server");
        stores.push(Measured { name: "postgres", store: Arc::new(store), schema: Some(schema), _dir: None });
    }
    stores
}

/// The PostgreSQL schema a run measures in, dropped with what it holds when
/// the run ends.
struct BenchSchema {
    url: String,
    name: String,
}

impl BenchSchema {
    /// Runs `sql` in the schema, on a connection of its own thread and
    /// runtime (so it may be called from inside the bench's runtime too).
    fn execute(&self, sql: String) -> Result<(), String> {
        let url = self.url.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
                tokio::spawn(connection);
                client.batch_execute(&sql).await
            })
        })
        .join()
        .map_err(|_| "the thread panicked".to_owned())?
        .map_err(|error| error.to_string())
    }
}

impl Drop for BenchSchema {
    fn drop(&mut self) {
        if let Err(error) = self.execute(format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name)) {
            eprintln!("dropping the bench schema {} failed: {error}", self.name);
        }
    }
}

/// One query: what it is, and a run of it returning how many rows it gave.
struct Query<'a> {
    name: String,
    run: Box<dyn Fn() -> usize + 'a>,
}

fn event_query(context: EventFilter) -> EventQuery {
    EventQuery { context, limit: 50, ..EventQuery::default() }
}

fn queries<'a>(runtime: &'a tokio::runtime::Runtime, store: &'a Arc<dyn Store>) -> Vec<Query<'a>> {
    let end = at(end_ms());
    let day = Duration::from_millis(DAY_MS);
    let sepa = GroupQuery {
        min_severity: Some(Severity::Error),
        module: Some("payments::sepa::*".into()),
        sort: GroupSort::LastSeen,
        limit: 50,
        ..GroupQuery::default()
    };
    let first_page = runtime.block_on(store.group_page(&sepa)).expect("a page");
    assert_eq!(first_page.items.len(), 50);
    let next = GroupQuery { after: Some(first_page.next.expect("a next page")), ..sepa.clone() };
    let by_count = GroupQuery { sort: GroupSort::Count, limit: 50, ..GroupQuery::default() };
    let of_service = GroupQuery {
        events: EventFilter {
            service: Some("billing".into()),
            environment: Some("staging".into()),
            ..EventFilter::default()
        },
        limit: 50,
        ..GroupQuery::default()
    };
    let group_text = |word: &str| GroupQuery {
        events: EventFilter { text: Some(word.into()), ..EventFilter::default() },
        limit: 50,
        ..GroupQuery::default()
    };
    let (groups_rare, groups_common) = (group_text(RARE_WORD), group_text(COMMON_WORD));
    let trace = event_query(EventFilter { trace_id: Some(trace_id(EVENTS / 3)), ..EventFilter::default() });
    let user = event_query(EventFilter { user: Some(user(421)), ..EventFilter::default() });
    let rare = event_query(EventFilter { text: Some(RARE_WORD.into()), ..EventFilter::default() });
    let common = event_query(EventFilter { text: Some(COMMON_WORD.into()), ..EventFilter::default() });
    let tenant = event_query(EventFilter { tags: vec![("tenant".into(), "acme".into())], ..EventFilter::default() });

    let group_page = move |query: GroupQuery| -> Box<dyn Fn() -> usize + 'a> {
        Box::new(move || runtime.block_on(store.group_page(&query)).expect("a page").items.len())
    };
    let event_page = move |query: EventQuery| -> Box<dyn Fn() -> usize + 'a> {
        Box::new(move || runtime.block_on(store.event_page(&query)).expect("a page").items.len())
    };
    vec![
        Query {
            name: "1. groups: severity >= error, module payments::sepa::*, by last seen".into(),
            run: group_page(sepa),
        },
        Query { name: "1. the same, next page by cursor".into(), run: group_page(next) },
        Query { name: "2. groups by count".into(), run: group_page(by_count) },
        Query { name: "3. groups with events of service billing in staging".into(), run: group_page(of_service) },
        Query { name: format!("3. groups by text, a rare word ({RARE_WORD})"), run: group_page(groups_rare) },
        Query { name: format!("3. groups by text, a common word ({COMMON_WORD})"), run: group_page(groups_common) },
        Query { name: "4. events by trace id".into(), run: event_page(trace) },
        Query { name: "5. events by user".into(), run: event_page(user) },
        Query { name: format!("6. events by text, a rare word ({RARE_WORD})"), run: event_page(rare) },
        Query { name: format!("6. events by text, a common word ({COMMON_WORD})"), run: event_page(common) },
        Query { name: "7. events by tag tenant=acme".into(), run: event_page(tenant) },
        Query {
            name: "8. occurrences per hour by severity, 24 h".into(),
            run: Box::new(move || {
                let buckets = Buckets::hourly(end - day, end);
                let all = GroupQuery::all();
                runtime.block_on(store.occurrence_counts(&buckets, Breakdown::Severity, &all)).expect("counts").len()
            }),
        },
        Query {
            name: "8. new groups per day, 7 days".into(),
            run: Box::new(move || {
                let buckets = Buckets::daily(end - day * EVENT_DAYS as u32, end);
                runtime.block_on(store.new_group_counts(&buckets, &GroupQuery::all())).expect("counts").len()
            }),
        },
        Query {
            name: "8. top 10 groups, 24 h".into(),
            run: Box::new(move || runtime.block_on(store.top_groups(end - day, end, 10)).expect("top").len()),
        },
        Query {
            name: "9. audit records per day by process and status, 30 days".into(),
            run: Box::new(move || {
                let buckets = Buckets::daily(end - day * AUDIT_DAYS as u32, end);
                runtime.block_on(store.audit_counts(&buckets)).expect("counts").len()
            }),
        },
    ]
}

/// p50, p95 and p99 of single runs of `run`, and how many runs.
struct Percentiles {
    runs: usize,
    p50: Duration,
    p95: Duration,
    p99: Duration,
}

fn percentiles(run: &dyn Fn() -> usize) -> (Percentiles, usize) {
    let started = Instant::now();
    let rows = run();
    let first = started.elapsed().max(Duration::from_micros(1));
    let runs = ((PERCENTILE_BUDGET.as_secs_f64() / first.as_secs_f64()) as usize).clamp(MIN_RUNS, RUNS);
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            assert_eq!(run(), rows, "the same rows every run");
            started.elapsed()
        })
        .collect();
    times.sort();
    let at = |p: usize| times[(runs * p).div_ceil(100) - 1];
    (Percentiles { runs, p50: at(50), p95: at(95), p99: at(99) }, rows)
}

/// `grep -F pattern file`, keeping the last 50 lines it prints (the newest
/// matches, as a page of events): how many lines matched.
fn grep(pattern: &str, file: &Path) -> usize {
    let mut child =
        Command::new("grep").arg("-F").arg(pattern).arg(file).stdout(Stdio::piped()).spawn().expect("grep runs");
    let mut last = VecDeque::with_capacity(51);
    let mut matched = 0;
    for line in BufReader::new(child.stdout.take().expect("grep's output")).lines() {
        last.push_back(line.expect("a line"));
        if last.len() > 50 {
            last.pop_front();
        }
        matched += 1;
    }
    child.wait().expect("grep ends");
    matched
}

struct Row {
    store: &'static str,
    query: String,
    rows: usize,
    percentiles: Percentiles,
}

fn record(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    table: &mut Vec<Row>,
    store: &'static str,
    query: &Query<'_>,
) {
    let (percentiles, rows) = percentiles(&*query.run);
    println!(
        "{store}: {}: {rows} rows; {} runs: p50 {:.2?}, p95 {:.2?}, p99 {:.2?}",
        query.name, percentiles.runs, percentiles.p50, percentiles.p95, percentiles.p99
    );
    c.bench_function(format!("{store}: {}", query.name), |b| b.iter(|| (query.run)()));
    table.push(Row { store, query: query.name.clone(), rows, percentiles });
}

fn search(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut group = c.benchmark_group("search_1M");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    let mut table = Vec::new();
    let lines_dir = tempfile::tempdir().expect("a temporary directory");
    let lines_path: PathBuf = lines_dir.path().join("events.jsonl");
    for Measured { name, store, schema, _dir } in stores(&runtime) {
        let mut lines = (name == "sqlite")
            .then(|| BufWriter::new(std::fs::File::create(&lines_path).expect("the JSON-lines file")));
        fill(&runtime, &*store, lines.as_mut());
        if let Some(mut lines) = lines {
            lines.flush().expect("the JSON-lines file");
        }
        if let Some(schema) = &schema {
            // What autovacuum does after a bulk load: the old versions of
            // rows cleared (every batch updates the groups' counters, which
            // leaves one in `groups_by_count` each time) and statistics for
            // the planner.
            let tables = ["events", "groups", "group_counts", "group_hours", "group_words", "audit_log"]
                .map(|table| format!("{}.{table}", schema.name));
            schema.execute(format!("VACUUM ANALYZE {}", tables.join(", "))).expect("vacuumed");
        }
        for query in queries(&runtime, &store) {
            record(&mut group, &mut table, name, &query);
        }
        drop(store);
        drop(schema);
    }
    // What people use instead: the same events as JSON lines, and grep.
    let size = std::fs::metadata(&lines_path).map(|m| m.len()).unwrap_or(0);
    println!("JSON-lines file of the same events: {:.0} MiB", size as f64 / (1024.0 * 1024.0));
    group.sample_size(10);
    let trace = trace_id(EVENTS / 3);
    for (name, pattern) in [
        "4. events by trace id".to_owned(),
        format!("6. events by text, a rare word ({RARE_WORD})"),
        format!("6. events by text, a common word ({COMMON_WORD})"),
    ]
    .into_iter()
    .zip([trace.as_str(), RARE_WORD, COMMON_WORD])
    {
        let path = lines_path.clone();
        let query = Query { name, run: Box::new(move || grep(pattern, &path)) };
        record(&mut group, &mut table, "grep -F", &query);
    }
    group.finish();

    println!("\n| query | store | rows | runs | p50 | p95 | p99 |\n|---|---|---|---|---|---|---|");
    for row in &table {
        let p = &row.percentiles;
        println!(
            "| {} | {} | {} | {} | {:.2?} | {:.2?} | {:.2?} |",
            row.query, row.store, row.rows, p.runs, p.p50, p.p95, p.p99
        );
    }
}

criterion_group!(benches, search);
criterion_main!(benches);
