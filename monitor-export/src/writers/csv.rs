//! CSV (RFC 4180): a header row, then one record per row; fields quoted
//! only when they need it. Text that a spreadsheet would run as a formula
//! is neutralised (see [`neutralise_formula`]).

use crate::output::Output;
use crate::writers::{Finished, RowWriter};
use crate::{Cell, ExportError, neutralise_formula};

pub(crate) struct CsvWriter<'a> {
    csv: ::csv::Writer<Output<'a>>,
    /// Reused for every non-text cell.
    text: String,
}

impl<'a> CsvWriter<'a> {
    pub(crate) fn new(columns: &[String], output: Output<'a>) -> Result<Self, ExportError> {
        // Output buffers already; csv's own buffer only needs to hold a record.
        let csv = ::csv::WriterBuilder::new().buffer_capacity(8 * 1024).from_writer(output);
        let mut writer = CsvWriter { csv, text: String::new() };
        for name in columns {
            writer.csv.write_field(neutralise_formula(name).as_bytes()).map_err(|e| writer.error(e))?;
        }
        writer.csv.write_record(None::<&[u8]>).map_err(|e| writer.error(e))?;
        Ok(writer)
    }

    fn error(&self, error: ::csv::Error) -> ExportError {
        let output = self.csv.get_ref();
        match error.into_kind() {
            ::csv::ErrorKind::Io(source) => output.error(source),
            other => output.error(std::io::Error::other(format!("{other:?}"))),
        }
    }
}

impl<'a> RowWriter<'a> for CsvWriter<'a> {
    fn write_row(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        for cell in row {
            let written = match cell {
                Cell::Text(text) => self.csv.write_field(neutralise_formula(text).as_bytes()),
                other => {
                    self.text.clear();
                    other.write_text(&mut self.text);
                    self.csv.write_field(self.text.as_bytes())
                }
            };
            written.map_err(|e| self.error(e))?;
        }
        self.csv.write_record(None::<&[u8]>).map_err(|e| self.error(e))
    }

    fn finish(mut self: Box<Self>) -> Result<Finished, ExportError> {
        self.csv.flush().map_err(|source| self.csv.get_ref().error(source))?;
        let output = self.csv.into_inner().map_err(|error| {
            let source = std::io::Error::new(error.error().kind(), error.error().to_string());
            error.into_inner().get_ref().error(source)
        })?;
        Ok(Finished::bytes(output.finish()?))
    }
}
