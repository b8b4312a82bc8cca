//! Text as a report prints it, one character to a cell of its monospaced
//! layout: line breaks and tabs become spaces (the layout wraps text itself)
//! and the other control characters `�`, as in XML exports, since they have
//! no glyph and no place in a line.

/// `text` with its line breaks and tabs as spaces and its other control
/// characters as `�`.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaks_and_tabs_become_spaces_other_controls_the_replacement() {
        assert_eq!(printable("a\nb\tc\rd"), "a b c d");
        assert_eq!(printable("bell\u{7}here\u{9F}"), "bell\u{FFFD}here\u{FFFD}");
        assert_eq!(printable("Zażółć Καλημέρα 日本"), "Zażółć Καλημέρα 日本");
    }
}
