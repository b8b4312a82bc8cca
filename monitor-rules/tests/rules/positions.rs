//! A mistake inside a `when` string is placed at its line and column in
//! the file, whatever quotes, escapes, lines and characters come before it.

use monitor_rules::AlertConfig;

/// A rule file whose only rule has `when` written as `when` (several lines allowed).
fn file_with(when: &str) -> String {
    format!("[destinations]\nops = {{ console = true }}\n\n[[rules]]\nname = \"r\"\n{when}\nnotify = [\"ops\"]\n")
}

/// Line and column of the one error about `message` in the file with `when`.
fn placed(when: &str, message: &str) -> (usize, usize) {
    let errors = AlertConfig::from_toml_str(&file_with(when)).unwrap_err();
    let found: Vec<_> = errors.0.iter().filter(|e| e.message.contains(message)).collect();
    assert_eq!(found.len(), 1, "one error about {message:?} in:\n{errors}");
    (found[0].line, found[0].column)
}

#[test]
fn escaped_quotes_before_the_mistake_count_as_written() {
    // The README's example, with a window that is too long.
    let when = r#"when = "p95(function = \"payments::*\") > 2s over 30d""#;
    assert_eq!(placed(when, "longer than 7 days"), (6, 51));
}

#[test]
fn a_literal_string_is_placed_after_its_quote() {
    assert_eq!(placed("when = 'errors(sevrity >= error) > 10 within 1h'", "`sevrity`"), (6, 16));
}

#[test]
fn non_ascii_text_before_the_mistake_counts_in_characters() {
    let when = r#"when = "errors(tag.city = \"Zürich\", tag.street = \"Straße\", sevrity >= error) > 10 within 1h""#;
    assert_eq!(placed(when, "`sevrity`"), (6, 64));
    let escaped = r#"when = "errors(tag.city = \"Z\u00fcrich\", sevrity >= error) > 10 within 1h""#;
    assert_eq!(placed(escaped, "`sevrity`"), (6, 44));
}

#[test]
fn a_multi_line_basic_string_places_the_mistake_on_its_own_line() {
    let when = "when = \"\"\"\nerrors(severity >= error)\n  > 10 within 30d\"\"\"";
    assert_eq!(placed(when, "longer than 7 days"), (8, 15));
    // A line-ending backslash joins the lines of the value, not of the file.
    let joined = "when = \"\"\"errors(tag.who = \"J\\u00e9r\\u00f4me\") \\\n    > 0 within 1h\"\"\"";
    assert_eq!(placed(joined, "at least 1"), (7, 7));
}

#[test]
fn a_multi_line_literal_string_places_the_mistake_on_its_own_line() {
    let when = "when = '''errors(severity >= error)\n  > 10 within 1h and more'''";
    assert_eq!(placed(when, "unexpected tokens"), (7, 18));
}

#[test]
fn a_condition_that_ends_too_soon_is_placed_at_its_closing_quote() {
    assert_eq!(placed(r#"when = "errors > 10""#, "within"), (6, 20));
}
