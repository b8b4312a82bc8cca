//! Archiving the audit chain, whatever store keeps it: the NDJSON file a
//! segment is written to, the checkpoint row that vouches for it (MAC'd
//! with the audit key), and how the walk of [`super::walk`] is positioned
//! after archived rows or led through the archive files first.
//!
//! A file is a header line, one line per row with every stored column, and
//! a trailer line: `{"format":…,"first_seq":…,"last_seq":…,"first_prev_hash":…,"rows":…}`,
//! the rows, `{"end":…,"first_seq":…,"last_seq":…,"last_hash":…,"rows":…}`.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use monitor_runtime::audit::{ComplianceStatus, Reference};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::checkpoint::Authenticity;
use super::key::{AuditKeyRing, to_hex};
use super::walk::{ChainVerifier, RawColumns};
use crate::store::{AuditArchive, StoreError, StoredAudit, from_millis};
use monitor_runtime::SinkErrorKind;

/// The format of an archive file, in its header and trailer.
pub(crate) const FORMAT: &str = "monitor-audit-archive-v1";
/// Part of what a checkpoint row's MAC covers, so that it can never be
/// taken for a row's link or the head checkpoint's signature.
const CHECKPOINT_TAG: &str = "monitor-audit-archive-checkpoint-v1";
/// Rows per archive file (and per transaction removing them).
pub(crate) const SEGMENT_ROWS: i64 = 5_000;

/// One audit row with every stored column, as the file holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArchivedRow {
    pub(crate) seq: i64,
    pub(crate) timestamp_ms: i64,
    pub(crate) process: String,
    pub(crate) action: String,
    pub(crate) status: String,
    pub(crate) reference_kind: Option<String>,
    pub(crate) reference_id: Option<String>,
    pub(crate) actor: Option<String>,
    pub(crate) trace_id: Option<String>,
    pub(crate) service: Option<String>,
    pub(crate) details: String,
    pub(crate) truncated: bool,
    pub(crate) detail_errors: String,
    pub(crate) prev_hash: String,
    pub(crate) hash: String,
    pub(crate) key_id: Option<String>,
}

impl ArchivedRow {
    /// The row as the walk takes it.
    pub(crate) fn for_walk(&self) -> (StoredAudit, RawColumns) {
        let audit = StoredAudit {
            seq: self.seq,
            timestamp: from_millis(self.timestamp_ms),
            process: self.process.clone(),
            action: self.action.clone(),
            status: ComplianceStatus::parse(&self.status).unwrap_or(ComplianceStatus::PendingReview),
            reference: self
                .reference_kind
                .clone()
                .zip(self.reference_id.clone())
                .map(|(kind, id)| Reference { kind: kind.into(), id }),
            actor: self.actor.clone(),
            trace_id: self.trace_id.clone(),
            service: self.service.clone(),
            details: serde_json::from_str(&self.details).unwrap_or(Value::Null),
            truncated: self.truncated,
            detail_errors: serde_json::from_str(&self.detail_errors).unwrap_or_default(),
            prev_hash: self.prev_hash.clone(),
            hash: self.hash.clone(),
            key_id: self.key_id.clone(),
        };
        let raw = RawColumns {
            timestamp_ms: self.timestamp_ms,
            status: self.status.clone(),
            details: self.details.clone(),
            detail_errors: self.detail_errors.clone(),
        };
        (audit, raw)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    first_seq: i64,
    last_seq: i64,
    first_prev_hash: String,
    rows: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Trailer {
    end: String,
    first_seq: i64,
    last_seq: i64,
    last_hash: String,
    rows: u64,
}

/// The name of the file of rows `first` to `last`.
fn file_name(first: i64, last: i64) -> String {
    format!("audit-{first:012}-{last:012}.ndjson")
}

/// Writes `rows` (a non-empty run of the chain) to their file in `dir`,
/// synced to disk before it is renamed into place and the directory synced
/// after: once this returns, the file survives a crash. Returns the file's
/// name and SHA-256.
pub(crate) fn write_segment(dir: &Path, rows: &[ArchivedRow]) -> Result<(String, String), String> {
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Err("no rows to archive".to_owned());
    };
    let header = Header {
        format: FORMAT.to_owned(),
        first_seq: first.seq,
        last_seq: last.seq,
        first_prev_hash: first.prev_hash.clone(),
        rows: rows.len() as u64,
    };
    let trailer = Trailer {
        end: FORMAT.to_owned(),
        first_seq: first.seq,
        last_seq: last.seq,
        last_hash: last.hash.clone(),
        rows: rows.len() as u64,
    };
    let mut body = String::new();
    let mut line = |value: Result<String, serde_json::Error>| -> Result<(), String> {
        body.push_str(&value.map_err(|error| format!("encoding an archive line failed: {error}"))?);
        body.push('\n');
        Ok(())
    };
    line(serde_json::to_string(&header))?;
    for row in rows {
        line(serde_json::to_string(row))?;
    }
    line(serde_json::to_string(&trailer))?;
    let name = file_name(first.seq, last.seq);
    let failed = |doing: &str, error: std::io::Error| {
        format!(
            "{doing} the audit archive `{}` failed: {error}; check that the archive directory exists or can be \
             created and is writable",
            dir.join(&name).display()
        )
    };
    fs::create_dir_all(dir).map_err(|error| failed("creating the directory of", error))?;
    let temporary = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(body.as_bytes())?;
        file.sync_all()
    });
    if let Err(error) = written.and_then(|()| fs::rename(&temporary, dir.join(&name))) {
        let _ = fs::remove_file(&temporary);
        return Err(failed("writing", error));
    }
    // The rename is durable only once the directory is.
    #[cfg(unix)]
    File::open(dir)
        .and_then(|directory| directory.sync_all())
        .map_err(|error| failed("syncing the directory of", error))?;
    Ok((name, to_hex(&Sha256::digest(body.as_bytes()))))
}

/// A checkpoint row of the `audit_archives` table: rows `first_seq` to
/// `up_to_seq` went to `file_name`, whose SHA-256 is `sha256`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ArchiveCheckpoint {
    pub(crate) first_seq: i64,
    pub(crate) up_to_seq: i64,
    pub(crate) last_hash: String,
    /// The key of row `up_to_seq` (so the walk knows which key the next
    /// row continues from).
    pub(crate) last_key_id: Option<String>,
    pub(crate) file_name: String,
    pub(crate) rows: i64,
    pub(crate) sha256: String,
    pub(crate) archived_ms: i64,
    pub(crate) key_id: Option<String>,
    pub(crate) mac: String,
}

impl ArchiveCheckpoint {
    /// Writes the segment `rows` (oldest first, not empty) to a file in
    /// `dir` and returns the checkpoint row that vouches for it, signed
    /// with `keys`: what both stores do before they remove the rows.
    pub(crate) fn write(dir: &Path, rows: &[ArchivedRow], keys: &AuditKeyRing) -> Result<Self, StoreError> {
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Err(StoreError { kind: SinkErrorKind::Other, message: "no audit rows to archive".to_owned() });
        };
        let (file_name, sha256) =
            write_segment(dir, rows).map_err(|message| StoreError { kind: SinkErrorKind::Unavailable, message })?;
        let checkpoint = ArchiveCheckpoint {
            first_seq: first.seq,
            up_to_seq: last.seq,
            last_hash: last.hash.clone(),
            last_key_id: last.key_id.clone(),
            file_name,
            rows: rows.len() as i64,
            sha256,
            archived_ms: crate::store::millis(std::time::SystemTime::now()),
            key_id: None,
            mac: String::new(),
        };
        Ok(checkpoint.signed(keys))
    }

    fn message(&self) -> String {
        json!([
            CHECKPOINT_TAG,
            self.key_id,
            self.first_seq,
            self.up_to_seq,
            self.last_hash,
            self.last_key_id,
            self.file_name,
            self.rows,
            self.sha256,
            self.archived_ms
        ])
        .to_string()
    }

    /// Signs it with the ring's signing key, or (without one) gives it an
    /// unkeyed SHA-256, which only shows accidents.
    pub(crate) fn signed(mut self, keys: &AuditKeyRing) -> Self {
        self.key_id = keys.signing_key().map(|key| key.id().to_owned());
        self.mac = match keys.signing_key() {
            Some(key) => key.mac_hex(self.message().as_bytes()),
            None => to_hex(&Sha256::digest(self.message().as_bytes())),
        };
        self
    }

    /// What its MAC says. An unkeyed checkpoint counts as valid only when
    /// the store has no key: with keys, anyone could have written it.
    fn authenticity(&self, keys: &AuditKeyRing) -> Authenticity {
        match &self.key_id {
            None if keys.is_empty() && to_hex(&Sha256::digest(self.message().as_bytes())) == self.mac => {
                Authenticity::Valid
            }
            None => Authenticity::BadSignature,
            Some(id) => match keys.get(id) {
                None => Authenticity::KeyMissing,
                Some(key) if key.mac_hex(self.message().as_bytes()) == self.mac => Authenticity::Valid,
                Some(_) => Authenticity::BadSignature,
            },
        }
    }

    /// As [`Store::audit_archives`](crate::store::Store::audit_archives) lists it.
    pub(crate) fn public(&self) -> AuditArchive {
        AuditArchive {
            first_seq: self.first_seq,
            up_to_seq: self.up_to_seq,
            last_hash: self.last_hash.clone(),
            rows: self.rows.max(0) as u64,
            file_name: self.file_name.clone(),
            sha256: self.sha256.clone(),
            archived_at: from_millis(self.archived_ms),
            key_id: self.key_id.clone(),
        }
    }

    fn describe(&self) -> String {
        format!("the archive checkpoint of rows {} to {} (file `{}`)", self.first_seq, self.up_to_seq, self.file_name)
    }
}

/// Positions `verifier` for the rows the store still holds, which follow
/// the archived ones (`checkpoints`, in `up_to_seq` order). With `files`,
/// the archive files are walked first, as the start of one chain; without,
/// the walk resumes from the latest checkpoint. Checkpoints that are not
/// contiguous or not authentic, and files that do not match their
/// checkpoint, are breaks.
pub(crate) fn lead_in(
    verifier: &mut ChainVerifier<'_>,
    keys: &AuditKeyRing,
    checkpoints: &[ArchiveCheckpoint],
    files: Option<&[PathBuf]>,
) {
    let mut expected_first = 1;
    for checkpoint in checkpoints {
        if checkpoint.first_seq != expected_first {
            let reason = format!(
                "{} does not start where the archive before ends (row {expected_first}): a checkpoint was removed \
                 or rewritten",
                checkpoint.describe()
            );
            return verifier.break_at(expected_first.min(checkpoint.first_seq), reason);
        }
        match checkpoint.authenticity(keys) {
            Authenticity::Valid => {}
            Authenticity::KeyMissing => verifier.key_missing(checkpoint.key_id.as_deref().unwrap_or_default()),
            Authenticity::BadSignature => {
                let reason = format!(
                    "{} does not carry a valid {}: it was forged or edited by someone without the audit key",
                    checkpoint.describe(),
                    if checkpoint.key_id.is_none() && !keys.is_empty() { "signature (it is unsigned)" } else { "MAC" }
                );
                return verifier.break_at(checkpoint.first_seq, reason);
            }
        }
        expected_first = checkpoint.up_to_seq + 1;
    }
    let Some(latest) = checkpoints.last() else {
        if let Some(path) = files.and_then(|files| files.first()) {
            let reason = format!(
                "the archive `{}` was given, and the store records no archived rows: it cannot be vouched for",
                path.display()
            );
            verifier.break_at(1, reason);
        }
        return;
    };
    verifier.set_archived(latest.up_to_seq);
    let Some(files) = files else {
        return verifier.resume_after(latest.up_to_seq, &latest.last_hash, latest.last_key_id.as_deref());
    };
    let mut archives = Vec::new();
    for path in files {
        match read_archive(path) {
            Ok(archive) => archives.push(archive),
            Err(reason) => return verifier.break_at(checkpoints[0].first_seq, reason),
        }
    }
    archives.sort_by_key(|archive| archive.header.first_seq);
    for checkpoint in checkpoints {
        let Some(archive) = archives.iter().find(|archive| archive.header.first_seq == checkpoint.first_seq) else {
            let reason = format!(
                "rows {} to {} were archived to `{}`, which was not given: pass that file too",
                checkpoint.first_seq, checkpoint.up_to_seq, checkpoint.file_name
            );
            return verifier.break_at(checkpoint.first_seq, reason);
        };
        for row in &archive.rows {
            let (audit, raw) = row.for_walk();
            if !verifier.row(&audit, &raw) {
                return;
            }
        }
        let path = archive.path.display();
        let mismatch = if archive.sha256 != checkpoint.sha256 {
            Some("its SHA-256 is not the one the checkpoint recorded: the file was edited")
        } else if archive.header.last_seq != checkpoint.up_to_seq
            || archive.rows.len() as i64 != checkpoint.rows
            || archive.rows.last().map(|row| row.hash.as_str()) != Some(checkpoint.last_hash.as_str())
        {
            Some("it does not hold the rows the checkpoint recorded")
        } else {
            None
        };
        if let Some(mismatch) = mismatch {
            let reason = format!(
                "the archive `{path}` of rows {} to {}: {mismatch}",
                checkpoint.first_seq, checkpoint.up_to_seq
            );
            return verifier.break_at(checkpoint.first_seq, reason);
        }
        verifier.file_checked();
    }
    if let Some(extra) =
        archives.iter().find(|archive| !checkpoints.iter().any(|c| c.first_seq == archive.header.first_seq))
    {
        let reason = format!(
            "the archive `{}` (rows {} to {}) matches no checkpoint of the store",
            extra.path.display(),
            extra.header.first_seq,
            extra.header.last_seq
        );
        verifier.break_at(extra.header.first_seq, reason);
    }
}

struct ReadArchive {
    path: PathBuf,
    header: Header,
    rows: Vec<ArchivedRow>,
    sha256: String,
}

/// Reads an archive file: its header, rows and trailer, which must agree.
fn read_archive(path: &Path) -> Result<ReadArchive, String> {
    let shown = path.display();
    let bytes = fs::read(path).map_err(|error| format!("the archive `{shown}` cannot be read: {error}"))?;
    let sha256 = to_hex(&Sha256::digest(&bytes));
    let text =
        String::from_utf8(bytes).map_err(|_| format!("the archive `{shown}` is not UTF-8 text: not an archive"))?;
    let lines: Vec<&str> = text.lines().filter(|line| !line.trim().is_empty()).collect();
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return Err(format!("the archive `{shown}` is empty"));
    };
    let header: Header =
        serde_json::from_str(first).ok().filter(|header: &Header| header.format == FORMAT).ok_or_else(|| {
            format!("the archive `{shown}` does not start with a `{FORMAT}` header: not an archive, or cut")
        })?;
    let trailer: Trailer = serde_json::from_str(last)
        .ok()
        .filter(|trailer: &Trailer| trailer.end == FORMAT)
        .ok_or_else(|| format!("the archive `{shown}` does not end with its trailer: it was cut or edited"))?;
    let mut rows = Vec::with_capacity(lines.len().saturating_sub(2));
    for (index, line) in lines[1..lines.len() - 1].iter().enumerate() {
        let row: ArchivedRow = serde_json::from_str(line)
            .map_err(|error| format!("the archive `{shown}`, line {}: not an audit row ({error})", index + 2))?;
        rows.push(row);
    }
    let agrees = trailer.first_seq == header.first_seq
        && trailer.last_seq == header.last_seq
        && trailer.rows == header.rows
        && header.rows == rows.len() as u64;
    if !agrees {
        return Err(format!(
            "the archive `{shown}`: its header, trailer and rows disagree (rows {} to {}, {} rows listed, {} found): \
             it was edited",
            header.first_seq,
            header.last_seq,
            header.rows,
            rows.len()
        ));
    }
    Ok(ReadArchive { path: path.to_owned(), header, rows, sha256 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::key::AuditKey;

    fn checkpoint() -> ArchiveCheckpoint {
        ArchiveCheckpoint {
            first_seq: 1,
            up_to_seq: 9,
            last_hash: "ab".repeat(32),
            last_key_id: None,
            file_name: file_name(1, 9),
            rows: 9,
            sha256: "cd".repeat(32),
            archived_ms: 5,
            key_id: None,
            mac: String::new(),
        }
    }

    #[test]
    fn a_checkpoint_signed_with_the_key_holds_and_an_edit_does_not() {
        let keys = AuditKeyRing::new(AuditKey::from_hex(&"3c".repeat(32)).unwrap());
        let signed = checkpoint().signed(&keys);
        assert_eq!(signed.authenticity(&keys), Authenticity::Valid);
        let edited = ArchiveCheckpoint { up_to_seq: 12, ..signed };
        assert_eq!(edited.authenticity(&keys), Authenticity::BadSignature);
        let unsigned = checkpoint().signed(&AuditKeyRing::default());
        assert_eq!(unsigned.authenticity(&AuditKeyRing::default()), Authenticity::Valid);
        assert_eq!(unsigned.authenticity(&keys), Authenticity::BadSignature, "unsigned on a keyed store");
    }
}
