//! The store's records as rows: [`Record`](crate::Record) for
//! `StoredGroup`, `StoredEvent` and `StoredAudit`, and the audit
//! compliance summary.
//!
//! Values are written as the store and the `monitor` command print them:
//! group keys as their 16 hex digits, severities, statuses and kinds by
//! their lowercase names, lists and maps (tags, args, chain, details) as
//! JSON text, an empty list or map as null.

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod audit;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod events;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod groups;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use audit::{ComplianceSummary, audit_compliance_summary};

/// The fields of an audit row, in the default order.
pub(crate) const AUDIT_FIELDS: &[&str] = &[
    "seq",
    "timestamp",
    "process",
    "action",
    "status",
    "reference_kind",
    "reference_id",
    "actor",
    "trace_id",
    "service",
    "details",
    "truncated",
    "prev_hash",
    "hash",
    "key_id",
];

/// The fields of a group, in the default order.
pub(crate) const GROUP_FIELDS: &[&str] = &[
    "key",
    "template",
    "severity",
    "status",
    "count",
    "first_seen",
    "last_seen",
    "module",
    "function",
    "file",
    "line",
    "error_type",
    "assignee",
    "merged_into",
];

/// The fields of an event, in the default order.
pub(crate) const EVENT_FIELDS: &[&str] = &[
    "id",
    "timestamp",
    "kind",
    "severity",
    "group_key",
    "message",
    "template",
    "module",
    "function",
    "error_type",
    "service",
    "environment",
    "release",
    "user",
    "trace_id",
    "tags",
    "args",
    "duration_ms",
    "chain",
];

/// `value` as JSON text (serializing strings and maps cannot fail; if it
/// ever did, the cell is null rather than the export failing).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> crate::Cell {
    serde_json::to_string(value).map_or(crate::Cell::Null, crate::Cell::Text)
}
