//! What the reader tests share: tricky rows, and running the real readers
//! (Python 3's csv and json modules, lxml, openpyxl; pdftotext). A reader
//! that is missing fails the test and names the Debian package to install.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use monitor_export::{Cell, Export, ExportSummary, Format, Report, SummaryTable};

mod readers;
#[allow(unused_imports)]
pub use readers::{pdf_text, python_with, read_with};

/// The columns of [`rows`].
pub const COLUMNS: [&str; 6] = ["id", "text", "amount", "flag", "when", "note"];

/// A time with milliseconds: 2024-05-01T12:34:56.789Z.
pub fn when() -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(1_714_566_896_789)
}

/// Text that tests every format's quoting, escaping and neutralisation.
pub const TEXTS: [&str; 14] = [
    "commas, and \"quotes\"",
    "line one\nline two",
    "=SUM(A1)",
    "+1",
    "@x",
    "-2",
    "<tag>&\"'",
    "Müller, Zürich, €",
    "Ελλάδα 日本",
    "",
    "bell\u{7}here",
    "\ttab first",
    "\rreturn first",
    "é ü ß – “quoted” …",
];

/// What a spreadsheet must hold for each of [`TEXTS`]: a leading `'` on
/// what would start a formula.
pub fn neutralised(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() }
}

/// One row per text: its number, the text, a number (a negative whole
/// number in even rows, a fraction in odd ones, none every third), a flag,
/// a time and a null.
pub fn rows() -> Vec<Vec<Cell>> {
    TEXTS
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let amount = match index % 3 {
                0 => Cell::Integer(-2),
                1 => Cell::Float(1.5),
                _ => Cell::Null,
            };
            vec![
                Cell::Integer(index as i64 + 1),
                Cell::Text((*text).to_owned()),
                amount,
                Cell::Bool(index % 2 == 0),
                Cell::Timestamp(when()),
                Cell::Null,
            ]
        })
        .collect()
}

pub fn report() -> Report {
    Report::new("Tricky export: Zürich <&>")
        .filter("process", "payment_processing")
        .filter("actor", "Müller \"quoted\"")
        .summary(SummaryTable::new("Per status", ["status", "rows"]).row(["failed".into(), Cell::Integer(3)]))
}

/// Writes [`rows`] in `format` to a file in `dir` and returns its path.
pub fn export(format: Format, dir: &Path) -> (PathBuf, ExportSummary) {
    let path = dir.join(format!("tricky.{}", format.extension()));
    let mut out = Export::new(format, report(), COLUMNS).unwrap().to_path(&path).unwrap();
    for row in rows() {
        out.write_row(&row).unwrap();
    }
    let summary = out.finish().unwrap();
    assert_eq!(summary.bytes, std::fs::metadata(&path).unwrap().len());
    (path, summary)
}
