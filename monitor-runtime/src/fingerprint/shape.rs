//! A normalized message as tokens with their hashes, and the hashes the
//! grouper looks things up by: a template's hash, a template's hash with some
//! positions masked, a signature (the template with one position left out)
//! and a prefix ending at a colon. Each is computed from per-token hashes, so
//! all of them together cost O(tokens).

use smallvec::SmallVec;
use xxhash_rust::xxh3::xxh3_64;

use super::normalize::WILDCARD;

/// Token positions that can become variables by evidence; later positions
/// are kept as they are (masks are bit sets of this width).
pub(super) const MAX_EVIDENCE_TOKENS: usize = 64;

/// A bit set of token positions that are wildcards.
pub(super) type Mask = u64;

/// Tokens of a prefix that ends at a colon before the rest of a message can
/// become one free-text variable (`failed to load config: <*>`); shorter
/// prefixes (`error: …`) say too little to tell templates apart.
pub(super) const MIN_TAIL_PREFIX_TOKENS: usize = 3;

/// Tokens of a prefix that does not end at a colon before the rest can
/// become free text (`the import skipped rows missing <*>`): a longer prefix,
/// as nothing marks where the free text starts.
pub(super) const MIN_PLAIN_TAIL_PREFIX_TOKENS: usize = 5;

pub(super) fn wildcard_hash() -> u64 {
    xxh3_64(WILDCARD.as_bytes())
}

/// Order-dependent combination of two hashes (splitmix64's finalizer over
/// the rotated sum), good enough to keep unrelated templates apart.
fn fold(state: u64, value: u64) -> u64 {
    let mut z = state.rotate_left(23).wrapping_add(value).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Seeds that keep the kinds of hashes apart from each other.
const TEMPLATE_SEED: u64 = 0x7465_6d70_6c61_7465;
const SIGNATURE_SEED: u64 = 0x7369_676e_6174_7572;
const TAIL_SEED: u64 = 0x7461_696c_7461_696c;

/// One normalized message, split into tokens.
pub(super) struct Shape<'a> {
    /// On the stack for messages of up to 16 tokens: a message whose exact
    /// text is new is shaped on the caller's thread, allocation-free.
    pub tokens: SmallVec<[&'a str; 16]>,
    pub hashes: SmallVec<[u64; 16]>,
    wildcard: u64,
}

impl<'a> Shape<'a> {
    pub(super) fn of(template: &'a str) -> Self {
        if template.is_empty() {
            return Shape::from_tokens([]);
        }
        Shape::from_tokens(template.split(' '))
    }

    pub(super) fn from_tokens(tokens: impl IntoIterator<Item = &'a str>) -> Self {
        let tokens: SmallVec<[&'a str; 16]> = tokens.into_iter().collect();
        let hashes = tokens.iter().map(|t| xxh3_64(t.as_bytes())).collect();
        Shape { tokens, hashes, wildcard: wildcard_hash() }
    }

    pub(super) fn len(&self) -> usize {
        self.tokens.len()
    }

    pub(super) fn is_wildcard(&self, position: usize) -> bool {
        self.hashes[position] == self.wildcard
    }

    /// The hash of the token at `position` under `mask`.
    fn hash_at(&self, position: usize, mask: Mask) -> u64 {
        if position < MAX_EVIDENCE_TOKENS && mask & (1 << position) != 0 {
            self.wildcard
        } else {
            self.hashes[position]
        }
    }

    /// The positions that are wildcards already.
    pub(super) fn wildcard_mask(&self) -> Mask {
        (0..self.len().min(MAX_EVIDENCE_TOKENS)).filter(|&i| self.is_wildcard(i)).fold(0, |m, i| m | (1 << i))
    }

    /// The hash of the template with the positions of `mask` as wildcards.
    pub(super) fn template_hash(&self, mask: Mask) -> u64 {
        (0..self.len()).fold(fold(TEMPLATE_SEED, self.len() as u64), |h, i| fold(h, self.hash_at(i, mask)))
    }

    /// For every position below [`MAX_EVIDENCE_TOKENS`], the hash of the
    /// template under `mask` with that position left out: messages that
    /// differ only there share it.
    pub(super) fn signatures(&self, mask: Mask) -> Vec<u64> {
        let n = self.len();
        let limit = n.min(MAX_EVIDENCE_TOKENS);
        let mut suffix = vec![0u64; n + 1];
        for i in (0..n).rev() {
            suffix[i] = fold(suffix[i + 1], self.hash_at(i, mask));
        }
        let mut prefix = fold(SIGNATURE_SEED, n as u64);
        let mut out = Vec::with_capacity(limit);
        for i in 0..limit {
            out.push(fold(fold(prefix, i as u64), suffix[i + 1]));
            prefix = fold(prefix, self.hash_at(i, mask));
        }
        out
    }

    /// The hash of the value at `position` (what evidence counts).
    pub(super) fn value_hash(&self, position: usize) -> u64 {
        self.hashes[position]
    }

    /// Positions `p` where a prefix `tokens[..=p]` ends at a colon, is long
    /// enough, and leaves a rest to vary.
    pub(super) fn tail_positions(&self) -> impl Iterator<Item = usize> + '_ {
        let n = self.len();
        (MIN_TAIL_PREFIX_TOKENS - 1..n.saturating_sub(1))
            .filter(|&p| self.tokens[p].ends_with(':') || p + 1 >= MIN_PLAIN_TAIL_PREFIX_TOKENS)
    }

    /// The hash of the prefix `tokens[..=end]` followed by a free-text rest.
    pub(super) fn tail_hash(&self, end: usize) -> u64 {
        (0..=end).fold(TAIL_SEED, |h, i| fold(h, self.hashes[i]))
    }

    /// The hash of the rest after `end` (the tail's value).
    pub(super) fn rest_hash(&self, end: usize) -> u64 {
        (end + 1..self.len()).fold(fold(TAIL_SEED, (self.len() - end) as u64), |h, i| fold(h, self.hashes[i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_that_differ_in_one_position_share_its_signature() {
        let alice = Shape::of("user alice not found");
        let bob = Shape::of("user bob not found");
        let (a, b) = (alice.signatures(0), bob.signatures(0));
        assert_eq!(a[1], b[1]);
        assert_ne!(a[0], b[0]);
        assert_ne!(a[2], b[2]);
        // Masking the differing position gives one template.
        assert_eq!(alice.template_hash(0b10), bob.template_hash(0b10));
        assert_ne!(alice.template_hash(0), bob.template_hash(0));
        // A signature is not the template with a wildcard written in.
        assert_ne!(a[1], Shape::of("user <*> not found").template_hash(0));
    }

    #[test]
    fn a_masked_template_equals_the_written_one() {
        let written = Shape::of("user <*> not found");
        assert_eq!(Shape::of("user carol not found").template_hash(0b10), written.template_hash(0));
        assert_eq!(written.wildcard_mask(), 0b10);
    }

    #[test]
    fn tails_start_after_a_colon_with_a_long_enough_prefix() {
        let shape = Shape::of("failed to load config: missing field name");
        assert_eq!(shape.tail_positions().collect::<Vec<_>>(), vec![3, 4, 5]);
        let other = Shape::of("failed to load config: unexpected end of input");
        assert_eq!(shape.tail_hash(3), other.tail_hash(3));
        assert_ne!(shape.rest_hash(3), other.rest_hash(3));
        assert_eq!(Shape::of("error: disk full").tail_positions().count(), 0);
    }
}
