//! Cutting texts to a platform's limit without splitting a character, and
//! saying so where it was cut.

use std::borrow::Cow;

/// Appended where a text was cut.
pub const TRUNCATION_MARKER: &str = "… [truncated]";

/// `text` if it has at most `max_chars` characters, else its start and
/// [`TRUNCATION_MARKER`], `max_chars` characters in all.
///
/// ```
/// use monitor_delivery::truncate;
///
/// assert_eq!(truncate("short", 10), "short");
/// let long = "é".repeat(50);
/// let cut = truncate(&long, 20);
/// assert_eq!(cut.chars().count(), 20);
/// assert!(cut.starts_with("ééé") && cut.ends_with("[truncated]"));
/// ```
pub fn truncate(text: &str, max_chars: usize) -> Cow<'_, str> {
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

/// Character count, as the platforms count their limits.
pub(crate) fn chars(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn never_over_the_limit_and_never_a_broken_character(text in "\\PC{0,300}", max in 0usize..200) {
            let cut = truncate(&text, max);
            prop_assert!(chars(&cut) <= max);
            if chars(&text) <= max {
                prop_assert_eq!(cut.as_ref(), text.as_str());
            } else if max > chars(TRUNCATION_MARKER) {
                prop_assert!(cut.ends_with(TRUNCATION_MARKER));
                prop_assert!(text.starts_with(cut.trim_end_matches(TRUNCATION_MARKER)));
            }
        }
    }
}
