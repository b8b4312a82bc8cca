//! Puts a report on pages: A4 landscape, every text in a monospaced font
//! (each character, with a glyph or not, is [`ADVANCE`] em wide, so that a
//! cell's text is cut and wrapped exactly to its column by counting
//! characters). Paragraphs are made [`printable`] here; table cells come
//! printable already.

use super::font::ADVANCE;
use super::printable::printable;

pub(crate) const PAGE_WIDTH: f32 = 841.89;
pub(crate) const PAGE_HEIGHT: f32 = 595.28;
const MARGIN: f32 = 36.0;
/// Room kept at the bottom for the footer.
const FOOTER: f32 = 18.0;
const TITLE_SIZE: f32 = 14.0;
const TEXT_SIZE: f32 = 9.0;
const TABLE_SIZE: f32 = 7.0;
const FOOTER_SIZE: f32 = 7.0;
/// The advance width of every character, in ems.
const CHAR_WIDTH: f32 = ADVANCE;
/// The mark of text that was cut.
const ELLIPSIS: char = '…';
/// Lines of a table cell at most; longer text is cut with `…`.
const CELL_LINES: usize = 4;
/// Characters a column is given at most, however long its texts.
const COLUMN_MAX: usize = 48;
/// Characters a column is given at least.
const COLUMN_MIN: usize = 3;

/// One run of text at a position (baseline).
pub(crate) struct Text {
    pub(crate) x: f32,
    pub(crate) y: f32,
    pub(crate) size: f32,
    pub(crate) bold: bool,
    pub(crate) text: String,
}

/// A horizontal rule.
pub(crate) struct Rule {
    pub(crate) x1: f32,
    pub(crate) x2: f32,
    pub(crate) y: f32,
}

/// What one page shows.
#[derive(Default)]
pub(crate) struct Page {
    pub(crate) texts: Vec<Text>,
    pub(crate) rules: Vec<Rule>,
}

/// Pages being filled from the top down.
pub(crate) struct Pages {
    pub(crate) pages: Vec<Page>,
    /// The baseline of the next line's top on the current page.
    top: f32,
}

fn chars_in(width: f32, size: f32) -> usize {
    (width / (size * CHAR_WIDTH)).floor().max(1.0) as usize
}

const USABLE_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const BOTTOM: f32 = MARGIN + FOOTER;

impl Pages {
    pub(crate) fn new() -> Self {
        Pages { pages: vec![Page::default()], top: PAGE_HEIGHT - MARGIN }
    }

    fn page(&mut self) -> &mut Page {
        // `pages` is never empty: it starts with one and only grows.
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.top = PAGE_HEIGHT - MARGIN;
    }

    /// Starts a new page unless `height` points fit on this one.
    fn room_for(&mut self, height: f32) -> bool {
        if self.top - height < BOTTOM {
            self.new_page();
            return false;
        }
        true
    }

    /// Leaves `points` of space (not across a page break).
    pub(crate) fn space(&mut self, points: f32) {
        self.top -= points;
    }

    /// A paragraph wrapped to the page's width.
    pub(crate) fn paragraph(&mut self, text: &str, size: f32, bold: bool) {
        let leading = size * 1.25;
        for line in wrap(&printable(text), chars_in(USABLE_WIDTH, size), usize::MAX) {
            self.room_for(leading);
            self.top -= leading;
            let y = self.top + size * 0.25;
            self.page().texts.push(Text { x: MARGIN, y, size, bold, text: line });
        }
    }

    pub(crate) fn title(&mut self, text: &str) {
        self.paragraph(text, TITLE_SIZE, true);
        self.space(4.0);
    }

    pub(crate) fn heading(&mut self, text: &str) {
        self.space(8.0);
        // Keep a heading with at least a few lines after it.
        self.room_for(TEXT_SIZE * 1.25 + 4.0 * TABLE_SIZE * 1.2);
        self.paragraph(text, TEXT_SIZE + 1.0, true);
        self.space(2.0);
    }

    pub(crate) fn text(&mut self, text: &str) {
        self.paragraph(text, TEXT_SIZE, false);
    }

    /// A table, its header repeated on every page it runs over.
    pub(crate) fn table<'r>(&mut self, header: &[String], rows: impl IntoIterator<Item = &'r [String]> + Clone) {
        let widths = column_widths(header, rows.clone(), chars_in(USABLE_WIDTH, TABLE_SIZE));
        let head = self.lines(header, &widths, 2);
        self.room_for(row_height(&head) * 2.0);
        self.draw_row(&head, &widths, true);
        for row in rows {
            let lines = self.lines(row, &widths, CELL_LINES);
            if !self.room_for(row_height(&lines)) {
                self.draw_row(&head, &widths, true);
            }
            self.draw_row(&lines, &widths, false);
        }
        let top = self.top;
        self.page().rules.push(Rule { x1: MARGIN, x2: table_right(&widths), y: top - 1.0 });
        self.space(2.0);
    }

    fn lines(&self, cells: &[String], widths: &[usize], max_lines: usize) -> Vec<Vec<String>> {
        cells.iter().zip(widths).map(|(cell, width)| wrap(cell, *width, max_lines)).collect()
    }

    fn draw_row(&mut self, cells: &[Vec<String>], widths: &[usize], bold: bool) {
        let leading = TABLE_SIZE * 1.2;
        let top = self.top;
        let mut x = MARGIN;
        let char_width = TABLE_SIZE * CHAR_WIDTH;
        let page = self.page();
        for (lines, width) in cells.iter().zip(widths) {
            for (index, line) in lines.iter().enumerate() {
                let y = top - leading * (index as f32 + 1.0) + TABLE_SIZE * 0.2;
                page.texts.push(Text { x, y, size: TABLE_SIZE, bold, text: line.clone() });
            }
            x += (*width + 1) as f32 * char_width;
        }
        self.top -= row_height(cells);
        if bold {
            let y = self.top + 1.0;
            self.page().rules.push(Rule { x1: MARGIN, x2: table_right(widths), y });
            self.top -= 1.0;
        }
    }

    /// Writes "page N of M" and the title at the bottom of every page.
    pub(crate) fn footers(&mut self, title: &str) {
        let count = self.pages.len();
        let chars = chars_in(USABLE_WIDTH, FOOTER_SIZE);
        for (index, page) in self.pages.iter_mut().enumerate() {
            let number = format!("page {} of {count}", index + 1);
            let left = chars.saturating_sub(number.len() + 2);
            let title = wrap(&printable(title), left, 1).into_iter().next().unwrap_or_default();
            let y = MARGIN;
            page.texts.push(Text { x: MARGIN, y, size: FOOTER_SIZE, bold: false, text: title });
            // The number is ASCII: its length in bytes is its width in characters.
            let x = PAGE_WIDTH - MARGIN - number.len() as f32 * FOOTER_SIZE * CHAR_WIDTH;
            page.texts.push(Text { x, y, size: FOOTER_SIZE, bold: false, text: number });
        }
    }
}

fn row_height(cells: &[Vec<String>]) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    lines as f32 * TABLE_SIZE * 1.2 + 2.0
}

fn table_right(widths: &[usize]) -> f32 {
    let chars = widths.iter().sum::<usize>() + widths.len().saturating_sub(1);
    (MARGIN + chars as f32 * TABLE_SIZE * CHAR_WIDTH).min(PAGE_WIDTH - MARGIN)
}

/// Each column's width in characters: what its longest text needs (up to
/// [`COLUMN_MAX`]) when all fit in `available`; otherwise the room is shared
/// out so that narrow columns keep their width and wide ones share the rest.
fn column_widths<'r>(header: &[String], rows: impl IntoIterator<Item = &'r [String]>, available: usize) -> Vec<usize> {
    let chars = |text: &String| text.chars().count();
    let mut wanted: Vec<usize> = header.iter().map(|name| chars(name).clamp(COLUMN_MIN, COLUMN_MAX)).collect();
    for row in rows {
        for (want, cell) in wanted.iter_mut().zip(row) {
            *want = (*want).max(chars(cell).min(COLUMN_MAX));
        }
    }
    let mut budget = available.saturating_sub(wanted.len().saturating_sub(1));
    let mut widths = vec![0; wanted.len()];
    let mut open: Vec<usize> = (0..wanted.len()).collect();
    while !open.is_empty() {
        let share = budget / open.len();
        let (fits, rest): (Vec<usize>, Vec<usize>) = open.iter().partition(|&&col| wanted[col] <= share);
        if fits.is_empty() {
            for (index, col) in rest.iter().enumerate() {
                let extra = usize::from(index < budget % rest.len());
                widths[*col] = (share + extra).max(COLUMN_MIN);
            }
            break;
        }
        for col in fits {
            widths[col] = wanted[col];
            budget -= wanted[col];
        }
        open = rest;
    }
    widths
}

/// `text` in lines of at most `width` characters, broken after a space
/// where one is near the end, and cut with `…` past `max_lines`.
fn wrap(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let width = width.max(1);
    let chars: Vec<char> = text.chars().collect();
    let mut lines = Vec::new();
    let mut rest = &chars[..];
    while rest.len() > width {
        if lines.len() + 1 == max_lines {
            let mut cut: String = rest[..width - 1].iter().collect();
            cut.push(ELLIPSIS);
            lines.push(cut);
            return lines;
        }
        let at = match rest[..=width].iter().rposition(|&c| c == ' ') {
            Some(space) if space > width / 2 => space + 1,
            _ => width,
        };
        lines.push(rest[..at].iter().collect());
        rest = &rest[at..];
    }
    if !rest.is_empty() || lines.is_empty() {
        lines.push(rest.iter().collect());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_at_spaces_and_cuts_with_an_ellipsis() {
        assert_eq!(wrap("hello world", 20, 4), ["hello world"]);
        assert_eq!(wrap("hello world again", 12, 4), ["hello world ", "again"]);
        assert_eq!(wrap("abcdefgh", 3, 2), ["abc", "de…"]);
        assert_eq!(wrap("", 3, 2), [""]);
    }

    #[test]
    fn wrapping_counts_characters_not_bytes() {
        assert_eq!(wrap("żółć gęślą", 6, 4), ["żółć ", "gęślą"]);
        assert_eq!(wrap("Καλημέρα σας", 4, 2), ["Καλη", "μέρ…"]);
    }

    #[test]
    fn narrow_columns_keep_their_width() {
        let header = ["id".to_owned(), "message".to_owned()];
        let row = ["1".to_owned(), "x".repeat(200)];
        let widths = column_widths(&header, [&row[..]], 30);
        assert_eq!(widths, vec![3, 26]);
    }

    #[test]
    fn columns_are_as_wide_as_their_characters() {
        let header = ["név".to_owned()];
        let row = ["Привет мир".to_owned()];
        assert_eq!(column_widths(&header, [&row[..]], 80), vec![10]);
    }
}
