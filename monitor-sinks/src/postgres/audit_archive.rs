//! Archiving the audit log of a PostgreSQL database: the next segment's
//! rows, its file (written and synced first), then in one transaction under
//! the audit lock the checkpoint row and the removal of the rows it covers
//! (the append-only trigger refuses any row no checkpoint covers). The file
//! format and the checkpoint's MAC are in `crate::chain::archive`.

use std::time::SystemTime;

use monitor_runtime::SinkErrorKind;
use tokio_postgres::Row;

use super::audit::AUDIT_COLUMNS;
use super::error::refused;
use super::store::{AUDIT_LOCK, PostgresStore, lock};
use crate::chain::archive::{self, ArchiveCheckpoint, ArchivedRow, SEGMENT_ROWS};
use crate::chain::walk::ChainVerifier;
use crate::store::{AuditArchive, AuditRetention, StoreError, millis};

const CHECKPOINTS: &str = "SELECT first_seq, up_to_seq, last_hash, last_key_id, file_name, row_count, sha256,
    archived_ms, key_id, mac FROM audit_archives ORDER BY up_to_seq";

/// The rows before this seq may be archived: the first row not older than
/// the cutoff ($1), the last row (the chain's head stays, so appends always
/// find their tail), and the row the head checkpoint file names ($2).
const ARCHIVABLE_BEFORE: &str = "(SELECT min(s) FROM (SELECT max(seq) AS s FROM audit_log
    UNION ALL SELECT min(seq) FROM audit_log WHERE timestamp_ms >= $1 UNION ALL SELECT $2::bigint) AS limits)";

fn checkpoint(row: &Row) -> ArchiveCheckpoint {
    ArchiveCheckpoint {
        first_seq: row.get(0),
        up_to_seq: row.get(1),
        last_hash: row.get(2),
        last_key_id: row.get(3),
        file_name: row.get(4),
        rows: row.get(5),
        sha256: row.get(6),
        archived_ms: row.get(7),
        key_id: row.get(8),
        mac: row.get(9),
    }
}

/// The checkpoint rows, oldest first, as `tx` sees them.
pub(crate) async fn checkpoints(
    tx: &tokio_postgres::Transaction<'_>,
    store: &PostgresStore,
) -> Result<Vec<ArchiveCheckpoint>, StoreError> {
    let rows = tx.query(CHECKPOINTS, &[]).await.map_err(store.fail("reading the audit archives"))?;
    Ok(rows.iter().map(checkpoint).collect())
}

fn archived_row(row: &Row) -> ArchivedRow {
    ArchivedRow {
        seq: row.get(0),
        timestamp_ms: row.get(1),
        process: row.get(2),
        action: row.get(3),
        status: row.get(4),
        reference_kind: row.get(5),
        reference_id: row.get(6),
        actor: row.get(7),
        trace_id: row.get(8),
        service: row.get(9),
        details: row.get(10),
        truncated: row.get(11),
        detail_errors: row.get(12),
        prev_hash: row.get(13),
        hash: row.get(14),
        key_id: row.get(15),
    }
}

impl PostgresStore {
    /// The archived segments, oldest first.
    pub(crate) async fn read_audit_archives(&self) -> Result<Vec<AuditArchive>, StoreError> {
        let client = self.client().await?;
        let rows = client.query(CHECKPOINTS, &[]).await.map_err(self.fail("reading the audit archives"))?;
        Ok(rows.iter().map(|row| checkpoint(row).public()).collect())
    }

    /// The seq the head checkpoint file names, if any (rows from it on stay).
    fn head_guard(&self) -> i64 {
        match self.audit_chain().checkpointed_head() {
            Ok(Some(head)) => head.seq,
            _ => i64::MAX,
        }
    }

    /// How many rows archiving at `now` would take, and the last of them.
    pub(crate) async fn audit_archive_plan(
        &self,
        retention: &AuditRetention,
        now: SystemTime,
    ) -> Result<(u64, Option<i64>), StoreError> {
        let cutoff = millis(now.checked_sub(retention.older_than).unwrap_or(std::time::UNIX_EPOCH));
        let sql = format!("SELECT count(*), max(seq) FROM audit_log WHERE seq < {ARCHIVABLE_BEFORE}");
        let client = self.client().await?;
        let row = client
            .query_one(&sql, &[&cutoff, &self.head_guard()])
            .await
            .map_err(self.fail("planning the audit archive"))?;
        Ok((row.get::<_, i64>(0).max(0) as u64, row.get(1)))
    }

    /// Archives the next segment of rows older than the retention's age;
    /// `None` when there is none.
    pub(crate) async fn archive_segment(
        &self,
        retention: &AuditRetention,
        now: SystemTime,
    ) -> Result<Option<AuditArchive>, StoreError> {
        let cutoff = millis(now.checked_sub(retention.older_than).unwrap_or(std::time::UNIX_EPOCH));
        let mut client = self.client().await?;
        let (known, rows) = {
            let tx = client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await
                .map_err(self.fail("starting to read audit rows to archive"))?;
            let known = checkpoints(&tx, self).await?;
            let sql =
                format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq < {ARCHIVABLE_BEFORE} ORDER BY seq LIMIT $3");
            let rows = tx
                .query(&sql, &[&cutoff, &self.head_guard(), &SEGMENT_ROWS])
                .await
                .map_err(self.fail("reading audit rows to archive"))?;
            tx.commit().await.map_err(self.fail("reading audit rows to archive"))?;
            (known, rows.iter().map(archived_row).collect::<Vec<_>>())
        };
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else { return Ok(None) };
        self.check_before_archiving(&known, &rows)?;
        let checkpoint = ArchiveCheckpoint::write(&retention.archive_dir, &rows, &self.audit_chain().keys)?;
        let tx = client.transaction().await.map_err(self.fail("starting the archive transaction"))?;
        // No one appends or archives meanwhile; the segment must still start
        // after the latest checkpoint and end with the row it read.
        lock(&tx, AUDIT_LOCK, self).await?;
        let latest: Option<i64> = tx
            .query_one("SELECT max(up_to_seq) FROM audit_archives", &[])
            .await
            .map_err(self.fail("reading the audit archives"))?
            .get(0);
        let stored_last: Option<String> = tx
            .query_opt("SELECT hash FROM audit_log WHERE seq = $1", &[&last.seq])
            .await
            .map_err(self.fail("reading audit rows to archive"))?
            .map(|row| row.get(0));
        if latest != known.last().map(|c| c.up_to_seq) || stored_last.as_deref() != Some(last.hash.as_str()) {
            return Err(StoreError {
                kind: SinkErrorKind::Locked,
                message: format!(
                    "{}: the audit log changed while rows {} to {} were being archived (another instance archived \
                     them?); nothing was removed: run it again",
                    self.database(),
                    first.seq,
                    last.seq
                ),
            });
        }
        tx.execute(
            "INSERT INTO audit_archives (first_seq, up_to_seq, last_hash, last_key_id, file_name, row_count, sha256,
                archived_ms, key_id, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &checkpoint.first_seq,
                &checkpoint.up_to_seq,
                &checkpoint.last_hash,
                &checkpoint.last_key_id,
                &checkpoint.file_name,
                &checkpoint.rows,
                &checkpoint.sha256,
                &checkpoint.archived_ms,
                &checkpoint.key_id,
                &checkpoint.mac,
            ],
        )
        .await
        .map_err(self.fail("recording the audit archive"))?;
        tx.execute("DELETE FROM audit_log WHERE seq BETWEEN $1 AND $2", &[&first.seq, &last.seq])
            .await
            .map_err(self.fail("removing archived audit rows"))?;
        tx.commit().await.map_err(self.fail("committing the audit archive"))?;
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
            Some(broken) if broken.seq <= rows.last().map_or(0, |row| row.seq) => Err(refused(
                self.database(),
                &format!(
                    "the audit chain is broken at row {} ({}); nothing was archived: run verify_audit_chain and \
                     look into it first",
                    broken.seq, broken.reason
                ),
            )),
            _ => Ok(()),
        }
    }
}
