//! What the rules engine costs per event with 100 rules.
//!
//! `cargo bench -p monitor-benches --bench rules`

// criterion_group! makes a public function without docs.
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use monitor::alerting::{Engine, Occurrence};
use monitor::alerts::AlertConfig;
use monitor::audit::{AuditRecordBuilder, ComplianceStatus};
use monitor::histogram::DURATION_BUCKETS;
use monitor::{EventKind, GroupKey, Severity};

/// 100 rules of the usual shapes: counts by severity and module, grouped by
/// function, new groups and regressions, a heartbeat.
fn hundred_rules() -> AlertConfig {
    let mut text = String::from("[destinations]\nops = { console = true }\n");
    for i in 0..100 {
        let when = match i % 4 {
            0 => format!("errors(severity >= error, module = \"svc{i}::*\") > 10 within 1h"),
            1 => format!("errors(function = \"handler_{i}\") > 5 within 15m"),
            2 => "new_group(severity >= error)".to_owned(),
            _ => format!("errors(tag.tenant = \"t{i}\", severity >= warning) > 100 within 1h"),
        };
        text.push_str(&format!(
            "[[rules]]\nname = \"r{i}\"\nwhen = '{when}'\nnotify = [\"ops\"]\ngroup_by = [\"function\"]\n"
        ));
    }
    AlertConfig::from_toml_str(&text).expect("the generated rules are valid")
}

fn evaluation(c: &mut Criterion) {
    let start = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let mut engine = Engine::new(hundred_rules(), start);
    let tags = BTreeMap::from([("tenant".to_owned(), "t3".to_owned())]);
    let mut group = c.benchmark_group("rules");
    group.bench_function("record one occurrence, 100 rules", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            let function = if i.is_multiple_of(2) { "handler_1" } else { "handler_7" };
            let occurrence = Occurrence {
                severity: Severity::Error,
                kind: EventKind::Error,
                module: "svc0::billing",
                function,
                group: GroupKey(i % 50),
                tags: &tags,
                template: "card <*> declined",
                details: None,
            };
            engine.record_occurrences(start + Duration::from_millis(i), black_box(&occurrence), 1);
        })
    });
    group.bench_function("evaluate 100 rules", |b| {
        b.iter(|| black_box(engine.evaluate(start + Duration::from_secs(1))))
    });
    group.finish();
}

/// 100 rules of every kind: 40 error counts, 15 latency percentiles, 15
/// error rates, 15 audit counts, 10 new-group or regression rules and 5
/// heartbeats.
fn mixed_rules() -> AlertConfig {
    let mut text = String::from("[destinations]\nops = { console = true }\n");
    for i in 0..100 {
        let (when, group_by) = match i {
            0..40 => (format!("errors(severity >= error, module = \"svc{}::*\") > 10 within 1h", i % 8), "function"),
            40..55 => (format!("p95(function = \"svc{}::*\") > 2s over 15m", i % 8), "function"),
            55..70 => (format!("error_rate(function = \"svc{}::*\") > 5% over 15m", i % 8), "function"),
            70..85 => (format!("audit(process = \"sepa_{}*\", status = failed) > 5 within 1h", i % 4), "process"),
            85..95 if i % 2 == 0 => ("new_group(severity >= error)".to_owned(), "function"),
            85..95 => ("regression".to_owned(), "function"),
            _ => (format!("absent(heartbeat = \"worker_{i}\") for 20m"), ""),
        };
        let group_by = if group_by.is_empty() { String::new() } else { format!("group_by = [\"{group_by}\"]\n") };
        text.push_str(&format!("[[rules]]\nname = \"m{i}\"\nwhen = '{when}'\nnotify = [\"ops\"]\n{group_by}"));
    }
    AlertConfig::from_toml_str(&text).expect("the generated rules are valid")
}

fn mixed_evaluation(c: &mut Criterion) {
    let start = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let mut engine = Engine::new(mixed_rules(), start);
    let tags = BTreeMap::new();
    let mut calls = [0u64; DURATION_BUCKETS];
    calls[40] = 20;
    let mut group = c.benchmark_group("rules_mixed");
    group.bench_function("record one occurrence, 100 mixed rules", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            let occurrence = Occurrence {
                severity: Severity::Error,
                kind: EventKind::Error,
                module: "svc3::billing",
                function: "charge",
                group: GroupKey(i % 50),
                tags: &tags,
                template: "card <*> declined",
                details: None,
            };
            engine.record_occurrences(start + Duration::from_millis(i), black_box(&occurrence), 1);
        })
    });
    group.bench_function("record one audit record, 100 mixed rules", |b| {
        let record = AuditRecordBuilder::new("sepa_2_collection", "collect", ComplianceStatus::Failed).finish();
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            engine.record_audit(start + Duration::from_millis(i), black_box(&record));
        })
    });
    group.bench_function("record one call site's tick, 100 mixed rules", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            let at = start + Duration::from_millis(i);
            engine.record_calls(at, "svc3::billing", "charge", black_box(&calls));
            engine.record_call_outcomes(at, "svc3::billing", "charge", 20, 1);
        })
    });
    group.bench_function("evaluate 100 mixed rules", |b| {
        b.iter(|| black_box(engine.evaluate(start + Duration::from_secs(1))))
    });
    group.finish();
}

criterion_group!(benches, evaluation, mixed_evaluation);
criterion_main!(benches);
