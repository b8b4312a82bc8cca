//! Verifying the audit chain in SQLite: the rows in order, handed to the
//! back-end-neutral [`ChainVerifier`].

use std::path::PathBuf;

use super::audit::{AUDIT_COLUMNS, stored};
use super::store::SqliteStore;
use crate::chain::archive;
use crate::chain::walk::{ChainVerifier, RawColumns};
use crate::store::{ChainReport, StoreError};

impl SqliteStore {
    /// Walks the whole audit log and reports the first row that was edited,
    /// removed, inserted or moved, and whether the log lost its tail since
    /// the last checkpoint.
    ///
    /// With the store's keys each keyed row's MAC is recomputed, which
    /// someone without the key cannot forge; without them only the unkeyed
    /// links are checked, and [`ChainReport::check`] says so.
    ///
    /// ```
    /// use monitor_sinks::sqlite::{ChainCheck, SqliteStore};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = SqliteStore::open(dir.path().join("audit.db")).unwrap();
    /// let report = store.verify_audit_chain().unwrap();
    /// assert!(report.is_intact());
    /// assert_eq!(report.rows, 0);
    /// // No key: only the unkeyed links could be checked.
    /// assert_eq!(report.check, ChainCheck::UnkeyedLinksOnly);
    /// assert!(!report.is_authentic());
    /// ```
    pub fn verify_audit_chain(&self) -> Result<ChainReport, StoreError> {
        self.walk_audit_chain(None)
    }

    /// The walk, after the archived rows: through the archive `files` when
    /// given, else from the latest archive checkpoint.
    pub(crate) fn walk_audit_chain(&self, files: Option<&[PathBuf]>) -> Result<ChainReport, StoreError> {
        let fail = |e: rusqlite::Error| self.error("walking the audit log", &e);
        let mut verifier = ChainVerifier::new(self.audit_chain());
        let checkpoints = super::audit_archive::checkpoints(self.connection()).map_err(fail)?;
        archive::lead_in(&mut verifier, &self.audit_chain().keys, &checkpoints, files);
        let mut statement =
            self.connection().prepare(&format!("SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq")).map_err(fail)?;
        let mut rows = statement.query([]).map_err(fail)?;
        while let Some(row) = rows.next().map_err(fail)? {
            let audit = stored(row).map_err(fail)?;
            let raw = RawColumns {
                timestamp_ms: row.get(1).map_err(fail)?,
                status: row.get(4).map_err(fail)?,
                details: row.get(10).map_err(fail)?,
                detail_errors: row.get(12).map_err(fail)?,
            };
            if !verifier.row(&audit, &raw) {
                break;
            }
        }
        Ok(verifier.report())
    }
}
