//! Grouping accuracy, the yardstick of log-parsing benchmarks (Loghub).

use std::collections::HashMap;
use std::hash::Hash;

/// Share of messages whose predicted group holds exactly the messages of
/// their true group (grouping accuracy, GA). `predicted[i]` and `truth[i]`
/// are the predicted and true group of message `i`.
///
/// ```
/// use monitor_runtime::fingerprint::grouping_accuracy;
///
/// // Messages 0 and 1 belong together, 2 alone; the prediction splits 0 and 1.
/// assert_eq!(grouping_accuracy(&[7, 7, 9], &["A", "A", "B"]), 1.0);
/// assert!((grouping_accuracy(&[1, 2, 9], &["A", "A", "B"]) - 1.0 / 3.0).abs() < 1e-9);
/// ```
pub fn grouping_accuracy<P: Eq + Hash, T: Eq + Hash>(predicted: &[P], truth: &[T]) -> f64 {
    let n = predicted.len().min(truth.len());
    if n == 0 {
        return 1.0;
    }
    // A predicted group is right when it maps to exactly one true group and
    // holds all of that group's messages.
    let mut predicted_sizes: HashMap<&P, usize> = HashMap::new();
    let mut truth_sizes: HashMap<&T, usize> = HashMap::new();
    let mut pair_sizes: HashMap<(&P, &T), usize> = HashMap::new();
    for i in 0..n {
        *predicted_sizes.entry(&predicted[i]).or_default() += 1;
        *truth_sizes.entry(&truth[i]).or_default() += 1;
        *pair_sizes.entry((&predicted[i], &truth[i])).or_default() += 1;
    }
    let correct: usize = pair_sizes
        .iter()
        .filter(|((p, t), size)| predicted_sizes[p] == **size && truth_sizes[t] == **size)
        .map(|(_, size)| size)
        .sum();
    correct as f64 / n as f64
}

#[cfg(test)]
mod tests {
    use super::grouping_accuracy;

    #[test]
    fn merging_two_true_groups_is_wrong_for_both() {
        assert_eq!(grouping_accuracy(&[1, 1, 1, 2], &["a", "a", "b", "c"]), 0.25);
    }

    #[test]
    fn empty_input_is_perfect() {
        assert_eq!(grouping_accuracy::<u64, &str>(&[], &[]), 1.0);
    }
}
