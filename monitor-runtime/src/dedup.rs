//! Dedup groups: one entry per group key, updated in place on every repeat.
//!
//! The caller's thread only touches atomics of an existing entry (a shard
//! read lock in the `DashMap`); inserting a new group is the only write-locked
//! step. The worker evicts the least recently seen groups past the limit and
//! collects the entries whose counters changed for storage. An evicted
//! group's counts not yet handed on leave with it in a last snapshot, and a
//! group whose template was merged into another's says so in its snapshots.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dashmap::DashMap;
use parking_lot::Mutex;

use crate::event::{EventKind, GroupKey, GroupSnapshot, GroupStatus, Location, QueueReason};
use crate::fingerprint::{FastHash, TemplateKey, TemplateMerges};
use monitor_rules::Severity;

/// What the caller should do with an occurrence after counting it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// First in its window, a sample, new, or a regression: queue an event.
    Queue { occurrences: u64, reason: QueueReason },
    /// Counted only.
    Counted,
    /// The group is ignored: counted, never delivered.
    Suppressed,
    /// The group table is full: not even counted in a group.
    TableFull,
}

pub(crate) struct GroupEntry {
    template: String,
    /// The grouper's key of the template, to follow its merges.
    template_key: TemplateKey,
    /// The group this one became an alias of (0: none).
    merged_into: AtomicU64,
    location: Location,
    error_type: Option<Cow<'static, str>>,
    severity: Severity,
    kind: EventKind,
    status: AtomicU8,
    /// Set when this process changed `status` (an operator's call, a
    /// regression) since the last snapshot: only then does a store take it.
    status_changed: AtomicBool,
    count: AtomicU64,
    /// `count` as of the last snapshot, so snapshots carry what is new.
    reported: AtomicU64,
    first_seen_ms: u64,
    last_seen_ms: AtomicU64,
    window_start_ms: AtomicU64,
    window_count: AtomicU64,
    dirty: AtomicBool,
}

/// Fields needed to create a group the first time its key is seen.
pub(crate) struct NewGroup<'a> {
    pub template: String,
    pub template_key: TemplateKey,
    pub location: &'a Location,
    pub error_type: Option<&'static str>,
    pub severity: Severity,
    pub kind: EventKind,
}

pub(crate) struct DedupGroups {
    groups: DashMap<GroupKey, GroupEntry, FastHash>,
    window_ms: u64,
    sample_every: u64,
    max_groups: usize,
    evictions: AtomicU64,
    /// Last snapshots of evicted groups, handed on with the next look.
    evicted: Mutex<Vec<GroupSnapshot>>,
    /// Statuses of groups not in the table: those a store held when the
    /// monitor started, and those of evicted groups that were not open. A
    /// group seen again takes its status from here, so a resolved group is
    /// a regression and an ignored one stays quiet, across evictions and
    /// restarts alike.
    known_statuses: DashMap<GroupKey, GroupStatus, FastHash>,
    /// Whether `known_statuses` has any entry, so a new group in a monitor
    /// without any looks nowhere else.
    has_known_statuses: AtomicBool,
}

/// Milliseconds since the epoch: what a group's times are kept in.
pub(crate) fn millis_since_epoch(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn to_system_time(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

impl DedupGroups {
    pub(crate) fn new(window: Duration, sample_every: u64, max_groups: usize) -> Self {
        DedupGroups {
            groups: DashMap::default(),
            window_ms: window.as_millis().max(1) as u64,
            sample_every: sample_every.max(1),
            max_groups: max_groups.max(1),
            evictions: AtomicU64::new(0),
            evicted: Mutex::new(Vec::new()),
            known_statuses: DashMap::default(),
            has_known_statuses: AtomicBool::new(false),
        }
    }

    /// Remembers the statuses a store holds (open ones need not be given),
    /// for groups not yet seen by this process.
    pub(crate) fn remember_statuses(&self, statuses: impl IntoIterator<Item = (GroupKey, GroupStatus)>) {
        for (key, status) in statuses {
            self.remember_status(key, status);
        }
    }

    fn remember_status(&self, key: GroupKey, status: GroupStatus) {
        if status != GroupStatus::Open {
            self.known_statuses.insert(key, status);
            self.has_known_statuses.store(true, Relaxed);
        }
    }

    /// Takes the statuses a store says changed there (by an operator, or on
    /// another instance). A group in the table takes its new status unless
    /// this process changed it and has not written that yet (its own
    /// change is newer); the others are remembered for when they come.
    pub(crate) fn apply_stored_statuses(&self, changes: impl IntoIterator<Item = (GroupKey, GroupStatus)>) {
        for (key, status) in changes {
            if let Some(entry) = self.groups.get(&key) {
                if !entry.status_changed.load(Relaxed) {
                    entry.status.store(status as u8, Relaxed);
                }
            } else if status == GroupStatus::Open {
                if self.has_known_statuses.load(Relaxed) {
                    self.known_statuses.remove(&key);
                }
            } else {
                self.remember_status(key, status);
            }
        }
    }

    /// The status remembered for a group about to enter the table.
    fn known_status(&self, key: GroupKey) -> GroupStatus {
        if !self.has_known_statuses.load(Relaxed) {
            return GroupStatus::Open;
        }
        self.known_statuses.remove(&key).map_or(GroupStatus::Open, |(_, status)| status)
    }

    /// Counts one occurrence and says whether to queue an event for it.
    /// `new_group` is only called when the key has no group yet.
    pub(crate) fn observe<'a>(&self, key: GroupKey, now: u64, new_group: impl FnOnce() -> NewGroup<'a>) -> Verdict {
        if let Some(entry) = self.groups.get(&key) {
            return self.repeat(&entry, now);
        }
        // Let the table run a quarter over its limit before refusing: the
        // worker trims it back to the limit, least recently seen first.
        if self.groups.len() >= self.max_groups + self.max_groups / 4 {
            return Verdict::TableFull;
        }
        let fields = new_group();
        let mut created = None;
        let entry = self.groups.entry(key).or_insert_with(|| {
            let known = self.known_status(key);
            created = Some(known);
            // A group resolved before it left the table (or before a restart)
            // comes back as a regression, and open.
            let status = if known == GroupStatus::Resolved { GroupStatus::Open } else { known };
            GroupEntry {
                template: fields.template,
                template_key: fields.template_key,
                merged_into: AtomicU64::new(0),
                location: fields.location.clone(),
                error_type: fields.error_type.map(Cow::Borrowed),
                severity: fields.severity,
                kind: fields.kind,
                status: AtomicU8::new(status as u8),
                status_changed: AtomicBool::new(known == GroupStatus::Resolved),
                count: AtomicU64::new(1),
                reported: AtomicU64::new(0),
                first_seen_ms: now,
                last_seen_ms: AtomicU64::new(now),
                window_start_ms: AtomicU64::new(now),
                window_count: AtomicU64::new(1),
                dirty: AtomicBool::new(true),
            }
        });
        match created {
            Some(GroupStatus::Open) => Verdict::Queue { occurrences: 1, reason: QueueReason::NewGroup },
            Some(GroupStatus::Resolved) => Verdict::Queue { occurrences: 1, reason: QueueReason::Regression },
            Some(GroupStatus::Ignored) => Verdict::Suppressed,
            Some(GroupStatus::Investigating) => Verdict::Queue { occurrences: 1, reason: QueueReason::NewWindow },
            None => {
                // Another thread created it between our lookup and insert.
                self.repeat(&entry, now)
            }
        }
    }

    fn repeat(&self, entry: &GroupEntry, now: u64) -> Verdict {
        entry.count.fetch_add(1, Relaxed);
        // Written only when it changes: threads repeating one error within a
        // millisecond then share this cache line instead of taking turns.
        if entry.last_seen_ms.load(Relaxed) < now {
            entry.last_seen_ms.fetch_max(now, Relaxed);
        }
        // Always stored: the worker clears it when it snapshots the count,
        // and an increment that raced that snapshot must raise it again.
        entry.dirty.store(true, Relaxed);
        match status_from_u8(entry.status.load(Relaxed)) {
            GroupStatus::Ignored => return Verdict::Suppressed,
            GroupStatus::Resolved => {
                // A regression: reopen and report it whatever the window says.
                entry.status.store(GroupStatus::Open as u8, Relaxed);
                entry.status_changed.store(true, Relaxed);
                entry.window_start_ms.store(now, Relaxed);
                entry.window_count.store(1, Relaxed);
                return Verdict::Queue { occurrences: 1, reason: QueueReason::Regression };
            }
            GroupStatus::Open | GroupStatus::Investigating => {}
        }
        let window_start = entry.window_start_ms.load(Relaxed);
        if now.saturating_sub(window_start) >= self.window_ms
            && entry.window_start_ms.compare_exchange(window_start, now, Relaxed, Relaxed).is_ok()
        {
            entry.window_count.store(1, Relaxed);
            return Verdict::Queue { occurrences: 1, reason: QueueReason::NewWindow };
        }
        let in_window = entry.window_count.fetch_add(1, Relaxed) + 1;
        if in_window.is_multiple_of(self.sample_every) {
            Verdict::Queue { occurrences: in_window, reason: QueueReason::Sample }
        } else {
            Verdict::Counted
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.groups.len()
    }

    pub(crate) fn evictions(&self) -> u64 {
        self.evictions.load(Relaxed)
    }

    pub(crate) fn set_status(&self, key: GroupKey, status: GroupStatus) -> bool {
        match self.groups.get(&key) {
            Some(entry) => {
                entry.status.store(status as u8, Relaxed);
                entry.status_changed.store(true, Relaxed);
                entry.dirty.store(true, Relaxed);
                true
            }
            None => false,
        }
    }

    pub(crate) fn status(&self, key: GroupKey) -> Option<GroupStatus> {
        self.groups.get(&key).map(|entry| status_from_u8(entry.status.load(Relaxed)))
    }

    /// Removes the least recently seen groups beyond the limit; returns how many.
    pub(crate) fn evict_over_limit(&self) -> usize {
        let len = self.groups.len();
        if len <= self.max_groups {
            return 0;
        }
        let mut by_age: Vec<(u64, GroupKey)> =
            self.groups.iter().map(|entry| (entry.last_seen_ms.load(Relaxed), *entry.key())).collect();
        by_age.sort_unstable();
        let excess = len - self.max_groups;
        let mut last_snapshots = Vec::new();
        for (_, key) in by_age.into_iter().take(excess) {
            let Some((key, entry)) = self.groups.remove(&key) else { continue };
            // Counted before it leaves: what was not yet handed on goes out
            // with the next look. Its status stays known, so a resolved group
            // that comes back is a regression, an ignored one stays quiet.
            self.remember_status(key, status_from_u8(entry.status.load(Relaxed)));
            if entry.dirty.load(Relaxed) {
                last_snapshots.push(snapshot(key, &entry));
            }
        }
        self.evicted.lock().append(&mut last_snapshots);
        self.evictions.fetch_add(excess as u64, Relaxed);
        excess
    }

    /// Marks the groups whose template was merged into another: `resolve`
    /// says which template a template key stands for now, `key_for` which
    /// group key that template gives the group's place. Runs on the worker,
    /// after the grouper reported merges (rare), so it may walk the table.
    /// The surviving groups take their generalized template
    /// (`template_of`), so what is stored reads `user <*> not found`.
    pub(crate) fn record_merges(
        &self,
        merges: &TemplateMerges,
        resolve: impl Fn(TemplateKey) -> TemplateKey,
        template_of: impl Fn(TemplateKey) -> Option<String>,
        key_for: impl Fn(&Location, EventKind, Option<&str>, TemplateKey) -> GroupKey,
    ) {
        for mut entry in self.groups.iter_mut() {
            if merges.merged.contains(&entry.template_key) {
                let into =
                    key_for(&entry.location, entry.kind, entry.error_type.as_deref(), resolve(entry.template_key));
                if into != *entry.key() && entry.merged_into.swap(into.0, Relaxed) != into.0 {
                    entry.dirty.store(true, Relaxed);
                }
            } else if merges.survivors.contains(&entry.template_key)
                && let Some(template) = template_of(entry.template_key)
                && template != entry.template
            {
                entry.template = template;
                entry.dirty.store(true, Relaxed);
            }
        }
    }

    /// Snapshots of the groups whose counters changed since the last call,
    /// and the last ones of groups evicted since.
    pub(crate) fn take_dirty(&self) -> Vec<GroupSnapshot> {
        let mut snapshots = std::mem::take(&mut *self.evicted.lock());
        snapshots.extend(
            self.groups
                .iter()
                .filter(|entry| entry.dirty.swap(false, Relaxed))
                .map(|entry| snapshot(*entry.key(), &entry)),
        );
        snapshots
    }
}

/// A snapshot of `entry` carrying the occurrences not yet reported.
fn snapshot(key: GroupKey, entry: &GroupEntry) -> GroupSnapshot {
    let count = entry.count.load(Relaxed);
    let reported = entry.reported.swap(count, Relaxed);
    let merged_into = entry.merged_into.load(Relaxed);
    GroupSnapshot {
        key,
        template: entry.template.clone(),
        location: entry.location.clone(),
        error_type: entry.error_type.clone(),
        severity: entry.severity,
        kind: entry.kind,
        status: status_from_u8(entry.status.load(Relaxed)),
        status_changed: entry.status_changed.swap(false, Relaxed),
        count,
        new_occurrences: count.saturating_sub(reported),
        first_seen: to_system_time(entry.first_seen_ms),
        last_seen: to_system_time(entry.last_seen_ms.load(Relaxed)),
        merged_into: (merged_into != 0).then_some(GroupKey(merged_into)),
    }
}

fn status_from_u8(value: u8) -> GroupStatus {
    match value {
        1 => GroupStatus::Investigating,
        2 => GroupStatus::Resolved,
        3 => GroupStatus::Ignored,
        _ => GroupStatus::Open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location() -> Location {
        Location { module: "m".into(), function: "f".into(), file: "f.rs".into(), line: 1 }
    }

    fn observe(groups: &DedupGroups, key: u64, now: u64) -> Verdict {
        let location = location();
        groups.observe(GroupKey(key), now, || NewGroup {
            template: "t <*>".to_owned(),
            template_key: TemplateKey(key),
            location: &location,
            error_type: None,
            severity: Severity::Error,
            kind: EventKind::Error,
        })
    }

    #[test]
    fn only_first_in_window_and_samples_are_queued() {
        let groups = DedupGroups::new(Duration::from_secs(60), 10, 100);
        assert_eq!(observe(&groups, 1, 0), Verdict::Queue { occurrences: 1, reason: QueueReason::NewGroup });
        let queued = (1..100).filter(|i| observe(&groups, 1, *i) != Verdict::Counted).count();
        assert_eq!(queued, 10, "occurrences 10, 20, … 100 are samples");
        assert_eq!(
            observe(&groups, 1, 60_000),
            Verdict::Queue { occurrences: 1, reason: QueueReason::NewWindow },
            "new window"
        );
    }

    #[test]
    fn resolved_group_seen_again_is_a_regression() {
        let groups = DedupGroups::new(Duration::from_secs(60), 1000, 100);
        observe(&groups, 7, 0);
        assert!(groups.set_status(GroupKey(7), GroupStatus::Resolved));
        assert_eq!(observe(&groups, 7, 1), Verdict::Queue { occurrences: 1, reason: QueueReason::Regression });
        assert_eq!(groups.status(GroupKey(7)), Some(GroupStatus::Open));
    }

    #[test]
    fn ignored_group_is_counted_not_queued() {
        let groups = DedupGroups::new(Duration::from_secs(60), 1, 100);
        observe(&groups, 3, 0);
        groups.set_status(GroupKey(3), GroupStatus::Ignored);
        assert_eq!(observe(&groups, 3, 120_000), Verdict::Suppressed);
        let snapshot = groups.take_dirty();
        assert_eq!(snapshot[0].count, 2);
    }

    #[test]
    fn table_is_bounded_and_evictions_are_counted() {
        let groups = DedupGroups::new(Duration::from_secs(60), 1000, 8);
        let verdicts: Vec<_> = (0..20).map(|key| observe(&groups, key, key)).collect();
        assert_eq!(verdicts.iter().filter(|v| **v == Verdict::TableFull).count(), 10);
        assert_eq!(groups.evict_over_limit(), 2);
        assert_eq!(groups.len(), 8);
        assert_eq!(groups.evictions(), 2);
        assert_eq!(groups.status(GroupKey(0)), None, "the oldest group went first");
    }

    #[test]
    fn an_evicted_group_keeps_its_status_when_it_comes_back() {
        let groups = DedupGroups::new(Duration::from_secs(60), 1000, 4);
        observe(&groups, 1, 0);
        observe(&groups, 2, 1);
        groups.set_status(GroupKey(1), GroupStatus::Resolved);
        groups.set_status(GroupKey(2), GroupStatus::Ignored);
        for key in 3..=6 {
            observe(&groups, key, 10 + key);
            groups.evict_over_limit();
        }
        assert_eq!((groups.status(GroupKey(1)), groups.status(GroupKey(2))), (None, None), "both evicted");
        assert_eq!(observe(&groups, 1, 20), Verdict::Queue { occurrences: 1, reason: QueueReason::Regression });
        groups.evict_over_limit();
        assert_eq!(observe(&groups, 2, 21), Verdict::Suppressed, "an ignored group stays quiet");
        assert_eq!(groups.status(GroupKey(2)), Some(GroupStatus::Ignored));
        let snapshots = groups.take_dirty();
        let group_1: Vec<_> =
            snapshots.iter().filter(|s| s.key == GroupKey(1)).map(|s| (s.status, s.status_changed)).collect();
        assert_eq!(
            group_1,
            [(GroupStatus::Resolved, true), (GroupStatus::Open, true)],
            "its last snapshot when evicted, then the store is told it reopened"
        );
    }

    #[test]
    fn statuses_a_store_holds_apply_to_groups_seen_after_a_start() {
        let groups = DedupGroups::new(Duration::from_secs(60), 1000, 10);
        groups.remember_statuses([(GroupKey(5), GroupStatus::Investigating), (GroupKey(6), GroupStatus::Open)]);
        assert_eq!(observe(&groups, 5, 0), Verdict::Queue { occurrences: 1, reason: QueueReason::NewWindow });
        assert_eq!(groups.status(GroupKey(5)), Some(GroupStatus::Investigating));
        assert_eq!(observe(&groups, 6, 0), Verdict::Queue { occurrences: 1, reason: QueueReason::NewGroup });
        assert!(groups.take_dirty().iter().all(|s| !s.status_changed), "nothing changed here");
    }

    #[test]
    fn an_evicted_group_hands_on_its_counts() {
        let groups = DedupGroups::new(Duration::from_secs(60), 1000, 4);
        for (key, times) in [(1, 3), (2, 1), (3, 1), (4, 1), (5, 1)] {
            for _ in 0..times {
                observe(&groups, key, key);
            }
        }
        assert_eq!(groups.evict_over_limit(), 1);
        let snapshots = groups.take_dirty();
        let total: u64 = snapshots.iter().map(|s| s.new_occurrences).sum();
        assert_eq!(total, 7, "every occurrence reaches the sinks, the evicted group's too");
        assert!(snapshots.iter().any(|s| s.key == GroupKey(1) && s.new_occurrences == 3));
        assert_eq!(groups.status(GroupKey(1)), None);
    }

    #[test]
    fn merged_groups_say_which_group_they_joined() {
        let groups = DedupGroups::new(Duration::from_secs(60), 1000, 8);
        observe(&groups, 1, 0);
        observe(&groups, 2, 0);
        groups.take_dirty();
        let merges = TemplateMerges {
            merged: [TemplateKey(2)].into_iter().collect(),
            survivors: [TemplateKey(1)].into_iter().collect(),
        };
        let template_of = |_| Some("user <*> not found".to_owned());
        groups.record_merges(&merges, |_| TemplateKey(1), template_of, |_, _, _, template| GroupKey(template.0 + 100));
        let mut snapshots = groups.take_dirty();
        snapshots.sort_by_key(|snapshot| snapshot.key);
        assert_eq!(snapshots.len(), 2);
        assert_eq!((snapshots[0].key, snapshots[0].merged_into), (GroupKey(1), None));
        assert_eq!(snapshots[0].template, "user <*> not found", "the survivor reads as generalized");
        assert_eq!((snapshots[1].key, snapshots[1].merged_into), (GroupKey(2), Some(GroupKey(101))));
        assert_eq!(snapshots[1].template, "t <*>", "an alias keeps what it meant");
        assert_eq!(snapshots[1].new_occurrences, 0);
    }

    #[test]
    fn dirty_snapshots_are_taken_once() {
        let groups = DedupGroups::new(Duration::from_secs(60), 1000, 8);
        observe(&groups, 1, 5);
        observe(&groups, 1, 9);
        let first = groups.take_dirty();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].count, 2);
        assert_eq!(first[0].new_occurrences, 2);
        assert!(groups.take_dirty().is_empty());
        observe(&groups, 1, 12);
        let second = groups.take_dirty();
        assert_eq!((second[0].count, second[0].new_occurrences), (3, 1));
    }
}
