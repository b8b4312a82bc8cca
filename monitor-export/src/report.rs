//! What an export says about itself: its title, the filters that chose its
//! records, and summary tables (the PDF report shows them before the
//! records).

use std::time::SystemTime;

use crate::Cell;

/// The title, filters and summaries of an export.
///
/// The PDF report prints all of it; the xlsx workbook puts it on a second
/// sheet named `Report`; the XML root element carries the title and the
/// filters. CSV, JSON and NDJSON hold the records only.
///
/// ```
/// use monitor_export::{Report, SummaryTable};
///
/// let report = Report::new("Audit trail, May 2024")
///     .filter("process", "sepa_mandate_creation")
///     .filter("since", "2024-05-01")
///     .summary(SummaryTable::new("Statuses", ["status", "rows"]).row(["failed".into(), 3_i64.into()]));
/// assert_eq!(report.filters.len(), 2);
/// assert_eq!(report.summaries[0].rows.len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct Report {
    /// The title.
    pub title: String,
    /// The filters that chose the records, as name and value, in the order
    /// to show them.
    pub filters: Vec<(String, String)>,
    /// Tables shown before the records (PDF) or beside them (xlsx).
    pub summaries: Vec<SummaryTable>,
    /// When the export was made (now, by [`Report::new`]).
    pub generated_at: SystemTime,
}

impl Report {
    /// A report with a title, made now, without filters or summaries.
    ///
    /// ```
    /// let report = monitor_export::Report::new("Groups");
    /// assert!(report.filters.is_empty());
    /// ```
    pub fn new(title: impl Into<String>) -> Self {
        Report { title: title.into(), filters: Vec::new(), summaries: Vec::new(), generated_at: SystemTime::now() }
    }

    /// Adds a filter.
    ///
    /// ```
    /// let report = monitor_export::Report::new("Events").filter("severity", "error or worse");
    /// assert_eq!(report.filters[0].0, "severity");
    /// ```
    pub fn filter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.filters.push((name.into(), value.into()));
        self
    }

    /// Adds a summary table.
    ///
    /// ```
    /// use monitor_export::{Report, SummaryTable};
    ///
    /// let report = Report::new("Audit").summary(SummaryTable::new("Empty", ["process"]));
    /// assert_eq!(report.summaries.len(), 1);
    /// ```
    pub fn summary(mut self, table: SummaryTable) -> Self {
        self.summaries.push(table);
        self
    }
}

/// A small table of totals, such as compliance statuses per process.
///
/// Rows shorter than the columns are shown with empty cells, longer ones
/// cut: a summary is shown, never rejected.
///
/// ```
/// use monitor_export::{Cell, SummaryTable};
///
/// let table = SummaryTable::new("Events per severity", ["severity", "events"])
///     .row(["error".into(), Cell::Integer(12)])
///     .row(["critical".into(), Cell::Integer(1)]);
/// assert_eq!(table.columns, ["severity", "events"]);
/// assert_eq!(table.rows[1][1], Cell::Integer(1));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryTable {
    /// The table's title.
    pub title: String,
    /// The column names.
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
}

impl SummaryTable {
    /// An empty table.
    ///
    /// ```
    /// let table = monitor_export::SummaryTable::new("Totals", ["what", "count"]);
    /// assert!(table.rows.is_empty());
    /// ```
    pub fn new(title: impl Into<String>, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        SummaryTable { title: title.into(), columns: columns.into_iter().map(Into::into).collect(), rows: Vec::new() }
    }

    /// Adds a row.
    ///
    /// ```
    /// use monitor_export::SummaryTable;
    ///
    /// let table = SummaryTable::new("Totals", ["what", "count"]).row(["rows".into(), 5_i64.into()]);
    /// assert_eq!(table.rows.len(), 1);
    /// ```
    pub fn row(mut self, cells: impl IntoIterator<Item = Cell>) -> Self {
        self.rows.push(cells.into_iter().collect());
        self
    }
}
