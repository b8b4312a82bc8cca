//! How much memory an export of many audit rows takes, per format: each
//! format runs in a process of its own, which samples its resident memory
//! every 10,000 rows and prints the growth over the start, the time and the
//! file's size.
//!
//! `cargo run --release -p monitor-export --example export_memory -- [ROWS] [FORMAT]`
//!
//! ROWS defaults to 1,000,000; without FORMAT every format is measured.

use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use monitor_export::{Export, ExportError, Fields, Format, Report};
use monitor_runtime::audit::{ComplianceStatus, Reference};
use monitor_sinks::store::StoredAudit;

const PROCESSES: [&str; 4] = ["sepa_mandate_creation", "batch_generation", "bank_submission", "payment_processing"];

/// One generated audit row: what a busy payments service records.
fn row(seq: i64, start: SystemTime) -> StoredAudit {
    StoredAudit {
        seq,
        timestamp: start + Duration::from_millis(seq as u64 * 37),
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

fn resident() -> u64 {
    memory_stats::memory_stats().map_or(0, |stats| stats.physical_mem as u64)
}

fn measure(format: Format, rows: i64) -> Result<(), ExportError> {
    let dir = tempfile::tempdir().map_err(|source| ExportError::Io { action: "creating", path: None, source })?;
    let path = dir.path().join(format!("audit.{}", format.extension()));
    let fields = Fields::<StoredAudit>::all();
    let start = SystemTime::now();
    let before = resident();
    let mut peak = before;
    let clock = Instant::now();
    let mut out = Export::new(format, Report::new("Audit"), fields.names())?.to_path(&path)?;
    for seq in 1..=rows {
        out.write_row(&fields.row(&row(seq, start)))?;
        if seq % 10_000 == 0 {
            peak = peak.max(resident());
        }
    }
    let summary = out.finish()?;
    peak = peak.max(resident());
    println!(
        "{format:>6}: {} rows in {:.1} s, {:.1} MiB file, resident memory {:.1} MiB at start, {:.1} MiB at most (+{:.1} MiB)",
        summary.rows,
        clock.elapsed().as_secs_f64(),
        summary.bytes as f64 / 1_048_576.0,
        before as f64 / 1_048_576.0,
        peak as f64 / 1_048_576.0,
        peak.saturating_sub(before) as f64 / 1_048_576.0,
    );
    Ok(())
}

fn main() -> Result<(), ExportError> {
    let mut args = std::env::args().skip(1);
    let rows: i64 = args.next().and_then(|rows| rows.parse().ok()).unwrap_or(1_000_000);
    if let Some(format) = args.next() {
        return measure(format.parse()?, rows);
    }
    // A process per format: memory a process has touched is not given back.
    let me = std::env::current_exe().map_err(|source| ExportError::Io { action: "finding", path: None, source })?;
    for format in Format::ALL {
        let status = Command::new(&me).arg(rows.to_string()).arg(format.extension()).status();
        if !status.is_ok_and(|status| status.success()) {
            eprintln!("{format}: the measurement failed");
        }
    }
    Ok(())
}
