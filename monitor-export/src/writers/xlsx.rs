//! Excel xlsx through `rust_xlsxwriter` in constant-memory mode: each row
//! goes to a temporary file as it is written, so a million rows take no
//! more memory than ten. The sheet `Records` holds a bold header row
//! (frozen, with a filter) and the rows; past Excel's 1,048,576 rows a
//! sheet, they go on in `Records 2`, `Records 3`, …, each with its header.
//! A last sheet, `Report`, holds the title, filters and summaries.
//!
//! Cells: text (neutralised, see [`neutralise_formula`]; the control
//! characters XML forbids replaced by U+FFFD, see [`replace_xml_forbidden`];
//! cut to Excel's 32,767 characters), numbers, booleans; times are real Excel
//! dates in UTC shown as `yyyy-mm-dd hh:mm:ss.000`; whole numbers beyond
//! ±2^53, which a spreadsheet's floating-point cells cannot hold exactly,
//! are written as text. A carriage return is stored as Excel itself
//! stores it, as the escape `_x000D_` of the Office Open XML standard,
//! which Excel and LibreOffice read back as a carriage return (some
//! libraries, such as Python's openpyxl, leave the escape as it is).

use rust_xlsxwriter::{Format as Style, Workbook, Worksheet};

use crate::cell::{unix_millis, write_iso8601};
use crate::output::Output;
use crate::writers::{Finished, RowWriter};
use crate::{Cell, ExportError, Report, neutralise_formula, replace_xml_forbidden};

/// Rows in an Excel sheet, the header included.
const SHEET_ROWS: u32 = 1_048_576;
/// Characters in an Excel cell.
const CELL_CHARS: usize = 32_767;
/// The largest whole number a spreadsheet number holds exactly.
const EXACT_INTEGER: i64 = 1 << 53;
/// Days from Excel's day 0 (1899-12-30, counting its fictitious 1900-02-29)
/// to 1970-01-01.
const EXCEL_UNIX_EPOCH: f64 = 25_569.0;
/// Excel serial dates are right from 1900-03-01 (serial 61) on.
const EXCEL_FIRST_RIGHT_DAY: f64 = 61.0;
const COLUMN_WIDTH: f64 = 18.0;

pub(crate) struct XlsxWriter<'a> {
    workbook: Workbook,
    report: Report,
    columns: Vec<String>,
    output: Output<'a>,
    bold: Style,
    date: Style,
    /// Index of the sheet being filled, its number (1, 2, …) and next row.
    sheet: usize,
    sheets: u32,
    row: u32,
    rows_per_sheet: u32,
    text: String,
}

impl<'a> XlsxWriter<'a> {
    pub(crate) fn new(report: Report, columns: Vec<String>, output: Output<'a>) -> Result<Self, ExportError> {
        Self::with_rows_per_sheet(report, columns, output, SHEET_ROWS)
    }

    fn with_rows_per_sheet(
        report: Report,
        columns: Vec<String>,
        output: Output<'a>,
        rows_per_sheet: u32,
    ) -> Result<Self, ExportError> {
        let mut writer = XlsxWriter {
            workbook: Workbook::new(),
            report,
            columns,
            output,
            bold: Style::new().set_bold(),
            date: Style::new().set_num_format("yyyy-mm-dd hh:mm:ss.000"),
            sheet: 0,
            sheets: 0,
            row: 0,
            rows_per_sheet,
            text: String::new(),
        };
        writer.new_sheet()?;
        Ok(writer)
    }

    /// Starts the next `Records` sheet with its header.
    fn new_sheet(&mut self) -> Result<(), ExportError> {
        self.sheets += 1;
        let name = if self.sheets == 1 { "Records".to_owned() } else { format!("Records {}", self.sheets) };
        // Constant memory keeps each sheet's rows in a temporary file.
        let sheet = self.workbook.add_worksheet_with_constant_memory().map_err(|error| match error {
            rust_xlsxwriter::XlsxError::IoError(source) => {
                ExportError::io("creating a temporary file for the xlsx rows in", Some(std::env::temp_dir()), source)
            }
            other => other.into(),
        })?;
        sheet.set_name(name)?;
        for (col, name) in self.columns.iter().enumerate() {
            let col = column(col)?;
            sheet.set_column_width(col, COLUMN_WIDTH)?;
            sheet.write_string_with_format(0, col, neutralise_formula(name), &self.bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        self.sheet = self.workbook.worksheets().len() - 1;
        self.row = 1;
        Ok(())
    }
}

fn column(index: usize) -> Result<u16, ExportError> {
    u16::try_from(index).ok().filter(|col| *col < 16_384).ok_or_else(|| ExportError::Xlsx {
        message: "more than 16,384 columns, Excel's limit: choose fewer fields".into(),
    })
}

/// Writes one cell; `text` is a reusable buffer.
fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    date: &Style,
    text: &mut String,
) -> Result<(), ExportError> {
    match cell {
        Cell::Null => {}
        Cell::Text(value) => {
            let value = neutralise_formula(value);
            let value = replace_xml_forbidden(&value);
            let value = match value.char_indices().nth(CELL_CHARS) {
                Some((cut, _)) => &value[..cut],
                None => &value,
            };
            sheet.write_string(row, col, value)?;
        }
        Cell::Integer(value) if value.unsigned_abs() <= EXACT_INTEGER as u64 => {
            sheet.write_number(row, col, *value as f64)?;
        }
        Cell::Integer(value) => {
            sheet.write_string(row, col, value.to_string())?;
        }
        Cell::Float(value) if value.is_finite() => {
            sheet.write_number(row, col, *value)?;
        }
        Cell::Float(_) => {}
        Cell::Bool(value) => {
            sheet.write_boolean(row, col, *value)?;
        }
        Cell::Timestamp(time) => {
            let serial = unix_millis(*time) as f64 / 86_400_000.0 + EXCEL_UNIX_EPOCH;
            if serial >= EXCEL_FIRST_RIGHT_DAY {
                sheet.write_number_with_format(row, col, serial, date)?;
            } else {
                text.clear();
                write_iso8601(*time, text);
                sheet.write_string(row, col, text.as_str())?;
            }
        }
    }
    Ok(())
}

impl<'a> RowWriter<'a> for XlsxWriter<'a> {
    fn write_row(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        if self.row >= self.rows_per_sheet {
            self.finish_sheet()?;
            self.new_sheet()?;
        }
        let sheet = self.workbook.worksheet_from_index(self.sheet)?;
        for (col, cell) in row.iter().enumerate() {
            write_cell(sheet, self.row, column(col)?, cell, &self.date, &mut self.text)?;
        }
        self.row += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Finished, ExportError> {
        self.finish_sheet()?;
        self.write_report()?;
        let XlsxWriter { mut workbook, mut output, .. } = *self;
        if let Err(error) = workbook.save_to_writer(&mut output) {
            return Err(match error {
                rust_xlsxwriter::XlsxError::IoError(source) => output.error(source),
                other => other.into(),
            });
        }
        Ok(Finished::bytes(output.finish()?))
    }
}

impl XlsxWriter<'_> {
    /// A filter over the header and the rows of the sheet being filled.
    fn finish_sheet(&mut self) -> Result<(), ExportError> {
        let last_col = column(self.columns.len() - 1)?;
        let last_row = self.row - 1;
        self.workbook.worksheet_from_index(self.sheet)?.autofilter(0, 0, last_row, last_col)?;
        Ok(())
    }

    /// The `Report` sheet: title, time, filters, then each summary table.
    fn write_report(&mut self) -> Result<(), ExportError> {
        let (bold, date) = (self.bold.clone(), self.date.clone());
        let report = &self.report;
        let sheet = self.workbook.add_worksheet();
        sheet.set_name("Report")?;
        sheet.set_column_width(0, 28)?;
        sheet.set_column_width(1, 28)?;
        sheet.write_string_with_format(0, 0, neutralise_formula(&report.title), &bold)?;
        sheet.write_string(1, 0, "generated_at")?;
        write_cell(sheet, 1, 1, &Cell::Timestamp(report.generated_at), &date, &mut self.text)?;
        let mut row = 3;
        sheet.write_string_with_format(row, 0, "Filters", &bold)?;
        row += 1;
        if report.filters.is_empty() {
            sheet.write_string(row, 0, "none")?;
            row += 1;
        }
        for (name, value) in &report.filters {
            write_cell(sheet, row, 0, &Cell::Text(name.clone()), &date, &mut self.text)?;
            write_cell(sheet, row, 1, &Cell::Text(value.clone()), &date, &mut self.text)?;
            row += 1;
        }
        for table in &report.summaries {
            row += 1;
            sheet.write_string_with_format(row, 0, neutralise_formula(&table.title), &bold)?;
            row += 1;
            for (col, name) in table.columns.iter().enumerate() {
                sheet.write_string_with_format(row, column(col)?, neutralise_formula(name), &bold)?;
            }
            row += 1;
            for cells in &table.rows {
                for (col, cell) in cells.iter().take(table.columns.len()).enumerate() {
                    write_cell(sheet, row, column(col)?, cell, &date, &mut self.text)?;
                }
                row += 1;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_past_a_sheet_go_on_in_the_next() {
        let mut bytes = Vec::new();
        let output = Output::writer(&mut bytes);
        let mut writer =
            Box::new(XlsxWriter::with_rows_per_sheet(Report::new("t"), vec!["n".into()], output, 3).unwrap());
        for n in 0..5 {
            writer.write_row(&[Cell::Integer(n)]).unwrap();
        }
        // Two rows a sheet under the header: Records, Records 2, Records 3.
        assert_eq!(writer.sheets, 3);
        writer.finish().unwrap();
        assert!(bytes.starts_with(b"PK"));
    }
}
