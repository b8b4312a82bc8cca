//! Exports of a million audit rows, each streaming format to a temporary
//! file: CSV, JSON, NDJSON, XML and xlsx (in constant memory). The rows are
//! generated one at a time, so what is measured is the export alone: the
//! conversion of a stored row to cells and the writer.
//!
//! `cargo bench -p monitor-benches --bench export`
//!
//! The memory an export takes is printed by
//! `cargo run --release -p monitor-export --example export_memory`.

// criterion_group! makes a public function without docs.
#![allow(missing_docs)]

use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use monitor::audit::{ComplianceStatus, Reference};
use monitor::store::StoredAudit;
use monitor_export::{Export, Fields, Format, Report};

const ROWS: i64 = 1_000_000;

const PROCESSES: [&str; 4] = ["sepa_mandate_creation", "batch_generation", "bank_submission", "payment_processing"];

/// One generated audit row, as a busy payments service records them.
fn row(seq: i64) -> StoredAudit {
    StoredAudit {
        seq,
        timestamp: UNIX_EPOCH + Duration::from_millis(1_800_000_000_000 + seq as u64 * 37),
        process: PROCESSES[seq as usize % 4].to_owned(),
        action: "submit".to_owned(),
        status: ComplianceStatus::ALL[seq as usize % 4],
        reference: Some(Reference { kind: "mandate".into(), id: format!("MND-{seq:08}") }),
        actor: Some("Zoë Müller".to_owned()),
        trace_id: Some(format!("{seq:032x}")),
        service: Some("payments".to_owned()),
        details: serde_json::json!({"amount_eur": seq % 10_000, "iban": "DE89 **** 3000"}),
        truncated: false,
        detail_errors: Vec::new(),
        prev_hash: format!("{:064x}", seq - 1),
        hash: format!("{seq:064x}"),
        key_id: Some("k1".to_owned()),
    }
}

fn exports(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let fields = Fields::<StoredAudit>::all();
    let mut group = c.benchmark_group("export 1M audit rows");
    group.sample_size(10).warm_up_time(Duration::from_millis(1)).measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(ROWS as u64));
    for format in [Format::Csv, Format::Json, Format::Ndjson, Format::Xml, Format::Xlsx] {
        let path = dir.path().join(format!("audit.{}", format.extension()));
        group.bench_function(format.extension(), |b| {
            b.iter(|| {
                let mut out = Export::new(format, Report::new("Audit"), fields.names())
                    .and_then(|export| export.to_path(&path))
                    .expect("the export opens");
                for seq in 1..=ROWS {
                    out.write_row(&fields.row(&row(seq))).expect("the row is written");
                }
                out.finish().expect("the export finishes")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, exports);
criterion_main!(benches);
