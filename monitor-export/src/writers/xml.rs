//! XML 1.0, UTF-8:
//!
//! ```text
//! <?xml version="1.0" encoding="UTF-8"?>
//! <export title="…" generated_at="2024-05-01T12:00:00.000Z">
//!   <filter name="process" value="payment_processing"/>
//!   <record>
//!     <seq>1</seq>
//!     <actor null="true"/>
//!   </record>
//! </export>
//! ```
//!
//! Element names are the column names made into XML names (see
//! [`element_name`]). Text is escaped by hand rather than by the writer, so
//! that a carriage return survives (`&#xD;`; a reader turns a literal one
//! into a line feed) and characters XML forbids are replaced (see
//! [`replace_xml_forbidden`](crate::replace_xml_forbidden)).

use std::borrow::Cow;

use quick_xml::Writer;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::QName;

use crate::cell::write_iso8601;
use crate::output::Output;
use crate::writers::{Finished, RowWriter};
use crate::{Cell, ExportError, Report, replace_xml_forbidden};

pub(crate) struct XmlWriter<'a> {
    xml: Writer<Output<'a>>,
    names: Vec<String>,
    text: String,
}

/// `name` as an XML element name: characters other than ASCII letters,
/// digits, `_`, `-` and `.` become `_`, and a name that does not start with
/// a letter or `_` (or that starts with `xml`, reserved) gets a leading `_`.
/// The store's field names are unchanged.
pub(crate) fn element_name(name: &str) -> String {
    let mut element: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') { c } else { '_' }).collect();
    let starts_well = element.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    if !starts_well || element.to_ascii_lowercase().starts_with("xml") {
        element.insert(0, '_');
    }
    element
}

/// Escapes `text` for element content (`attribute` false) or a quoted
/// attribute value (`attribute` true, where tab and line feed must be
/// escaped too, or a reader turns them into spaces).
fn escape(text: &str, attribute: bool) -> String {
    let clean = replace_xml_forbidden(text);
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\n' if attribute => out.push_str("&#xA;"),
            '\t' if attribute => out.push_str("&#x9;"),
            other => out.push(other),
        }
    }
    out
}

fn attribute<'v>(key: &'v str, value: &str) -> Attribute<'v> {
    Attribute { key: QName(key), value: Cow::Owned(escape(value, true)) }
}

impl<'a> XmlWriter<'a> {
    pub(crate) fn new(report: &Report, columns: &[String], output: Output<'a>) -> Result<Self, ExportError> {
        let mut writer = XmlWriter {
            xml: Writer::new_with_indent(output, b' ', 2),
            names: columns.iter().map(|c| element_name(c)).collect(),
            text: String::new(),
        };
        let mut generated = String::new();
        write_iso8601(report.generated_at, &mut generated);
        let mut root = BytesStart::new("export");
        root.push_attribute(attribute("title", &report.title));
        root.push_attribute(attribute("generated_at", &generated));
        writer.event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        writer.event(Event::Start(root))?;
        for (name, value) in &report.filters {
            let mut filter = BytesStart::new("filter");
            filter.push_attribute(attribute("name", name));
            filter.push_attribute(attribute("value", value));
            writer.event(Event::Empty(filter))?;
        }
        Ok(writer)
    }

    fn event(&mut self, event: Event<'_>) -> Result<(), ExportError> {
        self.xml.write_event(event).map_err(|source| self.xml.get_ref().error(source))
    }
}

impl<'a> RowWriter<'a> for XmlWriter<'a> {
    fn write_row(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        self.event(Event::Start(BytesStart::new("record")))?;
        let XmlWriter { xml, names, text } = self;
        for (name, cell) in names.iter().zip(row) {
            let name = name.as_str();
            let result = match cell {
                Cell::Null => {
                    let mut empty = BytesStart::new(name);
                    empty.push_attribute(Attribute { key: QName("null"), value: Cow::Borrowed("true") });
                    xml.write_event(Event::Empty(empty))
                }
                cell => {
                    text.clear();
                    cell.write_text(text);
                    let escaped = escape(text, false);
                    xml.write_event(Event::Start(BytesStart::new(name)))
                        .and_then(|()| xml.write_event(Event::Text(BytesText::from_escaped(escaped))))
                        .and_then(|()| xml.write_event(Event::End(BytesEnd::new(name))))
                }
            };
            result.map_err(|source| xml.get_ref().error(source))?;
        }
        self.event(Event::End(BytesEnd::new("record")))
    }

    fn finish(mut self: Box<Self>) -> Result<Finished, ExportError> {
        self.event(Event::End(BytesEnd::new("export")))?;
        let mut output = self.xml.into_inner();
        std::io::Write::write_all(&mut output, b"\n").map_err(|source| output.error(source))?;
        Ok(Finished::bytes(output.finish()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_xml_names() {
        assert_eq!(element_name("first_seen"), "first_seen");
        assert_eq!(element_name("2fa code"), "_2fa_code");
        assert_eq!(element_name("xmlish"), "_xmlish");
        assert_eq!(element_name("Straße"), "Stra_e");
    }

    #[test]
    fn text_is_escaped_and_cleaned() {
        assert_eq!(escape("<tag>&\"'", false), "&lt;tag&gt;&amp;&quot;&apos;");
        assert_eq!(escape("a\r\nb\u{1}", false), "a&#xD;\nb\u{FFFD}");
        assert_eq!(escape("a\tb\nc", true), "a&#x9;b&#xA;c");
    }
}
