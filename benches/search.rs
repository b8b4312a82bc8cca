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
//! 100,000 audit records over 30 days. Besides criterion's figures, every
//! query runs up to 200 times on its own and the run prints its p50, p95
//! and p99, and a table of them at the end.

// criterion_group! makes a public function without docs.
#![allow(missing_docs)]

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use monitor::audit::{AuditRecordBuilder, ComplianceStatus};
use monitor::store::{Breakdown, Buckets, EventFilter, EventQuery, GroupQuery, GroupSort, Store};
use monitor::{Batch, Event, GroupSnapshot, Severity};
use serde_json::json;

/// The pipeline's default batch size.
const BATCH: usize = 256;
/// Events stored.
const EVENTS: u64 = 1_000_000;
/// Distinct groups the events fall in: a new one every `EVENTS / GROUPS` events.
const GROUPS: u64 = 20_000;
/// Audit records stored.
const AUDITS: u64 = 100_000;
const DAY_MS: u64 = 86_400_000;
/// The end of the stored history (2027-01-15); events span the 7 days
/// before it, audit records the 30 days before it.
const END_MS: u64 = 1_800_000_000_000;
const EVENT_DAYS: u64 = 7;
const AUDIT_DAYS: u64 = 30;
/// Timed runs of each query for its percentiles, fewer when a query is so
/// slow that they would take longer than `PERCENTILE_BUDGET`.
const RUNS: usize = 200;
const MIN_RUNS: usize = 20;
const PERCENTILE_BUDGET: Duration = Duration::from_secs(8);

const SEVERITIES: [Severity; 4] = [Severity::Info, Severity::Warning, Severity::Error, Severity::Critical];
const MODULES: [&str; 10] = [
    "payments::sepa::mandates",
    "payments::sepa::batches",
    "payments::sepa::submission",
    "payments::cards",
    "billing::invoices",
    "billing::dunning",
    "auth::sessions",
    "ledger::postings",
    "checkout::cart",
    "notifications::email",
];
const FUNCTIONS: [&str; 8] = ["submit", "collect", "validate", "render", "charge", "sign", "settle", "send"];
const SERVICES: [&str; 6] = ["payments", "billing", "checkout", "auth", "ledger", "notifications"];
const ERROR_TYPES: [&str; 6] = ["BankError", "IoError", "ValidationError", "TimeoutError", "DbError", "HttpError"];
const ACTIONS: [&str; 20] = [
    "submit",
    "collect",
    "refund",
    "capture",
    "settle",
    "validate",
    "sign",
    "export",
    "import",
    "reconcile",
    "charge",
    "notify",
    "schedule",
    "archive",
    "lookup",
    "render",
    "verify",
    "authorize",
    "cancel",
    "retry",
];
const OBJECTS: [&str; 20] = [
    "mandate",
    "invoice",
    "payment",
    "batch",
    "ledger",
    "session",
    "token",
    "webhook",
    "statement",
    "transfer",
    "account",
    "customer",
    "order",
    "receipt",
    "report",
    "card",
    "iban",
    "creditor",
    "debtor",
    "export",
];
/// What went wrong; the first (`timeout`) is the reason of a third of the
/// groups: the common word searched.
const REASONS: [&str; 12] = [
    "timeout after <*> ms",
    "connection refused by <*>",
    "rejected by bank <*>",
    "invalid checksum <*>",
    "expired certificate <*>",
    "duplicate reference <*>",
    "insufficient funds on <*>",
    "unknown creditor <*>",
    "malformed response <*>",
    "lock wait on <*>",
    "quota exceeded for <*>",
    "missing field <*>",
];
/// Syllables of the made-up reference words in messages (8,000 words, each
/// in about 125 events); none starts a searched word.
const SYLLABLES: [&str; 20] = [
    "ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "pe", "do", "gu", "ha", "ji", "wu", "xe", "yo", "fa", "bo",
    "ce",
];
/// The rare word: in the messages of every `RARE_EVERY`-th event (5 events).
const RARE_WORD: &str = "quarantined";
const RARE_EVERY: u64 = 200_003;
const COMMON_WORD: &str = "timeout";
const TENANTS: u64 = 50;
const REGIONS: [&str; 3] = ["eu-west", "eu-central", "us-east"];
const USERS: u64 = 1_000;
const AUDIT_PROCESSES: [&str; 6] = [
    "sepa_mandate_creation",
    "batch_generation",
    "bank_submission",
    "payment_processing",
    "refund_approval",
    "user_access",
];

fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// A fixed scramble of `x` (splitmix64): the same data on every run.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// When event `n` happened: evenly over the 7 days before the end.
fn event_ms(n: u64) -> u64 {
    END_MS - EVENT_DAYS * DAY_MS + n * (EVENT_DAYS * DAY_MS) / EVENTS
}

/// The group of event `n`: every 50th event opens a new group (so groups
/// are first seen all along the 7 days); the others fall in a group seen
/// before, half of them evenly, half in the oldest, hot groups.
fn group_of(n: u64) -> u64 {
    let every = EVENTS / GROUPS;
    if n.is_multiple_of(every) {
        return n / every;
    }
    let known = n / every + 1;
    let r = mix(n);
    if r & 1 == 0 {
        (r >> 1) % known
    } else {
        let f = (r >> 11) as f64 / (1u64 << 53) as f64;
        ((known as f64 * f.powi(4)) as u64).min(known - 1)
    }
}

/// What all events of group `g` share.
struct Shape {
    key: u64,
    severity: Severity,
    kind: &'static str,
    module: &'static str,
    function: &'static str,
    error_type: &'static str,
    service: &'static str,
    action: &'static str,
    object: &'static str,
    reason: &'static str,
}

fn shape(g: u64) -> Shape {
    let r = mix(g ^ 0x5eed);
    Shape {
        key: mix(g),
        severity: SEVERITIES[(r % 4) as usize],
        kind: if g % 10 == 9 { "panic" } else { "error" },
        module: MODULES[((r >> 8) % 10) as usize],
        function: FUNCTIONS[((r >> 16) % 8) as usize],
        error_type: ERROR_TYPES[((r >> 24) % 6) as usize],
        service: SERVICES[((r >> 32) % 6) as usize],
        action: ACTIONS[((r >> 40) % 20) as usize],
        object: OBJECTS[((r >> 48) % 20) as usize],
        reason: if g.is_multiple_of(3) { REASONS[0] } else { REASONS[1 + (g % 11) as usize] },
    }
}

fn template(g: u64, shape: &Shape) -> String {
    format!("{} {} <*> failed: {} (code {g})", shape.action, shape.object, shape.reason)
}

fn made_up_word(x: u64) -> String {
    (0..3).map(|i| SYLLABLES[((x >> (i * 8)) % 20) as usize]).collect()
}

fn tenant(n: u64) -> String {
    match (mix(n) >> 30) % TENANTS {
        0 => "acme".to_owned(),
        i => format!("tenant{i:02}"),
    }
}

fn user(i: u64) -> String {
    format!("user-{i:04}")
}

/// The trace id of event `n`: unique per event.
fn trace_id(n: u64) -> String {
    format!("{:016x}{:016x}", mix(n ^ 0x7ace), mix(n))
}

/// Event `n`.
fn event(n: u64) -> Arc<Event> {
    let g = group_of(n);
    let shape = shape(g);
    let r = mix(n);
    let environment = match (r >> 16) % 10 {
        0..=6 => "production",
        7 | 8 => "staging",
        _ => "development",
    };
    let mut message = format!(
        "{} {} {n} failed: {} (code {g}) ref {}",
        shape.action,
        shape.object,
        shape.reason.replace("<*>", &((r >> 40) % 30_000).to_string()),
        made_up_word(mix(n ^ 0x0f0f))
    );
    if n % RARE_EVERY == 17 {
        message.push_str(" account ");
        message.push_str(RARE_WORD);
    }
    let event: Event = serde_json::from_value(json!({
        "timestamp": at(event_ms(n)), "kind": shape.kind, "severity": shape.severity, "group_key": shape.key,
        "template": template(g, &shape),
        "location": { "module": shape.module, "function": shape.function, "file": "src/lib.rs", "line": 40 + g % 400 },
        "error_type": shape.error_type, "message": message,
        "chain": ["connection reset by peer"],
        "context": {
            "service": shape.service, "environment": environment,
            "release": format!("2027.1.{}", n * 12 / EVENTS), "user": user((r >> 20) % USERS),
            "trace_id": trace_id(n),
            "tags": { "tenant": tenant(n), "region": REGIONS[((r >> 50) % 3) as usize] },
        },
        "args": [["reference", n.to_string()]], "duration": { "secs": 0, "nanos": 1_000_000 + (r >> 44) % 9_000_000 },
        "occurrences": 1, "reason": "new_window",
    }))
    .expect("an event");
    Arc::new(event)
}

/// The counters of group `g` after `count` new occurrences, the last at `last_ms`.
fn counter(g: u64, count: u64, last_ms: u64) -> GroupSnapshot {
    let shape = shape(g);
    serde_json::from_value(json!({
        "key": shape.key, "template": template(g, &shape),
        "location": { "module": shape.module, "function": shape.function, "file": "src/lib.rs", "line": 40 + g % 400 },
        "error_type": shape.error_type, "severity": shape.severity, "kind": shape.kind, "status": "open",
        "status_changed": false, "count": count, "new_occurrences": count,
        "first_seen": at(event_ms(g * (EVENTS / GROUPS))), "last_seen": at(last_ms), "merged_into": null,
    }))
    .expect("a group")
}

/// Events `first..first + BATCH` and, as the worker hands them on at its
/// tick, the counters of their groups.
fn batches(first: u64) -> (Batch, Batch) {
    let range = first..(first + BATCH as u64).min(EVENTS);
    let mut seen: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for n in range.clone() {
        let entry = seen.entry(group_of(n)).or_default();
        *entry = (entry.0 + 1, event_ms(n));
    }
    let events = Batch { events: range.map(event).collect(), ..Batch::default() };
    let groups = seen.into_iter().map(|(g, (count, last))| counter(g, count, last)).collect();
    (events, Batch { groups, ..Batch::default() })
}

/// Audit records `first..first + BATCH`, evenly over the 30 days.
fn audits(first: u64) -> Batch {
    let audits = (first..(first + BATCH as u64).min(AUDITS))
        .map(|i| {
            let r = mix(i ^ 0xa0d1);
            let status = match r % 20 {
                0..=15 => ComplianceStatus::Compliant,
                16 => ComplianceStatus::Exception,
                17 => ComplianceStatus::Failed,
                _ => ComplianceStatus::PendingReview,
            };
            let mut builder = AuditRecordBuilder::new(AUDIT_PROCESSES[((r >> 8) % 6) as usize], "record", status);
            builder.reference("case", &i).actor(&user((r >> 20) % USERS));
            let mut record = builder.finish();
            record.timestamp = at(END_MS - AUDIT_DAYS * DAY_MS + i * (AUDIT_DAYS * DAY_MS) / AUDITS);
            Arc::new(record)
        })
        .collect();
    Batch { audits, ..Batch::default() }
}

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

/// Fills `store`; writes the same events as JSON lines to `lines` when given.
fn fill(runtime: &tokio::runtime::Runtime, store: &dyn Store, mut lines: Option<&mut BufWriter<std::fs::File>>) {
    let started = Instant::now();
    for first in (0..EVENTS).step_by(BATCH) {
        let (events, counters) = batches(first);
        if let Some(lines) = lines.as_deref_mut() {
            for event in &events.events {
                serde_json::to_writer(&mut *lines, &**event).expect("a JSON line");
                lines.write_all(b"\n").expect("a JSON line");
            }
        }
        runtime.block_on(store.write_batch(&events)).expect("events written");
        runtime.block_on(store.write_batch(&counters)).expect("counters written");
    }
    let events = started.elapsed();
    for first in (0..AUDITS).step_by(BATCH) {
        runtime.block_on(store.write_batch(&audits(first))).expect("audit records written");
    }
    let stored = runtime.block_on(store.event_count()).expect("counted");
    assert_eq!(stored, EVENTS);
    println!(
        "{}: {stored} events and their counters stored in {events:.1?}, {AUDITS} audit records in {:.1?}",
        store.describe(),
        started.elapsed() - events
    );
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
    let end = at(END_MS);
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
            // What autovacuum does after a bulk load: statistics for the planner.
            let tables =
                ["events", "groups", "group_counts", "audit_log"].map(|table| format!("{}.{table}", schema.name));
            schema.execute(format!("ANALYZE {}", tables.join(", "))).expect("analyzed");
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
