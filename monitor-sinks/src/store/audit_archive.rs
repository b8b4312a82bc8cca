//! Archived audit segments as every store lists them: what each
//! checkpoint row of the `audit_archives` table says.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

/// One archived segment of the audit chain: rows `first_seq` to
/// `up_to_seq`, moved to the file `file_name` and removed from the store in
/// the same transaction that recorded this checkpoint.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use std::sync::Arc;
/// use monitor_sinks::sqlite::SqliteStore;
/// use monitor_sinks::store::Store;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let dir = tempfile::tempdir().unwrap();
/// let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("monitor.db")).unwrap().shared());
/// assert!(store.audit_archives().await.unwrap().is_empty());
/// # });
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditArchive {
    /// The first row in the file.
    pub first_seq: i64,
    /// The last row in the file: the store's chain goes on at the next.
    pub up_to_seq: i64,
    /// The link (hash or MAC) of row `up_to_seq`.
    pub last_hash: String,
    /// Rows in the file.
    pub rows: u64,
    /// The file's name (in the archive directory it was written to).
    pub file_name: String,
    /// SHA-256 of the whole file, as hex.
    pub sha256: String,
    /// When it was archived.
    pub archived_at: SystemTime,
    /// The key that signed the checkpoint row; `None`: an unkeyed store.
    pub key_id: Option<String>,
}

impl AuditArchive {
    /// Where the file is when it is still in `archive_dir`.
    pub fn path_in(&self, archive_dir: &Path) -> PathBuf {
        archive_dir.join(&self.file_name)
    }
}
