//! Free text: what an operator types becomes words that every matching
//! message or template contains (each as the start of a word, so `timeout`
//! finds `timeouts`), whatever the store. Both stores split text the same
//! way, at every character that is not a letter or a digit.

use monitor_runtime::SinkErrorKind;

use crate::store::StoreError;

/// ASCII punctuation, which PostgreSQL's text parser keeps inside some
/// tokens (host names, paths, e-mail addresses) where SQLite's splits:
/// turned into spaces before parsing, both stores find the same words.
#[cfg(test)]
pub(crate) const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// The text of an event that PostgreSQL's full-text index holds: message
/// and template, with ASCII punctuation turned into spaces. Computed by the
/// writer, once per event, where a SQL `translate` would cost more than
/// the rest of the insert.
pub(crate) fn event_words(message: &str, template: &str) -> String {
    let mut words = String::with_capacity(message.len() + template.len() + 1);
    for part in [message, " ", template] {
        words.extend(part.chars().map(|c| if c.is_ascii_punctuation() { ' ' } else { c }));
    }
    words
}

/// The most words a search takes: a pasted stack trace is not a query.
const MAX_TERMS: usize = 16;

/// The lower-cased words of `text`.
pub(crate) fn search_terms(text: &str) -> Result<Vec<String>, StoreError> {
    let terms: Vec<String> =
        text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).map(str::to_lowercase).collect();
    if terms.is_empty() {
        return Err(StoreError {
            kind: SinkErrorKind::Rejected,
            message: format!("the text to search ({text:?}) has no letters or digits: give a word of the message"),
        });
    }
    if terms.len() > MAX_TERMS {
        return Err(StoreError {
            kind: SinkErrorKind::Rejected,
            message: format!(
                "the text to search has {} words, more than {MAX_TERMS}: give the few words that matter",
                terms.len()
            ),
        });
    }
    Ok(terms)
}

/// The terms as an SQLite FTS5 query: every word, each as a prefix.
pub(crate) fn fts5_query(terms: &[String]) -> String {
    terms.iter().map(|term| format!("\"{term}\"*")).collect::<Vec<_>>().join(" ")
}

/// The terms as a PostgreSQL `to_tsquery`: every word, each as a prefix.
/// Terms hold letters and digits only, so quoting them is enough.
pub(crate) fn tsquery(terms: &[String]) -> String {
    terms.iter().map(|term| format!("'{term}':*")).collect::<Vec<_>>().join(" & ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_split_at_everything_but_letters_and_digits() {
        assert_eq!(
            search_terms("Connection-Refused: db_east 42").unwrap(),
            ["connection", "refused", "db", "east", "42"]
        );
        assert_eq!(search_terms("Zürich Überweisung").unwrap(), ["zürich", "überweisung"]);
        assert_eq!(fts5_query(&search_terms("a b").unwrap()), "\"a\"* \"b\"*");
        assert_eq!(tsquery(&search_terms("a b").unwrap()), "'a':* & 'b':*");
    }

    #[test]
    fn text_without_words_is_refused_with_a_reason() {
        let error = search_terms(" :: ").unwrap_err();
        assert_eq!(error.kind, SinkErrorKind::Rejected);
        assert!(error.message.contains("no letters or digits"), "{error}");
    }

    #[test]
    fn the_indexed_words_lose_exactly_the_ascii_punctuation() {
        let expected: String = (0u8..128).map(char::from).filter(char::is_ascii_punctuation).collect();
        assert_eq!(PUNCTUATION, expected);
        assert_eq!(event_words("db.east:5432 refused—Zürich", "<n>_x"), "db east 5432 refused—Zürich  n  x");
    }
}
