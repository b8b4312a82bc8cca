//! The entry point: an export is opened on a file or a writer, fed rows,
//! and finished.

use std::io::Write;
use std::path::Path;

use crate::output::Output;
use crate::writers::{self, RowWriter};
use crate::{Cell, ExportError, Format, Report};

/// What to export: the format, the report around the records, and the
/// columns. Open it on a file ([`Export::to_path`]) or a writer
/// ([`Export::to_writer`]), then write rows.
///
/// ```
/// use monitor_export::{Cell, Export, Format, Report};
///
/// let mut csv = Vec::new();
/// let mut out = Export::new(Format::Csv, Report::new("Payments"), ["id", "payee", "amount"])?.to_writer(&mut csv)?;
/// out.write_row(&[Cell::Integer(1), "Müller GmbH".into(), Cell::Float(12.5)])?;
/// out.write_row(&[Cell::Integer(2), "=HYPERLINK(\"x\")".into(), Cell::Null])?;
/// let summary = out.finish()?;
/// assert_eq!(summary.rows, 2);
/// assert_eq!(
///     String::from_utf8(csv).unwrap(),
///     "id,payee,amount\n1,Müller GmbH,12.5\n2,\"'=HYPERLINK(\"\"x\"\")\",\n"
/// );
/// # Ok::<(), monitor_export::ExportError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Export {
    format: Format,
    report: Report,
    columns: Vec<String>,
}

impl Export {
    /// An export of rows with these columns, checked: at least one column,
    /// none with an empty name, no name twice.
    ///
    /// ```
    /// use monitor_export::{Export, Format, Report};
    ///
    /// assert!(Export::new(Format::Json, Report::new("t"), ["a", "b"]).is_ok());
    /// let error = Export::new(Format::Json, Report::new("t"), ["a", "a"]).unwrap_err();
    /// assert!(error.to_string().contains("`a` twice"));
    /// ```
    pub fn new(
        format: Format,
        report: Report,
        columns: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Export, ExportError> {
        let columns: Vec<String> = columns.into_iter().map(Into::into).collect();
        if columns.is_empty() {
            return Err(ExportError::Columns { problem: "there are none: give at least one".into() });
        }
        for (index, name) in columns.iter().enumerate() {
            if name.trim().is_empty() {
                return Err(ExportError::Columns { problem: format!("column {} has no name", index + 1) });
            }
            if columns[..index].contains(name) {
                return Err(ExportError::Columns { problem: format!("`{name}` twice: give each column its own name") });
            }
        }
        Ok(Export { format, report, columns })
    }

    /// The format.
    ///
    /// ```
    /// use monitor_export::{Export, Format, Report};
    ///
    /// assert_eq!(Export::new(Format::Xml, Report::new("t"), ["a"]).unwrap().format(), Format::Xml);
    /// ```
    pub fn format(&self) -> Format {
        self.format
    }

    /// The column names.
    ///
    /// ```
    /// use monitor_export::{Export, Format, Report};
    ///
    /// assert_eq!(Export::new(Format::Xml, Report::new("t"), ["a"]).unwrap().columns(), ["a"]);
    /// ```
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Opens the export on the file at `path`, for every format.
    ///
    /// The file is written under a hidden temporary name in the same
    /// folder and renamed to `path` by [`ExportWriter::finish`]: an export
    /// that fails or is dropped unfinished leaves no file behind (and an
    /// older file at `path` as it was). A path that cannot be written fails
    /// here, naming it, before any row is read.
    ///
    /// ```
    /// use monitor_export::{Export, Format, Report};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("groups.xlsx");
    /// let mut out = Export::new(Format::Xlsx, Report::new("Groups"), ["key", "count"])?.to_path(&path)?;
    /// out.write_row(&["000000000000002a".into(), 3_i64.into()])?;
    /// let summary = out.finish()?;
    /// assert_eq!(summary.bytes, std::fs::metadata(&path).unwrap().len());
    ///
    /// let error = Export::new(Format::Csv, Report::new("x"), ["a"])?.to_path(dir.path().join("no/such/folder.csv")).unwrap_err();
    /// assert!(error.to_string().contains("no/such/folder.csv"));
    /// # Ok::<(), monitor_export::ExportError>(())
    /// ```
    pub fn to_path(self, path: impl AsRef<Path>) -> Result<ExportWriter<'static>, ExportError> {
        let output = Output::file(path.as_ref())?;
        self.open(output)
    }

    /// Opens the export on a writer (a socket, a response body, a `Vec`),
    /// for every format.
    ///
    /// CSV, JSON, NDJSON and XML reach the writer as rows come. An xlsx
    /// workbook is a zip archive whose parts are only known at the end: its
    /// rows wait in temporary files (so memory stays flat) and the archive
    /// is written to the writer by [`ExportWriter::finish`]. A PDF is laid
    /// out and written by `finish` too.
    ///
    /// ```
    /// use monitor_export::{Export, Format, Report};
    ///
    /// let mut ndjson = Vec::new();
    /// let mut out = Export::new(Format::Ndjson, Report::new("t"), ["city"])?.to_writer(&mut ndjson)?;
    /// out.write_row(&["Zürich".into()])?;
    /// out.finish()?;
    /// assert_eq!(ndjson, "{\"city\":\"Zürich\"}\n".as_bytes());
    /// # Ok::<(), monitor_export::ExportError>(())
    /// ```
    pub fn to_writer<'a>(self, writer: impl Write + Send + 'a) -> Result<ExportWriter<'a>, ExportError> {
        self.open(Output::writer(writer))
    }

    fn open(self, output: Output<'_>) -> Result<ExportWriter<'_>, ExportError> {
        let columns = self.columns.len();
        let writer = writers::open(self.format, self.report, self.columns, output)?;
        Ok(ExportWriter { writer, columns, rows: 0 })
    }
}

/// An export being written: [`ExportWriter::write_row`] for each row, then
/// [`ExportWriter::finish`].
///
/// ```
/// use monitor_export::{Cell, Export, Format, Report};
///
/// let mut json = Vec::new();
/// let mut out = Export::new(Format::Json, Report::new("t"), ["n", "ok"])?.to_writer(&mut json)?;
/// for n in 0..3 {
///     out.write_row(&[Cell::Integer(n), Cell::Bool(n % 2 == 0)])?;
/// }
/// assert_eq!(out.rows(), 3);
/// out.finish()?;
/// let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
/// assert_eq!(value[2]["ok"], true);
/// # Ok::<(), monitor_export::ExportError>(())
/// ```
pub struct ExportWriter<'a> {
    writer: Box<dyn RowWriter<'a> + Send + 'a>,
    columns: usize,
    rows: u64,
}

impl std::fmt::Debug for ExportWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportWriter").field("columns", &self.columns).field("rows", &self.rows).finish_non_exhaustive()
    }
}

impl ExportWriter<'_> {
    /// Writes one row: one cell per column, in the columns' order.
    ///
    /// ```
    /// use monitor_export::{Cell, Export, Format, Report};
    ///
    /// let mut out = Export::new(Format::Csv, Report::new("t"), ["a", "b"])?.to_writer(Vec::new())?;
    /// out.write_row(&[Cell::Null, Cell::Integer(1)])?;
    /// let error = out.write_row(&[Cell::Null]).unwrap_err();
    /// assert!(error.to_string().contains("row 2 has 1 cells but the export has 2 columns"));
    /// # Ok::<(), monitor_export::ExportError>(())
    /// ```
    pub fn write_row(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        if row.len() != self.columns {
            return Err(ExportError::RowLength { row: self.rows + 1, cells: row.len(), columns: self.columns });
        }
        self.writer.write_row(row)?;
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far.
    ///
    /// ```
    /// use monitor_export::{Export, Format, Report};
    ///
    /// let out = Export::new(Format::Csv, Report::new("t"), ["a"])?.to_writer(Vec::new())?;
    /// assert_eq!(out.rows(), 0);
    /// # Ok::<(), monitor_export::ExportError>(())
    /// ```
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Ends the export: closes the document, writes what waits (xlsx, PDF),
    /// flushes, and renames a file into place.
    ///
    /// ```
    /// use monitor_export::{Export, Format, Report};
    ///
    /// let mut pdf = Vec::new();
    /// let out = Export::new(Format::Pdf, Report::new("Nothing yet"), ["a"])?.to_writer(&mut pdf)?;
    /// let summary = out.finish()?;
    /// assert_eq!(summary.rows, 0);
    /// assert_eq!(summary.bytes, pdf.len() as u64);
    /// assert!(pdf.starts_with(b"%PDF-"));
    /// # Ok::<(), monitor_export::ExportError>(())
    /// ```
    pub fn finish(self) -> Result<ExportSummary, ExportError> {
        let finished = self.writer.finish()?;
        Ok(ExportSummary { rows: self.rows, bytes: finished.bytes, rows_not_shown: finished.rows_not_shown })
    }
}

/// What a finished export wrote.
///
/// ```
/// use monitor_export::{Export, Format, Report};
///
/// let mut out = Export::new(Format::Ndjson, Report::new("t"), ["a"])?.to_writer(Vec::new())?;
/// out.write_row(&["x".into()])?;
/// let summary = out.finish()?;
/// assert_eq!((summary.rows, summary.bytes, summary.rows_not_shown), (1, 10, 0));
/// # Ok::<(), monitor_export::ExportError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportSummary {
    /// Rows given to [`ExportWriter::write_row`].
    pub rows: u64,
    /// Bytes written to the file or writer.
    pub bytes: u64,
    /// Rows counted but left out of a PDF's record table (past
    /// [`PDF_MAX_ROWS`](crate::PDF_MAX_ROWS)); 0 for every other format.
    pub rows_not_shown: u64,
}
