//! Places in a condition's text mapped back to the file that holds it.

use proc_macro2::{LineColumn, Span};

use crate::raw::Loc;

/// Where each character of a condition's text was written in its file.
///
/// Rule files hold conditions in TOML strings, where an escape (`\"`,
/// `\u00e9`) is several bytes for one character, a string opens with one
/// or three quotes and may span lines: a token's line and column in the
/// text are not its place in the file, so each character keeps its own.
///
/// ```
/// use monitor_rules::macro_support::{Loc, TextMap};
/// use std::str::FromStr;
///
/// // `when = "a \"b\" c"`: the text `a "b" c` starts after the quote, at byte 8,
/// // and each escaped quote is two bytes in the file.
/// let offsets = vec![8, 9, 10, 12, 13, 15, 16, 17];
/// let map = TextMap::new(r#"a "b" c"#, offsets).unwrap();
///
/// let tokens: Vec<_> = proc_macro2::TokenStream::from_str(r#"a "b" c"#).unwrap().into_iter().collect();
/// assert!(matches!(map.locate(tokens[2].span()), Loc::File { start: 16, end: 17 }));
/// ```
#[derive(Clone, Debug)]
pub struct TextMap {
    /// The character index at which each line of the text starts.
    line_starts: Vec<usize>,
    /// The byte offset in the file of each character, then of the end of the text.
    offsets: Vec<usize>,
}

impl TextMap {
    /// The map of `text` whose characters are at `offsets` in the file, one
    /// offset per character and one for the end of the text; `None` when
    /// the counts do not match.
    pub fn new(text: &str, offsets: Vec<usize>) -> Option<TextMap> {
        let mut line_starts = vec![0];
        let mut count = 0;
        for (index, c) in text.chars().enumerate() {
            if c == '\n' {
                line_starts.push(index + 1);
            }
            count = index + 1;
        }
        (offsets.len() == count + 1).then_some(TextMap { line_starts, offsets })
    }

    /// The map of a text whose characters cannot be placed one by one: all
    /// of them, and its end, are at `offset`.
    pub fn at(text: &str, offset: usize) -> TextMap {
        TextMap { line_starts: vec![0], offsets: vec![offset; text.chars().count() + 1] }
    }

    /// Where the tokens under `span`, lexed from the text, are in the file.
    /// A span with no width at the very start is what a parser reports for
    /// "unexpected end of input": it is placed at the end of the text.
    pub fn locate(&self, span: Span) -> Loc {
        let (from, to) = (span.start(), span.end());
        let (start, end) = if from == to && from == (LineColumn { line: 1, column: 0 }) {
            let end = self.offsets[self.offsets.len() - 1];
            (end, end + 1)
        } else {
            (self.offset(from), self.offset(to))
        };
        Loc::File { start, end: end.max(start + 1) }
    }

    /// The byte offset in the file of a line (from 1) and column (in
    /// characters, from 0) of the text, as the lexer counts them.
    fn offset(&self, at: LineColumn) -> usize {
        let line = self.line_starts.get(at.line.saturating_sub(1)).copied().unwrap_or(usize::MAX);
        let index = line.saturating_add(at.column).min(self.offsets.len() - 1);
        self.offsets[index]
    }
}
