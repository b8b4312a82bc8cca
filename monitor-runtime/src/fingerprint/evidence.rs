//! Evidence that a token position is a variable: the distinct values seen
//! there among messages that agree everywhere else, and how often each was
//! seen.
//!
//! Two messages that differ in one word may be two statements
//! (`VM Paused`, `VM Resumed`) or one statement with a value
//! (`user alice not found`, `user bob not found`). One pair cannot tell. What
//! tells (the observation behind the Brain log parser) is frequency: the
//! words of a statement repeat with it, a value keeps changing. So the
//! grouper keeps, per signature (a template with one position left out), the
//! first few distinct values and the group each started; a position is a
//! variable once enough of them are rare (seen at most twice) or hold a
//! masked value (`rdd_<*>`, `broadcast_<*>`).

use super::key::TemplateKey;
use super::looks::Looks;

/// Distinct values kept per signature: the bound on evidence memory.
pub(super) const MAX_EVIDENCE_VALUES: usize = 8;

/// Times a value may have been seen and still count as rare.
pub(super) const RARE_HITS: u32 = 2;

/// How a variable generalizes a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Generalize {
    /// The token at this position is a variable.
    Position(usize),
    /// Everything after the token at this position is one free-text variable.
    Tail(usize),
    /// The same, where the prefix does not end at a colon: only taken when
    /// the rests differ in length too (rests of one length are positions).
    PlainTail(usize),
    /// Nothing: the surviving template covers the others already.
    Already,
}

impl Generalize {
    /// Rare values that make a variable: more for a free-text rest, whose
    /// prefix is a weaker context than a whole message but one word.
    fn rare_values_needed(self) -> usize {
        match self {
            Generalize::Position(_) => 3,
            Generalize::Tail(_) | Generalize::PlainTail(_) => 4,
            Generalize::Already => usize::MAX,
        }
    }
}

#[derive(Clone, Copy)]
struct Value {
    hash: u64,
    key: TemplateKey,
    looks: Looks,
    /// Tokens in the value (more than one only for a rest), saturating:
    /// only whether two lengths differ matters.
    length: u16,
}

/// What the evidence of one signature holds.
pub(super) struct Evidence {
    how: Generalize,
    values: Vec<Value>,
    /// Once a variable, the group every later message joins.
    variable: Option<TemplateKey>,
}

/// What adding a value to the evidence means.
#[derive(Debug, PartialEq)]
pub(super) enum Verdict {
    /// Nothing new.
    Noted,
    /// A new value: worth deciding again.
    Changed,
    /// The position is a variable already: join this group.
    Join(TemplateKey),
}

impl Evidence {
    pub(super) fn new(how: Generalize, hash: u64, key: TemplateKey, looks: Looks, length: usize) -> Self {
        Evidence { how, values: vec![Value { hash, key, looks, length: saturate(length) }], variable: None }
    }

    pub(super) fn how(&self) -> Generalize {
        self.how
    }

    pub(super) fn add(&mut self, hash: u64, key: TemplateKey, looks: Looks, length: usize) -> Verdict {
        if let Some(target) = self.variable {
            return Verdict::Join(target);
        }
        if self.values.len() >= MAX_EVIDENCE_VALUES || self.values.iter().any(|seen| seen.hash == hash) {
            return Verdict::Noted;
        }
        self.values.push(Value { hash, key, looks, length: saturate(length) });
        Verdict::Changed
    }

    /// Whether the evidence is full: no value can be added, so a decision
    /// can be taken at once.
    pub(super) fn is_full(&self) -> bool {
        self.values.len() >= MAX_EVIDENCE_VALUES
    }

    /// Decides whether the position is a variable, given how often the group
    /// of each value was seen; if so, returns the groups to merge (oldest
    /// evidence first) and keeps only the surviving one.
    pub(super) fn decide(&mut self, hits: impl Fn(TemplateKey) -> u32) -> Option<Vec<TemplateKey>> {
        if self.variable.is_some() {
            return None;
        }
        let rare = self.values.iter().filter(|v| v.looks > Looks::Word || hits(v.key) <= RARE_HITS).count();
        // Two values that each look like a value (`rdd_<*>`, `broadcast_<*>`;
        // the word after `user`) are evidence enough.
        let all_values = self.values.iter().all(|v| v.looks == Looks::Value);
        let needed = if all_values { 2 } else { self.how.rare_values_needed() };
        // Most values must be rare too: a few rare ones beside frequent ones
        // are more likely rare statements of a closed set.
        // A position that took as many distinct values as evidence keeps is
        // an open set, however often each value came: user names of a busy
        // service repeat, yet keep coming. Before that, frequent values are
        // more likely the words of a closed set of statements.
        let open_set = self.is_full();
        if !open_set && (rare < needed || rare * 2 < self.values.len()) {
            return None;
        }
        if matches!(self.how, Generalize::PlainTail(_)) && self.values.iter().all(|v| v.length == self.values[0].length)
        {
            return None;
        }
        let keys: Vec<TemplateKey> = self.values.drain(..).map(|v| v.key).collect();
        self.values.shrink_to_fit();
        self.variable = Some(keys[0]);
        Some(keys)
    }

    /// Whether the evidence names `key` (so evicting `key` must drop it).
    pub(super) fn mentions(&self, key: TemplateKey) -> bool {
        self.variable == Some(key) || self.values.iter().any(|v| v.key == key)
    }
}

fn saturate(length: usize) -> u16 {
    u16::try_from(length).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOW: Generalize = Generalize::Position(1);

    #[test]
    fn rare_values_make_a_variable() {
        let (a, b, c) = (TemplateKey(1), TemplateKey(2), TemplateKey(3));
        let mut evidence = Evidence::new(HOW, 10, a, Looks::Word, 1);
        assert_eq!(evidence.add(10, b, Looks::Word, 1), Verdict::Noted, "a repeated value is no evidence");
        assert_eq!(evidence.add(20, b, Looks::Word, 1), Verdict::Changed);
        assert_eq!(evidence.decide(|_| 1), None, "two values are not enough");
        assert_eq!(evidence.add(30, c, Looks::Word, 1), Verdict::Changed);
        assert_eq!(evidence.decide(|_| 1), Some(vec![a, b, c]));
        assert_eq!(evidence.add(40, TemplateKey(4), Looks::Word, 1), Verdict::Join(a));
        assert!(evidence.mentions(a));
        assert!(!evidence.mentions(b), "merged groups are no longer kept as evidence");
    }

    #[test]
    fn as_many_distinct_values_as_are_kept_make_a_variable_however_frequent() {
        let mut evidence = Evidence::new(HOW, 0, TemplateKey(0), Looks::Word, 1);
        for i in 1..MAX_EVIDENCE_VALUES as u64 {
            assert_eq!(evidence.decide(|_| 40), None, "{i} frequent values: a closed set so far");
            evidence.add(i, TemplateKey(i), Looks::Word, 1);
        }
        assert!(evidence.decide(|_| 40).is_some());
    }

    #[test]
    fn frequent_values_are_words_of_statements() {
        let mut evidence = Evidence::new(HOW, 10, TemplateKey(1), Looks::Word, 1);
        evidence.add(20, TemplateKey(2), Looks::Word, 1);
        evidence.add(30, TemplateKey(3), Looks::Word, 1);
        assert_eq!(evidence.decide(|_| 40), None, "Paused, Resumed, Started: each seen often");
        // …unless the values hold masked parts (`rdd_<*>`, `broadcast_<*>`).
        let mut ids = Evidence::new(HOW, 10, TemplateKey(1), Looks::Value, 1);
        ids.add(20, TemplateKey(2), Looks::Value, 1);
        ids.add(30, TemplateKey(3), Looks::Value, 1);
        assert!(ids.decide(|_| 40).is_some());
    }

    #[test]
    fn evidence_is_bounded() {
        let mut evidence = Evidence::new(HOW, 0, TemplateKey(0), Looks::Word, 1);
        for i in 1..100 {
            evidence.add(i, TemplateKey(i), Looks::Word, 1);
        }
        assert!(evidence.is_full());
        assert_eq!(evidence.values.len(), MAX_EVIDENCE_VALUES);
    }
}
