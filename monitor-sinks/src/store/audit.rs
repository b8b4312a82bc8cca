//! The audit log as every store returns it, and its queries.

use std::time::SystemTime;

use monitor_runtime::audit::{ComplianceStatus, Reference};
use serde_json::Value;

/// The `prev_hash` of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One stored audit row.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredAudit {
    /// Position in the log, from 1.
    pub seq: i64,
    /// When it was recorded.
    pub timestamp: SystemTime,
    /// Business process.
    pub process: String,
    /// Action within the process.
    pub action: String,
    /// Compliance status.
    pub status: ComplianceStatus,
    /// Business object.
    pub reference: Option<Reference>,
    /// Who did it.
    pub actor: Option<String>,
    /// Trace id.
    pub trace_id: Option<String>,
    /// Recording service.
    pub service: Option<String>,
    /// Masked details.
    pub details: Value,
    /// Whether details were cut.
    pub truncated: bool,
    /// Details that could not be serialized.
    pub detail_errors: Vec<String>,
    /// Link of the previous row.
    pub prev_hash: String,
    /// This row's link: HMAC-SHA256 under the key `key_id` names, or an
    /// unkeyed SHA-256 when `key_id` is `None`.
    pub hash: String,
    /// The id of the key that signed this row (see [`AuditKey::id`](crate::sqlite::AuditKey::id)); `None`
    /// for an unkeyed row, as older versions and stores without a key wrote.
    pub key_id: Option<String>,
}

/// Which audit rows [`Store::audit_records`](super::Store::audit_records) returns, oldest first.
///
/// ```
/// use monitor_sinks::store::AuditQuery;
/// use monitor_runtime::audit::ComplianceStatus;
///
/// let failed_payments = AuditQuery {
///     process: Some("payment_processing".into()),
///     status: Some(ComplianceStatus::Failed),
///     ..AuditQuery::default()
/// };
/// assert_eq!(failed_payments.limit, 1000);
/// ```
#[derive(Clone, Debug)]
pub struct AuditQuery {
    /// Only this process.
    pub process: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this status.
    pub status: Option<ComplianceStatus>,
    /// Only this kind of business object.
    pub reference_kind: Option<String>,
    /// Only this business object id.
    pub reference_id: Option<String>,
    /// Only this actor.
    pub actor: Option<String>,
    /// Only rows at or after this time.
    pub since: Option<SystemTime>,
    /// Only rows before this time.
    pub before: Option<SystemTime>,
    /// Only rows after this position: the `seq` of the last row of the
    /// page before, to read the log a page at a time.
    pub after_seq: Option<i64>,
    /// At most this many rows.
    pub limit: usize,
}

impl Default for AuditQuery {
    fn default() -> Self {
        AuditQuery {
            process: None,
            action: None,
            status: None,
            reference_kind: None,
            reference_id: None,
            actor: None,
            since: None,
            before: None,
            after_seq: None,
            limit: 1000,
        }
    }
}
