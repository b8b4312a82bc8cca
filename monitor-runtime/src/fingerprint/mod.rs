//! Fingerprints: which group an occurrence belongs to.
//!
//! A message is normalized into a template (ids, numbers, addresses, paths
//! and quoted values masked), the online [`Grouper`] merges templates that
//! differ only in variable tokens and gives each group a key that never
//! changes, and the group key of an event combines that with where it comes
//! from (module, function, kind, error type).

mod evidence;
mod ga;
mod grouper;
mod key;
mod looks;
mod normalize;
mod shape;
mod thread_cache;
mod usage;

use xxhash_rust::xxh3::xxh3_64;

pub use ga::grouping_accuracy;
pub use grouper::{Grouper, GrouperConfig, Merge};
pub(crate) use key::FastHash;
pub use key::TemplateKey;
pub use normalize::{MAX_NORMALIZED_BYTES, WILDCARD, normalize, normalize_into};

use crate::event::{EventKind, GroupKey, Location};

/// Turns occurrences into group keys. Shared by all callers of an installed monitor.
pub(crate) struct Fingerprinter {
    grouper: Grouper,
}

/// The result of fingerprinting one occurrence; the template is looked up
/// only when it is needed (a new group, or an event to deliver).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fingerprint {
    pub key: GroupKey,
    pub template: TemplateKey,
}

impl Fingerprinter {
    pub(crate) fn new(config: GrouperConfig) -> Self {
        Fingerprinter { grouper: Grouper::new(config) }
    }

    pub(crate) fn fingerprint(
        &self,
        location: &Location,
        kind: EventKind,
        error_type: Option<&str>,
        message: &str,
    ) -> Fingerprint {
        let template = self.grouper.group(message);
        Fingerprint { key: group_key(location, kind, error_type, template), template }
    }

    /// Housekeeping on the worker: the grouper's maintenance, and which
    /// template keys were merged into others since the last call.
    pub(crate) fn maintain(&self) -> TemplateMerges {
        let mut merges = TemplateMerges::default();
        for merge in self.grouper.maintain() {
            merges.merged.insert(merge.from);
            merges.survivors.insert(self.grouper.resolve(merge.into));
        }
        merges
    }

    /// The current template of a template key, if the grouper still holds it.
    pub(crate) fn template_of(&self, template: TemplateKey) -> Option<String> {
        self.grouper.template(template)
    }

    pub(crate) fn resolve(&self, template: TemplateKey) -> TemplateKey {
        self.grouper.resolve(template)
    }

    pub(crate) fn template(&self, fingerprint: &Fingerprint, message: &str) -> String {
        self.grouper.template(fingerprint.template).unwrap_or_else(|| normalize(message))
    }
}

/// Template keys the grouper merged since its last maintenance: those that
/// became aliases, and those that survived with a generalized template.
#[derive(Default)]
pub(crate) struct TemplateMerges {
    pub merged: std::collections::HashSet<TemplateKey>,
    pub survivors: std::collections::HashSet<TemplateKey>,
}

impl TemplateMerges {
    pub(crate) fn is_empty(&self) -> bool {
        self.merged.is_empty()
    }
}

/// The group key of occurrences of `template` at `location`: each part
/// hashed on its own (one-shot hashes of short strings are cheap) and the
/// hashes folded together in order.
pub(crate) fn group_key(
    location: &Location,
    kind: EventKind,
    error_type: Option<&str>,
    template: TemplateKey,
) -> GroupKey {
    let mut key = xxh3_64(location.module.as_bytes());
    for part in [&*location.function, kind.as_str(), error_type.unwrap_or("")] {
        key = fold(key, xxh3_64(part.as_bytes()));
    }
    if location.module.is_empty() {
        // `capture_error`/`capture_message` have no function of their
        // own: the call's file and line tell the places apart.
        key = fold(fold(key, xxh3_64(location.file.as_bytes())), u64::from(location.line));
    }
    GroupKey(fold(key, template.0))
}

/// An order-dependent mix of two hashes (splitmix64's finalizer).
fn fold(state: u64, value: u64) -> u64 {
    let mut z = state.rotate_left(29) ^ value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
