//! Messages per second through the grouper alone, and through the whole
//! capture path of an error, on Loghub-2k messages (all systems in the
//! folder found through `MONITOR_LOGHUB_DIR` or at `../shared/data/loghub-2k`)
//! or, where that folder is missing, on the repository's own labelled set.
//!
//! `cargo bench -p monitor-benches --bench grouping`

// criterion_group! makes a public function without docs.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use monitor::fingerprint::{Grouper, GrouperConfig};
use monitor::{Monitor, NullSink, Severity, capture_message};

fn messages() -> Vec<String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loghub = std::env::var_os("MONITOR_LOGHUB_DIR")
        .map(PathBuf::from)
        .or_else(|| Some(manifest.join("../../shared/data/loghub-2k")))
        .filter(|dir| dir.is_dir());
    let Some(dir) = loghub else {
        eprintln!("no Loghub folder: using monitor-runtime/tests/data/rust_service_errors.tsv");
        let text = std::fs::read_to_string(manifest.join("../monitor-runtime/tests/data/rust_service_errors.tsv"))
            .expect("the labelled set is in the repository");
        return text.lines().filter_map(|l| l.split_once('\t')).map(|(_, m)| m.to_owned()).collect();
    };
    let mut all = Vec::new();
    let mut systems: Vec<_> = std::fs::read_dir(&dir).expect("readable folder").filter_map(Result::ok).collect();
    systems.sort_by_key(|entry| entry.file_name());
    for system in systems {
        let name = system.file_name().to_string_lossy().into_owned();
        let path = system.path().join(format!("{name}_2k.log_structured.csv"));
        let Ok(mut reader) = csv::Reader::from_path(&path) else { continue };
        let content = reader.headers().ok().and_then(|h| h.iter().position(|c| c == "Content"));
        let Some(content) = content else { continue };
        all.extend(reader.records().filter_map(Result::ok).map(|r| r[content].to_owned()));
    }
    all
}

fn grouping(c: &mut Criterion) {
    let messages = messages();
    let mut group = c.benchmark_group("grouping");
    group.throughput(Throughput::Elements(messages.len() as u64));

    let warm = Grouper::new(GrouperConfig::default());
    for message in &messages {
        warm.group(message);
    }
    group.bench_function("grouper, templates known", |b| {
        b.iter(|| {
            for message in &messages {
                black_box(warm.group(message));
            }
        })
    });
    group.bench_function("grouper, from empty", |b| {
        b.iter_batched(
            || Grouper::new(GrouperConfig::default()),
            |grouper| {
                for message in &messages {
                    black_box(grouper.group(message));
                }
                grouper
            },
            BatchSize::LargeInput,
        )
    });

    let guard = Monitor::builder().sink(NullSink).queue_capacity(1 << 16).install().expect("monitor installs");
    for message in &messages {
        capture_message(message, Severity::Error);
    }
    group.bench_function("whole capture path, repeated messages", |b| {
        b.iter(|| {
            for message in &messages {
                capture_message(black_box(message), Severity::Error);
            }
        })
    });
    drop(guard);
    group.finish();
}

criterion_group!(benches, grouping);
criterion_main!(benches);
