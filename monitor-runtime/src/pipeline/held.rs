//! What a sink's full queue could not take yet and must not lose: audit
//! records (each accepted by `audit()`) and group counts (each snapshot
//! carries occurrences no later snapshot repeats).
//!
//! Held records wait on the worker, not in the sink's queue, so a store
//! that is slow or locked holds back only these: events go on being offered
//! (and counted when refused, as samples are), and the worker stops taking
//! audit records until the store catches up, which pushes back on
//! `audit()`. Group snapshots of one group are merged while held, so a long
//! outage holds one snapshot per group, not one per tick.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::audit::record::AuditRecord;
use crate::event::{GroupKey, GroupSnapshot};
use crate::sink::Batch;

#[derive(Default)]
pub(super) struct Held {
    audits: VecDeque<Arc<AuditRecord>>,
    groups: Vec<GroupSnapshot>,
    /// Where each held group is in `groups`.
    positions: HashMap<GroupKey, usize>,
    /// Call counts, which no later batch repeats either.
    calls: Vec<crate::CallCounts>,
}

impl Held {
    pub(super) fn is_empty(&self) -> bool {
        self.audits.is_empty() && self.groups.is_empty() && self.calls.is_empty()
    }

    /// Audit records held.
    pub(super) fn audits(&self) -> usize {
        self.audits.len()
    }

    /// Keeps the audit records and group counts of `batch`, after those
    /// already held.
    pub(super) fn hold(&mut self, batch: &Batch) {
        self.audits.extend(batch.audits.iter().cloned());
        self.calls.extend(batch.calls.iter().cloned());
        for group in &batch.groups {
            match self.positions.get(&group.key) {
                Some(&at) => merge(&mut self.groups[at], group),
                None => {
                    self.positions.insert(group.key, self.groups.len());
                    self.groups.push(group.clone());
                }
            }
        }
    }

    /// The next batch to offer again: every held group and at most
    /// `max_audits` audit records, oldest first.
    pub(super) fn next_batch(&mut self, max_audits: usize) -> Option<Batch> {
        if self.is_empty() {
            return None;
        }
        let take = self.audits.len().min(max_audits.max(1));
        self.positions.clear();
        Some(Batch {
            events: Vec::new(),
            groups: std::mem::take(&mut self.groups),
            audits: self.audits.drain(..take).collect(),
            notifications: Vec::new(),
            calls: std::mem::take(&mut self.calls),
        })
    }
}

/// `newer` over `older`: the latest state, with the occurrences of both.
fn merge(older: &mut GroupSnapshot, newer: &GroupSnapshot) {
    let new_occurrences = older.new_occurrences.saturating_add(newer.new_occurrences);
    let first_seen = older.first_seen.min(newer.first_seen);
    let merged_into = newer.merged_into.or(older.merged_into);
    let status_changed = older.status_changed || newer.status_changed;
    *older = GroupSnapshot { new_occurrences, first_seen, merged_into, status_changed, ..newer.clone() };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditRecordBuilder, ComplianceStatus};
    use crate::event::{EventKind, GroupStatus, Location};
    use monitor_rules::Severity;
    use std::time::{Duration, SystemTime};

    fn snapshot(key: u64, count: u64, new_occurrences: u64, seconds: u64) -> GroupSnapshot {
        GroupSnapshot {
            key: GroupKey(key),
            template: format!("template {key}"),
            location: Location {
                module: "billing".into(),
                function: "charge".into(),
                file: "billing.rs".into(),
                line: 1,
            },
            error_type: None,
            severity: Severity::Error,
            kind: EventKind::Error,
            status: GroupStatus::Open,
            status_changed: false,
            count,
            new_occurrences,
            first_seen: SystemTime::UNIX_EPOCH + Duration::from_secs(seconds),
            last_seen: SystemTime::UNIX_EPOCH + Duration::from_secs(seconds),
            merged_into: None,
        }
    }

    fn batch(groups: Vec<GroupSnapshot>, audits: usize) -> Batch {
        Batch {
            events: Vec::new(),
            groups,
            audits: (0..audits)
                .map(|i| Arc::new(AuditRecordBuilder::new("p", format!("a{i}"), ComplianceStatus::Compliant).finish()))
                .collect(),
            notifications: Vec::new(),
            calls: Vec::new(),
        }
    }

    #[test]
    fn snapshots_of_one_group_merge_without_losing_occurrences() {
        let mut held = Held::default();
        held.hold(&batch(vec![snapshot(1, 3, 3, 10), snapshot(2, 1, 1, 11)], 0));
        held.hold(&batch(vec![snapshot(1, 7, 4, 20)], 0));
        let again = held.next_batch(10).unwrap();
        assert_eq!(again.groups.len(), 2);
        let first = &again.groups[0];
        assert_eq!((first.key, first.count, first.new_occurrences), (GroupKey(1), 7, 7));
        assert_eq!(first.first_seen, SystemTime::UNIX_EPOCH + Duration::from_secs(10));
        assert_eq!(first.last_seen, SystemTime::UNIX_EPOCH + Duration::from_secs(20));
        assert!(held.next_batch(10).is_none());
    }

    #[test]
    fn audit_records_come_back_in_order_a_batch_at_a_time() {
        let mut held = Held::default();
        held.hold(&batch(Vec::new(), 5));
        held.hold(&batch(vec![snapshot(1, 1, 1, 0)], 0));
        let first = held.next_batch(3).unwrap();
        assert_eq!(first.audits.iter().map(|a| a.action.as_ref()).collect::<Vec<_>>(), ["a0", "a1", "a2"]);
        assert_eq!(first.groups.len(), 1, "groups go with the first batch");
        let second = held.next_batch(3).unwrap();
        assert_eq!(second.audits.len(), 2);
        assert!(second.groups.is_empty());
        assert!(held.is_empty());
    }
}
