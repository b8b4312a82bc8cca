//! Exports of monitor's stored records for auditors and operators: CSV,
//! JSON, NDJSON, XML, Excel xlsx and PDF reports, written row by row.
//!
//! An [`Export`] names a [`Format`], a [`Report`] (title, filters, summary
//! tables) and the columns; opened on a file or a writer it takes rows of
//! [`Cell`]s and, when finished, says how many rows and bytes it wrote.
//! Every format but PDF streams: memory stays flat whatever the number of
//! rows. The store's groups, events and audit rows become rows through
//! [`Fields`] (features `sqlite` or `postgres`), which also picks and
//! orders the columns.
//!
//! ```
//! # #[cfg(any(feature = "sqlite", feature = "postgres"))] {
//! use std::time::SystemTime;
//! use monitor_export::{ComplianceSummary, Export, Fields, Format, Report};
//! use monitor_runtime::audit::ComplianceStatus;
//! use monitor_sinks::store::StoredAudit;
//!
//! let rows = vec![StoredAudit {
//!     seq: 1,
//!     timestamp: SystemTime::now(),
//!     process: "sepa_mandate_creation".into(),
//!     action: "create_mandate".into(),
//!     status: ComplianceStatus::Compliant,
//!     reference: None,
//!     actor: Some("Zoë Müller".into()),
//!     trace_id: None,
//!     service: Some("payments".into()),
//!     details: serde_json::json!({"iban": "DE89 **** 3000"}),
//!     truncated: false,
//!     detail_errors: Vec::new(),
//!     prev_hash: String::new(),
//!     hash: String::new(),
//!     key_id: None,
//! }];
//!
//! let fields = Fields::<StoredAudit>::parse("seq,timestamp,process,status,actor")?;
//! let mut summary = ComplianceSummary::new();
//! rows.iter().for_each(|row| summary.add(row));
//! let report = Report::new("Audit trail").filter("process", "sepa_mandate_creation").summary(summary.table());
//!
//! let dir = tempfile::tempdir().unwrap();
//! for format in [Format::Csv, Format::Xlsx, Format::Pdf] {
//!     let path = dir.path().join(format!("audit.{}", format.extension()));
//!     let mut out = Export::new(format, report.clone(), fields.names())?.to_path(&path)?;
//!     for row in &rows {
//!         out.write_row(&fields.row(row))?;
//!     }
//!     let written = out.finish()?;
//!     assert_eq!(written.rows, 1);
//! }
//! # }
//! # Ok::<(), monitor_export::ExportError>(())
//! ```
//!
//! What each format does with text a spreadsheet could run, with
//! characters XML forbids and with characters a PDF's embedded font lacks
//! is told on [`neutralise_formula`], [`replace_xml_forbidden`] and
//! [`Format`]; the project's `docs/export.md` sums it up.

// Library code reports failures; it never unwraps them (tests may).
#![warn(clippy::unwrap_used)]

mod cell;
mod error;
mod export;
mod fields;
mod format;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod from_store;
mod output;
mod records;
mod report;
mod safety;
mod writers;

pub use cell::Cell;
pub use error::ExportError;
pub use export::{Export, ExportSummary, ExportWriter};
pub use fields::{Fields, Record, RecordKind};
pub use format::Format;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use from_store::{export_audit, export_events, export_groups};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use records::{ComplianceSummary, audit_compliance_summary};
pub use report::{Report, SummaryTable};
pub use safety::{neutralise_formula, replace_xml_forbidden};
pub use writers::PDF_MAX_ROWS;
