//! Text for the standard PDF fonts, which need no file embedded: they hold
//! the WinAnsi (Windows-1252) characters only, so each character becomes
//! one byte: ASCII and Latin-1 (é, ü, ß, …) as themselves, the typographic
//! characters of 0x80–0x9F (€, „, “, ”, –, —, …, ‰, Œ, Š, Ž, ƒ, ™, …) as
//! Windows-1252 places them, line breaks and tabs as spaces, and every
//! other character (Greek, Cyrillic, CJK, emoji, control characters) as `?`.

/// The bytes of `text` in WinAnsiEncoding, one per character.
pub(crate) fn encode(text: &str) -> Vec<u8> {
    text.chars().map(byte).collect()
}

fn byte(c: char) -> u8 {
    match c {
        '\t' | '\n' | '\r' => b' ',
        ' '..='~' => c as u8,
        // Latin-1's printable half is WinAnsi's too (U+00AD, the soft hyphen, included).
        '\u{A0}'..='\u{FF}' => c as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => b'?',
    }
}

/// The ellipsis, to mark text that was cut.
pub(crate) const ELLIPSIS: u8 = 0x85;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_and_typography_survive_the_rest_is_a_question_mark() {
        assert_eq!(encode("Müller €5"), b"M\xfcller \x805");
        assert_eq!(encode("ß – “x”"), b"\xdf \x96 \x93x\x94");
        assert_eq!(encode("Ελλάδα 日本"), b"?????? ??");
        assert_eq!(encode("a\nb\u{7}"), b"a b?");
    }
}
