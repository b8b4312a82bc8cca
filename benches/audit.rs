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

#[derive(AuditEvent)]
#[audit(process = "sepa_mandate_creation", action = "create_mandate")]
struct MandateCreated {
    #[audit(reference = "mandate")]
    mandate: u64,
    #[audit(actor)]
    clerk: &'static str,
    #[audit(mask = iban)]
    debtor_iban: &'static str,
    #[audit(mask = email)]
    debtor_email: &'static str,
    amount_cents: u64,
    sequence_type: &'static str,
}

fn event(mandate: u64) -> MandateCreated {
    MandateCreated {
        mandate,
        clerk: "clerk-7",
        debtor_iban: "DE89370400440532013000",
        debtor_email: "jane.doe@example.org",
        amount_cents: 12_500,
        sequence_type: "RCUR",
    }
}

fn recording(c: &mut Criterion) {
    let mut group = c.benchmark_group("audit");
    group.bench_function("audit_record() alone (masking, details)", |b| {
        let mut id = 0;
        b.iter(|| {
            id += 1;
            black_box(event(black_box(id)).audit_record())
        })
    });
    let guard = Monitor::builder().sink(NullSink).queue_capacity(1 << 16).install().expect("monitor installs");
    group.bench_function("audit(&event), installed", |b| {
        let mut id = 0;
        b.iter(|| {
            id += 1;
            audit(&event(black_box(id)))
        })
    });
    drop(guard);
    group.finish();
}

criterion_group!(benches, recording);
criterion_main!(benches);
