//! The report's two faces, DejaVu Sans Mono and DejaVu Sans Mono Bold
//! (their licence is in the crate's `fonts` folder), and the characters a
//! report shows in each.
//!
//! Text is written with one two-byte code (a CID) per character, numbered
//! in the order characters are first met; the font objects written at the
//! end map each CID to its glyph and back to its character, so that only
//! the glyphs used are embedded and text extraction gives the characters
//! back. A character without a glyph in the face (CJK, emoji, most
//! symbols) is drawn as `�` but keeps its own CID, so it still extracts as
//! itself.

use std::collections::HashMap;

use ttf_parser::{Face, GlyphId};

const REGULAR: &[u8] = include_bytes!("../../../fonts/DejaVuSansMono.ttf");
const BOLD: &[u8] = include_bytes!("../../../fonts/DejaVuSansMono-Bold.ttf");

/// The advance of every glyph of both faces, in ems (1233 of 2048 font
/// units): the layout counts characters, not widths.
pub(crate) const ADVANCE: f32 = 1233.0 / 2048.0;

/// What a character without a glyph is drawn as.
const REPLACEMENT: char = '\u{FFFD}';

/// The most CIDs two bytes can number. CID 0 is kept for `.notdef`.
const LAST_CID: u16 = u16::MAX;

/// One face of the embedded font.
pub(crate) struct FontFace {
    /// The PostScript name, to which the subset's tag is prefixed.
    pub(crate) name: &'static str,
    /// The whole font file.
    pub(crate) data: &'static [u8],
    /// The same file parsed, for glyphs and metrics.
    pub(crate) parsed: Face<'static>,
}

impl FontFace {
    pub(crate) fn regular() -> Self {
        Self::parse("DejaVuSansMono", REGULAR)
    }

    pub(crate) fn bold() -> Self {
        Self::parse("DejaVuSansMono-Bold", BOLD)
    }

    fn parse(name: &'static str, data: &'static [u8]) -> Self {
        // The files are part of the crate and their parsing is tested: no
        // report could fail here that a test run did not.
        let parsed = Face::parse(data, 0).expect("the bundled font parses");
        FontFace { name, data, parsed }
    }

    /// The glyph of `c`, or of `�` where the face has none.
    fn glyph(&self, c: char) -> u16 {
        let glyph = |c| self.parsed.glyph_index(c).map_or(0, |GlyphId(id)| id);
        match glyph(c) {
            0 => glyph(REPLACEMENT),
            id => id,
        }
    }
}

/// The characters shown in one face, each with its CID.
pub(crate) struct UsedGlyphs {
    pub(crate) face: FontFace,
    cids: HashMap<char, u16>,
    /// The character and its glyph in the whole font of CID `index + 1`.
    used: Vec<(char, u16)>,
}

impl UsedGlyphs {
    pub(crate) fn new(face: FontFace) -> Self {
        UsedGlyphs { face, cids: HashMap::new(), used: Vec::new() }
    }

    /// Appends the CIDs of `text` to `codes`, two bytes each, big-endian
    /// (as Identity-H reads them).
    pub(crate) fn encode(&mut self, text: &str, codes: &mut Vec<u8>) {
        for c in text.chars() {
            codes.extend_from_slice(&self.cid(c).to_be_bytes());
        }
    }

    fn cid(&mut self, c: char) -> u16 {
        if let Some(&cid) = self.cids.get(&c) {
            return cid;
        }
        // Past the last CID, new characters share the one of `�` (which the
        // last CID is then kept for): over 65,000 different characters in
        // one face of one report are not text anybody reads.
        if self.used.len() + 1 >= usize::from(LAST_CID) && c != REPLACEMENT {
            return self.cid(REPLACEMENT);
        }
        self.used.push((c, self.face.glyph(c)));
        let cid = self.used.len() as u16;
        self.cids.insert(c, cid);
        cid
    }

    /// Each CID's character and glyph (in the whole font), from CID 1.
    pub(crate) fn used(&self) -> &[(char, u16)] {
        &self.used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_character_of_both_faces_has_the_same_advance() {
        for face in [FontFace::regular(), FontFace::bold()] {
            let parsed = &face.parsed;
            let units = f32::from(parsed.units_per_em());
            let mut checked = 0;
            for subtable in parsed.tables().cmap.into_iter().flat_map(|cmap| cmap.subtables) {
                subtable.codepoints(|code| {
                    // Control characters are replaced before they reach the font.
                    let printable = char::from_u32(code).is_some_and(|c| !c.is_control());
                    if let Some(glyph) = subtable.glyph_index(code).filter(|_| printable) {
                        let advance = parsed.glyph_hor_advance(glyph).unwrap();
                        assert_eq!(f32::from(advance) / units, ADVANCE, "{} U+{code:04X}", face.name);
                        checked += 1;
                    }
                });
            }
            assert!(checked > 3000, "{}: {checked}", face.name);
        }
    }

    #[test]
    fn each_character_gets_one_cid_and_missing_ones_the_replacement_glyph() {
        let mut used = UsedGlyphs::new(FontFace::regular());
        let mut codes = Vec::new();
        used.encode("ała日本a", &mut codes);
        assert_eq!(codes, [0, 1, 0, 2, 0, 1, 0, 3, 0, 4, 0, 1]);
        let replacement = used.face.glyph(REPLACEMENT);
        assert_ne!(replacement, 0);
        let glyphs: Vec<u16> = used.used().iter().map(|&(_, glyph)| glyph).collect();
        assert_eq!(glyphs[2..], [replacement, replacement]);
        assert_ne!(glyphs[0], replacement);
        assert_eq!(used.used()[3].0, '本');
    }

    #[test]
    fn past_the_last_cid_new_characters_share_the_replacements() {
        let mut used = UsedGlyphs::new(FontFace::regular());
        let mut codes = Vec::new();
        let text: String = (0x4E00..0x4E00 + 70_000).filter_map(char::from_u32).filter(|&c| c != REPLACEMENT).collect();
        used.encode(&text, &mut codes);
        assert_eq!(used.used().len(), usize::from(LAST_CID));
        assert_eq!(used.used().last().unwrap().0, REPLACEMENT);
        assert_eq!(codes[codes.len() - 2..], LAST_CID.to_be_bytes());
    }
}
