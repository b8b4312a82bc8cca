//! Aligned tables for people. Plain text with no colour and no borders, so
//! what a terminal shows is also what `grep` and `less` get; scripts use
//! `--json` rather than parse these.

use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Width, presets};

/// The widest a free-text cell (a message, a template) is shown; longer
/// ones are cut with an ellipsis. `--json` always has the whole text.
pub(crate) const TEXT_WIDTH: u16 = 72;

/// A table being filled, printed with [`Table::print`].
pub(crate) struct Table {
    inner: comfy_table::Table,
}

impl Table {
    /// A table with these column headers.
    pub(crate) fn new(headers: &[&str]) -> Table {
        let mut inner = comfy_table::Table::new();
        inner
            .load_style(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(headers.iter().map(|header| header.to_ascii_uppercase()).collect::<Vec<_>>());
        for column in inner.column_iter_mut() {
            // No padding on the left: the first column starts at the margin.
            column.set_padding((0, 2));
        }
        Table { inner }
    }

    /// A table of names and values, without a header: one record shown
    /// field by field.
    pub(crate) fn pairs(pairs: Vec<(&str, String)>) -> Table {
        let mut inner = comfy_table::Table::new();
        inner.load_style(presets::NOTHING).set_content_arrangement(ContentArrangement::Disabled);
        for (name, value) in pairs {
            inner.add_row(vec![format!("{name}:"), value]);
        }
        for column in inner.column_iter_mut() {
            column.set_padding((0, 2));
        }
        Table { inner }
    }

    /// Adds a row, one cell per header.
    pub(crate) fn row(&mut self, cells: Vec<String>) -> &mut Self {
        self.inner.add_row(cells);
        self
    }

    /// Keeps the column `index` to at most [`TEXT_WIDTH`] characters: long
    /// free text is cut, not wrapped over lines.
    pub(crate) fn cut_text(&mut self, index: usize) -> &mut Self {
        if let Some(column) = self.inner.column_mut(index) {
            column.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(TEXT_WIDTH)));
        }
        self
    }

    /// Right-aligns the column `index` (counts).
    pub(crate) fn numeric(&mut self, index: usize) -> &mut Self {
        if let Some(column) = self.inner.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
        self
    }

    /// Whether no row was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Prints it on standard output.
    pub(crate) fn print(&self) {
        println!("{}", self.inner.trim_fmt());
    }
}

/// One line of free text for a cell: line breaks and tabs become spaces, so
/// a multi-line message keeps to one row, and it is cut to [`TEXT_WIDTH`]
/// characters.
pub(crate) fn one_line(text: &str) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() <= usize::from(TEXT_WIDTH) {
        return flat;
    }
    let mut cut: String = flat.chars().take(usize::from(TEXT_WIDTH) - 1).collect();
    cut.push('…');
    cut
}

/// An optional value for a cell: `-` when missing.
pub(crate) fn or_dash(value: Option<&str>) -> String {
    value.filter(|value| !value.is_empty()).unwrap_or("-").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_and_multi_line_text_keeps_to_one_cut_line() {
        assert_eq!(one_line("a\nb\tc"), "a b c");
        let long = "x".repeat(200);
        let shown = one_line(&long);
        assert_eq!(shown.chars().count(), usize::from(TEXT_WIDTH));
        assert!(shown.ends_with('…'));
    }

    #[test]
    fn columns_are_aligned_without_borders() {
        let mut table = Table::new(&["key", "count"]);
        table.row(vec!["a".into(), "1".into()]).row(vec!["bbbb".into(), "200".into()]).numeric(1);
        let text = table.inner.trim_fmt();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "KEY   COUNT");
        assert_eq!(lines[1], "a         1");
        assert_eq!(lines[2], "bbbb    200");
    }
}
