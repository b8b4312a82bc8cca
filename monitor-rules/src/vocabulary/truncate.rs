//! Cutting texts to a limit without splitting a character, and saying so
//! where it was cut.

use std::borrow::Cow;

/// Appended where a text was cut, everywhere: event messages, audit
/// details, notifications.
pub const TRUNCATION_MARKER: &str = "… [truncated]";

/// `text` if it has at most `max_chars` characters, else its start and
/// [`TRUNCATION_MARKER`], `max_chars` characters in all (the platforms
/// count their limits in characters).
///
/// ```
/// use monitor_rules::vocabulary::truncate_chars;
///
/// assert_eq!(truncate_chars("short", 10), "short");
/// let long = "é".repeat(50);
/// let cut = truncate_chars(&long, 20);
/// assert_eq!(cut.chars().count(), 20);
/// assert!(cut.starts_with("ééé") && cut.ends_with("[truncated]"));
/// ```
pub fn truncate_chars(text: &str, max_chars: usize) -> Cow<'_, str> {
    // Fast path: a text no longer in bytes than the limit is within it in characters.
    if text.len() <= max_chars || text.chars().count() <= max_chars {
        return Cow::Borrowed(text);
    }
    let marker_chars = TRUNCATION_MARKER.chars().count();
    if max_chars <= marker_chars {
        return Cow::Owned(text.chars().take(max_chars).collect());
    }
    let keep = max_chars - marker_chars;
    let end = text.char_indices().nth(keep).map_or(text.len(), |(at, _)| at);
    Cow::Owned(format!("{}{TRUNCATION_MARKER}", &text[..end]))
}

/// Cuts `text` in place to at most `max_bytes` bytes of its own, at a
/// character boundary, and appends [`TRUNCATION_MARKER`] when it cut (the
/// in-memory bounds of messages and audit details are in bytes).
///
/// ```
/// use monitor_rules::vocabulary::{truncate_bytes, TRUNCATION_MARKER};
///
/// let mut text = "ééé".to_owned();
/// truncate_bytes(&mut text, 3);
/// assert_eq!(text, format!("é{TRUNCATION_MARKER}"));
/// ```
pub fn truncate_bytes(text: &mut String, max_bytes: usize) {
    if text.len() > max_bytes {
        let mut cut = max_bytes;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str(TRUNCATION_MARKER);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_over_the_limit_and_never_a_broken_character() {
        for text in ["", "a", "héllo wörld", &"ü".repeat(300), &"ab".repeat(150)] {
            for max in 0..40 {
                let cut = truncate_chars(text, max);
                assert!(cut.chars().count() <= max, "{text:?} at {max}: {cut:?}");
                if text.chars().count() <= max {
                    assert_eq!(cut, text);
                } else if max > TRUNCATION_MARKER.chars().count() {
                    assert!(cut.ends_with(TRUNCATION_MARKER));
                    assert!(text.starts_with(cut.trim_end_matches(TRUNCATION_MARKER)));
                }
                let mut bytes = text.to_owned();
                truncate_bytes(&mut bytes, max);
                assert!(bytes.len() <= max + TRUNCATION_MARKER.len());
            }
        }
    }
}
