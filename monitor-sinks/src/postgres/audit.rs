//! The audit log in PostgreSQL: appending to the one chain many instances
//! share, the queries for compliance reviews, and verification.
//!
//! Appends are serialized by the advisory lock [`AUDIT_LOCK`], taken at the
//! start of the writing transaction: the last row is read only once no
//! other transaction can append, so each batch links to the row committed
//! just before it and the log stays one chain however many instances write.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use monitor_runtime::audit::{AuditRecord, ComplianceStatus, Reference};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::error::refused;
#[cfg(doc)]
use super::store::AUDIT_LOCK;
use super::store::PostgresStore;
use crate::chain::append::{ChainTail, extend};
use crate::chain::archive;
use crate::chain::checkpoint::ChainHead;
use crate::chain::walk::{ChainVerifier, RawColumns};
use crate::store::rollup::audit_rollup_sql;
use crate::store::{AuditQuery, ChainReport, StoreError, StoredAudit, from_millis, millis};

pub(crate) const AUDIT_COLUMNS: &str =
    "seq, timestamp_ms, process, action, status, reference_kind, reference_id, actor,
    trace_id, service, details, truncated, detail_errors, prev_hash, hash, key_id";

const INSERT_ROWS: &str = "INSERT INTO audit_log (seq, timestamp_ms, process, action, status, reference_kind,
        reference_id, actor, trace_id, service, details, truncated, detail_errors, prev_hash, hash, key_id)
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
        $8::text[], $9::text[], $10::text[], $11::text[], $12::boolean[], $13::text[], $14::text[], $15::text[],
        $16::text[])";

/// Rows read at once while verifying: the walk holds one page, not the log.
const VERIFY_PAGE: i64 = 5_000;

/// Appends records after the last row, inside the caller's transaction,
/// which holds the audit lock; returns the new head of a keyed chain (for
/// its checkpoint).
pub(crate) async fn append(
    tx: &deadpool_postgres::Transaction<'_>,
    store: &PostgresStore,
    audits: &[Arc<AuditRecord>],
) -> Result<Option<ChainHead>, StoreError> {
    if audits.is_empty() {
        return Ok(None);
    }
    let chain = store.audit_chain();
    let database = store.database();
    if let Some(head) = chain.checkpointed_head().map_err(|reason| refused(database, &reason))? {
        let link: Option<String> = tx
            .query_opt("SELECT hash FROM audit_log WHERE seq = $1", &[&head.seq])
            .await
            .map_err(store.fail("reading the checkpointed audit row"))?
            .map(|row| row.get(0));
        chain.check_checkpointed_link(&head, link.as_deref()).map_err(|reason| refused(database, &reason))?;
    }
    let tail = tx
        .query_opt("SELECT seq, hash, key_id FROM audit_log ORDER BY seq DESC LIMIT 1", &[])
        .await
        .map_err(store.fail("reading the last audit row"))?
        .map(|row| ChainTail { seq: row.get(0), hash: row.get(1), key_id: row.get(2) });
    let extension = extend(tail.as_ref(), &chain.keys, audits, millis(SystemTime::now()))
        .map_err(|reason| refused(database, &reason))?;
    let rows = &extension.rows;
    let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    let timestamps: Vec<i64> = rows.iter().map(|r| r.timestamp_ms).collect();
    let processes: Vec<&str> = rows.iter().map(|r| r.process.as_str()).collect();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    let statuses: Vec<&str> = rows.iter().map(|r| r.status).collect();
    let kinds: Vec<Option<&str>> = rows.iter().map(|r| r.reference_kind.as_deref()).collect();
    let ids: Vec<Option<&str>> = rows.iter().map(|r| r.reference_id.as_deref()).collect();
    let actors: Vec<Option<&str>> = rows.iter().map(|r| r.actor.as_deref()).collect();
    let traces: Vec<Option<&str>> = rows.iter().map(|r| r.trace_id.as_deref()).collect();
    let services: Vec<Option<&str>> = rows.iter().map(|r| r.service.as_deref()).collect();
    let details: Vec<&str> = rows.iter().map(|r| r.details.as_str()).collect();
    let truncated: Vec<bool> = rows.iter().map(|r| r.truncated).collect();
    let errors: Vec<&str> = rows.iter().map(|r| r.detail_errors.as_str()).collect();
    let prev: Vec<&str> = rows.iter().map(|r| r.prev_hash.as_str()).collect();
    let hashes: Vec<&str> = rows.iter().map(|r| r.hash.as_str()).collect();
    let key_ids: Vec<Option<&str>> = rows.iter().map(|r| r.key_id.as_deref()).collect();
    let params: [&(dyn ToSql + Sync); 16] = [
        &seqs,
        &timestamps,
        &processes,
        &actions,
        &statuses,
        &kinds,
        &ids,
        &actors,
        &traces,
        &services,
        &details,
        &truncated,
        &errors,
        &prev,
        &hashes,
        &key_ids,
    ];
    let statement = tx.prepare_cached(INSERT_ROWS).await.map_err(store.fail("preparing the audit insert"))?;
    tx.execute(&statement, &params).await.map_err(store.fail("appending to the audit log"))?;
    if let Some(first) = rows.first() {
        let rollup =
            tx.prepare_cached(&audit_rollup_sql("$1")).await.map_err(store.fail("preparing the hourly audit count"))?;
        tx.execute(&rollup, &[&first.seq]).await.map_err(store.fail("counting audit records per hour"))?;
    }
    Ok(extension.head)
}

fn stored(row: &Row) -> StoredAudit {
    let kind: Option<String> = row.get(5);
    let id: Option<String> = row.get(6);
    let details: &str = row.get(10);
    let errors: &str = row.get(12);
    StoredAudit {
        seq: row.get(0),
        timestamp: from_millis(row.get(1)),
        process: row.get(2),
        action: row.get(3),
        status: ComplianceStatus::parse(row.get(4)).unwrap_or(ComplianceStatus::PendingReview),
        reference: kind.zip(id).map(|(kind, id)| Reference { kind: kind.into(), id }),
        actor: row.get(7),
        trace_id: row.get(8),
        service: row.get(9),
        details: serde_json::from_str(details).unwrap_or(serde_json::Value::Null),
        truncated: row.get(11),
        detail_errors: serde_json::from_str(errors).unwrap_or_default(),
        prev_hash: row.get(13),
        hash: row.get(14),
        key_id: row.get(15),
    }
}

impl PostgresStore {
    /// Audit rows matching `query`, oldest first.
    pub(crate) async fn read_audit_records(&self, query: &AuditQuery) -> Result<Vec<StoredAudit>, StoreError> {
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log
             WHERE ($1::text IS NULL OR process = $1) AND ($2::text IS NULL OR action = $2)
               AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR reference_kind = $4)
               AND ($5::text IS NULL OR reference_id = $5) AND ($6::text IS NULL OR actor = $6)
               AND ($7::bigint IS NULL OR timestamp_ms >= $7) AND ($8::bigint IS NULL OR timestamp_ms < $8)
               AND ($10::bigint IS NULL OR seq > $10)
             ORDER BY seq LIMIT $9"
        );
        let client = self.client().await?;
        let rows = client
            .query(
                &sql,
                &[
                    &query.process,
                    &query.action,
                    &query.status.map(ComplianceStatus::as_str),
                    &query.reference_kind,
                    &query.reference_id,
                    &query.actor,
                    &query.since.map(millis),
                    &query.before.map(millis),
                    &(query.limit.min(i64::MAX as usize) as i64),
                    &query.after_seq,
                ],
            )
            .await
            .map_err(self.fail("querying the audit log"))?;
        Ok(rows.iter().map(stored).collect())
    }

    /// Walks the whole chain (see
    /// [`Store::verify_audit_chain`](crate::store::Store::verify_audit_chain)),
    /// a page of rows at a time, in one snapshot: rows appended meanwhile by
    /// other instances are not half seen.
    pub(crate) async fn walk_audit_chain(&self, files: Option<&[PathBuf]>) -> Result<ChainReport, StoreError> {
        // Before the snapshot: every row the checkpoint names is committed.
        let mut verifier = ChainVerifier::new(self.audit_chain());
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(self.fail("starting the audit walk"))?;
        // Rows archived before the snapshot are behind its checkpoints.
        let checkpoints = super::audit_archive::checkpoints(&tx, self).await?;
        archive::lead_in(&mut verifier, &self.audit_chain().keys, &checkpoints, files);
        let page = format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
        let statement = tx.prepare(&page).await.map_err(self.fail("preparing the audit walk"))?;
        let mut after = i64::MIN;
        'pages: loop {
            let rows =
                tx.query(&statement, &[&after, &VERIFY_PAGE]).await.map_err(self.fail("walking the audit log"))?;
            for row in &rows {
                let audit = stored(row);
                let raw = RawColumns {
                    timestamp_ms: row.get(1),
                    status: row.get(4),
                    details: row.get(10),
                    detail_errors: row.get(12),
                };
                after = audit.seq;
                if !verifier.row(&audit, &raw) {
                    break 'pages;
                }
            }
            if (rows.len() as i64) < VERIFY_PAGE {
                break;
            }
        }
        tx.commit().await.map_err(self.fail("ending the audit walk"))?;
        Ok(verifier.report())
    }
}
