//! Signed checkpoints of the audit chain, kept in a file outside the
//! database: the head's sequence number and link, MAC'd with the key. A
//! database whose head is behind the checkpoint lost its tail.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use super::key::{AuditKey, AuditKeyRing};

/// The format tag, also part of what the checkpoint's MAC covers, so that a
/// checkpoint MAC can never be taken for a row's.
const FORMAT: &str = "monitor-audit-checkpoint-v1";

/// The head of the keyed chain as a batch left it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChainHead {
    pub(crate) seq: i64,
    pub(crate) mac: String,
    pub(crate) key_id: String,
}

/// A checkpoint as read from its file, not yet authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    pub(crate) head: ChainHead,
    signature: String,
}

/// What the checkpoint's own MAC says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Authenticity {
    /// Signed by the key it names, which the ring holds.
    Valid,
    /// The ring holds the key it names, and the MAC does not match.
    BadSignature,
    /// The ring does not hold the key it names.
    KeyMissing,
}

/// Where the checkpoint of the database at `database` goes unless another
/// path is given: beside it, `<file name>.audit-checkpoint`. Only a store
/// kept in a file has such a place.
#[cfg(feature = "sqlite")]
pub(crate) fn default_path(database: &Path) -> PathBuf {
    let mut name = database.file_name().map(|name| name.to_os_string()).unwrap_or_default();
    name.push(".audit-checkpoint");
    database.with_file_name(name)
}

fn signed_message(head: &ChainHead) -> String {
    json!([FORMAT, head.key_id, head.seq, head.mac]).to_string()
}

impl Checkpoint {
    /// Checks the checkpoint's MAC with the key it names.
    pub(crate) fn authenticate(&self, keys: &AuditKeyRing) -> Authenticity {
        match keys.get(&self.head.key_id) {
            None => Authenticity::KeyMissing,
            Some(key) if key.mac_hex(signed_message(&self.head).as_bytes()) == self.signature => Authenticity::Valid,
            Some(_) => Authenticity::BadSignature,
        }
    }
}

/// Reads the checkpoint at `path`: `Ok(None)` when there is no file, an
/// error saying what is wrong when it cannot be read or parsed.
pub(crate) fn read(path: &Path) -> Result<Option<Checkpoint>, String> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("reading it failed: {error}")),
    };
    let value: Value = serde_json::from_str(&text).map_err(|error| format!("it is not a checkpoint ({error})"))?;
    let field = |name: &str| value.get(name).ok_or_else(|| format!("it lacks `{name}`"));
    if field("format")?.as_str() != Some(FORMAT) {
        return Err(format!("its format is not `{FORMAT}`"));
    }
    let text_field = |name: &str| -> Result<String, String> {
        field(name)?.as_str().map(str::to_owned).ok_or_else(|| format!("`{name}` is not a string"))
    };
    let seq = field("seq")?.as_i64().ok_or("`seq` is not a number")?;
    Ok(Some(Checkpoint {
        head: ChainHead { seq, mac: text_field("head_mac")?, key_id: text_field("key_id")? },
        signature: text_field("mac")?,
    }))
}

/// Writes a checkpoint of `head`, signed with `key`, to `path`: into a
/// temporary file beside it (readable by the owner only) renamed over the
/// old one, so a reader sees the old checkpoint or the new, never half of
/// one. It is not synced to disk, like the database's own commits
/// (`synchronous = NORMAL`): after a power loss both are as recent as the
/// disk kept them.
pub(crate) fn write(path: &Path, head: &ChainHead, key: &AuditKey) -> io::Result<()> {
    let signature = key.mac_hex(signed_message(head).as_bytes());
    let body = json!({
        "format": FORMAT,
        "seq": head.seq,
        "head_mac": head.mac,
        "key_id": head.key_id,
        "mac": signature,
    })
    .to_string();
    // Unique per process and write, so two stores writing the same
    // checkpoint never share a temporary file.
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let mut temporary = path.as_os_str().to_os_string();
    temporary.push(format!(".tmp{}-{}", std::process::id(), WRITES.fetch_add(1, Ordering::Relaxed)));
    let temporary = PathBuf::from(temporary);
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| file.write_all(body.as_bytes()));
    if let Err(error) = written.and_then(|()| fs::rename(&temporary, path)) {
        let _ = fs::remove_file(&temporary);
        return Err(error);
    }
    Ok(())
}
