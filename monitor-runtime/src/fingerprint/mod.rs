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
mod looks;
mod normalize;
mod shape;

use xxhash_rust::xxh3::Xxh3;

pub use ga::grouping_accuracy;
pub use grouper::{Grouper, GrouperConfig, Merge, TemplateKey};
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
    template: TemplateKey,
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
        let mut hasher = Xxh3::new();
        for part in [&*location.module, &*location.function, kind.as_str(), error_type.unwrap_or("")] {
            hasher.update(part.as_bytes());
            hasher.update(&[0xff]); // a separator that cannot appear in UTF-8
        }
        if location.module.is_empty() {
            // `capture_error`/`capture_message` have no function of their
            // own: the call's file and line tell the places apart.
            hasher.update(location.file.as_bytes());
            hasher.update(&location.line.to_le_bytes());
        }
        hasher.update(&template.0.to_le_bytes());
        Fingerprint { key: GroupKey(hasher.digest()), template }
    }

    pub(crate) fn template(&self, fingerprint: &Fingerprint, message: &str) -> String {
        self.grouper.template(fingerprint.template).unwrap_or_else(|| normalize(message))
    }
}
