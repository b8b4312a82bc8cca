//! The audit record and the builder the derived code fills in.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest text kept for one detail; longer values are cut at a character
/// boundary and end with [`TRUNCATION_MARKER`](monitor_rules::vocabulary::TRUNCATION_MARKER).
pub const MAX_DETAIL_BYTES: usize = 4 * 1024;
/// Most detail text kept for one record, all details together; details past
/// it are replaced by a marker and the record is flagged `truncated`.
pub const MAX_DETAILS_BYTES: usize = 32 * 1024;

pub use monitor_rules::vocabulary::ComplianceStatus;

/// The business object an audit record is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// Its type, such as `mandate` or `member`.
    pub kind: Cow<'static, str>,
    /// Its id.
    pub id: String,
}

/// One audit record, as sinks receive and storage keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditRecord {
    /// When it was recorded.
    pub timestamp: SystemTime,
    /// The business process, such as `sepa_mandate_creation`.
    pub process: Cow<'static, str>,
    /// The action within the process, such as `create_mandate`.
    pub action: Cow<'static, str>,
    /// Compliance status.
    pub status: ComplianceStatus,
    /// The business object.
    pub reference: Option<Reference>,
    /// Who did it (from the event, else the context's user).
    pub actor: Option<String>,
    /// Trace id (from the event, else the context's).
    pub trace_id: Option<String>,
    /// The service that recorded it.
    pub service: Option<String>,
    /// Details, already masked, by name.
    pub details: BTreeMap<Cow<'static, str>, Value>,
    /// True when details were cut to fit [`MAX_DETAILS_BYTES`] or [`MAX_DETAIL_BYTES`].
    pub truncated: bool,
    /// Details that could not be serialized, with the reason; their value in
    /// `details` is a marker.
    pub detail_errors: Vec<String>,
}

/// Fills in an [`AuditRecord`]; the derived code calls it, and hand-written
/// [`AuditEvent`](super::AuditEvent) impls can too.
///
/// ```
/// use monitor_runtime::audit::{AuditRecordBuilder, ComplianceStatus};
///
/// let mut builder = AuditRecordBuilder::new("batch_generation", "generate", ComplianceStatus::Compliant);
/// builder.reference("batch", &42);
/// builder.detail("mandates", &17u32);
/// builder.detail("path", &std::path::PathBuf::from("/exports/batch-42.xml"));
/// let record = builder.finish();
/// assert_eq!(record.details["mandates"], 17);
/// assert!(!record.truncated);
/// ```
#[derive(Debug)]
pub struct AuditRecordBuilder {
    record: AuditRecord,
    detail_bytes: usize,
}

impl AuditRecordBuilder {
    /// A record of `action` in `process`, with `status`.
    pub fn new(
        process: impl Into<Cow<'static, str>>,
        action: impl Into<Cow<'static, str>>,
        status: ComplianceStatus,
    ) -> Self {
        AuditRecordBuilder {
            record: AuditRecord {
                timestamp: SystemTime::now(),
                process: process.into(),
                action: action.into(),
                status,
                reference: None,
                actor: None,
                trace_id: None,
                service: None,
                details: BTreeMap::new(),
                truncated: false,
                detail_errors: Vec::new(),
            },
            detail_bytes: 0,
        }
    }

    /// Sets the compliance status (from a field of the event).
    pub fn status(&mut self, status: ComplianceStatus) -> &mut Self {
        self.record.status = status;
        self
    }

    /// Sets the business object.
    pub fn reference(&mut self, kind: &'static str, id: &dyn fmt::Display) -> &mut Self {
        self.record.reference = Some(Reference { kind: Cow::Borrowed(kind), id: id.to_string() });
        self
    }

    /// Sets who did it.
    pub fn actor(&mut self, actor: &dyn fmt::Display) -> &mut Self {
        self.record.actor = Some(actor.to_string());
        self
    }

    /// Sets the trace id.
    pub fn trace_id(&mut self, trace_id: &dyn fmt::Display) -> &mut Self {
        self.record.trace_id = Some(trace_id.to_string());
        self
    }

    /// Adds a detail, serialized to JSON. A value that cannot be serialized
    /// (a path that is not UTF-8, a map with non-string keys) is replaced by
    /// a marker and the reason kept in `detail_errors`: never a panic, never
    /// a lost record.
    pub fn detail<T: Serialize + ?Sized>(&mut self, name: impl Into<Cow<'static, str>>, value: &T) -> &mut Self {
        let name = name.into();
        let value = match serde_json::to_value(value) {
            Ok(value) => value,
            Err(error) => {
                self.record.detail_errors.push(format!("{name}: {error}"));
                Value::String(format!("[unserializable: {error}]"))
            }
        };
        self.insert(name, value)
    }

    /// Adds a detail that is already text (a masked value).
    pub fn detail_text(&mut self, name: impl Into<Cow<'static, str>>, text: String) -> &mut Self {
        self.insert(name.into(), Value::String(text))
    }

    fn insert(&mut self, name: Cow<'static, str>, value: Value) -> &mut Self {
        let value = self.fit(value);
        self.record.details.insert(name, value);
        self
    }

    /// Cuts long strings and stops adding once the record is full.
    fn fit(&mut self, value: Value) -> Value {
        let value = match value {
            Value::String(mut text) if text.len() > MAX_DETAIL_BYTES => {
                monitor_rules::vocabulary::truncate_bytes(&mut text, MAX_DETAIL_BYTES);
                self.record.truncated = true;
                Value::String(text)
            }
            other => other,
        };
        let size = json_len(&value);
        if self.detail_bytes + size > MAX_DETAILS_BYTES {
            self.record.truncated = true;
            let mut text = value.to_string();
            monitor_rules::vocabulary::truncate_bytes(
                &mut text,
                MAX_DETAILS_BYTES.saturating_sub(self.detail_bytes).min(MAX_DETAIL_BYTES),
            );
            self.detail_bytes = MAX_DETAILS_BYTES;
            return Value::String(text);
        }
        self.detail_bytes += size;
        value
    }

    /// The finished record.
    pub fn finish(self) -> AuditRecord {
        self.record
    }
}

/// The length of `value` written as JSON, counted without writing it
/// anywhere (this runs on the caller's thread for every detail).
fn json_len(value: &Value) -> usize {
    struct ByteCount(usize);
    impl std::io::Write for ByteCount {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = ByteCount(0);
    // Writing a `Value` cannot fail; a counter cannot either.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_details_are_cut_and_flagged() {
        let mut builder = AuditRecordBuilder::new("p", "a", ComplianceStatus::Compliant);
        builder.detail("note", &"x".repeat(100_000));
        for i in 0..20 {
            builder.detail(format!("more{i}"), &"y".repeat(3_000));
        }
        let record = builder.finish();
        assert!(record.truncated);
        let total: usize = record.details.values().map(|v| v.to_string().len()).sum();
        assert!(total <= MAX_DETAILS_BYTES + 20 * 32, "{total}");
        assert!(record.details["note"].as_str().unwrap().ends_with(monitor_rules::vocabulary::TRUNCATION_MARKER));
    }

    #[test]
    fn unserializable_details_keep_the_record() {
        use std::os::unix::ffi::OsStrExt;
        let path = std::path::PathBuf::from(std::ffi::OsStr::from_bytes(b"/exports/\xff.xml"));
        let mut builder = AuditRecordBuilder::new("p", "a", ComplianceStatus::Failed);
        builder.detail("file", &path);
        builder.detail("ok", &1);
        let record = builder.finish();
        assert_eq!(record.detail_errors.len(), 1);
        assert!(record.detail_errors[0].starts_with("file: "), "{:?}", record.detail_errors);
        assert!(record.details["file"].as_str().unwrap().starts_with("[unserializable"));
        assert_eq!(record.details["ok"], 1);
    }
}
