//! The key of a template group.

/// The key of a template group. Stable: once given for a message, the same
/// message gets it or, after a merge, the key it became an alias of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TemplateKey(pub u64);

impl TemplateKey {
    /// The key of messages that arrived while the grouper held as many groups
    /// as it may: they are counted together rather than lost.
    pub const OVERFLOW: TemplateKey = TemplateKey(0);
}

/// The hasher of the grouper's and the dedup table's maps. Their keys are
/// hashes already, so a fast non-cryptographic hasher (`foldhash`) is
/// enough; the standard library's SipHash was a visible part of a repeated
/// error's cost.
pub(crate) type FastHash = foldhash::fast::RandomState;
