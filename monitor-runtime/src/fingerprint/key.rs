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
