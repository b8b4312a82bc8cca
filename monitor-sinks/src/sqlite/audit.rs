//! The audit log in SQLite: appending hash-chained rows, verifying the
//! chain, and the queries for compliance reviews.

use std::sync::Arc;
use std::time::SystemTime;

use monitor_runtime::audit::{AuditRecord, ComplianceStatus, Reference};
use rusqlite::{Row, Transaction, params};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::store::{SqliteStore, StoreError, from_millis, millis};

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
    /// Hash of the previous row.
    pub prev_hash: String,
    /// Hash of this row.
    pub hash: String,
}

/// Which audit rows [`SqliteStore::audit_records`] returns, oldest first.
///
/// ```
/// use monitor_sinks::sqlite::AuditQuery;
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
            limit: 1000,
        }
    }
}

/// The result of walking the audit chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    /// Rows checked.
    pub rows: u64,
    /// The first row whose hash or link does not match, if any.
    pub first_broken: Option<BrokenLink>,
}

impl ChainReport {
    /// True when every row matches.
    pub fn is_intact(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// Where and why the chain breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenLink {
    /// The row's position.
    pub seq: i64,
    /// What does not match.
    pub reason: String,
}

/// Column values of a row in a fixed order: what the hash covers.
struct Columns<'a> {
    seq: i64,
    timestamp_ms: i64,
    process: &'a str,
    action: &'a str,
    status: &'a str,
    reference_kind: Option<&'a str>,
    reference_id: Option<&'a str>,
    actor: Option<&'a str>,
    trace_id: Option<&'a str>,
    service: Option<&'a str>,
    details: &'a str,
    truncated: bool,
    detail_errors: &'a str,
    prev_hash: &'a str,
}

impl Columns<'_> {
    /// SHA-256 over a JSON array of the columns: unambiguous (strings are
    /// quoted and escaped) and the same in any language that reads the file.
    fn hash(&self) -> String {
        let canonical = json!([
            self.seq,
            self.timestamp_ms,
            self.process,
            self.action,
            self.status,
            self.reference_kind,
            self.reference_id,
            self.actor,
            self.trace_id,
            self.service,
            self.details,
            self.truncated,
            self.detail_errors,
            self.prev_hash,
        ])
        .to_string();
        let digest = Sha256::digest(canonical.as_bytes());
        digest.iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

/// Appends records after the current last row, inside the caller's transaction.
pub(crate) fn append(tx: &Transaction<'_>, audits: &[Arc<AuditRecord>]) -> rusqlite::Result<()> {
    if audits.is_empty() {
        return Ok(());
    }
    let (mut seq, mut prev_hash): (i64, String) = tx
        .query_row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .or_else(|error| match error {
            rusqlite::Error::QueryReturnedNoRows => Ok((0, GENESIS_HASH.to_owned())),
            other => Err(other),
        })?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO audit_log (seq, timestamp_ms, process, action, status, reference_kind, reference_id, actor,
            trace_id, service, details, truncated, detail_errors, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    for record in audits {
        seq += 1;
        let details = serde_json::to_string(&record.details).unwrap_or_else(|_| "{}".to_owned());
        let detail_errors = serde_json::to_string(&record.detail_errors).unwrap_or_else(|_| "[]".to_owned());
        let columns = Columns {
            seq,
            timestamp_ms: millis(record.timestamp),
            process: &record.process,
            action: &record.action,
            status: record.status.as_str(),
            reference_kind: record.reference.as_ref().map(|r| &*r.kind),
            reference_id: record.reference.as_ref().map(|r| r.id.as_str()),
            actor: record.actor.as_deref(),
            trace_id: record.trace_id.as_deref(),
            service: record.service.as_deref(),
            details: &details,
            truncated: record.truncated,
            detail_errors: &detail_errors,
            prev_hash: &prev_hash,
        };
        let hash = columns.hash();
        insert.execute(params![
            columns.seq,
            columns.timestamp_ms,
            columns.process,
            columns.action,
            columns.status,
            columns.reference_kind,
            columns.reference_id,
            columns.actor,
            columns.trace_id,
            columns.service,
            columns.details,
            columns.truncated,
            columns.detail_errors,
            columns.prev_hash,
            hash,
        ])?;
        prev_hash = hash;
    }
    Ok(())
}

const AUDIT_COLUMNS: &str = "seq, timestamp_ms, process, action, status, reference_kind, reference_id, actor, trace_id,
    service, details, truncated, detail_errors, prev_hash, hash";

fn stored(row: &Row<'_>) -> rusqlite::Result<StoredAudit> {
    let kind: Option<String> = row.get(5)?;
    let id: Option<String> = row.get(6)?;
    let details: String = row.get(10)?;
    let errors: String = row.get(12)?;
    Ok(StoredAudit {
        seq: row.get(0)?,
        timestamp: from_millis(row.get(1)?),
        process: row.get(2)?,
        action: row.get(3)?,
        status: ComplianceStatus::parse(row.get_ref(4)?.as_str()?).unwrap_or(ComplianceStatus::PendingReview),
        reference: kind.zip(id).map(|(kind, id)| Reference { kind: kind.into(), id }),
        actor: row.get(7)?,
        trace_id: row.get(8)?,
        service: row.get(9)?,
        details: serde_json::from_str(&details).unwrap_or(Value::Null),
        truncated: row.get(11)?,
        detail_errors: serde_json::from_str(&errors).unwrap_or_default(),
        prev_hash: row.get(13)?,
        hash: row.get(14)?,
    })
}

impl SqliteStore {
    /// Audit rows matching `query`, oldest first.
    pub fn audit_records(&self, query: &AuditQuery) -> Result<Vec<StoredAudit>, StoreError> {
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log
             WHERE (?1 IS NULL OR process = ?1) AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR status = ?3)
               AND (?4 IS NULL OR reference_kind = ?4) AND (?5 IS NULL OR reference_id = ?5)
               AND (?6 IS NULL OR actor = ?6) AND (?7 IS NULL OR timestamp_ms >= ?7) AND (?8 IS NULL OR timestamp_ms < ?8)
             ORDER BY seq LIMIT ?9"
        );
        let connection = self.connection();
        let mut statement = connection.prepare_cached(&sql).map_err(|e| self.error("preparing the audit query", &e))?;
        let rows = statement
            .query_map(
                params![
                    query.process,
                    query.action,
                    query.status.map(ComplianceStatus::as_str),
                    query.reference_kind,
                    query.reference_id,
                    query.actor,
                    query.since.map(millis),
                    query.before.map(millis),
                    query.limit.min(i64::MAX as usize) as i64,
                ],
                stored,
            )
            .map_err(|e| self.error("querying the audit log", &e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error("reading the audit log", &e))
    }

    /// Rows per process and compliance status: `(process, status, count)`.
    pub fn audit_summary(&self) -> Result<Vec<(String, ComplianceStatus, u64)>, StoreError> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(
                "SELECT process, status, count(*) FROM audit_log GROUP BY process, status ORDER BY process, status",
            )
            .map_err(|e| self.error("preparing the audit summary", &e))?;
        let rows = statement
            .query_map([], |row| {
                let status =
                    ComplianceStatus::parse(row.get_ref(1)?.as_str()?).unwrap_or(ComplianceStatus::PendingReview);
                Ok((row.get(0)?, status, row.get::<_, i64>(2)? as u64))
            })
            .map_err(|e| self.error("summarising the audit log", &e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error("reading the audit summary", &e))
    }

    /// Walks the whole audit log, recomputing each row's hash from its
    /// columns and checking it links to the row before; reports the first
    /// row that does not match.
    ///
    /// ```
    /// use monitor_sinks::sqlite::SqliteStore;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = SqliteStore::open(dir.path().join("audit.db")).unwrap();
    /// let report = store.verify_audit_chain().unwrap();
    /// assert!(report.is_intact());
    /// assert_eq!(report.rows, 0);
    /// ```
    pub fn verify_audit_chain(&self) -> Result<ChainReport, StoreError> {
        let connection = self.connection();
        let mut statement = connection
            .prepare(&format!("SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq"))
            .map_err(|e| self.error("preparing the chain walk", &e))?;
        let mut rows = statement.query([]).map_err(|e| self.error("walking the audit log", &e))?;
        let mut expected_prev = GENESIS_HASH.to_owned();
        let mut expected_seq = 1;
        let mut checked = 0;
        while let Some(row) = rows.next().map_err(|e| self.error("walking the audit log", &e))? {
            let audit = stored(row).map_err(|e| self.error("reading an audit row", &e))?;
            let details: String = row.get(10).map_err(|e| self.error("reading an audit row", &e))?;
            let errors: String = row.get(12).map_err(|e| self.error("reading an audit row", &e))?;
            let recomputed = Columns {
                seq: audit.seq,
                timestamp_ms: row.get(1).map_err(|e| self.error("reading an audit row", &e))?,
                process: &audit.process,
                action: &audit.action,
                status: row
                    .get_ref(4)
                    .and_then(|v| Ok(v.as_str()?))
                    .map_err(|e| self.error("reading an audit row", &e))?,
                reference_kind: audit.reference.as_ref().map(|r| &*r.kind),
                reference_id: audit.reference.as_ref().map(|r| r.id.as_str()),
                actor: audit.actor.as_deref(),
                trace_id: audit.trace_id.as_deref(),
                service: audit.service.as_deref(),
                details: &details,
                truncated: audit.truncated,
                detail_errors: &errors,
                prev_hash: &audit.prev_hash,
            }
            .hash();
            checked += 1;
            let reason = if audit.seq != expected_seq {
                Some(format!(
                    "expected row {expected_seq} here, found row {}: a row was removed or inserted",
                    audit.seq
                ))
            } else if audit.prev_hash != expected_prev {
                Some(
                    "its prev_hash does not match the hash of the row before: a row was removed, inserted or rewritten"
                        .to_owned(),
                )
            } else if recomputed != audit.hash {
                Some("its content does not match its hash: the row was edited".to_owned())
            } else {
                None
            };
            if let Some(reason) = reason {
                return Ok(ChainReport { rows: checked, first_broken: Some(BrokenLink { seq: audit.seq, reason }) });
            }
            expected_prev = audit.hash;
            expected_seq += 1;
        }
        Ok(ChainReport { rows: checked, first_broken: None })
    }
}
