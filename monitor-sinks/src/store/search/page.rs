//! The order of search results and the pages they come in.

use std::fmt;
use std::str::FromStr;

/// How [`GroupQuery`](crate::store::GroupQuery) orders groups: the largest
/// value first, ties by key.
///
/// ```
/// use monitor_sinks::store::GroupSort;
///
/// assert_eq!("count".parse::<GroupSort>().unwrap(), GroupSort::Count);
/// assert!("loudest".parse::<GroupSort>().unwrap_err().contains("last_seen, count, first_seen"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GroupSort {
    /// Most recently seen first (the default).
    #[default]
    LastSeen,
    /// Most occurrences first.
    Count,
    /// Newest groups first.
    FirstSeen,
}

impl GroupSort {
    /// The name used on the command line and in the HTTP API.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupSort::LastSeen => "last_seen",
            GroupSort::Count => "count",
            GroupSort::FirstSeen => "first_seen",
        }
    }

    /// The column the stores sort by.
    pub(crate) fn column(self) -> &'static str {
        match self {
            GroupSort::LastSeen => "last_seen_ms",
            GroupSort::Count => "count",
            GroupSort::FirstSeen => "first_seen_ms",
        }
    }
}

impl fmt::Display for GroupSort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GroupSort {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "last_seen" => Ok(GroupSort::LastSeen),
            "count" => Ok(GroupSort::Count),
            "first_seen" => Ok(GroupSort::FirstSeen),
            other => Err(format!("unknown sort {other:?}: use one of last_seen, count, first_seen")),
        }
    }
}

/// One page of results, and where the next one starts.
///
/// Pages are cut by the sort key, not by position: events and groups that
/// arrive while someone pages do not shift later pages, and nothing shows
/// twice. (A group seen again while someone pages moves to the top of a
/// [`GroupSort::LastSeen`] order, which the pages already read hold.)
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The results, in order.
    pub items: Vec<T>,
    /// Give it as the query's `after` for the next page; `None` on the last.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// A page from `limit + 1` results read: the extra one only says that a
    /// next page exists.
    pub(crate) fn cut(mut items: Vec<T>, limit: usize, cursor_of: impl Fn(&T) -> String) -> Page<T> {
        if items.len() > limit {
            items.truncate(limit);
            let next = items.last().map(cursor_of);
            Page { items, next }
        } else {
            Page { items, next: None }
        }
    }
}
