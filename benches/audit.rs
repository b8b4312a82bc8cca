//! What recording an audit event costs on the caller's thread: building the
//! masked record, and handing it to the pipeline.
//!
//! `cargo bench -p monitor-benches --bench audit`

// criterion_group! makes a public function without docs.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use monitor::audit::{AuditEvent, audit};
use monitor::{Monitor, NullSink};

mod audit_event;
use audit_event::mandate_created;

fn recording(c: &mut Criterion) {
    let mut group = c.benchmark_group("audit");
    group.bench_function("audit_record() alone (masking, details)", |b| {
        let mut id = 0;
        b.iter(|| {
            id += 1;
            black_box(mandate_created(black_box(id)).audit_record())
        })
    });
    let guard = Monitor::builder().sink(NullSink).queue_capacity(1 << 16).install().expect("monitor installs");
    group.bench_function("audit(&event), installed", |b| {
        let mut id = 0;
        b.iter(|| {
            id += 1;
            audit(&mandate_created(black_box(id)))
        })
    });
    drop(guard);
    group.finish();
}

criterion_group!(benches, recording);
criterion_main!(benches);
