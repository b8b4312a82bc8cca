//! How a store keys its audit chain: the keys it was given, where its
//! checkpoint goes, and the checks made before a batch extends the chain.

use std::path::{Path, PathBuf};

use monitor_runtime::SinkErrorKind;
use rusqlite::{OptionalExtension, Transaction, params};

use super::store::{SqliteStore, classify};
use crate::chain::checkpoint::{self, Authenticity, ChainHead};
use crate::chain::key::AuditKeyRing;
use crate::store::StoreError;

/// How the audit chain is keyed and checkpointed.
///
/// With no key, rows are written as unkeyed SHA-256 links (as older
/// versions did) and no checkpoint is kept. With keys, the first signs each
/// new row with HMAC-SHA256, and after each committed batch a checkpoint of
/// the head is written to `checkpoint`, or beside the database as
/// `<file name>.audit-checkpoint` when `checkpoint` is `None`.
///
/// ```
/// use monitor_sinks::sqlite::{AuditChainOptions, AuditKey, SqliteOptions, SqliteStore};
///
/// let dir = tempfile::tempdir().unwrap();
/// let key = AuditKey::from_hex(&"5a".repeat(32)).unwrap();
/// let options = SqliteOptions { audit: AuditChainOptions::keyed(key), ..SqliteOptions::default() };
/// let store = SqliteStore::open_with(dir.path().join("audit.db"), &options).unwrap();
/// assert_eq!(store.audit_checkpoint_path(), Some(dir.path().join("audit.db.audit-checkpoint").as_path()));
/// ```
#[derive(Clone, Debug, Default)]
pub struct AuditChainOptions {
    /// The keys: the first signs, all verify. Empty: unkeyed links only.
    pub keys: AuditKeyRing,
    /// Where the signed checkpoint is kept; `None`: beside the database.
    pub checkpoint: Option<PathBuf>,
}

impl AuditChainOptions {
    /// Keyed with `keys` (one [`AuditKey`](super::AuditKey) or a ring), the
    /// checkpoint beside the database.
    pub fn keyed(keys: impl Into<AuditKeyRing>) -> Self {
        AuditChainOptions { keys: keys.into(), checkpoint: None }
    }
}

/// A store's audit chain settings, resolved against its file.
#[derive(Debug)]
pub(crate) struct AuditChain {
    pub(crate) keys: AuditKeyRing,
    pub(crate) checkpoint: Option<PathBuf>,
    /// A head whose checkpoint could not be written yet; tried again after
    /// the next batch.
    unwritten: Option<ChainHead>,
}

/// Why a batch's audit records were not appended.
#[derive(Debug)]
pub(crate) enum AppendError {
    Sql(rusqlite::Error),
    /// The chain is not in a state this store may extend; the message says
    /// why and what to do.
    Refused(String),
}

impl AppendError {
    /// As the store reports it: a refusal is `Rejected`, so the records are
    /// counted as `sqlite:audit_rejected` drops with this message.
    pub(crate) fn in_file(self, database: &Path) -> StoreError {
        match self {
            AppendError::Sql(error) => classify(database, "appending to the audit log", &error),
            AppendError::Refused(message) => StoreError {
                kind: SinkErrorKind::Rejected,
                message: format!("SQLite file `{}`: {message}", database.display()),
            },
        }
    }
}

impl From<rusqlite::Error> for AppendError {
    fn from(error: rusqlite::Error) -> Self {
        AppendError::Sql(error)
    }
}

impl AuditChain {
    pub(crate) fn new(database: &Path, options: &AuditChainOptions) -> Self {
        let checkpoint = options
            .checkpoint
            .clone()
            .or_else(|| (!options.keys.is_empty()).then(|| checkpoint::default_path(database)));
        AuditChain { keys: options.keys.clone(), checkpoint, unwritten: None }
    }

    /// Before extending the chain: the row the checkpoint signed must still
    /// be there with the link it signed. Otherwise the tail was deleted or
    /// rewritten, and appending would bury that under a new checkpoint.
    pub(crate) fn check_checkpoint(&self, tx: &Transaction<'_>) -> Result<(), AppendError> {
        let Some(path) = &self.checkpoint else { return Ok(()) };
        let found = checkpoint::read(path).map_err(|reason| {
            AppendError::Refused(format!(
                "the audit checkpoint `{}` cannot be used: {reason}; audit records are not appended until it \
                 is looked into (run verify_audit_chain, then move the file aside to start a new one)",
                path.display()
            ))
        })?;
        let Some(found) = found else { return Ok(()) };
        match found.authenticate(&self.keys) {
            // Signed with a key this store was not given: it cannot tell a
            // forged checkpoint from a real one, and verification with the
            // full ring reports it.
            Authenticity::KeyMissing => return Ok(()),
            Authenticity::BadSignature => {
                return Err(AppendError::Refused(format!(
                    "the audit checkpoint `{}` does not carry a valid signature: it was edited or written \
                     without the key; audit records are not appended until it is looked into (run \
                     verify_audit_chain)",
                    path.display()
                )));
            }
            Authenticity::Valid => {}
        }
        let head = &found.head;
        let link: Option<String> = tx
            .query_row("SELECT hash FROM audit_log WHERE seq = ?1", params![head.seq], |row| row.get(0))
            .optional()?;
        if link.as_deref() != Some(head.mac.as_str()) {
            let what = if link.is_none() { "is missing" } else { "was replaced" };
            return Err(AppendError::Refused(format!(
                "the audit log row {} that the checkpoint `{}` signed {what}: the log was truncated or \
                 rewritten; audit records are not appended to it (run verify_audit_chain; after a power loss \
                 that lost the last commits, move the checkpoint aside to go on)",
                head.seq,
                path.display()
            )));
        }
        Ok(())
    }

    /// After a committed batch: writes the checkpoint of the new head (or of
    /// one whose checkpoint failed before). The rows are committed whatever
    /// happens here, so a failure is not the batch's: it is reported on
    /// stderr and tried again after the next batch.
    pub(crate) fn after_commit(&mut self, head: Option<ChainHead>) {
        let (Some(path), Some(head)) = (&self.checkpoint, head.or_else(|| self.unwritten.take())) else { return };
        let Some(key) = self.keys.get(&head.key_id) else { return };
        match checkpoint::write(path, &head, key) {
            Ok(()) => self.unwritten = None,
            Err(error) => {
                eprintln!(
                    "monitor: sqlite: writing the audit checkpoint `{}` failed: {error}; the audit rows up to {} \
                     are stored, but until a checkpoint is written the deletion of the last rows cannot be \
                     detected; it is tried again after the next batch",
                    path.display(),
                    head.seq
                );
                self.unwritten = Some(head);
            }
        }
    }
}

impl SqliteStore {
    /// Where this store keeps the signed checkpoint of its audit chain;
    /// `None` when it has no key (and so keeps none).
    pub fn audit_checkpoint_path(&self) -> Option<&Path> {
        self.audit_chain().checkpoint.as_deref()
    }
}
