//! What keeps exported text harmless and well-formed: spreadsheet formula
//! neutralisation (CSV, xlsx) and XML 1.0's forbidden characters (XML, xlsx).

use std::borrow::Cow;

/// The characters a spreadsheet reads as the start of a formula (or, tab
/// and carriage return, as a way to smuggle one past a check of the first
/// character).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `text` with a leading `'` when a spreadsheet would read it as a formula.
///
/// Applied to text cells only: numbers stay numbers. Excel, LibreOffice
/// and Google Sheets show such a cell as text; the `'` stays visible in the
/// cell and in the file, so a reader can tell the value was changed.
///
/// ```
/// use monitor_export::neutralise_formula;
///
/// assert_eq!(neutralise_formula("=SUM(A1)"), "'=SUM(A1)");
/// assert_eq!(neutralise_formula("-2"), "'-2");
/// assert_eq!(neutralise_formula("Müller"), "Müller");
/// ```
pub fn neutralise_formula(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) }
}

/// Whether XML 1.0 allows `c` in a document: tab, line feed, carriage
/// return, and everything from U+0020 except U+FFFE and U+FFFF (a Rust
/// string never holds a lone surrogate).
fn allowed_in_xml(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// `text` with every character XML 1.0 forbids (U+0000–U+0008, U+000B,
/// U+000C, U+000E–U+001F, U+FFFE, U+FFFF) replaced by U+FFFD, the
/// replacement character `�`: such a character cannot be written even
/// escaped, and a document holding one is rejected by every XML reader.
///
/// ```
/// use monitor_export::replace_xml_forbidden;
///
/// assert_eq!(replace_xml_forbidden("bell\u{7}"), "bell\u{FFFD}");
/// assert_eq!(replace_xml_forbidden("tab\tok"), "tab\tok");
/// ```
pub fn replace_xml_forbidden(text: &str) -> Cow<'_, str> {
    if text.chars().all(allowed_in_xml) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().map(|c| if allowed_in_xml(c) { c } else { '\u{FFFD}' }).collect())
    }
}
