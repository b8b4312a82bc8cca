//! Each thread's cache of what the grouper found for it.
//!
//! The grouper's maps are sharded, but two threads that fail with the same
//! error still read the same shard, and a shard's read lock is a write to a
//! shared cache line: under a flood the threads would take turns for it.
//! So each thread keeps what it found (an exact text or a template, and the
//! group it stands for) until the grouper's next maintenance, which may
//! merge or evict groups: the cache belongs to one epoch of one grouper and
//! is emptied when either changes. A merge made between two maintenances
//! (when evidence is full) reaches the cache at the next one; until then a
//! cached key is an alias of the merged group, which it resolves to.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::key::{FastHash, TemplateKey};
use super::shape::Mask;
use super::usage::Usage;

/// Entries kept per thread; beyond it the cache starts over.
const MAX_CACHED: usize = 4096;

/// What a lookup found: the group (resolved) and its usage.
#[derive(Clone)]
pub(super) struct Found {
    pub(super) key: TemplateKey,
    pub(super) usage: Arc<Usage>,
}

#[derive(Default)]
pub(super) struct Cache {
    grouper: u64,
    epoch: u64,
    /// Exact-text and template hashes → what they stand for.
    found: HashMap<u64, Found, FastHash>,
    /// Message length → the grouper's variable-position sets.
    masks: HashMap<usize, Arc<[Mask]>, FastHash>,
}

impl Cache {
    pub(super) fn found(&self, hash: u64) -> Option<&Found> {
        self.found.get(&hash)
    }

    pub(super) fn remember(&mut self, hash: u64, found: Found) {
        if self.found.len() >= MAX_CACHED {
            self.found.clear();
        }
        self.found.insert(hash, found);
    }

    /// The masks of `length`, from `load` the first time in this epoch.
    pub(super) fn masks(&mut self, length: usize, load: impl FnOnce() -> Arc<[Mask]>) -> Arc<[Mask]> {
        self.masks.entry(length).or_insert_with(load).clone()
    }
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

/// Runs `f` with this thread's cache for `grouper` in `epoch` (emptied if it
/// held another's); `None` if the cache is in use further up this thread's
/// stack or the thread is exiting.
pub(super) fn with_cache<R>(grouper: u64, epoch: u64, f: impl FnOnce(&mut Cache) -> R) -> Option<R> {
    CACHE
        .try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            if cache.grouper != grouper || cache.epoch != epoch {
                cache.grouper = grouper;
                cache.epoch = epoch;
                cache.found.clear();
                cache.masks.clear();
            }
            Some(f(&mut cache))
        })
        .ok()
        .flatten()
}
