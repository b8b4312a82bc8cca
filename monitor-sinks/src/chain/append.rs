//! Extending the audit chain, whatever store keeps it: from the last stored
//! row and a batch's records, the rows to insert with their links (and, when
//! the signing key changed, the row recording that rotation first). The
//! store only reads its last row and inserts what this returns, in the same
//! transaction, while no other writer can append (SQLite's write lock,
//! PostgreSQL's advisory lock).

use std::sync::Arc;

use monitor_runtime::audit::{AuditRecord, ComplianceStatus};

use super::checkpoint::ChainHead;
use super::key::{AUDIT_KEY_ENV, AuditKeyRing};
use super::link::{CHAIN_PROCESS, Columns, KEY_ROTATION_ACTION, rotation_details};
use crate::store::{GENESIS_HASH, millis};

/// The last row of the chain as stored: where new rows attach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChainTail {
    pub(crate) seq: i64,
    pub(crate) hash: String,
    pub(crate) key_id: Option<String>,
}

/// One row to insert, its link computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChainRow {
    pub(crate) seq: i64,
    pub(crate) timestamp_ms: i64,
    pub(crate) process: String,
    pub(crate) action: String,
    pub(crate) status: &'static str,
    pub(crate) reference_kind: Option<String>,
    pub(crate) reference_id: Option<String>,
    pub(crate) actor: Option<String>,
    pub(crate) trace_id: Option<String>,
    pub(crate) service: Option<String>,
    pub(crate) details: String,
    pub(crate) truncated: bool,
    pub(crate) detail_errors: String,
    pub(crate) prev_hash: String,
    pub(crate) hash: String,
    pub(crate) key_id: Option<String>,
}

impl ChainRow {
    fn columns(&self) -> Columns<'_> {
        Columns {
            seq: self.seq,
            timestamp_ms: self.timestamp_ms,
            process: &self.process,
            action: &self.action,
            status: self.status,
            reference_kind: self.reference_kind.as_deref(),
            reference_id: self.reference_id.as_deref(),
            actor: self.actor.as_deref(),
            trace_id: self.trace_id.as_deref(),
            service: self.service.as_deref(),
            details: &self.details,
            truncated: self.truncated,
            detail_errors: &self.detail_errors,
            prev_hash: &self.prev_hash,
        }
    }
}

/// What a batch adds to the chain.
#[derive(Debug, Default)]
pub(crate) struct Extension {
    /// The rows to insert, in order.
    pub(crate) rows: Vec<ChainRow>,
    /// The new head of a keyed chain, for its checkpoint (`None` unkeyed).
    pub(crate) head: Option<ChainHead>,
}

/// The rows that append `audits` after `tail` (`None`: the log is empty).
///
/// With a signing key, a row recording the change of key comes first when
/// the last row was signed by another key or by none. Without one, a keyed
/// log is not extended: an unkeyed row after keyed ones is what an attacker
/// would write, and verification rejects it; the error says so.
pub(crate) fn extend(
    tail: Option<&ChainTail>,
    keys: &AuditKeyRing,
    audits: &[Arc<AuditRecord>],
    now_ms: i64,
) -> Result<Extension, String> {
    if audits.is_empty() {
        return Ok(Extension::default());
    }
    let signing = keys.signing_key();
    let (mut seq, mut prev_hash, head_key) = match tail {
        Some(tail) => (tail.seq, tail.hash.clone(), tail.key_id.as_deref()),
        None => (0, GENESIS_HASH.to_owned(), None),
    };
    if let (None, Some(head_key)) = (signing, head_key) {
        return Err(format!(
            "the audit log is keyed (row {seq} was signed by key id {head_key}) and this store was opened \
             without a key: give it the key (the sink's audit_keys, or {AUDIT_KEY_ENV}) to append audit records"
        ));
    }
    let mut rows = Vec::with_capacity(audits.len() + 1);
    let mut push = |mut row: ChainRow| {
        row.hash = match signing {
            Some(key) => row.columns().keyed_mac(key),
            None => row.columns().unkeyed_hash(),
        };
        row.key_id = signing.map(|key| key.id().to_owned());
        let hash = row.hash.clone();
        rows.push(row);
        hash
    };
    if let Some(key) = signing.filter(|key| seq > 0 && head_key != Some(key.id())) {
        seq += 1;
        prev_hash = push(ChainRow {
            seq,
            timestamp_ms: now_ms,
            process: CHAIN_PROCESS.to_owned(),
            action: KEY_ROTATION_ACTION.to_owned(),
            status: ComplianceStatus::Compliant.as_str(),
            reference_kind: None,
            reference_id: None,
            actor: None,
            trace_id: None,
            service: None,
            details: rotation_details(head_key, key.id()).to_string(),
            truncated: false,
            detail_errors: "[]".to_owned(),
            prev_hash,
            hash: String::new(),
            key_id: None,
        });
    }
    for record in audits {
        seq += 1;
        prev_hash = push(ChainRow {
            seq,
            timestamp_ms: millis(record.timestamp),
            process: record.process.to_string(),
            action: record.action.to_string(),
            status: record.status.as_str(),
            reference_kind: record.reference.as_ref().map(|r| r.kind.to_string()),
            reference_id: record.reference.as_ref().map(|r| r.id.clone()),
            actor: record.actor.clone(),
            trace_id: record.trace_id.clone(),
            service: record.service.clone(),
            details: serde_json::to_string(&record.details).unwrap_or_else(|_| "{}".to_owned()),
            truncated: record.truncated,
            detail_errors: serde_json::to_string(&record.detail_errors).unwrap_or_else(|_| "[]".to_owned()),
            prev_hash,
            hash: String::new(),
            key_id: None,
        });
    }
    let head = signing.map(|key| ChainHead { seq, mac: prev_hash, key_id: key.id().to_owned() });
    Ok(Extension { rows, head })
}

#[cfg(test)]
mod tests {
    use monitor_runtime::audit::AuditRecordBuilder;

    use super::*;
    use crate::chain::key::AuditKey;

    fn records(n: usize) -> Vec<Arc<AuditRecord>> {
        (0..n)
            .map(|i| {
                let mut builder = AuditRecordBuilder::new("p", "a", ComplianceStatus::Compliant);
                builder.reference("thing", &i);
                Arc::new(builder.finish())
            })
            .collect()
    }

    #[test]
    fn rows_link_to_the_tail_and_to_each_other() {
        let tail = ChainTail { seq: 7, hash: "ab".repeat(32), key_id: None };
        let extension = extend(Some(&tail), &AuditKeyRing::default(), &records(3), 0).unwrap();
        let seqs: Vec<i64> = extension.rows.iter().map(|row| row.seq).collect();
        assert_eq!(seqs, [8, 9, 10]);
        assert_eq!(extension.rows[0].prev_hash, tail.hash);
        assert_eq!(extension.rows[1].prev_hash, extension.rows[0].hash);
        assert!(extension.head.is_none(), "unkeyed: no checkpoint");
    }

    #[test]
    fn a_new_signing_key_is_recorded_by_a_rotation_row_first() {
        let key = AuditKey::from_hex(&"3c".repeat(32)).unwrap();
        let tail = ChainTail { seq: 2, hash: "cd".repeat(32), key_id: None };
        let extension = extend(Some(&tail), &AuditKeyRing::new(key.clone()), &records(1), 0).unwrap();
        assert_eq!(extension.rows.len(), 2);
        assert_eq!(extension.rows[0].action, KEY_ROTATION_ACTION);
        assert_eq!(extension.head.unwrap().seq, 4);
        // An empty log needs no rotation row.
        assert_eq!(extend(None, &AuditKeyRing::new(key), &records(1), 0).unwrap().rows.len(), 1);
    }

    #[test]
    fn a_keyed_log_is_not_extended_without_a_key() {
        let tail = ChainTail { seq: 2, hash: "cd".repeat(32), key_id: Some("0011".into()) };
        let refusal = extend(Some(&tail), &AuditKeyRing::default(), &records(1), 0).unwrap_err();
        assert!(refusal.contains("key id 0011"), "{refusal}");
    }
}
