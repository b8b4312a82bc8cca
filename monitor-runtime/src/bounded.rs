//! Formatting that stops at a byte limit while it writes.
//!
//! An error's `Display` is user code: it may write a 100 MB message. Writing
//! it whole and cutting afterwards would cost 100 MB of memory on the
//! caller's thread (and leave a buffer that size behind); this writer takes
//! what fits and then answers every further write with `fmt::Error`, which
//! `write!` and the derived impls pass up, so formatting stops there.

/// Longest message text kept (an error, a chain link, a panic); the rest
/// is cut at a character boundary while it is written.
pub(crate) const MAX_MESSAGE_BYTES: usize = 8 * 1024;

use std::fmt::{self, Write as _};

use monitor_rules::vocabulary::TRUNCATION_MARKER;

/// Writes into a `String` up to a length, then refuses.
struct BoundedWriter<'a> {
    out: &'a mut String,
    /// Length of `out` past which nothing is written.
    end: usize,
    cut: bool,
}

impl fmt::Write for BoundedWriter<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = self.end.saturating_sub(self.out.len());
        if text.len() <= room {
            self.out.push_str(text);
            return Ok(());
        }
        let mut fits = room;
        while !text.is_char_boundary(fits) {
            fits -= 1;
        }
        self.out.push_str(&text[..fits]);
        self.cut = true;
        Err(fmt::Error)
    }
}

/// Appends `value`'s `Display` to `out`, at most `limit` bytes of it
/// (cut at a character boundary and marked as cut).
pub(crate) fn write_display(out: &mut String, value: &dyn fmt::Display, limit: usize) {
    write_bounded(out, limit, |writer| write!(writer, "{value}"));
}

/// Appends `value`'s `Debug` to `out`, at most `limit` bytes of it.
pub(crate) fn write_debug(out: &mut String, value: &dyn fmt::Debug, limit: usize) {
    write_bounded(out, limit, |writer| write!(writer, "{value:?}"));
}

fn write_bounded(out: &mut String, limit: usize, write: impl FnOnce(&mut BoundedWriter<'_>) -> fmt::Result) {
    let end = out.len().saturating_add(limit);
    let mut writer = BoundedWriter { out, end, cut: false };
    // An error here is the cut itself, or the value's own formatting
    // failing; either way what was written so far is kept.
    let _ = write(&mut writer);
    if writer.cut {
        writer.out.push_str(TRUNCATION_MARKER);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `chunks` pieces of 1 KiB and counts how many it was let write.
    struct Huge {
        chunks: usize,
        written: std::cell::Cell<usize>,
    }

    impl fmt::Display for Huge {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let chunk = "x".repeat(1024);
            for _ in 0..self.chunks {
                f.write_str(&chunk)?;
                self.written.set(self.written.get() + 1);
            }
            Ok(())
        }
    }

    #[test]
    fn a_huge_display_stops_at_the_limit() {
        let huge = Huge { chunks: 100 * 1024, written: std::cell::Cell::new(0) };
        let mut out = String::new();
        write_display(&mut out, &huge, 8 * 1024);
        assert_eq!(out.len(), 8 * 1024 + TRUNCATION_MARKER.len());
        assert!(out.ends_with(TRUNCATION_MARKER));
        assert_eq!(huge.written.get(), 8, "formatting stopped at the cut, not after 100 MB");
        assert!(out.capacity() <= 2 * 8 * 1024 + TRUNCATION_MARKER.len(), "capacity {}", out.capacity());
    }

    #[test]
    fn cuts_at_a_character_boundary_and_appends_after_what_is_there() {
        let mut out = "args: ".to_owned();
        write_debug(&mut out, &"ééééé", 4);
        assert_eq!(out, format!("args: \"é{TRUNCATION_MARKER}"));
        let mut short = String::new();
        write_display(&mut short, &"fits", 4);
        assert_eq!(short, "fits");
    }
}
