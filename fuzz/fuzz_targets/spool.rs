//! The spool reader, fed an arbitrary data file and cursor.
//!
//! The input is written as a destination's spool file, with a cursor that
//! is missing, right, wrong, or arbitrary bytes; the spool is then opened as
//! a restarted sink opens it and drained. Invariants: nothing panics and no
//! I/O fails; the records drained are those the read-only reader `pending`
//! lists, in the same order; every undecodable line after the cursor, and a
//! last line cut short, is counted as corrupt; a drained spool is empty.

#![no_main]

use std::fs;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use monitor_sinks::spool::{SPOOL_VERSION, SpoolRecord, pending, replay, target_fingerprint};

/// A destination name with characters the file names must encode.
const DESTINATION: &str = "ops/chat ü";

/// The spool's files are named after the destination and its target.
static FINGERPRINT: LazyLock<String> = LazyLock::new(|| target_fingerprint("webhook", "https://ops.example.org/hook"));
static DATA_FILE: LazyLock<String> = LazyLock::new(|| format!("ops%2Fchat%20%C3%BC.{}.spool.jsonl", *FINGERPRINT));
static CURSOR_FILE: LazyLock<String> = LazyLock::new(|| format!("ops%2Fchat%20%C3%BC.{}.spool.cursor", *FINGERPRINT));

/// One directory for the whole run: a new one per input would cost more than the input.
static DIR: LazyLock<tempfile::TempDir> = LazyLock::new(|| tempfile::tempdir().expect("a temporary directory"));

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else { return };
    let dir = DIR.path();
    for file in [&*DATA_FILE, &*CURSOR_FILE] {
        let _ = fs::remove_file(dir.join(file));
    }
    // The data file, and where delivery should resume in it.
    let (cursor, data) = split_cursor(mode, rest);
    fs::write(dir.join(&*DATA_FILE), data).expect("the data file is written");
    let start = match cursor {
        Cursor::None => Some(0),
        Cursor::Right(offset, text) => {
            fs::write(dir.join(&*CURSOR_FILE), text).expect("the cursor is written");
            Some(offset)
        }
        Cursor::Wrong(text) => {
            fs::write(dir.join(&*CURSOR_FILE), text).expect("the cursor is written");
            Some(0)
        }
        Cursor::Raw(bytes) => {
            fs::write(dir.join(&*CURSOR_FILE), bytes).expect("the cursor is written");
            None
        }
    };

    let listed = pending(dir, DESTINATION).expect("the spool is listed");
    let drained = replay::drain(dir, DESTINATION, &FINGERPRINT).expect("the spool is opened and drained");
    assert_eq!(drained.records, listed, "the reader and the listing disagree");
    assert_eq!(drained.pending_at_open, listed.len() as u64, "pending after opening");
    if let Some(start) = start {
        assert_eq!(drained.corrupt, corrupt_lines(data, start), "corrupt lines from {start}");
    }
    let again = replay::drain(dir, DESTINATION, &FINGERPRINT).expect("the drained spool is opened");
    assert!(again.records.is_empty() && again.corrupt == 0, "a drained spool still holds {again:?}");
});

enum Cursor<'a> {
    None,
    /// Just after a complete line, with that line's checksum: resumes there.
    Right(usize, String),
    /// A line end with a checksum that cannot match: ignored, resumes at 0.
    Wrong(String),
    /// Whatever the input holds before its first NUL: where it resumes is not known.
    Raw(&'a [u8]),
}

/// The cursor the first byte asks for, and the data file.
fn split_cursor(mode: u8, rest: &[u8]) -> (Cursor<'_>, &[u8]) {
    match mode % 4 {
        0 => (Cursor::None, rest),
        1 | 2 => {
            let Some((&pick, data)) = rest.split_first() else { return (Cursor::None, rest) };
            let complete = data.iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1);
            let ends: Vec<usize> = (0..complete).filter(|&at| data[at] == b'\n').map(|at| at + 1).collect();
            if ends.is_empty() {
                return (Cursor::None, data);
            }
            let offset = ends[usize::from(pick) % ends.len()];
            let line_start = data[..offset - 1].iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1);
            let check = fnv1a(&data[line_start..offset]);
            if mode % 4 == 1 {
                (Cursor::Right(offset, format!("{offset} {check:016x}\n")), data)
            } else {
                (Cursor::Wrong(format!("{offset} {:016x}\n", !check)), data)
            }
        }
        _ => {
            let length = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            let (cursor, data) = rest.split_at(length);
            (Cursor::Raw(cursor), data.get(1..).unwrap_or_default())
        }
    }
}

/// Lines the reader must count as corrupt: non-blank lines from `start`
/// that are neither a record nor a line of another format version (those
/// are kept, not counted as corrupt), and a last line without its newline.
fn corrupt_lines(data: &[u8], start: usize) -> u64 {
    let complete = data.iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1);
    let torn = u64::from(complete < data.len());
    let undecodable = data[start..complete]
        .split(|&b| b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .filter(|line| !serde_json::from_slice::<SpoolRecord>(line).is_ok_and(|record| record.v == SPOOL_VERSION))
        .filter(|line| !serde_json::from_slice::<Versioned>(line).is_ok_and(|line| line.v != SPOOL_VERSION))
        .count();
    torn + undecodable as u64
}

/// Any version's line names its version in `v`.
#[derive(serde::Deserialize)]
struct Versioned {
    v: u32,
}

/// The cursor's checksum (FNV-1a, 64 bits), as the spool format documents it.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
