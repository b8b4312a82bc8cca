//! What walking the audit chain found, whatever store keeps it.

use std::fmt;
use std::path::PathBuf;

/// The result of walking the audit chain.
///
/// Read [`check`](ChainReport::check) before trusting it: a chain checked
/// without the key ([`ChainCheck::UnkeyedLinksOnly`]) is only known to be
/// consistent, which anyone who can write the file can make it.
/// [`is_authentic`](ChainReport::is_authentic) is the one answer that
/// means "not tampered with by someone without the key".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    /// Rows checked (up to and including the first broken one).
    pub rows: u64,
    /// The first row whose link, content or place does not match, if any.
    pub first_broken: Option<BrokenLink>,
    /// What kind of check was done.
    pub check: ChainCheck,
    /// Rows whose keyed MAC was recomputed with their key.
    pub keyed_rows: u64,
    /// Rows that are unkeyed SHA-256 links (written by versions before
    /// keys, or by a store without a key). Before the first keyed row they
    /// are covered by that row's MAC, which signs the link of the row before.
    pub unkeyed_rows: u64,
    /// What the checkpoint outside the database says.
    pub checkpoint: CheckpointStatus,
    /// Rows 1 to this were archived (see
    /// [`Store::archive_audit`](super::Store::archive_audit)): the walk
    /// started after them, from the latest archive checkpoint.
    pub archived_up_to: Option<i64>,
    /// Archive files walked and matched with their checkpoint (by
    /// [`Store::verify_audit_chain_with_archives`](super::Store::verify_audit_chain_with_archives)).
    pub archive_files_checked: u64,
}

/// What kind of verification [`Store::verify_audit_chain`](super::Store::verify_audit_chain) did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainCheck {
    /// Every keyed row's MAC was recomputed with its key.
    Keyed,
    /// Only the unkeyed links were checked: order, each row's link to the
    /// row before, and the SHA-256 of unkeyed rows. Keyed rows' content was
    /// not checked. Either the store has no key, or no row is keyed.
    UnkeyedLinksOnly,
    /// Rows were signed by keys the store was not given: their MACs were
    /// not checked. Give the store these keys (as previous keys of the ring).
    KeyMissing {
        /// Ids of the keys that are missing.
        key_ids: Vec<String>,
    },
}

/// What the checkpoint file says, apart from any break it shows (those are
/// in [`ChainReport::first_broken`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckpointStatus {
    /// The store has no checkpoint file: it was opened without a key.
    NotConfigured,
    /// There is no checkpoint file at this path: deletion of the last rows
    /// cannot be ruled out (unless the log is empty).
    Missing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The file cannot be read or is not a checkpoint.
    Unreadable {
        /// Its path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Signed with the key it names: the database was compared with it.
    Signed {
        /// The row it vouches for.
        seq: i64,
        /// The key that signed it.
        key_id: String,
    },
    /// Its signature does not match: the file was edited or written
    /// without the key.
    BadSignature {
        /// The row it claims.
        seq: i64,
    },
    /// Signed by a key the store was not given, so not authenticated; its
    /// row number was still compared with the database's head.
    Unauthenticated {
        /// The row it claims.
        seq: i64,
        /// The key it names.
        key_id: String,
    },
}

impl ChainReport {
    /// True when no break was found in what was checked. Without a key
    /// that says little: see [`is_authentic`](ChainReport::is_authentic).
    pub fn is_intact(&self) -> bool {
        self.first_broken.is_none()
    }

    /// True only when nothing is broken, every keyed row's MAC was checked
    /// with its key, and the signed checkpoint matches (or the log is
    /// empty): the log is as the key holder wrote it, and not cut short
    /// since the last checkpoint.
    pub fn is_authentic(&self) -> bool {
        let checkpoint_holds = matches!(self.checkpoint, CheckpointStatus::Signed { .. })
            || (self.rows == 0 && matches!(self.checkpoint, CheckpointStatus::Missing { .. }));
        self.is_intact() && self.check == ChainCheck::Keyed && checkpoint_holds
    }
}

impl fmt::Display for ChainReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} audit rows checked: ", self.rows)?;
        match &self.first_broken {
            Some(broken) => write!(f, "BROKEN at row {}: {}; ", broken.seq, broken.reason)?,
            None => f.write_str("no break found; ")?,
        }
        match &self.check {
            ChainCheck::Keyed => write!(f, "keyed check, {} MACs verified with their keys", self.keyed_rows)?,
            ChainCheck::UnkeyedLinksOnly => f.write_str(
                "UNKEYED LINKS ONLY: checked without a key, which anyone who can write the file can satisfy",
            )?,
            ChainCheck::KeyMissing { key_ids } => {
                write!(f, "KEY MISSING for key id {}: those rows' MACs were not checked", key_ids.join(", "))?
            }
        }
        if self.unkeyed_rows > 0 {
            write!(f, "; {} rows are unkeyed SHA-256 links", self.unkeyed_rows)?;
        }
        if let Some(up_to) = self.archived_up_to {
            match self.archive_files_checked {
                0 => write!(f, "; rows 1 to {up_to} were archived (files not checked)")?,
                n => write!(f, "; rows 1 to {up_to} were archived, {n} archive files checked")?,
            }
        }
        match &self.checkpoint {
            CheckpointStatus::NotConfigured => f.write_str("; no checkpoint: deletion of the last rows not checked"),
            CheckpointStatus::Missing { path } => write!(f, "; checkpoint `{}` missing", path.display()),
            CheckpointStatus::Unreadable { path, reason } => {
                write!(f, "; checkpoint `{}` unreadable: {reason}", path.display())
            }
            CheckpointStatus::Signed { seq, .. } => write!(f, "; signed checkpoint at row {seq}"),
            CheckpointStatus::BadSignature { seq } => write!(f, "; checkpoint (row {seq}) has a bad signature"),
            CheckpointStatus::Unauthenticated { seq, key_id } => {
                write!(f, "; checkpoint at row {seq} NOT authenticated (key id {key_id} missing)")
            }
        }
    }
}

/// Where and why the chain breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenLink {
    /// The first row that does not match, or the first that is missing
    /// (deleted rows, a truncated tail).
    pub seq: i64,
    /// What does not match.
    pub reason: String,
}
