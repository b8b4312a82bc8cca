//! What the keyed audit chain costs in SQLite: appending a batch of audit
//! records and verifying the log, with HMAC-SHA256 links and a signed
//! checkpoint against the unkeyed SHA-256 links anyone can recompute.
//!
//! `cargo bench -p monitor-benches --bench audit_chain`

// criterion_group! makes a public function without docs.
#![allow(missing_docs)]

use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use monitor::Batch;
use monitor::audit::AuditEvent;
use monitor::sqlite::{AuditChainOptions, AuditKey, SqliteOptions, SqliteStore};

mod audit_event;
use audit_event::mandate_created;

const BATCH: usize = 256;
const VERIFIED_ROWS: u64 = 10_000;

fn options(keyed: bool) -> SqliteOptions {
    let mut options = SqliteOptions::default();
    if keyed {
        let key = AuditKey::from_bytes(&[7u8; 32]).expect("a 32-byte key");
        options.audit = AuditChainOptions::keyed(key);
    }
    options
}

fn batch(first: u64) -> Batch {
    let audits = (first..first + BATCH as u64).map(|id| Arc::new(mandate_created(id).audit_record())).collect();
    Batch { audits, ..Batch::default() }
}

fn chain(c: &mut Criterion) {
    let mut group = c.benchmark_group("audit_chain");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (name, keyed) in [("unkeyed SHA-256 links", false), ("keyed HMAC-SHA256 links + checkpoint", true)] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut store = SqliteStore::open_with(dir.path().join("audit.db"), &options(keyed)).expect("the store opens");
        let mut next = 0;
        group.bench_function(format!("append {BATCH} records, {name}"), |b| {
            b.iter_batched(
                || {
                    next += BATCH as u64;
                    batch(next)
                },
                |batch| store.write_batch(&batch).expect("the batch is written"),
                BatchSize::SmallInput,
            )
        });
    }
    group.throughput(Throughput::Elements(VERIFIED_ROWS));
    for (name, keyed) in [("unkeyed SHA-256 links", false), ("keyed HMAC-SHA256 links + checkpoint", true)] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut store = SqliteStore::open_with(dir.path().join("audit.db"), &options(keyed)).expect("the store opens");
        for first in (0..VERIFIED_ROWS).step_by(BATCH) {
            let mut rows = batch(first);
            rows.audits.truncate((VERIFIED_ROWS - first).min(BATCH as u64) as usize);
            store.write_batch(&rows).expect("the batch is written");
        }
        group.sample_size(10);
        group.bench_function(format!("verify {VERIFIED_ROWS} rows, {name}"), |b| {
            b.iter(|| {
                let report = store.verify_audit_chain().expect("the chain is read");
                assert_eq!(report.rows, VERIFIED_ROWS);
                report
            })
        });
    }
    group.finish();
}

criterion_group!(benches, chain);
criterion_main!(benches);
