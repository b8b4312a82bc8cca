//! How a group is used: touched on every lookup that finds it.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};

use super::evidence::RARE_HITS;

/// Shared by a group and every cached way to it. Touched with plain loads
/// and stores (no read-modify-write, and no write at all once settled), so
/// threads that keep finding the same group do not contend for it.
#[derive(Default)]
pub(super) struct Usage {
    /// The maintenance epoch it was last seen in.
    pub(super) last_used: AtomicU64,
    /// Times seen, counted up to just past what makes a value rare.
    pub(super) hits: AtomicU32,
    /// Its exact texts are all mapped that it may have: no need to try to
    /// add another.
    pub(super) exact_full: AtomicBool,
}

impl Usage {
    pub(super) fn touch(&self, epoch: u64) {
        if self.last_used.load(Relaxed) != epoch {
            self.last_used.store(epoch, Relaxed);
        }
        let hits = self.hits.load(Relaxed);
        if hits <= RARE_HITS {
            self.hits.store(hits + 1, Relaxed);
        }
    }
}
