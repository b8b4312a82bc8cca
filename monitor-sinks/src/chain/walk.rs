//! Verifying the audit chain, whatever store keeps it: the store reads its
//! rows in `seq` order and hands each to a [`ChainVerifier`], which checks
//! every row's link, the keys that signed them, and at the end the signed
//! checkpoint kept outside the database.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

use super::checkpoint::{self, Authenticity, Checkpoint};
use super::key::AuditKeyRing;
use super::link::{CHAIN_PROCESS, Columns, KEY_ROTATION_ACTION};
use super::state::AuditChain;
use crate::store::{BrokenLink, ChainCheck, ChainReport, CheckpointStatus, GENESIS_HASH, StoredAudit};

/// The walk's state between rows.
struct Walk<'a> {
    keys: &'a AuditKeyRing,
    expected_seq: i64,
    expected_prev: String,
    /// The key of the row before: `None` before the first row, `Some(None)`
    /// after an unkeyed row.
    previous_key: Option<Option<String>>,
    keyed_rows: u64,
    unkeyed_rows: u64,
    seen_keyed: bool,
    missing_keys: BTreeSet<String>,
}

impl Walk<'_> {
    /// Checks one row: the first bad row and why, if there is one (the row
    /// itself, or the one before when this row's signature says so).
    fn check(&mut self, row: &StoredAudit, raw: &RawColumns) -> Option<(i64, String)> {
        self.check_row(row, raw).map(|found| found.unwrap_or_else(|reason| (row.seq, reason)))
    }

    /// `Err(reason)`: this row is bad; `Ok((seq, reason))`: row `seq` is.
    fn check_row(&mut self, row: &StoredAudit, raw: &RawColumns) -> Option<Result<(i64, String), String>> {
        if row.seq != self.expected_seq {
            // Rows come in seq order and seq is unique, so a gap means the
            // rows from the expected one on are gone.
            return Some(Ok((
                self.expected_seq,
                format!(
                    "row {} is missing (the next row is {}): rows were removed, or the rows after them moved",
                    self.expected_seq, row.seq
                ),
            )));
        }
        let columns = raw.columns(row);
        if row.prev_hash != self.expected_prev {
            // A row whose own MAC holds vouches for the link it names: then
            // the row before it is the one that was replaced.
            let signed = row.key_id.as_deref().and_then(|id| self.keys.get(id));
            if signed.is_some_and(|key| columns.keyed_mac(key) == row.hash) {
                return Some(Ok((
                    row.seq - 1,
                    format!(
                        "it is not the row that row {} signed as the one before it: it was replaced{}",
                        row.seq,
                        if self.previous_key == Some(None) { ", or an unkeyed row before it was edited" } else { "" }
                    ),
                )));
            }
            return Some(Err(
                "its prev_hash does not match the link of the row before: a row was removed, inserted, moved or \
                 rewritten"
                    .to_owned(),
            ));
        }
        match &row.key_id {
            None if self.seen_keyed => {
                return Some(Err(
                    "an unkeyed row after keyed rows: written by someone without the key (a keyed chain never \
                     goes back to unkeyed links)"
                        .to_owned(),
                ));
            }
            None if columns.unkeyed_hash() != row.hash => {
                return Some(Err("its content does not match its hash: the row was edited".to_owned()));
            }
            None => self.unkeyed_rows += 1,
            Some(key_id) => {
                self.seen_keyed = true;
                if let Some(reason) = self.check_key_change(row, key_id) {
                    return Some(Err(reason));
                }
                match self.keys.get(key_id) {
                    Some(key) if columns.keyed_mac(key) != row.hash => {
                        return Some(Err(format!(
                            "its MAC does not match its content under key id {key_id}: the row was edited, or \
                             written without the key"
                        )));
                    }
                    Some(_) => self.keyed_rows += 1,
                    None => {
                        if !self.keys.is_empty() {
                            self.missing_keys.insert(key_id.clone());
                        }
                    }
                }
            }
        }
        self.previous_key = Some(row.key_id.clone());
        self.expected_prev = row.hash.clone();
        self.expected_seq += 1;
        None
    }

    /// A row signed by another key than the row before must be the entry
    /// recording that rotation.
    fn check_key_change(&self, row: &StoredAudit, key_id: &str) -> Option<String> {
        let Some(previous) = &self.previous_key else { return None };
        if previous.as_deref() == Some(key_id) {
            return None;
        }
        let records_it = row.process == CHAIN_PROCESS
            && row.action == KEY_ROTATION_ACTION
            && row.details.get("to_key_id").and_then(Value::as_str) == Some(key_id)
            && row.details.get("from_key_id").and_then(Value::as_str) == previous.as_deref();
        (!records_it).then(|| {
            format!(
                "the signing key changes here from {} to {key_id} without a key-rotation entry",
                previous.as_deref().unwrap_or("none (unkeyed)")
            )
        })
    }
}

/// The columns a link covers, as stored (text as written, not re-encoded).
pub(crate) struct RawColumns {
    pub(crate) timestamp_ms: i64,
    pub(crate) status: String,
    pub(crate) details: String,
    pub(crate) detail_errors: String,
}

impl RawColumns {
    fn columns<'a>(&'a self, row: &'a StoredAudit) -> Columns<'a> {
        Columns {
            seq: row.seq,
            timestamp_ms: self.timestamp_ms,
            process: &row.process,
            action: &row.action,
            status: &self.status,
            reference_kind: row.reference.as_ref().map(|r| &*r.kind),
            reference_id: row.reference.as_ref().map(|r| r.id.as_str()),
            actor: row.actor.as_deref(),
            trace_id: row.trace_id.as_deref(),
            service: row.service.as_deref(),
            details: &self.details,
            truncated: row.truncated,
            detail_errors: &self.detail_errors,
            prev_hash: &row.prev_hash,
        }
    }
}

/// Walks the chain row by row and reports what it found.
///
/// The checkpoint file is read when the verifier is made, before any row:
/// a checkpoint is written after its rows are committed, so every row it
/// names is then in what the store reads next, even while other writers
/// append meanwhile.
pub(crate) struct ChainVerifier<'a> {
    walk: Walk<'a>,
    checkpoint_path: Option<PathBuf>,
    checkpoint: Result<Option<Checkpoint>, String>,
    /// The link the store holds at the checkpoint's row, once walked.
    checkpointed_link: Option<String>,
    rows: u64,
    first_broken: Option<BrokenLink>,
    /// The last archived row, when rows were archived (see `super::archive`).
    archived_up_to: Option<i64>,
    archive_files_checked: u64,
}

impl<'a> ChainVerifier<'a> {
    pub(crate) fn new(chain: &'a AuditChain) -> Self {
        let checkpoint = match &chain.checkpoint {
            Some(path) => checkpoint::read(path),
            None => Ok(None),
        };
        ChainVerifier {
            walk: Walk {
                keys: &chain.keys,
                expected_seq: 1,
                expected_prev: GENESIS_HASH.to_owned(),
                previous_key: None,
                keyed_rows: 0,
                unkeyed_rows: 0,
                seen_keyed: false,
                missing_keys: BTreeSet::new(),
            },
            checkpoint_path: chain.checkpoint.clone(),
            checkpoint,
            checkpointed_link: None,
            rows: 0,
            first_broken: None,
            archived_up_to: None,
            archive_files_checked: 0,
        }
    }

    /// Goes on after archived rows: the next row is `seq + 1`, linked to
    /// `hash`, continuing from the key `key_id` (`None`: an unkeyed row).
    pub(crate) fn resume_after(&mut self, seq: i64, hash: &str, key_id: Option<&str>) {
        self.walk.expected_seq = seq + 1;
        self.walk.expected_prev = hash.to_owned();
        self.walk.previous_key = Some(key_id.map(str::to_owned));
        self.walk.seen_keyed |= key_id.is_some();
    }

    /// Records a break found outside the rows (an archive or its
    /// checkpoint); the first break found stays the one reported.
    pub(crate) fn break_at(&mut self, seq: i64, reason: String) {
        self.first_broken.get_or_insert(BrokenLink { seq, reason });
    }

    /// A checkpoint signed by a key the ring lacks.
    pub(crate) fn key_missing(&mut self, key_id: &str) {
        self.walk.missing_keys.insert(key_id.to_owned());
    }

    /// Rows up to `seq` were archived.
    pub(crate) fn set_archived(&mut self, seq: i64) {
        self.archived_up_to = Some(seq);
    }

    /// One more archive file matched its checkpoint.
    pub(crate) fn file_checked(&mut self) {
        self.archive_files_checked += 1;
    }

    /// Checks the next row (rows come in `seq` order); false once a break
    /// is found: the rows after it need not be read.
    pub(crate) fn row(&mut self, row: &StoredAudit, raw: &RawColumns) -> bool {
        if self.first_broken.is_some() {
            return false;
        }
        if let Ok(Some(found)) = &self.checkpoint
            && found.head.seq == row.seq
        {
            self.checkpointed_link = Some(row.hash.clone());
        }
        self.rows += 1;
        if let Some((seq, reason)) = self.walk.check(row, raw) {
            self.first_broken = Some(BrokenLink { seq, reason });
            return false;
        }
        true
    }

    /// What the walk found, with the checkpoint compared against the last
    /// intact row.
    pub(crate) fn report(self) -> ChainReport {
        let head = self.walk.expected_seq - 1;
        let (checkpoint, checkpoint_break) = self.compare_checkpoint(head);
        let walk = self.walk;
        let check = if walk.keys.is_empty() || (self.rows > 0 && !walk.seen_keyed) {
            ChainCheck::UnkeyedLinksOnly
        } else if !walk.missing_keys.is_empty() {
            ChainCheck::KeyMissing { key_ids: walk.missing_keys.into_iter().collect() }
        } else {
            ChainCheck::Keyed
        };
        ChainReport {
            rows: self.rows,
            first_broken: self.first_broken.or(checkpoint_break),
            check,
            keyed_rows: walk.keyed_rows,
            unkeyed_rows: walk.unkeyed_rows,
            checkpoint,
            archived_up_to: self.archived_up_to,
            archive_files_checked: self.archive_files_checked,
        }
    }

    /// Compares the checkpoint with the chain, whose intact part ends at
    /// row `head`.
    fn compare_checkpoint(&self, head: i64) -> (CheckpointStatus, Option<BrokenLink>) {
        let Some(path) = &self.checkpoint_path else { return (CheckpointStatus::NotConfigured, None) };
        let found = match &self.checkpoint {
            Ok(Some(found)) => found,
            Ok(None) => return (CheckpointStatus::Missing { path: path.clone() }, None),
            Err(reason) => return (CheckpointStatus::Unreadable { path: path.clone(), reason: reason.clone() }, None),
        };
        let claimed = &found.head;
        let status = match found.authenticate(self.walk.keys) {
            Authenticity::Valid => CheckpointStatus::Signed { seq: claimed.seq, key_id: claimed.key_id.clone() },
            Authenticity::KeyMissing => {
                CheckpointStatus::Unauthenticated { seq: claimed.seq, key_id: claimed.key_id.clone() }
            }
            Authenticity::BadSignature => {
                let broken = BrokenLink {
                    seq: claimed.seq,
                    reason: format!(
                        "the checkpoint `{}` does not carry a valid signature: it was edited or written without \
                         the key",
                        path.display()
                    ),
                };
                return (CheckpointStatus::BadSignature { seq: claimed.seq }, Some(broken));
            }
        };
        if head < claimed.seq {
            let reason = format!(
                "rows {} to {} are missing: the checkpoint `{}` was written when the log reached row {}, and the \
                 database now ends at row {head}; the last rows were deleted",
                head + 1,
                claimed.seq,
                path.display(),
                claimed.seq
            );
            return (status, Some(BrokenLink { seq: head + 1, reason }));
        }
        if self.checkpointed_link.as_deref() != Some(claimed.mac.as_str()) {
            let reason = format!(
                "row {} is not the row the checkpoint `{}` signed: its link differs, so the log was rewritten from \
                 here or before",
                claimed.seq,
                path.display()
            );
            return (status, Some(BrokenLink { seq: claimed.seq, reason }));
        }
        (status, None)
    }
}
