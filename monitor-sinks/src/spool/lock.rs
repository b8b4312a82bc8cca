//! One owner per spool file: two processes sharing a spool directory (or a
//! monitor installed again while the old one's delivery thread still runs)
//! would otherwise truncate and rewrite each other's lines.
//!
//! The owner holds an advisory exclusive lock (`flock` on Unix,
//! `LockFileEx` on Windows) on the spool's lock file for as long as the
//! spool is open; the operating system releases it when the process ends,
//! however it ends. A second instance does not wait: it takes the next free
//! slot (its own files, `<name>.<fingerprint>.<slot>.spool.*`) and says so.
//! Whoever next owns a slot and finds another slot's files unowned takes
//! their records over, so nothing stays behind in a slot no process uses.

use std::fs::{File, TryLockError};
use std::io;
use std::path::Path;

use super::files::{MAX_SLOTS, SpoolFiles};
use super::private;

/// An exclusive lock held on a lock file until dropped.
#[derive(Debug)]
pub(super) struct Owner {
    /// Kept open: closing it releases the lock.
    _file: Option<File>,
}

/// What taking a lock found.
pub(super) enum Claim {
    /// Ours now.
    Owned(Owner),
    /// Another open spool (in this process or another) holds it.
    Busy,
    /// The file system cannot lock files (some network file systems):
    /// used unlocked, one process per directory being the user's care.
    Unsupported(Owner, io::Error),
}

/// Tries to take the lock in `path` without waiting.
pub(super) fn try_own(path: &Path) -> io::Result<Claim> {
    let file = private::options().read(true).write(true).create(true).truncate(false).open(path)?;
    private::restrict(path);
    match file.try_lock() {
        Ok(()) => Ok(Claim::Owned(Owner { _file: Some(file) })),
        Err(TryLockError::WouldBlock) => Ok(Claim::Busy),
        Err(TryLockError::Error(error)) if error.kind() == io::ErrorKind::Unsupported => {
            Ok(Claim::Unsupported(Owner { _file: None }, error))
        }
        Err(TryLockError::Error(error)) => Err(error),
    }
}

/// The first slot of the destination's spool (for this target) that no
/// other instance owns, locked.
pub(super) fn claim_slot(dir: &Path, destination: &str, fingerprint: &str) -> io::Result<(SpoolFiles, u32, Claim)> {
    for slot in 0..MAX_SLOTS {
        let files = SpoolFiles::new(dir, destination, fingerprint, slot);
        match try_own(&files.lock)? {
            Claim::Busy => continue,
            claim => return Ok((files, slot, claim)),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::ResourceBusy,
        format!(
            "{MAX_SLOTS} open spools already deliver to `{destination}` from {}: give each process its own \
             spool directory (DeliveryOptions::spool_dir or MONITOR_SPOOL_DIR)",
            dir.display()
        ),
    ))
}
