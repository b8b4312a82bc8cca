//! The audit log in SQLite: appending chained rows and the queries for
//! compliance reviews. What a link covers is in `audit_link`, the keys in
//! `audit_key`, verification in `audit_verify`.

use std::sync::Arc;
use std::time::SystemTime;

use monitor_runtime::audit::{AuditRecord, ComplianceStatus, Reference};
use rusqlite::{Row, Transaction, params};
use serde_json::Value;

use super::audit_chain::{AppendError, AuditChain};
use super::store::{SqliteStore, from_millis, millis};
use crate::chain::checkpoint::ChainHead;
use crate::chain::key::AUDIT_KEY_ENV;
use crate::chain::link::{CHAIN_PROCESS, Columns, KEY_ROTATION_ACTION, rotation_details};
use crate::store::{AuditQuery, GENESIS_HASH, StoreError, StoredAudit};

/// Appends records after the current last row, inside the caller's
/// transaction, and returns the new head of a keyed chain (for its
/// checkpoint). With a signing key, a row recording the change of key comes
/// first when the last row was signed by another key or by none.
pub(crate) fn append(
    tx: &Transaction<'_>,
    chain: &AuditChain,
    audits: &[Arc<AuditRecord>],
) -> Result<Option<ChainHead>, AppendError> {
    if audits.is_empty() {
        return Ok(None);
    }
    chain.check_checkpoint(tx)?;
    let (mut seq, mut prev_hash, head_key): (i64, String, Option<String>) = tx
        .query_row("SELECT seq, hash, key_id FROM audit_log ORDER BY seq DESC LIMIT 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .or_else(|error| match error {
            rusqlite::Error::QueryReturnedNoRows => Ok((0, GENESIS_HASH.to_owned(), None)),
            other => Err(other),
        })?;
    let signing = chain.keys.signing_key();
    if let (None, Some(head_key)) = (signing, &head_key) {
        // An unkeyed row after keyed ones is what an attacker would write;
        // verification rejects it, so it is not written in the first place.
        return Err(AppendError::Refused(format!(
            "the audit log is keyed (row {seq} was signed by key id {head_key}) and this store was opened \
             without a key: give it the key (SqliteSink::audit_keys, or {AUDIT_KEY_ENV}) to append audit records"
        )));
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO audit_log (seq, timestamp_ms, process, action, status, reference_kind, reference_id, actor,
            trace_id, service, details, truncated, detail_errors, prev_hash, hash, key_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    let mut link = |columns: &Columns<'_>| -> rusqlite::Result<String> {
        let hash = match signing {
            Some(key) => columns.keyed_mac(key),
            None => columns.unkeyed_hash(),
        };
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
            signing.map(|key| key.id()),
        ])?;
        Ok(hash)
    };
    if let Some(key) = signing.filter(|key| seq > 0 && head_key.as_deref() != Some(key.id())) {
        seq += 1;
        let details = rotation_details(head_key.as_deref(), key.id()).to_string();
        prev_hash = link(&Columns {
            seq,
            timestamp_ms: millis(SystemTime::now()),
            process: CHAIN_PROCESS,
            action: KEY_ROTATION_ACTION,
            status: ComplianceStatus::Compliant.as_str(),
            reference_kind: None,
            reference_id: None,
            actor: None,
            trace_id: None,
            service: None,
            details: &details,
            truncated: false,
            detail_errors: "[]",
            prev_hash: &prev_hash,
        })?;
    }
    for record in audits {
        seq += 1;
        let details = serde_json::to_string(&record.details).unwrap_or_else(|_| "{}".to_owned());
        let detail_errors = serde_json::to_string(&record.detail_errors).unwrap_or_else(|_| "[]".to_owned());
        prev_hash = link(&Columns {
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
        })?;
    }
    Ok(signing.map(|key| ChainHead { seq, mac: prev_hash, key_id: key.id().to_owned() }))
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
}
