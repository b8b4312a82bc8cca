//! Writes one face of the font, once the pages are written and so every
//! character it shows is known: a Type0 font (Identity-H, so text is two-byte
//! CIDs) over a CIDFontType2 font that embeds a subset of the TrueType file
//! holding only the glyphs used, with the width of each CID, the map from
//! CIDs to the subset's glyphs, and a ToUnicode map from CIDs back to
//! characters for text extraction.

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;
use ttf_parser::GlyphId;

use super::deflate;
use super::font::{ADVANCE, FontFace, UsedGlyphs};

/// CIDs that name no published character collection: the font's own.
const IDENTITY: SystemInfo<'static> = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };

/// Writes `used` as the Type0 font `font`, its other objects numbered from
/// `next` on.
pub(crate) fn write_font(pdf: &mut Pdf, font: Ref, next: &mut Ref, used: &UsedGlyphs) {
    let cid_font = next.bump();
    let descriptor = next.bump();
    let file = next.bump();
    let cid_to_gid = next.bump();
    let to_unicode = next.bump();

    let face = &used.face;
    let glyphs: Vec<u16> = used.used().iter().map(|&(_, glyph)| glyph).collect();
    let remapper = GlyphRemapper::new_from_glyphs(&glyphs);
    // A subset failure would be a bug of the subsetter on a font that the
    // tests subset: the whole file, with its own glyph numbers, still works.
    let subset = subsetter::subset(face.data, 0, &remapper).ok();
    let new_glyph = |glyph| if subset.is_some() { remapper.get(glyph).unwrap_or(0) } else { glyph };
    let font_file = subset.as_deref().unwrap_or(face.data);
    let base_font = format!("{}+{}", subset_tag(&glyphs), face.name);
    let base_font = Name(base_font.as_bytes());

    pdf.type0_font(font)
        .base_font(base_font)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_font)
        .to_unicode(to_unicode);

    let units = f32::from(face.parsed.units_per_em());
    {
        let mut cid = pdf.cid_font(cid_font);
        cid.subtype(CidFontType::Type2)
            .base_font(base_font)
            .system_info(IDENTITY)
            .font_descriptor(descriptor)
            .default_width(ADVANCE * 1000.0)
            .cid_to_gid_map_stream(cid_to_gid);
        let advance =
            |glyph: u16| face.parsed.glyph_hor_advance(GlyphId(glyph)).map_or(0.0, |a| f32::from(a) / units * 1000.0);
        cid.widths().consecutive(1, glyphs.iter().map(|&glyph| advance(glyph)));
        cid.finish();
    }

    write_descriptor(pdf, descriptor, base_font, face, file);

    let compressed = deflate(font_file);
    pdf.stream(file, &compressed).filter(Filter::FlateDecode).pair(Name(b"Length1"), font_file.len() as i32);

    // CID 0 is `.notdef`; the others follow the characters' order.
    let mut map = vec![0, 0];
    for &glyph in &glyphs {
        map.extend_from_slice(&new_glyph(glyph).to_be_bytes());
    }
    pdf.stream(cid_to_gid, &deflate(&map)).filter(Filter::FlateDecode);

    let mut cmap = UnicodeCmap::<u16>::new(Name(b"Custom"), IDENTITY);
    for (index, &(c, _)) in used.used().iter().enumerate() {
        // At most 65,535 characters: the CIDs fit in two bytes.
        cmap.pair(index as u16 + 1, c);
    }
    pdf.cmap(to_unicode, &deflate(cmap.finish().as_slice())).filter(Filter::FlateDecode);
}

/// The descriptor of `face`, whose file is the stream `file`: its metrics in
/// thousandths of an em.
fn write_descriptor(pdf: &mut Pdf, descriptor: Ref, base_font: Name, face: &FontFace, file: Ref) {
    let parsed = &face.parsed;
    let units = f32::from(parsed.units_per_em());
    let per_mille = |value: i16| f32::from(value) / units * 1000.0;
    let bbox = parsed.global_bounding_box();
    // The height of `H`: the face has no OS/2 field for it.
    let cap_height =
        parsed.glyph_index('H').and_then(|h| parsed.glyph_bounding_box(h)).map_or(parsed.ascender(), |b| b.y_max);
    pdf.font_descriptor(descriptor)
        .name(base_font)
        .flags(FontFlags::FIXED_PITCH | FontFlags::SYMBOLIC)
        .bbox(Rect::new(per_mille(bbox.x_min), per_mille(bbox.y_min), per_mille(bbox.x_max), per_mille(bbox.y_max)))
        .italic_angle(0.0)
        .ascent(per_mille(parsed.ascender()))
        .descent(per_mille(parsed.descender()))
        .cap_height(per_mille(cap_height))
        // Readers only use it to fake a missing font's weight: the usual
        // figures for regular and bold.
        .stem_v(if parsed.is_bold() { 140.0 } else { 80.0 })
        .font_file2(file);
}

/// Six capitals that tell this subset from others of the same font, as
/// PDF asks of a subset's name: a hash of its glyphs (FNV-1a), so that the
/// same text gives the same file.
fn subset_tag(glyphs: &[u16]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in glyphs.iter().flat_map(|glyph| glyph.to_be_bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    (0..6)
        .map(|_| {
            let letter = char::from(b'A' + (hash % 26) as u8);
            hash /= 26;
            letter
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subset_tags_are_six_capitals_and_follow_the_glyphs() {
        let tag = subset_tag(&[3, 4, 5]);
        assert_eq!(tag.len(), 6);
        assert!(tag.chars().all(|c| c.is_ascii_uppercase()));
        assert_eq!(tag, subset_tag(&[3, 4, 5]));
        assert_ne!(tag, subset_tag(&[3, 4, 6]));
    }
}
