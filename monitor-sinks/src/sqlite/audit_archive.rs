//! Archiving the audit log of a SQLite file: the next segment's rows, its
//! file (written and synced first), then in one transaction the checkpoint
//! row and the removal of the rows it covers (the delete trigger refuses
//! any row no checkpoint covers). The file format and the checkpoint's MAC
//! are in `crate::chain::archive`.

use std::path::PathBuf;
use std::time::SystemTime;

use monitor_runtime::SinkErrorKind;
use rusqlite::{Connection, OptionalExtension, params};

use super::audit::AUDIT_COLUMNS;
use super::store::{SqliteStore, millis};
use crate::chain::archive::{self, ArchiveCheckpoint, ArchivedRow, SEGMENT_ROWS};
use crate::chain::walk::ChainVerifier;
use crate::store::{AuditArchive, AuditRetention, ChainReport, StoreError};

const CHECKPOINT_COLUMNS: &str =
    "first_seq, up_to_seq, last_hash, last_key_id, file_name, row_count, sha256, archived_ms, key_id, mac";

/// The checkpoint rows, oldest first.
pub(crate) fn checkpoints(connection: &Connection) -> rusqlite::Result<Vec<ArchiveCheckpoint>> {
    let mut statement =
        connection.prepare_cached(&format!("SELECT {CHECKPOINT_COLUMNS} FROM audit_archives ORDER BY up_to_seq"))?;
    let rows = statement.query_map([], |row| {
        Ok(ArchiveCheckpoint {
            first_seq: row.get(0)?,
            up_to_seq: row.get(1)?,
            last_hash: row.get(2)?,
            last_key_id: row.get(3)?,
            file_name: row.get(4)?,
            rows: row.get(5)?,
            sha256: row.get(6)?,
            archived_ms: row.get(7)?,
            key_id: row.get(8)?,
            mac: row.get(9)?,
        })
    })?;
    rows.collect()
}

/// The rows before this seq may be archived: the first row not older than
/// the cutoff (?1), the last row (the chain's head stays, so appends always
/// find their tail), and the row the head checkpoint file names (?2).
const ARCHIVABLE_BEFORE: &str = "(SELECT min(s) FROM (SELECT max(seq) AS s FROM audit_log
    UNION ALL SELECT min(seq) FROM audit_log WHERE timestamp_ms >= ?1 UNION ALL SELECT ?2))";

impl SqliteStore {
    /// The archived segments, oldest first.
    pub fn audit_archives(&self) -> Result<Vec<AuditArchive>, StoreError> {
        let found = checkpoints(self.connection()).map_err(|e| self.error("reading the audit archives", &e))?;
        Ok(found.iter().map(ArchiveCheckpoint::public).collect())
    }

    /// The seq the head checkpoint file names, if any (rows from it on stay).
    fn head_guard(&self) -> i64 {
        match self.audit_chain().checkpointed_head() {
            Ok(Some(head)) => head.seq,
            _ => i64::MAX,
        }
    }

    /// How many rows archiving at `now` would take, and the last of them.
    pub(crate) fn audit_archive_plan(
        &self,
        retention: &AuditRetention,
        now: SystemTime,
    ) -> Result<(u64, Option<i64>), StoreError> {
        let cutoff = millis(now.checked_sub(retention.older_than).unwrap_or(std::time::UNIX_EPOCH));
        let sql = format!("SELECT count(*), max(seq) FROM audit_log WHERE seq < {ARCHIVABLE_BEFORE}");
        self.connection()
            .query_row(&sql, params![cutoff, self.head_guard()], |row| Ok((row.get::<_, i64>(0)? as u64, row.get(1)?)))
            .map_err(|e| self.error("planning the audit archive", &e))
    }

    /// Archives the next segment of rows older than the retention's age;
    /// `None` when there is none.
    pub(crate) fn archive_segment(
        &mut self,
        retention: &AuditRetention,
        now: SystemTime,
    ) -> Result<Option<AuditArchive>, StoreError> {
        let path = self.path().to_owned();
        let fail = |doing: &'static str| {
            let path = path.clone();
            move |e: rusqlite::Error| super::store::classify(&path, doing, &e)
        };
        let cutoff = millis(now.checked_sub(retention.older_than).unwrap_or(std::time::UNIX_EPOCH));
        let known = checkpoints(self.connection()).map_err(fail("reading the audit archives"))?;
        let rows = {
            let sql =
                format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq < {ARCHIVABLE_BEFORE} ORDER BY seq LIMIT ?3");
            let mut statement = self.connection().prepare(&sql).map_err(fail("reading audit rows to archive"))?;
            let rows = statement
                .query_map(params![cutoff, self.head_guard(), SEGMENT_ROWS], archived_row)
                .map_err(fail("reading audit rows to archive"))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(fail("reading audit rows to archive"))?
        };
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else { return Ok(None) };
        self.check_before_archiving(&known, &rows)?;
        let checkpoint = ArchiveCheckpoint::write(&retention.archive_dir, &rows, &self.audit_chain().keys)?;
        let (tx, _) = self.transaction().map_err(fail("starting the archive transaction"))?;
        // Another process may have archived or rewritten meanwhile: the
        // segment must still start after the latest checkpoint and end with
        // the row it read.
        let latest: Option<i64> = tx
            .query_row("SELECT max(up_to_seq) FROM audit_archives", [], |row| row.get(0))
            .map_err(fail("reading the audit archives"))?;
        let stored_last: Option<String> = tx
            .query_row("SELECT hash FROM audit_log WHERE seq = ?1", params![last.seq], |row| row.get(0))
            .optional()
            .map_err(fail("reading audit rows to archive"))?;
        if latest != known.last().map(|c| c.up_to_seq) || stored_last.as_deref() != Some(last.hash.as_str()) {
            return Err(StoreError {
                kind: SinkErrorKind::Locked,
                message: format!(
                    "SQLite file `{}`: the audit log changed while rows {} to {} were being archived (another \
                     process archived them?); nothing was removed: run it again",
                    path.display(),
                    first.seq,
                    last.seq
                ),
            });
        }
        tx.execute(
            &format!(
                "INSERT INTO audit_archives ({CHECKPOINT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ),
            params![
                checkpoint.first_seq,
                checkpoint.up_to_seq,
                checkpoint.last_hash,
                checkpoint.last_key_id,
                checkpoint.file_name,
                checkpoint.rows,
                checkpoint.sha256,
                checkpoint.archived_ms,
                checkpoint.key_id,
                checkpoint.mac,
            ],
        )
        .map_err(fail("recording the audit archive"))?;
        tx.execute("DELETE FROM audit_log WHERE seq BETWEEN ?1 AND ?2", params![first.seq, last.seq])
            .map_err(fail("removing archived audit rows"))?;
        tx.commit().map_err(fail("committing the audit archive"))?;
        Ok(Some(checkpoint.public()))
    }

    /// Archiving is refused when the rows do not verify: the file would
    /// carry the break away from the store that can show it.
    fn check_before_archiving(&self, known: &[ArchiveCheckpoint], rows: &[ArchivedRow]) -> Result<(), StoreError> {
        let mut verifier = ChainVerifier::new(self.audit_chain());
        archive::lead_in(&mut verifier, &self.audit_chain().keys, known, None);
        for row in rows {
            let (audit, raw) = row.for_walk();
            if !verifier.row(&audit, &raw) {
                break;
            }
        }
        match verifier.report().first_broken {
            Some(broken) if broken.seq <= rows.last().map_or(0, |row| row.seq) => Err(StoreError {
                kind: SinkErrorKind::Rejected,
                message: format!(
                    "SQLite file `{}`: the audit chain is broken at row {} ({}); nothing was archived: run \
                     verify_audit_chain and look into it first",
                    self.path().display(),
                    broken.seq,
                    broken.reason
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Walks the archive files at `archives` and then the rows the file
    /// holds, as one chain (see
    /// [`Store::verify_audit_chain_with_archives`](crate::store::Store::verify_audit_chain_with_archives)).
    pub fn verify_audit_chain_with_archives(&self, archives: &[PathBuf]) -> Result<ChainReport, StoreError> {
        self.walk_audit_chain(Some(archives))
    }
}

fn archived_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ArchivedRow> {
    Ok(ArchivedRow {
        seq: row.get(0)?,
        timestamp_ms: row.get(1)?,
        process: row.get(2)?,
        action: row.get(3)?,
        status: row.get(4)?,
        reference_kind: row.get(5)?,
        reference_id: row.get(6)?,
        actor: row.get(7)?,
        trace_id: row.get(8)?,
        service: row.get(9)?,
        details: row.get(10)?,
        truncated: row.get(11)?,
        detail_errors: row.get(12)?,
        prev_hash: row.get(13)?,
        hash: row.get(14)?,
        key_id: row.get(15)?,
    })
}
