//! The disk spool: notifications a destination could not take yet, kept in
//! order until it can, across restarts.
//!
//! # Format
//!
//! Each destination has three files in the spool directory, named after it
//! (characters other than ASCII letters, digits, `-` and `_` written as
//! `%XX`) and after its target's [`target_fingerprint`] (a hash of its kind
//! and URL or recipients, never the URL itself, which may carry a token):
//!
//! - `<destination>.<fingerprint>.spool.jsonl`: one [`SpoolRecord`] per
//!   line, as JSON, appended in the order the notifications were first
//!   handed over;
//! - `<destination>.<fingerprint>.spool.lock`: locked (advisory, exclusive)
//!   by the spool's owner while it is open;
//! - `<destination>.<fingerprint>.spool.cursor`: the byte offset (decimal) of the first
//!   line not yet delivered, a space, a checksum of the line before it
//!   (FNV-1a, 16 hex digits) and a newline. Lines before it are done. A
//!   cursor whose checksum does not match the line before its offset was
//!   left from before the file was emptied or rewritten (a crash before the
//!   next sync) and is ignored: every line is delivered again, none skipped.
//!
//! One owner per file: a second open spool for the same destination and
//! target (another process sharing the directory, or a monitor installed
//! again while the old one's delivery thread still runs) finds the lock
//! taken and uses files of its own, `<destination>.<fingerprint>.<slot>.spool.*`,
//! saying so once on stderr and in the destination's stats
//! (`spool_notices`). Whoever later owns a slot takes over the records of
//! the other slots whose owner is gone.
//!
//! A changed URL (or recipient list) means another fingerprint, so other
//! files: what was spooled for the old target is not sent to the new one.
//! The old files are left as they are and reported (`spool_notices`), and
//! delivered if that target is configured again. Files named after the
//! destination alone (`<destination>.spool.jsonl`, written by earlier
//! releases) are reported the same way, with what to do to deliver them.
//!
//! A record holds what is needed to send it again without the alert it
//! came from: the rendered JSON body of a webhook request (a templated
//! webhook's body as sent, with its content type: `"kind":"templated"`), or
//! the whole RFC 5322 message of an e-mail with its envelope. Webhook URLs
//! and a templated webhook's `Authorization` header are never stored (they
//! carry secrets); the destination's configured URL and credentials are
//! used on replay. Example line (wrapped here):
//!
//! ```text
//! {"v":1,"destination":"ops","key":"7f3c…","target":"webhook","rendered_at":"2026-11-24T09:35:01Z",
//!  "kind":"http","body":{"schema":"monitor.alert.v1",…}}
//! ```
//!
//! The file is fsync'd in batches (every 64 records or 200 ms, and on every
//! flush); once every line is delivered it is emptied. While it still holds
//! records, the delivered lines at its start are dropped once they are more
//! than half of it and at least 1 MiB (or the cap, if smaller): what is
//! left is written to a new file that replaces it atomically, so the file
//! stays within about twice the cap however long an outage lasts. Its live
//! size is capped: a record that would pass the cap is dropped and counted
//! (`spool_full`). A line cut short by a crash is skipped and counted
//! (`spool_corrupt`). A line of another format version ([`SPOOL_VERSION`],
//! another release's) is neither replayed nor deleted: it is kept at the
//! start of the file (through emptying and compaction too), counted
//! (`spool_other_version`) and reported. Delivery is at least once: a
//! receiver drops duplicates by `key`.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

mod cursor;
mod files;
mod lock;
mod others;
mod private;
#[doc(hidden)]
pub mod replay;
use cursor::Cursor;
pub use files::target_fingerprint;
use files::{SpoolFiles, data_files_of};
use lock::{Claim, Owner};

/// Version of the record layout. Lines of other versions (written by a
/// newer or older release sharing the directory) are neither replayed nor
/// deleted: they stay in the file, and are counted and reported.
pub const SPOOL_VERSION: u32 = 1;

/// Records appended since the last fsync that force one.
const SYNC_EVERY: usize = 64;
/// The longest a record waits for its fsync.
const SYNC_AFTER: Duration = Duration::from_millis(200);

/// Delivered bytes at the start of the data file past which it is compacted
/// (the cap, if smaller), provided they are also more than what is left.
///
/// - More than what is left: the copy costs less than what it frees, so
///   each byte is copied at most about once over its life in the spool;
///   and the cursor saved just before (pointing at the first byte kept)
///   then lies past the end of the new file, so a crash before the new
///   cursor is saved leaves a cursor that is ignored for sure, whatever the
///   checksum says (see [`Spool::compact`]).
/// - At least 1 MiB: a rewrite costs five fsyncs and a rename, not worth it
///   for a few records; a spool drained to empty is truncated anyway.
/// - Or the cap: between two compactions the delivered prefix stays under
///   the cap or under the live part (itself at most the cap), so the file
///   stays under about twice the cap.
const COMPACT_AFTER: u64 = 1 << 20;

/// How long after a failed compaction the next one is tried.
const COMPACT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// One line of a spool file.
///
/// ```
/// use monitor_sinks::spool::{Payload, SpoolRecord};
///
/// let line = r#"{"v":1,"destination":"ops","key":"k1","target":"webhook","rendered_at":"2026-11-24T09:35:01Z","kind":"http","body":{"text":"hi"}}"#;
/// let record: SpoolRecord = serde_json::from_str(line).unwrap();
/// assert_eq!(record.key, "k1");
/// assert!(matches!(record.payload, Payload::Http { ref body } if body["text"] == "hi"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpoolRecord {
    /// [`SPOOL_VERSION`].
    pub v: u32,
    /// The destination's name.
    pub destination: String,
    /// The notification key: the same on every delivery of this
    /// notification, so receivers can drop duplicates.
    pub key: String,
    /// The kind of destination it was rendered for: `slack`, `discord`,
    /// `teams`, `webhook`, `templated_webhook`, `alertmanager` or `email`.
    pub target: String,
    /// When it was rendered (RFC 3339).
    pub rendered_at: String,
    /// What to send.
    #[serde(flatten)]
    pub payload: Payload,
}

/// What a record sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Payload {
    /// A webhook request: its JSON body, posted to the destination's URL.
    Http {
        /// The request body.
        body: serde_json::Value,
    },
    /// A templated webhook's request: its body as sent and its
    /// `Content-Type`, posted to the destination's URL. Its `Authorization`
    /// header is not kept (it is a secret): it is added from the
    /// configuration when the record is sent.
    ///
    /// Records of this kind are written only to the files of a templated
    /// webhook (its fingerprint names the kind), which earlier releases
    /// never open, so [`SPOOL_VERSION`] stays 1 and their files stay readable.
    Templated {
        /// `application/x-www-form-urlencoded` or `application/json`.
        content_type: String,
        /// The request body.
        body: String,
    },
    /// An e-mail.
    Email {
        /// Envelope sender.
        from: String,
        /// Envelope recipients.
        to: Vec<String>,
        /// The whole message (headers and body) as sent.
        message: String,
    },
}

/// Records of `destination` in `dir` not yet delivered, oldest first
/// within each of its spool files (every target and slot, the current
/// target's first slot first); for inspection and tests (a running sink
/// owns its files).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// assert!(monitor_sinks::spool::pending(dir.path(), "ops").unwrap().is_empty());
/// ```
pub fn pending(dir: &Path, destination: &str) -> io::Result<Vec<SpoolRecord>> {
    let mut records = Vec::new();
    for found in data_files_of(dir, destination)? {
        records.extend(pending_in(&found.data, &found.cursor())?);
    }
    Ok(records)
}

/// The records after the cursor of one data file.
fn pending_in(data: &Path, cursor: &Path) -> io::Result<Vec<SpoolRecord>> {
    let text = match fs::read(data) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let complete = complete_lines(&text);
    let start = Cursor::resume_in(Cursor::read(cursor), &text[..complete]);
    Ok(text[start..].split(|&b| b == b'\n').filter_map(parse).collect())
}

/// Where a rewrite of the data file at `data` is written before its rename.
fn temporary_path(data: &Path) -> PathBuf {
    data.with_extension("jsonl.tmp")
}

/// The length of `text` up to the end of its last complete line.
fn complete_lines(text: &[u8]) -> usize {
    text.iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1)
}

fn parse(line: &[u8]) -> Option<SpoolRecord> {
    serde_json::from_slice::<SpoolRecord>(line).ok().filter(|record| record.v == SPOOL_VERSION)
}

/// What a line of a data file is.
enum Line {
    Record,
    /// A record of another [`SPOOL_VERSION`]: kept, not replayed.
    OtherVersion,
    Blank,
    /// Cut short by a crash, or not a record at all.
    Unreadable,
}

fn classify(line: &[u8]) -> Line {
    /// Any version's line names its version in `v`.
    #[derive(Deserialize)]
    struct Versioned {
        v: u32,
    }
    if line.iter().all(u8::is_ascii_whitespace) {
        Line::Blank
    } else if parse(line).is_some() {
        Line::Record
    } else if serde_json::from_slice::<Versioned>(line).is_ok_and(|line| line.v != SPOOL_VERSION) {
        Line::OtherVersion
    } else {
        Line::Unreadable
    }
}

/// Why a record could not be spooled.
#[derive(Debug)]
pub(crate) enum AppendError {
    /// The spool is at its size cap.
    Full,
    /// Writing failed.
    Io(io::Error),
}

/// One destination's spool, owned by its delivery task.
#[derive(Debug)]
pub(crate) struct Spool {
    data_path: PathBuf,
    cursor_path: PathBuf,
    file: File,
    /// The lock that keeps other instances off these files.
    _owner: Owner,
    /// Bytes in the file.
    len: u64,
    /// Where the lines of other versions end: recovery gathers them at the
    /// start of the file, and emptying or compacting the file keeps them.
    retained: Cursor,
    /// Lines of another version kept in the file.
    other_version: u64,
    /// What opening found that a person should know, said once.
    notices: Vec<String>,
    /// The first record not yet delivered.
    cursor: Cursor,
    cursor_saved: bool,
    /// The first record not yet delivered, and the cursor after it.
    head: Option<(SpoolRecord, Cursor)>,
    max_bytes: u64,
    /// Records not yet delivered.
    pending: u64,
    /// Lines skipped as unreadable since last asked.
    corrupt: u64,
    unsynced: usize,
    dirty_since: Option<Instant>,
    /// When the last compaction failed (a full disk, say): it is tried
    /// again only after [`COMPACT_RETRY_AFTER`], not on every delivery.
    compaction_failed_at: Option<Instant>,
}

impl Spool {
    /// Opens (or creates) the spool of `destination` in `dir` for the
    /// target whose [`target_fingerprint`] is `fingerprint`, holding at
    /// most `max_bytes` of records not yet delivered.
    ///
    /// The spool's files are locked for as long as it is open. If another
    /// open spool holds them, this one uses files of its own (the next free
    /// slot) and says so in [`Spool::take_notices`]. Files of this
    /// destination for another target are left as they are and reported;
    /// unowned files of another slot for this target are taken over.
    pub(crate) fn open(dir: &Path, destination: &str, fingerprint: &str, max_bytes: u64) -> io::Result<Spool> {
        private::create_dir(dir)?;
        let (SpoolFiles { data: data_path, cursor: cursor_path, .. }, slot, claim) =
            lock::claim_slot(dir, destination, fingerprint)?;
        let mut notices = Vec::new();
        let owner = match claim {
            Claim::Owned(owner) => owner,
            Claim::Unsupported(owner, error) => {
                notices.push(format!(
                    "cannot lock {} ({error}): this directory must not be shared with another process",
                    data_path.display()
                ));
                owner
            }
            Claim::Busy => unreachable!("claim_slot returns a free slot"),
        };
        if slot > 0 {
            notices.push(format!(
                "another open spool owns the first spool file of this destination (a second process, or a \
                 monitor installed again while the old one still delivers): this one spools to {}",
                data_path.display()
            ));
        }
        let file = private::options().read(true).append(true).create(true).open(&data_path)?;
        private::restrict(&data_path);
        // Left by a crash before a rewrite's rename: the data file is whole.
        // Failing to remove it changes nothing, the next rewrite replaces it.
        let _ = fs::remove_file(temporary_path(&data_path));
        let mut spool = Spool {
            data_path,
            cursor_path,
            file,
            _owner: owner,
            len: 0,
            retained: Cursor::START,
            other_version: 0,
            notices,
            cursor: Cursor::START,
            cursor_saved: true,
            head: None,
            max_bytes,
            pending: 0,
            corrupt: 0,
            unsynced: 0,
            dirty_since: None,
            compaction_failed_at: None,
        };
        spool.recover()?;
        if spool.other_version > 0 {
            spool.notices.push(format!(
                "{} lines of another spool format version (not {SPOOL_VERSION}) kept in {}, not replayed: \
                 a release that reads them delivers them",
                spool.other_version,
                spool.data_path.display()
            ));
        }
        spool.look_around(dir, destination, fingerprint, slot);
        Ok(spool)
    }

    /// Drops what a crash left behind (a line cut short, lines already
    /// delivered) and counts the records still to deliver. Lines of another
    /// version are kept, gathered at the start of the file.
    fn recover(&mut self) -> io::Result<()> {
        let mut text = Vec::new();
        self.file.seek(SeekFrom::Start(0))?;
        self.file.read_to_end(&mut text)?;
        let complete = complete_lines(&text);
        if complete < text.len() {
            self.corrupt += 1;
        }
        // A cursor that is not just after the line it names is not ours to
        // trust: deliver everything again rather than lose a record.
        let start = Cursor::resume_in(Cursor::read(&self.cursor_path), &text[..complete]);
        let (mut retained, mut live) = (Vec::new(), Vec::new());
        let mut last_retained: &[u8] = b"";
        let mut offset = 0;
        for line in text[..complete].split_inclusive(|&b| b == b'\n') {
            let delivered = offset < start;
            offset += line.len();
            match classify(line) {
                Line::OtherVersion => {
                    retained.extend_from_slice(line);
                    last_retained = line;
                    self.other_version += 1;
                }
                Line::Record if !delivered => {
                    live.extend_from_slice(line);
                    self.pending += 1;
                }
                Line::Unreadable if !delivered => self.corrupt += 1,
                Line::Record | Line::Unreadable | Line::Blank => {}
            }
        }
        self.retained =
            if retained.is_empty() { Cursor::START } else { Cursor::after(last_retained, retained.len() as u64) };
        let kept = [retained, live].concat();
        // Rewrite only the lines kept. Until the cursor below is written,
        // the old one names a line of the old file: ignored.
        let durable = if kept != text { self.replace_data(|_, out| out.write_all(&kept))? } else { Ok(()) };
        self.len = kept.len() as u64;
        self.cursor = self.retained;
        self.cursor_saved = false;
        durable?;
        self.save_cursor()
    }

    /// Records not yet delivered.
    pub(crate) fn pending(&self) -> u64 {
        self.pending
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pending == 0
    }

    /// Unreadable lines skipped since the last call.
    pub(crate) fn take_corrupt(&mut self) -> u64 {
        std::mem::take(&mut self.corrupt)
    }

    /// Lines of another format version kept in the file, not replayed.
    pub(crate) fn other_version(&self) -> u64 {
        self.other_version
    }

    /// What opening found that a person should know (each said once).
    pub(crate) fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    /// Appends `record` (durable at the next [`Spool::sync`]).
    pub(crate) fn append(&mut self, record: &SpoolRecord) -> Result<(), AppendError> {
        let mut line = serde_json::to_vec(record).map_err(|e| AppendError::Io(io::Error::other(e)))?;
        line.push(b'\n');
        if (self.len - self.cursor.offset).saturating_add(line.len() as u64) > self.max_bytes {
            return Err(AppendError::Full);
        }
        if let Err(error) = self.file.write_all(&line) {
            // Part of the line may have reached the file: cut it off, or the
            // next record would be written after it and read as one with it.
            let _ = self.file.set_len(self.len);
            return Err(AppendError::Io(error));
        }
        self.len += line.len() as u64;
        self.pending += 1;
        self.unsynced += 1;
        self.dirty_since.get_or_insert_with(Instant::now);
        Ok(())
    }

    /// The oldest record not yet delivered.
    pub(crate) fn head(&mut self) -> io::Result<Option<&SpoolRecord>> {
        while self.head.is_none() && self.cursor.offset < self.len {
            let mut reader = BufReader::new(&self.file);
            reader.seek(SeekFrom::Start(self.cursor.offset))?;
            let mut line = Vec::new();
            let read = reader.read_until(b'\n', &mut line)? as u64;
            if read == 0 {
                // The file is shorter than we wrote: someone else truncated it.
                self.len = self.cursor.offset;
                break;
            }
            let after = Cursor::after(&line, self.cursor.offset + read);
            match parse(&line) {
                Some(record) => self.head = Some((record, after)),
                None => {
                    self.corrupt += 1;
                    self.pending = self.pending.saturating_sub(1);
                    self.move_cursor(after)?;
                }
            }
        }
        if self.head.is_none() {
            self.pending = 0;
        }
        Ok(self.head.as_ref().map(|(record, _)| record))
    }

    /// The head was delivered (or given up): move past it.
    pub(crate) fn advance(&mut self) -> io::Result<()> {
        if let Some((_, after)) = self.head.take() {
            self.pending = self.pending.saturating_sub(1);
            self.move_cursor(after)?;
        }
        Ok(())
    }

    fn move_cursor(&mut self, to: Cursor) -> io::Result<()> {
        self.cursor = to;
        self.cursor_saved = false;
        self.dirty_since.get_or_insert_with(Instant::now);
        if self.cursor.offset >= self.len {
            // Everything delivered: start the file again from nothing but
            // the lines of other versions. The cursor on disk, saved later,
            // names a line no longer there.
            self.file.set_len(self.retained.offset)?;
            self.len = self.retained.offset;
            self.cursor = self.retained;
            self.pending = 0;
        } else if self.compaction_due() {
            self.compact()?;
        }
        Ok(())
    }

    /// The delivered prefix is worth dropping ([`COMPACT_AFTER`]).
    fn compaction_due(&self) -> bool {
        let delivered = self.cursor.offset - self.retained.offset;
        delivered >= COMPACT_AFTER.min(self.max_bytes) && delivered > self.len - self.cursor.offset
    }

    /// Drops the delivered lines at the start of the data file: the lines
    /// still to deliver are written to a new file, made durable and renamed
    /// over the old one, and the cursor starts again at 0. A crash at any
    /// point loses nothing and delivers nothing again:
    ///
    /// - before the rename, the old file is whole and the cursor saved
    ///   first says where it resumes;
    /// - after the rename and before the new cursor is saved, the cursor on
    ///   disk is that same offset, which lies past the end of the new file
    ///   (more was dropped than kept): it is ignored, and delivery starts at
    ///   the new file's first line, the first one not yet delivered;
    /// - after, the new cursor says 0.
    ///
    /// Appends not yet synced are copied too (the old file is read through
    /// the operating system, which has them), and made durable with the rest.
    fn compact(&mut self) -> io::Result<()> {
        debug_assert!(self.head.is_none(), "a head read ahead names a place in the old file");
        if self.compaction_failed_at.is_some_and(|at| at.elapsed() < COMPACT_RETRY_AFTER) {
            return Ok(());
        }
        let compacted = self.rewrite_live_tail();
        self.compaction_failed_at = compacted.is_err().then(Instant::now);
        compacted
    }

    fn rewrite_live_tail(&mut self) -> io::Result<()> {
        self.sync()?;
        let (retained, start, len) = (self.retained.offset, self.cursor.offset, self.len);
        let durable = self.replace_data(|old, out| {
            let mut copy = |from: u64, to: u64| -> io::Result<()> {
                let mut old = old;
                old.seek(SeekFrom::Start(from))?;
                if io::copy(&mut old.take(to - from), out)? == to - from {
                    Ok(())
                } else {
                    Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the spool file is shorter than written"))
                }
            };
            // The lines of other versions stay, then what is left to deliver.
            copy(0, retained)?;
            copy(start, len)
        })?;
        // The new file is the spool's now: its records start after the
        // lines of other versions.
        self.len = retained + len - start;
        self.cursor = self.retained;
        self.cursor_saved = false;
        durable?;
        self.save_cursor()
    }

    /// Replaces the data file atomically with a new one, filled by `write`
    /// (given the old file to read from) and made durable before it is
    /// renamed over the old one; the rename itself is made durable before
    /// this returns, so that a cursor saved afterwards is never found beside
    /// the old file.
    ///
    /// The outer error means nothing was replaced: the old file is still the
    /// spool's. Once renamed, the new file is the spool's whatever follows,
    /// so the caller must take up the new file's offsets; the inner error
    /// then says the rename could not be made durable (the caller must not
    /// save a cursor for the new file, which a crash could pair with the old).
    fn replace_data(&mut self, write: impl FnOnce(&File, &mut File) -> io::Result<()>) -> io::Result<io::Result<()>> {
        let temporary = temporary_path(&self.data_path);
        let written = (|| {
            match fs::remove_file(&temporary) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
                _ => {}
            }
            let mut out = private::options().read(true).append(true).create_new(true).open(&temporary)?;
            write(&self.file, &mut out)?;
            out.sync_all()?;
            fs::rename(&temporary, &self.data_path)?;
            Ok(out)
        })();
        match written {
            Ok(file) => self.file = file,
            Err(error) => {
                let _ = fs::remove_file(&temporary);
                return Err(error);
            }
        }
        Ok(match self.data_path.parent() {
            Some(dir) => File::open(dir).and_then(|dir| dir.sync_all()),
            None => Ok(()),
        })
    }

    /// When the next batched fsync is due, if anything waits for one.
    pub(crate) fn sync_due(&self) -> Option<Instant> {
        let since = self.dirty_since?;
        Some(if self.unsynced >= SYNC_EVERY { since } else { since + SYNC_AFTER })
    }

    /// Makes every append and the cursor durable.
    pub(crate) fn sync(&mut self) -> io::Result<()> {
        if self.unsynced > 0 {
            self.file.sync_data()?;
            self.unsynced = 0;
        }
        self.save_cursor()?;
        self.dirty_since = None;
        Ok(())
    }

    fn save_cursor(&mut self) -> io::Result<()> {
        if !self.cursor_saved {
            // Written in place: a torn cursor is no cursor on recovery, and
            // everything is delivered again (at least once).
            self.cursor.write(&self.cursor_path)?;
            self.cursor_saved = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The target fingerprint of the spools under test.
    const FP: &str = "0011223344556677";

    fn record(key: &str) -> SpoolRecord {
        SpoolRecord {
            v: SPOOL_VERSION,
            destination: "ops/chat".into(),
            key: key.into(),
            target: "webhook".into(),
            rendered_at: "2026-11-24T09:35:01Z".into(),
            payload: Payload::Http { body: serde_json::json!({ "key": key }) },
        }
    }

    fn drain(spool: &mut Spool) -> Vec<String> {
        let mut keys = Vec::new();
        while let Some(head) = spool.head().unwrap() {
            keys.push(head.key.clone());
            spool.advance().unwrap();
        }
        keys
    }

    #[cfg(unix)]
    #[test]
    fn spool_files_and_the_directory_made_for_them_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("spool");
        let mut spool = Spool::open(&dir, "ops/chat", FP, 1 << 20).unwrap();
        spool.append(&record("a")).unwrap();
        spool.append(&record("b")).unwrap();
        assert_eq!(spool.head().unwrap().map(|head| head.key.clone()), Some("a".to_owned()));
        spool.advance().unwrap();
        spool.sync().unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let SpoolFiles { data, cursor, .. } = SpoolFiles::new(&dir, "ops/chat", FP, 0);
        assert_eq!(mode(&data), 0o600);
        assert_eq!(mode(&cursor), 0o600);
        // A data file an earlier version left readable by all is narrowed.
        drop(spool);
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o644)).unwrap();
        let _reopened = Spool::open(&dir, "ops/chat", FP, 1 << 20).unwrap();
        assert_eq!(mode(&data), 0o600);
    }

    #[test]
    fn in_order_across_reopening_and_partial_delivery() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), "ops/chat", FP, 1 << 20).unwrap();
        for key in ["a", "b", "c"] {
            spool.append(&record(key)).unwrap();
        }
        assert_eq!(spool.head().unwrap().unwrap().key, "a");
        spool.advance().unwrap();
        spool.sync().unwrap();
        drop(spool);
        assert!(dir.path().join("ops%2Fchat.0011223344556677.spool.jsonl").exists());
        assert_eq!(pending(dir.path(), "ops/chat").unwrap().len(), 2);
        let mut spool = Spool::open(dir.path(), "ops/chat", FP, 1 << 20).unwrap();
        assert_eq!(spool.pending(), 2);
        spool.append(&record("d")).unwrap();
        assert_eq!(drain(&mut spool), ["b", "c", "d"]);
        assert!(spool.is_empty());
        assert_eq!(fs::metadata(dir.path().join("ops%2Fchat.0011223344556677.spool.jsonl")).unwrap().len(), 0);
    }

    #[test]
    fn a_torn_last_line_and_garbage_are_skipped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), "ops/chat", FP, 1 << 20).unwrap();
        spool.append(&record("a")).unwrap();
        spool.sync().unwrap();
        drop(spool);
        let path = dir.path().join("ops%2Fchat.0011223344556677.spool.jsonl");
        let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"not json\n{\"v\":1,\"destination\":\"ops\",\"ke").unwrap();
        let mut spool = Spool::open(dir.path(), "ops/chat", FP, 1 << 20).unwrap();
        assert_eq!(spool.take_corrupt(), 2);
        spool.append(&record("b")).unwrap();
        assert_eq!(drain(&mut spool), ["a", "b"]);
    }

    #[test]
    fn the_cap_refuses_and_frees_as_records_are_delivered() {
        let dir = tempfile::tempdir().unwrap();
        let line = serde_json::to_vec(&record("a")).unwrap().len() as u64 + 1;
        let mut spool = Spool::open(dir.path(), "ops/chat", FP, line * 2).unwrap();
        spool.append(&record("a")).unwrap();
        spool.append(&record("b")).unwrap();
        assert!(matches!(spool.append(&record("c")), Err(AppendError::Full)));
        assert_eq!(spool.head().unwrap().unwrap().key, "a");
        spool.advance().unwrap();
        spool.append(&record("c")).unwrap();
        assert_eq!(drain(&mut spool), ["b", "c"]);
    }

    #[test]
    fn a_cursor_in_the_middle_of_a_line_replays_everything() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), "ops/chat", FP, 1 << 20).unwrap();
        spool.append(&record("a")).unwrap();
        spool.append(&record("b")).unwrap();
        spool.sync().unwrap();
        drop(spool);
        fs::write(dir.path().join("ops%2Fchat.0011223344556677.spool.cursor"), "7 cbf29ce484222325\n").unwrap();
        let mut spool = Spool::open(dir.path(), "ops/chat", FP, 1 << 20).unwrap();
        assert_eq!(drain(&mut spool), ["a", "b"]);
    }

    /// A spool that holds a, b and c, with a delivered and the cursor synced.
    fn a_b_c_with_a_delivered(dir: &Path) -> Spool {
        let mut spool = Spool::open(dir, "ops/chat", FP, 1 << 20).unwrap();
        for key in ["a", "b", "c"] {
            spool.append(&record(key)).unwrap();
        }
        spool.head().unwrap();
        spool.advance().unwrap();
        spool.sync().unwrap();
        spool
    }

    /// The records of a reopened spool, as recovery after a crash finds them.
    fn reopen(dir: &Path) -> Vec<String> {
        drain(&mut Spool::open(dir, "ops/chat", FP, 1 << 20).unwrap())
    }

    #[test]
    fn a_crash_after_the_file_was_emptied_skips_nothing_appended_since() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = a_b_c_with_a_delivered(dir.path());
        let cursor_path = dir.path().join("ops%2Fchat.0011223344556677.spool.cursor");
        let cursor_after_a = fs::read_to_string(&cursor_path).unwrap();
        // b and c are delivered too: the file is emptied, and new records
        // of the same size are appended before the next batched sync.
        assert_eq!(drain(&mut spool), ["b", "c"]);
        for key in ["d", "e", "f"] {
            spool.append(&record(key)).unwrap();
        }
        // The crash comes now, while the cursor on disk is the one saved
        // before the file was emptied: the next start finds that.
        assert_eq!(fs::read_to_string(&cursor_path).unwrap(), cursor_after_a, "the window under test");
        drop(spool);
        assert_eq!(reopen(dir.path()), ["d", "e", "f"]);
    }

    #[test]
    fn a_cursor_left_from_before_the_file_was_rewritten_skips_nothing() {
        let dir = tempfile::tempdir().unwrap();
        drop(a_b_c_with_a_delivered(dir.path()));
        // What recovery's rewrite leaves if the process dies right after its
        // rename: the data file holds only b and c, the cursor still says
        // "after a" of the old file.
        let data_path = dir.path().join("ops%2Fchat.0011223344556677.spool.jsonl");
        let data = fs::read(&data_path).unwrap();
        let first_line = data.iter().position(|&b| b == b'\n').unwrap() + 1;
        fs::write(&data_path, &data[first_line..]).unwrap();
        assert_eq!(reopen(dir.path()), ["b", "c"]);
    }

    /// The length of every record line of `record(key)` for keys of the
    /// same length.
    fn line_len(key: &str) -> u64 {
        serde_json::to_vec(&record(key)).unwrap().len() as u64 + 1
    }

    fn data_len(dir: &Path) -> u64 {
        fs::metadata(dir.join("ops%2Fchat.0011223344556677.spool.jsonl")).unwrap().len()
    }

    #[test]
    fn a_spool_never_drained_to_empty_stays_bounded_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let key = |i: usize| format!("k{i:06}");
        let line = line_len(&key(0));
        let cap = 16 * 1024;
        let mut spool = Spool::open(dir.path(), "ops/chat", FP, cap).unwrap();
        // A long partial outage: twenty records always waiting, one more
        // handed over for every one delivered.
        let (mut appended, mut delivered) = (0, 0);
        while appended < 20 {
            spool.append(&record(&key(appended))).unwrap();
            appended += 1;
        }
        let mut largest = 0;
        for _ in 0..5_000 {
            spool.append(&record(&key(appended))).unwrap();
            appended += 1;
            assert_eq!(spool.head().unwrap().unwrap().key, key(delivered), "in order");
            spool.advance().unwrap();
            delivered += 1;
            if delivered % 100 == 0 {
                spool.sync().unwrap();
            }
            assert_eq!(spool.pending(), 20);
            largest = largest.max(data_len(dir.path()));
        }
        let written = appended as u64 * line;
        assert!(written > 20 * cap, "the test writes far more than the bound: {written}");
        assert!(largest <= 2 * cap + line, "the file grew to {largest} bytes, the cap is {cap}");
        assert!(!dir.path().join("ops%2Fchat.0011223344556677.spool.jsonl.tmp").exists());
        // Nothing lost or repeated, across a reopening too.
        drop(spool);
        assert_eq!(reopen(dir.path()), (delivered..appended).map(key).collect::<Vec<_>>());
    }

    #[test]
    fn a_crash_right_after_compaction_loses_nothing_and_keeps_order() {
        let dir = tempfile::tempdir().unwrap();
        let data_path = dir.path().join("ops%2Fchat.0011223344556677.spool.jsonl");
        let cursor_path = dir.path().join("ops%2Fchat.0011223344556677.spool.cursor");
        let key = |i: usize| format!("k{i:04}");
        let cap = 32 * line_len(&key(0));
        let mut spool = Spool::open(dir.path(), "ops/chat", FP, cap).unwrap();
        let (mut appended, mut delivered) = (0, 0);
        // Deliver while appending, five records always waiting, until the
        // delivered lines are dropped (the cursor comes back to 0).
        let before = loop {
            spool.append(&record(&key(appended))).unwrap();
            appended += 1;
            if appended <= 5 {
                continue;
            }
            let before = fs::read(&data_path).unwrap();
            spool.head().unwrap();
            spool.advance().unwrap();
            delivered += 1;
            if spool.cursor.offset == 0 {
                break before;
            }
            assert!(appended < 1_000, "never compacted");
        };
        let after = fs::read(&data_path).unwrap();
        assert!(after.len() < before.len() / 2, "compacted: {} -> {} bytes", before.len(), after.len());
        assert_eq!(after, before[before.len() - after.len()..], "the lines not yet delivered, as they were");
        let waiting: Vec<String> = (delivered..appended).map(key).collect();

        // A crash just after: records appended since, never synced, are there too.
        for _ in 0..3 {
            spool.append(&record(&key(appended))).unwrap();
            appended += 1;
        }
        drop(spool);
        assert_eq!(Cursor::read(&cursor_path), Some(Cursor::START), "saved by the compaction");
        assert_eq!(reopen(dir.path()), (delivered..appended).map(key).collect::<Vec<_>>());

        // A crash between the rename and the new cursor: the cursor on disk
        // is the one saved just before, after the last delivered line of the
        // old file. It lies past the end of the new one and is ignored.
        let dropped = before.len() - after.len();
        let last_delivered = before[..dropped - 1].iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1);
        let old_cursor = Cursor::after(&before[last_delivered..dropped], dropped as u64);
        old_cursor.write(&cursor_path).unwrap();
        fs::write(&data_path, &after).unwrap();
        assert_eq!(reopen(dir.path()), waiting, "nothing lost, nothing delivered again");

        // A crash before the rename: the old file, its cursor, and a
        // temporary file left half written.
        fs::write(&data_path, &before).unwrap();
        old_cursor.write(&cursor_path).unwrap();
        fs::write(dir.path().join("ops%2Fchat.0011223344556677.spool.jsonl.tmp"), &after[..after.len() / 2]).unwrap();
        assert_eq!(reopen(dir.path()), waiting);
        assert!(!dir.path().join("ops%2Fchat.0011223344556677.spool.jsonl.tmp").exists());
    }

    #[test]
    fn a_second_open_spool_uses_its_own_files_and_its_records_are_taken_over_later() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = Spool::open(dir.path(), "ops/chat", FP, 1 << 20).unwrap();
        assert!(first.take_notices().is_empty());
        for key in ["a", "b"] {
            first.append(&record(key)).unwrap();
        }
        first.head().unwrap();
        first.advance().unwrap();
        first.sync().unwrap();
        // The lock is per open file: a second spool in this very process
        // conflicts as a second process would.
        let mut second = Spool::open(dir.path(), "ops/chat", FP, 1 << 20).unwrap();
        let notices = second.take_notices();
        assert!(notices.len() == 1 && notices[0].contains("another open spool"), "{notices:?}");
        assert!(notices[0].contains(&format!("ops%2Fchat.{FP}.1.spool.jsonl")), "{notices:?}");
        assert!(second.is_empty(), "the first one's records stay the first one's");
        second.append(&record("x")).unwrap();
        second.sync().unwrap();
        first.append(&record("c")).unwrap();
        first.sync().unwrap();
        drop(first);
        let keys = |records: Vec<SpoolRecord>| records.into_iter().map(|r| r.key).collect::<Vec<_>>();
        assert_eq!(keys(pending(dir.path(), "ops/chat").unwrap()), ["b", "c", "x"], "both files, whole");
        drop(second);
        let mut next = Spool::open(dir.path(), "ops/chat", FP, 1 << 20).unwrap();
        assert!(next.take_notices().iter().any(|n| n.contains("took over 1 notifications")));
        assert_eq!(drain(&mut next), ["b", "c", "x"]);
        drop(next);
        assert_eq!(reopen(dir.path()), Vec::<String>::new(), "taken over once");
    }

    #[test]
    fn lines_of_another_version_are_kept_through_recovery_emptying_and_compaction() {
        let dir = tempfile::tempdir().unwrap();
        let data_path = dir.path().join(format!("ops%2Fchat.{FP}.spool.jsonl"));
        let future = "{\"v\":2,\"key\":\"later\",\"layout\":\"another\"}\n";
        let line = |key: &str| format!("{}\n", serde_json::to_string(&record(key)).unwrap());
        fs::write(&data_path, format!("{}{future}{}", line("a"), line("b"))).unwrap();
        let mut spool = Spool::open(dir.path(), "ops/chat", FP, 1 << 20).unwrap();
        assert_eq!((spool.other_version(), spool.take_corrupt()), (1, 0));
        assert!(spool.take_notices().iter().any(|n| n.contains("1 lines of another spool format version")));
        assert_eq!(drain(&mut spool), ["a", "b"]);
        assert_eq!(fs::read_to_string(&data_path).unwrap(), future, "emptied down to the kept line");

        // Compaction keeps it too: deliver while appending, a few waiting.
        let key = |i: usize| format!("k{i:04}");
        let cap = 32 * line_len(&key(0));
        drop(spool);
        let mut spool = Spool::open(dir.path(), "ops/chat", FP, cap).unwrap();
        let (mut appended, mut delivered) = (0, 0);
        loop {
            spool.append(&record(&key(appended))).unwrap();
            appended += 1;
            if appended <= 5 {
                continue;
            }
            assert_eq!(spool.head().unwrap().unwrap().key, key(delivered));
            spool.advance().unwrap();
            delivered += 1;
            if spool.cursor == spool.retained {
                break;
            }
            assert!(appended < 1_000, "never compacted");
        }
        let text = fs::read_to_string(&data_path).unwrap();
        assert!(text.starts_with(future), "{text}");
        assert_eq!(text.lines().count(), 1 + appended - delivered, "the kept line and the records waiting");
        drop(spool);
        let mut spool = Spool::open(dir.path(), "ops/chat", FP, cap).unwrap();
        assert_eq!(spool.other_version(), 1);
        assert_eq!(drain(&mut spool), (delivered..appended).map(key).collect::<Vec<_>>());
        assert_eq!(fs::read_to_string(&data_path).unwrap(), future);
        assert_eq!(pending(dir.path(), "ops/chat").unwrap(), Vec::new(), "not a record to deliver");
    }

    #[test]
    fn batched_sync_is_due_at_once_after_many_appends() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), "ops", FP, 1 << 20).unwrap();
        assert_eq!(spool.sync_due(), None);
        spool.append(&record("a")).unwrap();
        let first = spool.sync_due().unwrap();
        for i in 0..SYNC_EVERY {
            spool.append(&record(&i.to_string())).unwrap();
        }
        assert!(spool.sync_due().unwrap() < first);
        spool.sync().unwrap();
        assert_eq!(spool.sync_due(), None);
    }
}
