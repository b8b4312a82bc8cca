//! The store the search benchmarks query: 1,000,000 events over 7 days in
//! 20,000 groups (new groups appear all along, a few are hot), the group
//! counters a worker writes after each batch, and 100,000 audit records
//! over 30 days. The same data on every run. Shared by the `search` bench
//! and by `fill_search`, which only fills a SQLite file and keeps it (for
//! the HTTP API check in `checks/api_groups.sh`, and for `sqlite3`).

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use monitor::audit::{AuditRecordBuilder, ComplianceStatus};
use monitor::store::Store;
use monitor::{Batch, Event, GroupSnapshot, Severity};
use serde_json::json;

/// The pipeline's default batch size.
const BATCH: usize = 256;
/// Events stored.
pub(crate) const EVENTS: u64 = 1_000_000;
/// Distinct groups the events fall in: a new one every `EVENTS / GROUPS` events.
const GROUPS: u64 = 20_000;
/// Audit records stored.
pub(crate) const AUDITS: u64 = 100_000;
pub(crate) const DAY_MS: u64 = 86_400_000;
/// The end of the stored history (2027-01-15); events span the 7 days
/// before it, audit records the 30 days before it. A tool may move it
/// ([`end_at`]) before it fills a store.
pub(crate) const END_MS: u64 = 1_800_000_000_000;
static END: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

/// The end of the stored history: [`END_MS`] unless moved.
pub(crate) fn end_ms() -> u64 {
    *END.get_or_init(|| END_MS)
}

/// Moves the end of the stored history to `ms` (a whole minute), for a
/// store whose last day is the real last day: the dashboard's pages count
/// the 24 hours before the clock. Once, before anything is generated.
pub(crate) fn end_at(ms: u64) {
    assert!(END.set(ms - ms % 60_000).is_ok(), "the end is set before any event is made");
}
pub(crate) const EVENT_DAYS: u64 = 7;
pub(crate) const AUDIT_DAYS: u64 = 30;

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
pub(crate) const RARE_WORD: &str = "quarantined";
const RARE_EVERY: u64 = 200_003;
pub(crate) const COMMON_WORD: &str = "timeout";
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

pub(crate) fn at(ms: u64) -> SystemTime {
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
    end_ms() - EVENT_DAYS * DAY_MS + n * (EVENT_DAYS * DAY_MS) / EVENTS
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

pub(crate) fn user(i: u64) -> String {
    format!("user-{i:04}")
}

/// The trace id of event `n`: unique per event.
pub(crate) fn trace_id(n: u64) -> String {
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
            record.timestamp = at(end_ms() - AUDIT_DAYS * DAY_MS + i * (AUDIT_DAYS * DAY_MS) / AUDITS);
            Arc::new(record)
        })
        .collect();
    Batch { audits, ..Batch::default() }
}

/// Fills `store`; writes the same events as JSON lines to `lines` when given.
pub(crate) fn fill(
    runtime: &tokio::runtime::Runtime,
    store: &dyn Store,
    mut lines: Option<&mut BufWriter<std::fs::File>>,
) {
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
