//! What the rules engine costs per event with 100 rules.
//!
//! `cargo bench -p monitor-benches --bench rules`

// criterion_group! makes a public function without docs.
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use monitor_runtime::alerts::AlertConfig;
use monitor_runtime::rules::{Engine, Occurrence};
use monitor_runtime::{EventKind, GroupKey, Severity};

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

criterion_group!(benches, evaluation);
criterion_main!(benches);
