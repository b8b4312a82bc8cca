//! One writer per format, behind one small trait.

mod csv;
mod json;
mod pdf;
mod xlsx;
mod xml;

use crate::output::Output;
use crate::{Cell, ExportError, Format, Report};

pub use pdf::PDF_MAX_ROWS;

/// What a writer reports when it is finished.
pub(crate) struct Finished {
    pub(crate) bytes: u64,
    pub(crate) rows_not_shown: u64,
}

impl Finished {
    fn bytes(bytes: u64) -> Self {
        Finished { bytes, rows_not_shown: 0 }
    }
}

/// A format's writer. Rows have been checked against the columns already.
pub(crate) trait RowWriter<'a> {
    /// Writes (or, for PDF, keeps) one row.
    fn write_row(&mut self, row: &[Cell]) -> Result<(), ExportError>;
    /// Completes the document and its output.
    fn finish(self: Box<Self>) -> Result<Finished, ExportError>;
}

/// The writer of `format`, its header already written.
pub(crate) fn open<'a>(
    format: Format,
    report: Report,
    columns: Vec<String>,
    output: Output<'a>,
) -> Result<Box<dyn RowWriter<'a> + Send + 'a>, ExportError> {
    Ok(match format {
        Format::Csv => Box::new(csv::CsvWriter::new(&columns, output)?),
        Format::Json => Box::new(json::JsonWriter::new(columns, output, json::Layout::Array)?),
        Format::Ndjson => Box::new(json::JsonWriter::new(columns, output, json::Layout::Lines)?),
        Format::Xml => Box::new(xml::XmlWriter::new(&report, &columns, output)?),
        Format::Xlsx => Box::new(xlsx::XlsxWriter::new(report, columns, output)?),
        Format::Pdf => Box::new(pdf::PdfWriter::new(report, columns, output)),
    })
}
