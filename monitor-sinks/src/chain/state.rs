//! How a store keys its audit chain: the keys it was given, where its
//! checkpoint goes, and the checks made before a batch extends the chain.
//! The same for every store; each store reads the rows in its own SQL.

use std::path::PathBuf;

use parking_lot::Mutex;

use super::checkpoint::{self, Authenticity, ChainHead};
use super::key::AuditKeyRing;

/// How the audit chain is keyed and checkpointed.
///
/// With no key, rows are written as unkeyed SHA-256 links (as older
/// versions did) and no checkpoint is kept. With keys, the first signs each
/// new row with HMAC-SHA256, and after each committed batch a signed
/// checkpoint of the head is written to `checkpoint`. When `checkpoint` is
/// `None`, the SQLite store keeps it beside its file
/// (`<file name>.audit-checkpoint`); the PostgreSQL store, which has no file,
/// then keeps none (and verification says so).
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use monitor_sinks::sqlite::{AuditChainOptions, AuditKey, SqliteOptions, SqliteStore};
///
/// let dir = tempfile::tempdir().unwrap();
/// let key = AuditKey::from_hex(&"5a".repeat(32)).unwrap();
/// let options = SqliteOptions { audit: AuditChainOptions::keyed(key), ..SqliteOptions::default() };
/// let store = SqliteStore::open_with(dir.path().join("audit.db"), &options).unwrap();
/// assert_eq!(store.audit_checkpoint_path(), Some(dir.path().join("audit.db.audit-checkpoint").as_path()));
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct AuditChainOptions {
    /// The keys: the first signs, all verify. Empty: unkeyed links only.
    pub keys: AuditKeyRing,
    /// Where the signed checkpoint is kept; `None`: the store's default
    /// (beside a SQLite file; none for PostgreSQL).
    pub checkpoint: Option<PathBuf>,
}

impl AuditChainOptions {
    /// Keyed with `keys` (one [`AuditKey`](super::key::AuditKey) or a ring),
    /// the checkpoint where the store keeps it by default.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use monitor_sinks::sqlite::{AuditChainOptions, AuditKey};
    ///
    /// let options = AuditChainOptions::keyed(AuditKey::from_hex(&"5a".repeat(32)).unwrap());
    /// assert_eq!(options.keys.len(), 1);
    /// # }
    /// ```
    pub fn keyed(keys: impl Into<AuditKeyRing>) -> Self {
        AuditChainOptions { keys: keys.into(), checkpoint: None }
    }

    /// The same, with the checkpoint kept at `path`.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use monitor_sinks::sqlite::{AuditChainOptions, AuditKey};
    ///
    /// let key = AuditKey::from_hex(&"5a".repeat(32)).unwrap();
    /// let options = AuditChainOptions::keyed(key).checkpoint_at("/var/lib/monitor/audit-checkpoint");
    /// assert!(options.checkpoint.is_some());
    /// # }
    /// ```
    pub fn checkpoint_at(mut self, path: impl Into<PathBuf>) -> Self {
        self.checkpoint = Some(path.into());
        self
    }
}

/// A store's audit chain settings, its checkpoint path resolved.
#[derive(Debug)]
pub(crate) struct AuditChain {
    pub(crate) keys: AuditKeyRing,
    pub(crate) checkpoint: Option<PathBuf>,
    /// A head whose checkpoint could not be written yet; tried again after
    /// the next batch.
    unwritten: Mutex<Option<ChainHead>>,
}

impl AuditChain {
    /// The chain of a store keyed with `keys`, its checkpoint at `checkpoint`
    /// (none: no checkpoint is kept).
    pub(crate) fn new(keys: AuditKeyRing, checkpoint: Option<PathBuf>) -> Self {
        AuditChain { keys, checkpoint, unwritten: Mutex::new(None) }
    }

    /// Before extending the chain: the head the checkpoint signed, whose row
    /// the store must still hold with the same link (see
    /// [`check_checkpointed_link`](Self::check_checkpointed_link)). `None`:
    /// nothing to check (no checkpoint kept or written yet, or one signed by
    /// a key this store lacks, which verification with the full ring
    /// reports). `Err`: a refusal saying why and what to do.
    pub(crate) fn checkpointed_head(&self) -> Result<Option<ChainHead>, String> {
        let Some(path) = &self.checkpoint else { return Ok(None) };
        let found = checkpoint::read(path).map_err(|reason| {
            format!(
                "the audit checkpoint `{}` cannot be used: {reason}; audit records are not appended until it \
                 is looked into (run verify_audit_chain, then move the file aside to start a new one)",
                path.display()
            )
        })?;
        let Some(found) = found else { return Ok(None) };
        match found.authenticate(&self.keys) {
            Authenticity::KeyMissing => Ok(None),
            Authenticity::BadSignature => Err(format!(
                "the audit checkpoint `{}` does not carry a valid signature: it was edited or written without \
                 the key; audit records are not appended until it is looked into (run verify_audit_chain)",
                path.display()
            )),
            Authenticity::Valid => Ok(Some(found.head)),
        }
    }

    /// The row the checkpoint signed must still be there with the link it
    /// signed (`stored`: the link the store holds at that row). Otherwise
    /// the tail was deleted or rewritten, and appending would bury that
    /// under a new checkpoint.
    pub(crate) fn check_checkpointed_link(&self, head: &ChainHead, stored: Option<&str>) -> Result<(), String> {
        if stored == Some(head.mac.as_str()) {
            return Ok(());
        }
        let what = if stored.is_none() { "is missing" } else { "was replaced" };
        let path = self.checkpoint.as_deref().map(|path| path.display().to_string()).unwrap_or_default();
        Err(format!(
            "the audit log row {} that the checkpoint `{path}` signed {what}: the log was truncated or rewritten; \
             audit records are not appended to it (run verify_audit_chain; after a power loss that lost the last \
             commits, move the checkpoint aside to go on)",
            head.seq
        ))
    }

    /// After a committed batch: writes the checkpoint of the new head (or of
    /// one whose checkpoint failed before). The rows are committed whatever
    /// happens here, so a failure is not the batch's: it is reported on
    /// stderr (naming `store`) and tried again after the next batch.
    pub(crate) fn after_commit(&self, head: Option<ChainHead>, store: &str) {
        let Some(path) = &self.checkpoint else { return };
        let mut unwritten = self.unwritten.lock();
        let Some(head) = head.or_else(|| unwritten.take()) else { return };
        let Some(key) = self.keys.get(&head.key_id) else { return };
        match checkpoint::write(path, &head, key) {
            Ok(()) => *unwritten = None,
            Err(error) => {
                eprintln!(
                    "monitor: {store}: writing the audit checkpoint `{}` failed: {error}; the audit rows up to {} \
                     are stored, but until a checkpoint is written the deletion of the last rows cannot be \
                     detected; it is tried again after the next batch",
                    path.display(),
                    head.seq
                );
                *unwritten = Some(head);
            }
        }
    }
}
