//! Writes laid-out pages as a PDF file: one compressed content stream per
//! page, then the two faces of the embedded font (written last, since only
//! then is every character they show known), and the title in the
//! document's information.

use pdf_writer::{Content, Filter, Name, Pdf, Rect, Ref, Str, TextStr};

use super::deflate;
use super::embed::write_font;
use super::font::{FontFace, UsedGlyphs};
use super::layout::{PAGE_HEIGHT, PAGE_WIDTH, Page};

const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// The characters shown in each face, gathered while pages are written.
struct Faces {
    regular: UsedGlyphs,
    bold: UsedGlyphs,
}

/// The PDF file of `pages`.
pub(crate) fn render(pages: &[Page], title: &str) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first_page = 6;
    let page_ids: Vec<Ref> = (0..pages.len()).map(|index| Ref::new(first_page + 2 * index as i32)).collect();

    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(pages.len() as i32);
    // The information dictionary takes any Unicode text.
    pdf.document_info(info).title(TextStr(title)).producer(TextStr("monitor-export"));

    let mut faces = Faces { regular: UsedGlyphs::new(FontFace::regular()), bold: UsedGlyphs::new(FontFace::bold()) };
    for (page, id) in pages.iter().zip(&page_ids) {
        let content_id = Ref::new(id.get() + 1);
        {
            let mut writer = pdf.page(*id);
            writer.parent(tree).media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT)).contents(content_id);
            writer.resources().fonts().pair(REGULAR, regular).pair(BOLD, bold);
        }
        let content = content(page, &mut faces);
        pdf.stream(content_id, &deflate(&content)).filter(Filter::FlateDecode);
    }

    let mut next = Ref::new(first_page + 2 * pages.len() as i32);
    write_font(&mut pdf, regular, &mut next, &faces.regular);
    write_font(&mut pdf, bold, &mut next, &faces.bold);
    pdf.finish()
}

fn content(page: &Page, faces: &mut Faces) -> Vec<u8> {
    let mut content = Content::new();
    content.set_line_width(0.4).set_stroke_gray(0.5);
    for rule in &page.rules {
        content.move_to(rule.x1, rule.y).line_to(rule.x2, rule.y).stroke();
    }
    content.begin_text();
    let mut font = None;
    let mut codes = Vec::new();
    for text in &page.texts {
        let wanted = (text.bold, text.size.to_bits());
        if font != Some(wanted) {
            content.set_font(if text.bold { BOLD } else { REGULAR }, text.size);
            font = Some(wanted);
        }
        content.set_text_matrix([1.0, 0.0, 0.0, 1.0, text.x, text.y]);
        codes.clear();
        let face = if text.bold { &mut faces.bold } else { &mut faces.regular };
        face.encode(&text.text, &mut codes);
        content.show(Str(&codes));
    }
    content.end_text();
    content.finish().to_vec()
}
