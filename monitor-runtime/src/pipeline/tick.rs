//! What the worker reads of the callers' tables: one look at a time, taken
//! here, so the worker never reaches into them from elsewhere.

use std::sync::Arc;

use crate::callsite::{CallsiteStats, callsites};
use crate::event::GroupSnapshot;
use crate::fingerprint::group_key;
use crate::notify::Notifiers;

use super::Shared;

/// The groups whose counters changed since the previous look and, when the
/// rules want them, every call site's counters.
pub(super) struct Look {
    pub groups: Vec<GroupSnapshot>,
    pub callsites: Vec<CallsiteStats>,
}

impl Shared {
    /// Takes a look for the worker.
    pub(super) fn look(&self, with_callsites: bool) -> Look {
        Look { groups: self.groups.take_dirty(), callsites: if with_callsites { callsites() } else { Vec::new() } }
    }

    /// Housekeeping of the groups on every tick: the grouper decides on the
    /// evidence it gathered and trims itself; groups whose templates were
    /// merged are marked as aliases; the dedup table is trimmed back to its
    /// limit, least recently seen first.
    pub(super) fn maintain_groups(&self) {
        self.anchor_clock();
        let merges = self.fingerprinter.maintain();
        if !merges.is_empty() {
            let resolve = |template| self.fingerprinter.resolve(template);
            let template_of = |template| self.fingerprinter.template_of(template);
            self.groups.record_merges(&merges, resolve, template_of, group_key);
        }
        self.groups.evict_over_limit();
    }

    /// At shutdown: the notifiers are dropped (each delivers or spools what
    /// it holds) and their last counts kept for `stats()`. They are dropped
    /// side by side, each on a thread of its own, and waited for until
    /// `deadline` only: a slow one is left to finish by itself rather than
    /// hold the host's shutdown past its deadline.
    pub(super) fn retire_notifiers(&self, deadline: std::time::Instant) {
        *self.retired_destinations.lock() = self.notifiers.load().stats();
        let retired = self.notifiers.swap(Arc::new(Notifiers::default()));
        let notifiers: Vec<_> = retired.all().cloned().collect();
        drop(retired);
        let (done, finished) = flume::unbounded();
        let mut retiring = 0;
        for notifier in notifiers {
            let done = done.clone();
            let spawned = std::thread::Builder::new().name("monitor-retire".to_owned()).spawn(move || {
                drop(notifier);
                let _ = done.send(());
            });
            // Without a thread it is dropped here, which only takes longer.
            retiring += usize::from(spawned.is_ok());
        }
        for _ in 0..retiring {
            if finished.recv_deadline(deadline).is_err() {
                return;
            }
        }
    }
}
