//! Writes a sample audit report in every format into a folder, to look at:
//!
//! `cargo run -p monitor-export --example sample_report -- FOLDER`

use std::time::{Duration, SystemTime};

use monitor_export::{ComplianceSummary, Export, ExportError, Fields, Format, Report};
use monitor_runtime::audit::{ComplianceStatus, Reference};
use monitor_sinks::store::StoredAudit;

fn main() -> Result<(), ExportError> {
    let folder = std::env::args().nth(1).unwrap_or_else(|| ".".to_owned());
    let processes = ["sepa_mandate_creation", "batch_generation", "bank_submission", "payment_processing"];
    let actors = ["Zoë Müller", "Jürgen Weiß", "Ana Núñez", "Łukasz", "Ελένη"];
    let start = SystemTime::now() - Duration::from_secs(86_400);
    let rows: Vec<StoredAudit> = (1..=120_i64)
        .map(|seq| StoredAudit {
            seq,
            timestamp: start + Duration::from_secs(seq as u64 * 61),
            process: processes[seq as usize % 4].to_owned(),
            action: "create".to_owned(),
            status: ComplianceStatus::ALL[(seq as usize * 7) % 4],
            reference: Some(Reference { kind: "mandate".into(), id: format!("MND-{seq:05}") }),
            actor: Some(actors[seq as usize % 5].to_owned()),
            trace_id: Some(format!("{seq:032x}")),
            service: Some("payments".to_owned()),
            details: serde_json::json!({"amount_eur": seq * 10, "note": "Zahlung für Zürich €"}),
            truncated: false,
            detail_errors: Vec::new(),
            prev_hash: format!("{:064x}", seq - 1),
            hash: format!("{seq:064x}"),
            key_id: Some("k1".to_owned()),
        })
        .collect();
    let mut summary = ComplianceSummary::new();
    rows.iter().for_each(|row| summary.add(row));
    let report = Report::new("Audit trail: payments service")
        .filter("since", "yesterday")
        .filter("service", "payments")
        .summary(summary.table());
    let fields = Fields::<StoredAudit>::all();
    for format in Format::ALL {
        let path = std::path::Path::new(&folder).join(format!("audit.{}", format.extension()));
        let mut out = Export::new(format, report.clone(), fields.names())?.to_path(&path)?;
        for row in &rows {
            out.write_row(&fields.row(row))?;
        }
        let written = out.finish()?;
        println!("{}: {} rows, {} bytes", path.display(), written.rows, written.bytes);
    }
    Ok(())
}
