//! Cursors: where the page before ended, as the sort value and key of its
//! last result. They are opaque to callers, and checked when they come back.

use monitor_runtime::{GroupKey, SinkErrorKind};

use super::page::GroupSort;
use crate::store::{StoreError, StoredEvent, StoredGroup, millis};

/// Where a page of groups starts: after this sort value and key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GroupCursor {
    pub(crate) value: i64,
    pub(crate) key: String,
}

/// The cursor after `group` in `sort` order.
pub(crate) fn group_cursor(sort: GroupSort, group: &StoredGroup) -> String {
    let value = match sort {
        GroupSort::LastSeen => millis(group.last_seen),
        GroupSort::Count => group.count.min(i64::MAX as u64) as i64,
        GroupSort::FirstSeen => millis(group.first_seen),
    };
    format!("{}.{value}.{}", sort.as_str(), group.key)
}

impl GroupCursor {
    /// Reads a cursor that a query with `sort` gave.
    pub(crate) fn parse(sort: GroupSort, cursor: &str) -> Result<GroupCursor, StoreError> {
        let mut parts = cursor.splitn(3, '.');
        let (Some(name), Some(value), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad_cursor(cursor));
        };
        if name != sort.as_str() {
            return Err(StoreError {
                kind: SinkErrorKind::Rejected,
                message: format!(
                    "the cursor {cursor:?} is for groups sorted by {name}, not by {sort}: page with the sort you began with"
                ),
            });
        }
        let value = value.parse().map_err(|_| bad_cursor(cursor))?;
        let key = key.parse::<GroupKey>().map_err(|_| bad_cursor(cursor))?.to_string();
        Ok(GroupCursor { value, key })
    }
}

/// The cursor after `event` (events come newest first, by id).
pub(crate) fn event_cursor(event: &StoredEvent) -> String {
    format!("event.{}", event.id)
}

/// The id a page of events starts below.
pub(crate) fn parse_event_cursor(cursor: &str) -> Result<i64, StoreError> {
    cursor.strip_prefix("event.").and_then(|id| id.parse().ok()).ok_or_else(|| bad_cursor(cursor))
}

fn bad_cursor(cursor: &str) -> StoreError {
    StoreError {
        kind: SinkErrorKind::Rejected,
        message: format!("{cursor:?} is not a cursor a search gave: start again from the first page"),
    }
}
