//! The words of each group: every word of letters any of its events'
//! messages and templates held, one row per group and word
//! (`group_words`), so a group search by text reads a few index entries
//! per word instead of every matching event. A common word is in hundreds
//! of thousands of events but in few groups: collecting the groups of
//! every matching event took about a second over a million events.
//!
//! Words with a digit (numbers, references, ids, hashes) are left out:
//! they are what differs from one event to the next, so they would grow
//! the table with every event and outlive the events retention removes.
//! A search for one goes to the events' full-text index, where such a
//! word is rare and so fast to find.
//!
//! The writer adds the words of each batch; a word a group already has is
//! skipped without a statement when this process wrote it recently (see
//! [`WordCache`]), as floods repeat the same words.

use std::collections::{BTreeSet, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};

use monitor_runtime::Event;

/// The most characters of a word the index keeps: longer words (encoded
/// blobs, long identifiers) are kept by their start, and a search term is
/// cut to the same length, so a long term still finds its groups.
pub(crate) const WORD_CHARS: usize = 48;

/// The words of `text` the index holds: runs of letters and digits (the
/// split of [`search_terms`](super::text::search_terms)) without a digit,
/// lower-cased, cut to [`WORD_CHARS`].
fn indexed_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty() && is_group_word(word)).map(index_form)
}

/// Whether the groups' words hold `word`: a word without digits.
pub(crate) fn is_group_word(word: &str) -> bool {
    !word.chars().any(char::is_numeric)
}

/// A word or a search term as the index compares it.
pub(crate) fn index_form(word: &str) -> String {
    word.chars().take(WORD_CHARS).flat_map(char::to_lowercase).collect()
}

/// The indexed words that start with `term`: from `term` (inclusive) to
/// `term` followed by the highest character (exclusive). Both stores
/// compare the column byte by byte (SQLite's `BINARY`, PostgreSQL's
/// `COLLATE "C"`), which for UTF-8 is the order of the characters.
pub(crate) fn prefix_range(term: &str) -> (String, String) {
    let from = index_form(term);
    let mut to = from.clone();
    to.push(char::MAX);
    (from, to)
}

/// The (word, group key) pairs of `events`, sorted by word (the index's
/// order: inserts walk it forward), without repeats.
pub(crate) fn pairs_of(events: &[Arc<Event>]) -> BTreeSet<(String, String)> {
    let mut pairs = BTreeSet::new();
    for event in events {
        add_pairs(&mut pairs, &event.group_key.to_string(), [event.message.as_str(), event.template.as_str()]);
    }
    pairs
}

/// Adds the (word, `key`) pairs of each of `texts` to `pairs`.
pub(crate) fn add_pairs<'a>(
    pairs: &mut BTreeSet<(String, String)>,
    key: &str,
    texts: impl IntoIterator<Item = &'a str>,
) {
    for text in texts {
        pairs.extend(indexed_words(text).map(|word| (word, key.to_owned())));
    }
}

/// The pairs this process wrote recently, as hashes: a pair found here is
/// already in the table (it was committed), so the writer does not send
/// it again. Bounded: when full it is emptied, which costs only repeated
/// inserts the table ignores.
#[derive(Debug)]
pub(crate) struct WordCache {
    seen: Mutex<HashSet<u64>>,
    hasher: RandomState,
}

/// How many pairs the cache remembers (8 bytes each, about 1 MiB with
/// the set's overhead).
const CACHE_PAIRS: usize = 100_000;

impl Default for WordCache {
    fn default() -> Self {
        WordCache { seen: Mutex::new(HashSet::new()), hasher: RandomState::new() }
    }
}

impl WordCache {
    /// The pairs of `events` not known to be stored yet.
    pub(crate) fn unseen(&self, events: &[Arc<Event>]) -> Vec<(String, String)> {
        let seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        pairs_of(events).into_iter().filter(|pair| !seen.contains(&self.hasher.hash_one(pair))).collect()
    }

    /// Records `pairs` as stored: call after the transaction that wrote
    /// them committed, never before (a rolled-back pair must be written
    /// again).
    pub(crate) fn remember(&self, pairs: &[(String, String)]) {
        let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if seen.len() + pairs.len() > CACHE_PAIRS {
            seen.clear();
        }
        seen.extend(pairs.iter().map(|pair| self.hasher.hash_one(pair)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_cased_and_cut_to_the_kept_length() {
        let words: Vec<String> = indexed_words("Mandate MND-42 für Zürich ref 7f3a9c").collect();
        assert_eq!(words, ["mandate", "mnd", "für", "zürich", "ref"], "no word with a digit");
        let long = "a".repeat(100);
        assert_eq!(index_form(&long).len(), WORD_CHARS);
    }

    #[test]
    fn a_prefix_range_holds_the_words_that_start_with_it_and_no_other() {
        let (from, to) = prefix_range("Time");
        for word in ["time", "timeout", "timeouts", "time\u{10fffe}"] {
            assert!(from.as_str() <= word && word < to.as_str(), "{word}");
        }
        for word in ["tim", "timf", "tima", "u"] {
            assert!(!(from.as_str() <= word && word < to.as_str()), "{word}");
        }
    }

    #[test]
    fn the_cache_skips_only_what_was_remembered() {
        let cache = WordCache::default();
        let pairs = vec![("timeout".to_owned(), "1".to_owned())];
        cache.remember(&pairs);
        let seen = cache.seen.lock().unwrap();
        assert!(seen.contains(&cache.hasher.hash_one(&pairs[0])));
        assert!(!seen.contains(&cache.hasher.hash_one(&("timeout".to_owned(), "2".to_owned()))));
    }
}
