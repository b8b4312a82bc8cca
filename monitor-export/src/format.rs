//! The file formats an export writes.

use std::fmt;
use std::str::FromStr;

use crate::ExportError;

/// A file format.
///
/// ```
/// use monitor_export::Format;
///
/// let format: Format = "xlsx".parse().unwrap();
/// assert_eq!(format, Format::Xlsx);
/// assert_eq!(format.to_string(), "xlsx");
/// assert_eq!(Format::Ndjson.extension(), "ndjson");
/// assert!("docx".parse::<Format>().unwrap_err().to_string().contains("csv, json, ndjson, xml, xlsx, pdf"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma-separated values (RFC 4180), UTF-8 without a byte order mark,
    /// a header row first.
    Csv,
    /// One JSON array of objects, written element by element.
    Json,
    /// Newline-delimited JSON: one object per line.
    Ndjson,
    /// XML 1.0: a root element, one element per record, one child per field.
    Xml,
    /// An Excel workbook, written in constant memory.
    Xlsx,
    /// A PDF report: title, filters, summaries, then the records (capped at
    /// [`PDF_MAX_ROWS`](crate::PDF_MAX_ROWS)). Text is set in an embedded
    /// subset of DejaVu Sans Mono (Latin, Greek, Cyrillic and many
    /// symbols); a character it has no glyph for (CJK, Hebrew, Thai, emoji)
    /// is drawn as `�` and still extracts as itself. Control characters
    /// become `�`, line breaks and tabs spaces.
    Pdf,
}

impl Format {
    /// Every format, in the order error messages list them.
    ///
    /// ```
    /// assert_eq!(monitor_export::Format::ALL.len(), 6);
    /// ```
    pub const ALL: [Format; 6] = [Format::Csv, Format::Json, Format::Ndjson, Format::Xml, Format::Xlsx, Format::Pdf];

    /// The usual file extension (without the dot), which is also its name.
    ///
    /// ```
    /// assert_eq!(monitor_export::Format::Pdf.extension(), "pdf");
    /// ```
    pub const fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Xml => "xml",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
        }
    }

    /// The media type, for an HTTP `Content-Type`.
    ///
    /// ```
    /// assert_eq!(monitor_export::Format::Csv.media_type(), "text/csv; charset=utf-8");
    /// ```
    pub const fn media_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
            Format::Ndjson => "application/x-ndjson",
            Format::Xml => "application/xml",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pdf => "application/pdf",
        }
    }

    /// Whether every row is written as it comes: all but PDF, whose
    /// record table is laid out at the end and capped.
    ///
    /// ```
    /// use monitor_export::Format;
    ///
    /// assert!(Format::Xlsx.is_streaming());
    /// assert!(!Format::Pdf.is_streaming());
    /// ```
    pub const fn is_streaming(self) -> bool {
        !matches!(self, Format::Pdf)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

impl FromStr for Format {
    type Err = ExportError;

    /// Parses a name as [`Format::extension`] writes it, in any case.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|format| format.extension().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| ExportError::UnknownFormat { given: name.to_owned() })
    }
}
