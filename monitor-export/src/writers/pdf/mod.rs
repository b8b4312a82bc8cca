//! The PDF report: the title, when it was made, the filters, the summary
//! tables, then the records as a table over as many pages as they need
//! (header repeated on each), at most [`PDF_MAX_ROWS`] of them; the rows
//! past that are counted and the report ends saying how many were left out.
//!
//! A report is laid out once its rows are all known (column widths follow
//! the texts), so its rows are kept until [`RowWriter::finish`]: the cap
//! bounds that memory too.
//!
//! Text is set in DejaVu Sans Mono, of which only the glyphs a report uses
//! are embedded (see [`font`]): Latin, Greek and Cyrillic letters are shown
//! as they are; a character the font lacks is drawn `�` and still found and
//! copied as itself.

mod document;
mod embed;
mod font;
mod layout;
mod printable;

use std::io::Write;

use crate::cell::write_iso8601;
use crate::output::Output;
use crate::writers::{Finished, RowWriter};
use crate::{Cell, ExportError, Report};
use layout::Pages;
use printable::printable;

/// The most records a PDF report shows; the others are counted, and the
/// report says to export CSV or xlsx for all of them. A PDF of a million
/// rows would be some 20,000 pages that nobody reads.
///
/// ```
/// assert_eq!(monitor_export::PDF_MAX_ROWS, 10_000);
/// ```
pub const PDF_MAX_ROWS: usize = 10_000;

pub(crate) struct PdfWriter<'a> {
    report: Report,
    columns: Vec<String>,
    /// The rows to show, [`printable()`] already.
    rows: Vec<Vec<String>>,
    not_shown: u64,
    output: Output<'a>,
    text: String,
}

impl<'a> PdfWriter<'a> {
    pub(crate) fn new(report: Report, columns: Vec<String>, output: Output<'a>) -> Self {
        PdfWriter { report, columns, rows: Vec::new(), not_shown: 0, output, text: String::new() }
    }

    fn lay_out(&self) -> Pages {
        let report = &self.report;
        let mut pages = Pages::new();
        pages.title(&report.title);
        let mut generated = String::new();
        write_iso8601(report.generated_at, &mut generated);
        pages.text(&format!("Generated {generated} (times in UTC)"));

        pages.heading("Filters");
        if report.filters.is_empty() {
            pages.text("none: every record");
        }
        for (name, value) in &report.filters {
            pages.text(&format!("{name}: {value}"));
        }

        for table in &report.summaries {
            pages.heading(&table.title);
            let header: Vec<String> = table.columns.iter().map(|name| printable(name)).collect();
            let rows: Vec<Vec<String>> = table
                .rows
                .iter()
                .map(|row| {
                    (0..header.len())
                        .map(|index| row.get(index).map_or_else(String::new, |cell| printable(&cell.to_text())))
                        .collect()
                })
                .collect();
            if rows.is_empty() {
                pages.text("no rows");
            } else {
                pages.table(&header, rows.iter().map(Vec::as_slice));
            }
        }

        let total = self.rows.len() as u64 + self.not_shown;
        let heading = if self.not_shown == 0 {
            format!("Records ({total})")
        } else {
            format!("Records ({total}; the first {} are shown)", self.rows.len())
        };
        pages.heading(&heading);
        if self.rows.is_empty() {
            pages.text("no records");
        } else {
            let header: Vec<String> = self.columns.iter().map(|name| printable(name)).collect();
            pages.table(&header, self.rows.iter().map(Vec::as_slice));
        }
        if self.not_shown > 0 {
            pages.space(4.0);
            pages.text(&format!("… {} more rows not shown: export CSV or xlsx for all of them", self.not_shown));
        }
        pages.footers(&report.title);
        pages
    }
}

impl<'a> RowWriter<'a> for PdfWriter<'a> {
    fn write_row(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        if self.rows.len() >= PDF_MAX_ROWS {
            self.not_shown += 1;
            return Ok(());
        }
        let cells = row
            .iter()
            .map(|cell| {
                self.text.clear();
                cell.write_text(&mut self.text);
                printable(&self.text)
            })
            .collect();
        self.rows.push(cells);
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Finished, ExportError> {
        let pages = self.lay_out();
        let bytes = document::render(&pages.pages, &self.report.title);
        self.output.write_all(&bytes).map_err(|source| self.output.error(source))?;
        let rows_not_shown = self.not_shown;
        Ok(Finished { bytes: self.output.finish()?, rows_not_shown })
    }
}

/// `data` compressed for a `FlateDecode` stream: text, fonts and maps
/// shrink to a fraction; level 6 is zlib's usual balance.
fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}
