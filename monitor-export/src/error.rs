//! The one error of an export: what went wrong, where, and how to fix it.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why an export could not be made.
///
/// Every message says what is wrong and, where there is one, how to fix it;
/// an I/O failure names the file.
///
/// ```
/// use monitor_export::{ExportError, Format};
///
/// let error = "docx".parse::<Format>().unwrap_err();
/// assert!(matches!(error, ExportError::UnknownFormat { .. }));
/// assert!(error.to_string().contains("csv, json, ndjson, xml, xlsx, pdf"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ExportError {
    /// A format name that is not one of [`Format::ALL`](crate::Format::ALL).
    UnknownFormat {
        /// The name given.
        given: String,
    },
    /// A kind of record that is not `audit`, `groups` or `events`.
    UnknownKind {
        /// The name given.
        given: String,
    },
    /// A field name that the kind of record does not have.
    UnknownField {
        /// The kind of record (`audit`, `groups`, `events`).
        kind: &'static str,
        /// The name given.
        given: String,
        /// The fields the kind has.
        valid: &'static [&'static str],
    },
    /// The columns are unusable: none, an empty name, or a name twice.
    Columns {
        /// What is wrong with them.
        problem: String,
    },
    /// A row whose number of cells differs from the number of columns.
    RowLength {
        /// The row's number, from 1.
        row: u64,
        /// How many cells it had.
        cells: usize,
        /// How many columns the export has.
        columns: usize,
    },
    /// Reading or writing a file (or the caller's writer) failed.
    Io {
        /// What was being done, such as `writing`.
        action: &'static str,
        /// The file, when the export goes to one.
        path: Option<PathBuf>,
        /// The operating system's error.
        source: io::Error,
    },
    /// The spreadsheet library refused something.
    Xlsx {
        /// Its message.
        message: String,
    },
    /// The store the records are read from failed.
    Store {
        /// The store's message: what failed and how to fix it.
        message: String,
    },
}

impl ExportError {
    /// An I/O error while `action`, on `path` when there is one.
    pub(crate) fn io(action: &'static str, path: Option<PathBuf>, source: io::Error) -> Self {
        ExportError::Io { action, path, source }
    }
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::UnknownFormat { given } => write!(
                f,
                "unknown export format `{given}`: use one of {}",
                crate::Format::ALL.map(|format| format.extension()).join(", ")
            ),
            ExportError::UnknownKind { given } => {
                write!(f, "unknown kind of record `{given}`: use one of audit, groups, events")
            }
            ExportError::UnknownField { kind, given, valid } => {
                write!(f, "unknown {kind} field `{given}`: the {kind} fields are {}", valid.join(", "))
            }
            ExportError::Columns { problem } => write!(f, "unusable export columns: {problem}"),
            ExportError::RowLength { row, cells, columns } => write!(
                f,
                "row {row} has {cells} cells but the export has {columns} columns: give one cell per column (Cell::Null for none)"
            ),
            ExportError::Io { action, path: Some(path), source } => write!(
                f,
                "{action} {}: {source} (check that its folder exists, is writable and has space)",
                path.display()
            ),
            ExportError::Io { action, path: None, source } => write!(f, "{action} the export: {source}"),
            ExportError::Xlsx { message } => write!(f, "writing the xlsx workbook: {message}"),
            ExportError::Store { message } => write!(f, "reading the records to export: {message}"),
        }
    }
}

impl std::error::Error for ExportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExportError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<rust_xlsxwriter::XlsxError> for ExportError {
    fn from(error: rust_xlsxwriter::XlsxError) -> Self {
        match error {
            rust_xlsxwriter::XlsxError::IoError(source) => {
                ExportError::io("writing the xlsx workbook to", None, source)
            }
            other => ExportError::Xlsx { message: other.to_string() },
        }
    }
}
