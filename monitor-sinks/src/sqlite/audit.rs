//! The audit log in SQLite: appending chained rows and the queries for
//! compliance reviews. What a link covers, the keys and the walk that
//! verifies the chain are in `crate::chain`.

use std::sync::Arc;
use std::time::SystemTime;

use monitor_runtime::audit::{AuditRecord, ComplianceStatus, Reference};
use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde_json::Value;

use super::audit_chain::{AppendError, check_checkpoint};
use super::store::{SqliteStore, from_millis, millis};
use crate::chain::append::{ChainTail, extend};
use crate::chain::checkpoint::ChainHead;
use crate::chain::state::AuditChain;
use crate::store::rollup::audit_rollup_sql;
use crate::store::{AuditQuery, StoreError, StoredAudit};

/// Appends records after the current last row, inside the caller's
/// transaction (taken IMMEDIATE, so no other connection appends meanwhile),
/// and returns the new head of a keyed chain (for its checkpoint). The rows
/// and their links come from [`extend`]: the same for every store.
pub(crate) fn append(
    tx: &Transaction<'_>,
    chain: &AuditChain,
    audits: &[Arc<AuditRecord>],
) -> Result<Option<ChainHead>, AppendError> {
    if audits.is_empty() {
        return Ok(None);
    }
    check_checkpoint(chain, tx)?;
    let tail = tx
        .query_row("SELECT seq, hash, key_id FROM audit_log ORDER BY seq DESC LIMIT 1", [], |row| {
            Ok(ChainTail { seq: row.get(0)?, hash: row.get(1)?, key_id: row.get(2)? })
        })
        .optional()?;
    let extension =
        extend(tail.as_ref(), &chain.keys, audits, millis(SystemTime::now())).map_err(AppendError::Refused)?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO audit_log (seq, timestamp_ms, process, action, status, reference_kind, reference_id, actor,
            trace_id, service, details, truncated, detail_errors, prev_hash, hash, key_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    for row in &extension.rows {
        insert.execute(params![
            row.seq,
            row.timestamp_ms,
            row.process,
            row.action,
            row.status,
            row.reference_kind,
            row.reference_id,
            row.actor,
            row.trace_id,
            row.service,
            row.details,
            row.truncated,
            row.detail_errors,
            row.prev_hash,
            row.hash,
            row.key_id,
        ])?;
    }
    if let Some(first) = extension.rows.first() {
        tx.prepare_cached(&audit_rollup_sql("?1"))?.execute([first.seq])?;
    }
    Ok(extension.head)
}

pub(crate) const AUDIT_COLUMNS: &str =
    "seq, timestamp_ms, process, action, status, reference_kind, reference_id, actor,
    trace_id, service, details, truncated, detail_errors, prev_hash, hash, key_id";

pub(crate) fn stored(row: &Row<'_>) -> rusqlite::Result<StoredAudit> {
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
        key_id: row.get(15)?,
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
               AND (?10 IS NULL OR seq > ?10)
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
                    query.after_seq,
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
}
