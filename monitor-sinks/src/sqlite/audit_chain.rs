//! The SQLite side of the audit chain: where its checkpoint goes by default
//! (beside the file), and the check made before a batch extends the chain.
//! What the chain is and how it is checked is in `crate::chain`.

use std::path::Path;

use monitor_runtime::SinkErrorKind;
use rusqlite::{OptionalExtension, Transaction, params};

use super::store::{SqliteStore, classify};
use crate::chain::checkpoint;
use crate::chain::state::AuditChain;
pub use crate::chain::state::AuditChainOptions;
use crate::store::StoreError;

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

/// The chain of the SQLite file at `database`: with keys and no checkpoint
/// path given, the checkpoint goes beside the file.
pub(crate) fn chain_of(database: &Path, options: &AuditChainOptions) -> AuditChain {
    let checkpoint =
        options.checkpoint.clone().or_else(|| (!options.keys.is_empty()).then(|| checkpoint::default_path(database)));
    AuditChain::new(options.keys.clone(), checkpoint)
}

/// Before extending the chain: the row the checkpoint signed must still be
/// there with the link it signed.
pub(crate) fn check_checkpoint(chain: &AuditChain, tx: &Transaction<'_>) -> Result<(), AppendError> {
    let Some(head) = chain.checkpointed_head().map_err(AppendError::Refused)? else { return Ok(()) };
    let link: Option<String> =
        tx.query_row("SELECT hash FROM audit_log WHERE seq = ?1", params![head.seq], |row| row.get(0)).optional()?;
    chain.check_checkpointed_link(&head, link.as_deref()).map_err(AppendError::Refused)
}

impl SqliteStore {
    /// Where this store keeps the signed checkpoint of its audit chain;
    /// `None` when it has no key (and so keeps none).
    pub fn audit_checkpoint_path(&self) -> Option<&Path> {
        self.audit_chain().checkpoint.as_deref()
    }
}
