//! The bound on how many label sets one rule tracks, and the count of the
//! records it turned away.

use std::collections::HashMap;

use super::alert::Labels;

/// The most label sets (distinct values of a rule's `group_by` labels) one
/// rule tracks at a time, so that `group_by tag.user` on a busy service
/// cannot grow memory without bound. Records of a new label set beyond it
/// are not counted, and are counted in
/// [`Engine::over_label_limit`](crate::alerting::Engine::over_label_limit)
/// instead; a label set leaves when its window empties.
pub const MAX_LABEL_SETS: usize = 1_000;

/// Keeps every rule's maps within [`MAX_LABEL_SETS`], and counts the
/// records turned away over all the rules of one engine (one number, so
/// that it can be reported without asking each rule).
#[derive(Debug, Default)]
pub(super) struct LabelLimit {
    over: u64,
}

impl LabelLimit {
    /// The entry for `labels` in one rule's map, made with `make` if there
    /// is room for another label set; `None` (and one more record turned
    /// away) when the rule is full.
    pub(super) fn entry<'a, V>(
        &mut self,
        map: &'a mut HashMap<Labels, V>,
        labels: Labels,
        make: impl FnOnce() -> V,
    ) -> Option<&'a mut V> {
        if map.len() >= MAX_LABEL_SETS && !map.contains_key(&labels) {
            self.over += 1;
            return None;
        }
        Some(map.entry(labels).or_insert_with(make))
    }

    /// Records turned away so far.
    pub(super) fn over(&self) -> u64 {
        self.over
    }
}
