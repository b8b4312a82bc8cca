//! The spool's own reader run outside a delivery task: it opens a spool the
//! way a restarted sink does (recovery included) and takes every record out,
//! as if each was delivered. For the fuzz target, which feeds it arbitrary
//! files; not part of the supported API.

use std::io;
use std::path::Path;

use super::{Spool, SpoolRecord};

/// What [`drain`] found in a spool.
#[derive(Debug)]
pub struct Drained {
    /// The records still to deliver when it was opened, in order.
    pub records: Vec<SpoolRecord>,
    /// What the spool counted as pending right after opening.
    pub pending_at_open: u64,
    /// Lines skipped as unreadable (the `spool_corrupt` count).
    pub corrupt: u64,
    /// Lines of another format version, kept in the file and not replayed.
    pub other_version: u64,
}

/// Opens the spool of `destination` in `dir`, for the target whose
/// [`target_fingerprint`](super::target_fingerprint) is `fingerprint`, and
/// delivers everything in it, leaving it empty.
pub fn drain(dir: &Path, destination: &str, fingerprint: &str) -> io::Result<Drained> {
    let mut spool = Spool::open(dir, destination, fingerprint, u64::MAX)?;
    let other_version = spool.other_version();
    let pending_at_open = spool.pending();
    let mut records = Vec::new();
    while let Some(record) = spool.head()? {
        records.push(record.clone());
        spool.advance()?;
    }
    spool.sync()?;
    Ok(Drained { records, pending_at_open, corrupt: spool.take_corrupt(), other_version })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drains_the_records_in_order_and_counts_what_it_skips() {
        let dir = tempfile::tempdir().unwrap();
        let line = |key: &str| {
            format!(
                r#"{{"v":1,"destination":"ops","key":"{key}","target":"webhook","rendered_at":"2026-11-24T09:35:01Z","kind":"http","body":{{}}}}"#
            )
        };
        let text = format!("{}\nnot json\n\n{{\"v\":9}}\n{}\n{{\"v\":1,", line("a"), line("b"));
        let fingerprint = super::super::target_fingerprint("webhook", "https://ops.example.org/hook");
        std::fs::write(dir.path().join(format!("ops.{fingerprint}.spool.jsonl")), text).unwrap();
        let drained = drain(dir.path(), "ops", &fingerprint).unwrap();
        let keys: Vec<&str> = drained.records.iter().map(|record| record.key.as_str()).collect();
        assert_eq!((keys, drained.pending_at_open, drained.corrupt, drained.other_version), (vec!["a", "b"], 2, 2, 1));
        let again = drain(dir.path(), "ops", &fingerprint).unwrap();
        assert_eq!((again.records.len(), again.corrupt), (0, 0), "drained for good");
    }
}
