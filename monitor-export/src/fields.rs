//! Which fields of a kind of record an export has, in which order.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use crate::{Cell, ExportError};

/// A record that can be exported: its kind's field names and the value of
/// each. The store's three kinds implement it (with feature `sqlite` or
/// `postgres`); a caller's own records may too.
///
/// ```
/// use monitor_export::{Cell, Fields, Record, RecordKind};
///
/// struct Payment { id: i64, payee: String }
///
/// impl Record for Payment {
///     const KIND: &'static str = "payments";
///     const FIELDS: &'static [&'static str] = &["id", "payee"];
///     fn cell(&self, field: usize) -> Cell {
///         match field {
///             0 => self.id.into(),
///             _ => self.payee.as_str().into(),
///         }
///     }
/// }
///
/// let fields = Fields::<Payment>::parse("payee")?;
/// assert_eq!(fields.row(&Payment { id: 1, payee: "Zürich AG".into() }), [Cell::Text("Zürich AG".into())]);
/// # Ok::<(), monitor_export::ExportError>(())
/// ```
pub trait Record {
    /// The kind's name in messages, such as `audit`.
    const KIND: &'static str;
    /// Every field, in the default order of columns.
    const FIELDS: &'static [&'static str];
    /// The value of field `field`, an index into [`Record::FIELDS`] (any
    /// other index may give any cell, [`Cell::Null`] for choice).
    fn cell(&self, field: usize) -> Cell;
}

/// The kinds of record the store keeps, as `monitor export --what` names
/// them.
///
/// ```
/// use monitor_export::RecordKind;
///
/// let kind: RecordKind = "audit".parse()?;
/// assert_eq!(kind, RecordKind::Audit);
/// assert_eq!(kind.to_string(), "audit");
/// assert!("alerts".parse::<RecordKind>().unwrap_err().to_string().contains("audit, groups, events"));
/// # Ok::<(), monitor_export::ExportError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// The audit log's rows.
    Audit,
    /// Groups of repeated errors.
    Groups,
    /// Single events.
    Events,
}

impl RecordKind {
    /// Every kind.
    ///
    /// ```
    /// assert_eq!(monitor_export::RecordKind::ALL.len(), 3);
    /// ```
    pub const ALL: [RecordKind; 3] = [RecordKind::Audit, RecordKind::Groups, RecordKind::Events];

    /// The kind's name.
    ///
    /// ```
    /// assert_eq!(monitor_export::RecordKind::Groups.name(), "groups");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            RecordKind::Audit => "audit",
            RecordKind::Groups => "groups",
            RecordKind::Events => "events",
        }
    }

    /// The kind's fields, in the default order.
    ///
    /// ```
    /// use monitor_export::RecordKind;
    ///
    /// assert_eq!(RecordKind::Audit.fields()[0], "seq");
    /// assert!(RecordKind::Events.fields().contains(&"trace_id"));
    /// ```
    pub const fn fields(self) -> &'static [&'static str] {
        match self {
            RecordKind::Audit => crate::records::AUDIT_FIELDS,
            RecordKind::Groups => crate::records::GROUP_FIELDS,
            RecordKind::Events => crate::records::EVENT_FIELDS,
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RecordKind {
    type Err = ExportError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        RecordKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| ExportError::UnknownKind { given: name.to_owned() })
    }
}

/// The fields of records of type `R` that an export has, in order.
///
/// ```
/// # #[cfg(any(feature = "sqlite", feature = "postgres"))] {
/// use monitor_export::Fields;
/// use monitor_sinks::store::StoredAudit;
///
/// let fields = Fields::<StoredAudit>::parse("seq, process,status").unwrap();
/// assert_eq!(fields.names(), ["seq", "process", "status"]);
/// assert_eq!(Fields::<StoredAudit>::all().names().len(), 15);
///
/// let error = Fields::<StoredAudit>::parse("seq,proces").unwrap_err().to_string();
/// assert!(error.starts_with("unknown audit field `proces`: the audit fields are seq, timestamp, process,"));
/// # }
/// ```
pub struct Fields<R> {
    indices: Vec<usize>,
    record: PhantomData<fn(&R)>,
}

impl<R> Clone for Fields<R> {
    fn clone(&self) -> Self {
        Fields { indices: self.indices.clone(), record: PhantomData }
    }
}

impl<R> fmt::Debug for Fields<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Fields").field(&self.indices).finish()
    }
}

impl<R: Record> Default for Fields<R> {
    fn default() -> Self {
        Self::all()
    }
}

impl<R: Record> Fields<R> {
    /// Every field, in the kind's order: the default.
    ///
    /// ```
    /// # #[cfg(any(feature = "sqlite", feature = "postgres"))] {
    /// use monitor_export::Fields;
    /// use monitor_sinks::store::StoredGroup;
    ///
    /// assert_eq!(Fields::<StoredGroup>::all().names()[0], "key");
    /// # }
    /// ```
    pub fn all() -> Self {
        Fields { indices: (0..R::FIELDS.len()).collect(), record: PhantomData }
    }

    /// The fields named in `spec`, separated by commas (spaces around a
    /// name are ignored), in that order. An unknown name, a name given
    /// twice, or no name at all is an error that lists the valid fields.
    ///
    /// ```
    /// # #[cfg(any(feature = "sqlite", feature = "postgres"))] {
    /// use monitor_export::Fields;
    /// use monitor_sinks::store::StoredEvent;
    ///
    /// assert_eq!(Fields::<StoredEvent>::parse("timestamp,message").unwrap().names(), ["timestamp", "message"]);
    /// assert!(Fields::<StoredEvent>::parse("message,message").unwrap_err().to_string().contains("twice"));
    /// assert!(Fields::<StoredEvent>::parse(" ").is_err());
    /// # }
    /// ```
    pub fn parse(spec: &str) -> Result<Self, ExportError> {
        let mut indices = Vec::new();
        for name in spec.split(',').map(str::trim) {
            let unknown = || ExportError::UnknownField { kind: R::KIND, given: name.to_owned(), valid: R::FIELDS };
            if name.is_empty() {
                if spec.trim().is_empty() {
                    return Err(unknown());
                }
                continue;
            }
            let index = R::FIELDS.iter().position(|field| *field == name).ok_or_else(unknown)?;
            if indices.contains(&index) {
                return Err(ExportError::Columns { problem: format!("field `{name}` is named twice: name it once") });
            }
            indices.push(index);
        }
        Ok(Fields { indices, record: PhantomData })
    }

    /// The names of the fields, in order: the export's columns.
    ///
    /// ```
    /// # #[cfg(any(feature = "sqlite", feature = "postgres"))] {
    /// use monitor_export::{Export, Fields, Format, Report};
    /// use monitor_sinks::store::StoredAudit;
    ///
    /// let fields = Fields::<StoredAudit>::parse("seq,status").unwrap();
    /// let export = Export::new(Format::Csv, Report::new("Audit"), fields.names()).unwrap();
    /// assert_eq!(export.columns(), ["seq", "status"]);
    /// # }
    /// ```
    pub fn names(&self) -> Vec<&'static str> {
        self.indices.iter().map(|index| R::FIELDS[*index]).collect()
    }

    /// The row of `record`: one cell per field, in order.
    ///
    /// ```
    /// # #[cfg(any(feature = "sqlite", feature = "postgres"))] {
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use monitor_export::{Cell, Fields};
    /// use monitor_runtime::audit::ComplianceStatus;
    /// use monitor_sinks::store::StoredAudit;
    ///
    /// let record = StoredAudit {
    ///     seq: 7,
    ///     timestamp: UNIX_EPOCH + Duration::from_secs(1_714_521_600),
    ///     process: "payment_processing".into(),
    ///     action: "submit".into(),
    ///     status: ComplianceStatus::PendingReview,
    ///     reference: None,
    ///     actor: Some("Jürgen".into()),
    ///     trace_id: None,
    ///     service: None,
    ///     details: serde_json::json!({"amount": 12}),
    ///     truncated: false,
    ///     detail_errors: Vec::new(),
    ///     prev_hash: "00".into(),
    ///     hash: "ab".into(),
    ///     key_id: None,
    /// };
    /// let fields = Fields::<StoredAudit>::parse("seq,status,actor,reference_id,details").unwrap();
    /// assert_eq!(
    ///     fields.row(&record),
    ///     [
    ///         Cell::Integer(7),
    ///         Cell::Text("pending_review".into()),
    ///         Cell::Text("Jürgen".into()),
    ///         Cell::Null,
    ///         Cell::Text("{\"amount\":12}".into()),
    ///     ]
    /// );
    /// # }
    /// ```
    pub fn row(&self, record: &R) -> Vec<Cell> {
        self.indices.iter().map(|index| record.cell(*index)).collect()
    }
}
