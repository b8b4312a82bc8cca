//! Where a destination's spool lives: file names keyed by the destination's
//! name and a fingerprint of its target, so that records rendered for one
//! URL or recipient list are never replayed to another after the
//! configuration changed.
//!
//! `<name>.<fingerprint>.spool.jsonl` (and `.cursor`, `.lock`) for the first
//! process, `<name>.<fingerprint>.<slot>.spool.jsonl` for a second one that
//! found those locked (see [`super::lock`]). The name is escaped as before
//! (`%XX` for what is not an ASCII letter, digit, `-` or `_`), so a `.` in
//! a file name is always one of these separators.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The most processes that spool for one destination in one directory.
pub(super) const MAX_SLOTS: u32 = 16;

/// A fingerprint of where a destination delivers: its kind and its URL (or
/// its recipients), hashed. It names the spool files, so a changed target
/// starts a spool of its own and the old records are not sent to it; and
/// it never shows the URL, whose path or query may carry a token.
///
/// ```
/// use monitor_sinks::spool::target_fingerprint;
///
/// let before = target_fingerprint("slack", "https://hooks.slack.com/services/T0/B0/SECRET");
/// let after = target_fingerprint("slack", "https://hooks.slack.com/services/T0/B0/OTHER");
/// assert_ne!(before, after);
/// assert_eq!(before.len(), 16);
/// assert!(!before.contains("SECRET"));
/// ```
pub fn target_fingerprint(kind: &str, address: &str) -> String {
    let digest = Sha256::new().chain_update(kind).chain_update([0]).chain_update(address).finalize();
    // 64 bits: enough to tell a destination's targets apart, too few to
    // confirm a guessed token offline with any confidence worth having.
    digest[..8].iter().fold(String::with_capacity(16), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// The name as it appears in file names.
pub(super) fn escape(destination: &str) -> String {
    let mut name = String::new();
    for byte in destination.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            name.push(char::from(byte));
        } else {
            let _ = write!(name, "%{byte:02X}");
        }
    }
    name
}

/// The files of one spool.
#[derive(Clone, Debug)]
pub(super) struct SpoolFiles {
    pub data: PathBuf,
    pub cursor: PathBuf,
    /// Held locked by the spool's owner. Not the data file: that one is
    /// replaced by a rename when rewritten, and a lock on the old file
    /// would not keep a second owner off the new one.
    pub lock: PathBuf,
}

impl SpoolFiles {
    pub(super) fn new(dir: &Path, destination: &str, fingerprint: &str, slot: u32) -> Self {
        let stem = match slot {
            0 => format!("{}.{fingerprint}", escape(destination)),
            n => format!("{}.{fingerprint}.{n}", escape(destination)),
        };
        SpoolFiles {
            data: dir.join(format!("{stem}.spool.jsonl")),
            cursor: dir.join(format!("{stem}.spool.cursor")),
            lock: dir.join(format!("{stem}.spool.lock")),
        }
    }
}

/// A spool data file of some destination found in the directory.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Found {
    pub data: PathBuf,
    /// Its target's fingerprint; none for a file of an earlier version,
    /// named after the destination alone.
    pub fingerprint: Option<String>,
    /// 0 for the first process's files.
    pub slot: u32,
}

impl Found {
    /// The cursor file beside it.
    pub(super) fn cursor(&self) -> PathBuf {
        let name = self.data.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        self.data.with_file_name(format!("{}.spool.cursor", name.trim_end_matches(".spool.jsonl")))
    }
}

/// Every spool data file of `destination` in `dir`, whatever its target or
/// slot, in name order.
pub(super) fn data_files_of(dir: &Path, destination: &str) -> io::Result<Vec<Found>> {
    let prefix = format!("{}.", escape(destination));
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(middle) = name.to_str().and_then(|n| n.strip_prefix(&prefix)?.strip_suffix("spool.jsonl")) else {
            continue;
        };
        let (fingerprint, slot) =
            match middle.strip_suffix('.').map(|keyed| keyed.split_once('.').unwrap_or((keyed, "0"))) {
                None if middle.is_empty() => (None, 0),
                Some((fingerprint, slot)) if !fingerprint.is_empty() => match slot.parse() {
                    Ok(slot) => (Some(fingerprint.to_owned()), slot),
                    Err(_) => continue,
                },
                // Not a spool file, or another destination's whose name starts with this one's.
                _ => continue,
            };
        found.push(Found { data: entry.path(), fingerprint, slot });
    }
    // Keyed files first, by target and slot; an earlier version's last.
    found.sort_by(|a, b| {
        (a.fingerprint.is_none(), &a.fingerprint, a.slot).cmp(&(b.fingerprint.is_none(), &b.fingerprint, b.slot))
    });
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_fingerprint_and_the_slot_and_are_found_again() {
        let dir = tempfile::tempdir().unwrap();
        let fingerprint = target_fingerprint("webhook", "https://example.org/hook/SECRET");
        let first = SpoolFiles::new(dir.path(), "ops/chat", &fingerprint, 0);
        let second = SpoolFiles::new(dir.path(), "ops/chat", &fingerprint, 2);
        assert_eq!(first.data.file_name().unwrap().to_str().unwrap(), format!("ops%2Fchat.{fingerprint}.spool.jsonl"));
        assert_eq!(
            second.cursor.file_name().unwrap().to_str().unwrap(),
            format!("ops%2Fchat.{fingerprint}.2.spool.cursor")
        );
        let legacy = dir.path().join("ops%2Fchat.spool.jsonl");
        let other = dir.path().join("ops%2Fchatter.0123.spool.jsonl");
        for path in [&first.data, &second.data, &legacy, &other, &first.cursor] {
            std::fs::write(path, "").unwrap();
        }
        let found = data_files_of(dir.path(), "ops/chat").unwrap();
        let fingerprints: Vec<Option<&str>> = found.iter().map(|f| f.fingerprint.as_deref()).collect();
        assert_eq!(fingerprints, [Some(fingerprint.as_str()), Some(fingerprint.as_str()), None]);
        assert_eq!(found.iter().map(|f| f.slot).collect::<Vec<_>>(), [0, 2, 0]);
        assert_eq!(found[1].cursor(), second.cursor);
        assert_eq!(found[2].cursor(), dir.path().join("ops%2Fchat.spool.cursor"));
    }
}
