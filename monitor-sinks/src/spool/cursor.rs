//! The cursor file: where delivery resumes in a spool's data file, with a
//! check that it belongs to the data file as it is now.
//!
//! The data file is emptied once everything is delivered, and rewritten by
//! recovery and when its delivered lines are dropped (compaction), while
//! the cursor on disk is only brought up to date at the next batched sync
//! (compaction saves it just after its rename). A cursor left from before would skip as many bytes of
//! the new records: so it names the line it was saved after (a checksum of
//! it), and a cursor whose line is not there is ignored.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Where delivery resumes: `offset` bytes into the data file, just after
/// the line whose checksum is `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cursor {
    pub offset: u64,
    pub check: u64,
}

impl Cursor {
    /// The start of an empty (or fully undelivered) file.
    pub(super) const START: Cursor = Cursor { offset: 0, check: checksum(b"") };

    /// Just after `line` (with its newline), which ends at `offset`.
    pub(super) fn after(line: &[u8], offset: u64) -> Cursor {
        Cursor { offset, check: checksum(line) }
    }

    /// The cursor in `path`; none when missing, torn or of another format
    /// (then everything in the data file is delivered again).
    pub(super) fn read(path: &Path) -> Option<Cursor> {
        let text = fs::read_to_string(path).ok()?;
        // The newline is written last: without it the write was torn.
        let (offset, check) = text.strip_suffix('\n')?.split_once(' ')?;
        Some(Cursor { offset: offset.parse().ok()?, check: u64::from_str_radix(check, 16).ok()? })
    }

    /// Writes the cursor in place and makes it durable.
    pub(super) fn write(self, path: &Path) -> io::Result<()> {
        let mut file = super::private::options().write(true).create(true).truncate(true).open(path)?;
        file.write_all(format!("{} {:016x}\n", self.offset, self.check).as_bytes())?;
        file.sync_data()
    }

    /// Where delivery resumes in `data` (the file's complete lines): at the
    /// cursor when the line before it is the one it was saved after, else
    /// at 0, delivering again rather than skipping a record.
    pub(super) fn resume_in(cursor: Option<Cursor>, data: &[u8]) -> usize {
        let Some(cursor) = cursor else { return 0 };
        let Ok(offset) = usize::try_from(cursor.offset) else { return 0 };
        if offset == 0 || offset > data.len() || data[offset - 1] != b'\n' {
            return 0;
        }
        let line_start = data[..offset - 1].iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1);
        if checksum(&data[line_start..offset]) == cursor.check { offset } else { 0 }
    }
}

/// FNV-1a (64 bits): fixed for good, unlike the standard library's hasher,
/// since cursors outlive the build that wrote them.
const fn checksum(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &[u8] = b"{\"k\":\"a\"}\n{\"k\":\"b\"}\n{\"k\":\"c\"}\n";

    #[test]
    fn resumes_only_after_the_line_it_names() {
        let after_a = Cursor::after(b"{\"k\":\"a\"}\n", 10);
        assert_eq!(Cursor::resume_in(Some(after_a), DATA), 10);
        assert_eq!(Cursor::resume_in(Some(Cursor::after(b"{\"k\":\"b\"}\n", 20)), DATA), 20);
        // The same offset in a file whose first line is another record.
        assert_eq!(Cursor::resume_in(Some(after_a), &DATA[10..]), 0);
        assert_eq!(Cursor::resume_in(Some(Cursor { offset: 7, ..after_a }), DATA), 0, "not at a line start");
        assert_eq!(Cursor::resume_in(Some(Cursor { offset: 99, ..after_a }), DATA), 0, "past the end");
        assert_eq!(Cursor::resume_in(None, DATA), 0);
    }

    #[test]
    fn a_torn_or_foreign_cursor_file_is_no_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        let cursor = Cursor::after(b"x\n", 2);
        cursor.write(&path).unwrap();
        assert_eq!(Cursor::read(&path), Some(cursor));
        let text = fs::read_to_string(&path).unwrap();
        for torn in [&text[..text.len() - 1], &text[..1], "", "10"] {
            fs::write(&path, torn).unwrap();
            assert_eq!(Cursor::read(&path), None, "{torn:?}");
        }
        assert_eq!(checksum(b""), 0xcbf2_9ce4_8422_2325, "FNV-1a's offset basis");
    }
}
