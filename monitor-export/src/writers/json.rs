//! JSON (one array, written element by element: the document is never
//! held whole) and NDJSON (one object per line). Each row is an object
//! whose keys are the columns, in order.

use std::io::Write;

use crate::cell::write_iso8601;
use crate::output::Output;
use crate::writers::{Finished, RowWriter};
use crate::{Cell, ExportError};

/// How rows are put together.
pub(crate) enum Layout {
    /// `[` rows separated by commas `]`, one row per line.
    Array,
    /// One row per line, nothing around them.
    Lines,
}

pub(crate) struct JsonWriter<'a> {
    output: Output<'a>,
    layout: Layout,
    /// Each column's key, quoted and escaped once, with its colon.
    keys: Vec<Vec<u8>>,
    /// The row being built, written in one call.
    line: Vec<u8>,
    /// Reused for times.
    text: String,
    rows: u64,
}

impl<'a> JsonWriter<'a> {
    pub(crate) fn new(columns: Vec<String>, mut output: Output<'a>, layout: Layout) -> Result<Self, ExportError> {
        let keys = columns
            .iter()
            .map(|name| {
                let mut key = Vec::new();
                push_string(&mut key, name);
                key.push(b':');
                key
            })
            .collect();
        if let Layout::Array = layout {
            output.write_all(b"[").map_err(|source| output.error(source))?;
        }
        Ok(JsonWriter { output, layout, keys, line: Vec::new(), text: String::new(), rows: 0 })
    }
}

/// Appends `text` as a JSON string. Serializing a string into a `Vec`
/// cannot fail.
fn push_string(out: &mut Vec<u8>, text: &str) {
    let _ = serde_json::to_writer(&mut *out, text);
}

impl<'a> RowWriter<'a> for JsonWriter<'a> {
    fn write_row(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        self.line.clear();
        if let Layout::Array = self.layout {
            self.line.extend_from_slice(if self.rows == 0 { b"\n" } else { b",\n" });
        }
        self.line.push(b'{');
        for (index, (key, cell)) in self.keys.iter().zip(row).enumerate() {
            if index > 0 {
                self.line.push(b',');
            }
            self.line.extend_from_slice(key);
            match cell {
                Cell::Null => self.line.extend_from_slice(b"null"),
                Cell::Text(text) => push_string(&mut self.line, text),
                Cell::Integer(value) => {
                    let _ = write!(self.line, "{value}");
                }
                // serde_json writes the shortest form that reads back the same.
                Cell::Float(value) if value.is_finite() => {
                    let _ = serde_json::to_writer(&mut self.line, value);
                }
                Cell::Float(_) => self.line.extend_from_slice(b"null"),
                Cell::Bool(value) => self.line.extend_from_slice(if *value { b"true" } else { b"false" }),
                Cell::Timestamp(time) => {
                    self.text.clear();
                    write_iso8601(*time, &mut self.text);
                    push_string(&mut self.line, &self.text);
                }
            }
        }
        self.line.push(b'}');
        if let Layout::Lines = self.layout {
            self.line.push(b'\n');
        }
        self.output.write_all(&self.line).map_err(|source| self.output.error(source))?;
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Finished, ExportError> {
        if let Layout::Array = self.layout {
            let end: &[u8] = if self.rows == 0 { b"]\n" } else { b"\n]\n" };
            self.output.write_all(end).map_err(|source| self.output.error(source))?;
        }
        Ok(Finished::bytes(self.output.finish()?))
    }
}
