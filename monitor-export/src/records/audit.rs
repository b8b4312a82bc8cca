//! An audit row as a row, and the compliance summary of a report.

use std::collections::BTreeMap;

use monitor_runtime::audit::ComplianceStatus;
use monitor_sinks::store::StoredAudit;

use super::json_text;
use crate::{Cell, Record, SummaryTable};

impl Record for StoredAudit {
    const KIND: &'static str = "audit";
    const FIELDS: &'static [&'static str] = super::AUDIT_FIELDS;

    fn cell(&self, field: usize) -> Cell {
        match field {
            0 => self.seq.into(),
            1 => self.timestamp.into(),
            2 => self.process.as_str().into(),
            3 => self.action.as_str().into(),
            4 => self.status.as_str().into(),
            5 => self.reference.as_ref().map(|reference| reference.kind.as_ref()).into(),
            6 => self.reference.as_ref().map(|reference| reference.id.as_str()).into(),
            7 => self.actor.as_deref().into(),
            8 => self.trace_id.as_deref().into(),
            9 => self.service.as_deref().into(),
            10 => json_text(&self.details),
            11 => self.truncated.into(),
            12 => self.prev_hash.as_str().into(),
            13 => self.hash.as_str().into(),
            14 => self.key_id.as_deref().into(),
            _ => Cell::Null,
        }
    }
}

/// Counts of audit rows per process and compliance status, for the table
/// an audit report opens with. Feed it rows ([`ComplianceSummary::add`]) or
/// counts the store computed ([`ComplianceSummary::add_count`]).
///
/// ```
/// use monitor_export::{Cell, ComplianceSummary};
/// use monitor_runtime::audit::ComplianceStatus;
///
/// let mut summary = ComplianceSummary::new();
/// summary.add_count("bank_submission", ComplianceStatus::Compliant, 40);
/// summary.add_count("bank_submission", ComplianceStatus::Failed, 2);
/// summary.add_count("sepa_mandate_creation", ComplianceStatus::PendingReview, 1);
/// let table = summary.table();
/// assert_eq!(table.columns, ["process", "compliant", "exception", "failed", "pending_review", "total"]);
/// assert_eq!(table.rows[0][0], Cell::Text("bank_submission".into()));
/// assert_eq!(table.rows[0][5], Cell::Integer(42));
/// // The last row adds up every process.
/// assert_eq!(table.rows[2], ["all processes".into(), 40_i64.into(), 0_i64.into(), 2_i64.into(), 1_i64.into(), 43_i64.into()]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct ComplianceSummary {
    /// Per process, a count per status in the order of `ComplianceStatus::ALL`.
    counts: BTreeMap<String, [u64; 4]>,
}

impl ComplianceSummary {
    /// An empty summary.
    ///
    /// ```
    /// assert_eq!(monitor_export::ComplianceSummary::new().table().rows.len(), 1);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one row.
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// use monitor_export::{Cell, ComplianceSummary};
    /// use monitor_runtime::audit::ComplianceStatus;
    /// use monitor_sinks::store::StoredAudit;
    ///
    /// # let row = StoredAudit { seq: 1, timestamp: SystemTime::now(), process: "payment_processing".into(),
    /// #     action: "pay".into(), status: ComplianceStatus::Exception, reference: None, actor: None,
    /// #     trace_id: None, service: None, details: serde_json::Value::Null, truncated: false,
    /// #     detail_errors: Vec::new(), prev_hash: String::new(), hash: String::new(), key_id: None };
    /// let mut summary = ComplianceSummary::new();
    /// summary.add(&row);
    /// assert_eq!(summary.table().rows[0][2], Cell::Integer(1));
    /// ```
    pub fn add(&mut self, record: &StoredAudit) {
        self.add_count(&record.process, record.status, 1);
    }

    /// Adds `count` rows of `process` with `status`.
    ///
    /// ```
    /// use monitor_export::{Cell, ComplianceSummary};
    /// use monitor_runtime::audit::ComplianceStatus;
    ///
    /// let mut summary = ComplianceSummary::new();
    /// summary.add_count("bank_submission", ComplianceStatus::Failed, 3);
    /// assert_eq!(summary.table().rows[0][3], Cell::Integer(3));
    /// ```
    pub fn add_count(&mut self, process: &str, status: ComplianceStatus, count: u64) {
        let column = ComplianceStatus::ALL.iter().position(|each| *each == status).unwrap_or(0);
        let counts = match self.counts.get_mut(process) {
            Some(counts) => counts,
            None => self.counts.entry(process.to_owned()).or_default(),
        };
        counts[column] = counts[column].saturating_add(count);
    }

    /// The table: a row per process (by name), a column per status and a
    /// total, and a last row `all processes`.
    ///
    /// ```
    /// let table = monitor_export::ComplianceSummary::new().table();
    /// assert_eq!(table.title, "Compliance per process");
    /// ```
    pub fn table(&self) -> SummaryTable {
        let mut columns = vec!["process"];
        columns.extend(ComplianceStatus::ALL.iter().map(|status| status.as_str()));
        columns.push("total");
        let mut table = SummaryTable::new("Compliance per process", columns);
        let mut all = [0_u64; 4];
        let row = |name: &str, counts: &[u64; 4]| {
            let mut cells = vec![Cell::from(name)];
            cells.extend(counts.iter().map(|count| Cell::from(*count)));
            cells.push(Cell::from(counts.iter().fold(0_u64, |sum, count| sum.saturating_add(*count))));
            cells
        };
        for (process, counts) in &self.counts {
            for (sum, count) in all.iter_mut().zip(counts) {
                *sum = sum.saturating_add(*count);
            }
            table.rows.push(row(process, counts));
        }
        table.rows.push(row("all processes", &all));
        table
    }
}

/// The compliance summary of `records`: [`ComplianceSummary`] fed with
/// each.
///
/// ```
/// # use std::time::SystemTime;
/// use monitor_export::{Cell, audit_compliance_summary};
/// use monitor_runtime::audit::ComplianceStatus;
/// use monitor_sinks::store::StoredAudit;
///
/// # let row = |process: &str, status| StoredAudit { seq: 1, timestamp: SystemTime::now(), process: process.into(),
/// #     action: "a".into(), status, reference: None, actor: None, trace_id: None, service: None,
/// #     details: serde_json::Value::Null, truncated: false, detail_errors: Vec::new(),
/// #     prev_hash: String::new(), hash: String::new(), key_id: None };
/// let rows = [row("b", ComplianceStatus::Failed), row("a", ComplianceStatus::Compliant), row("b", ComplianceStatus::Failed)];
/// let table = audit_compliance_summary(&rows);
/// assert_eq!(table.rows[0][0], Cell::Text("a".into()));
/// assert_eq!(table.rows[1][3], Cell::Integer(2));
/// ```
pub fn audit_compliance_summary<'a>(records: impl IntoIterator<Item = &'a StoredAudit>) -> SummaryTable {
    let mut summary = ComplianceSummary::new();
    for record in records {
        summary.add(record);
    }
    summary.table()
}
