//! Searching the store: the filters operators combine (severity, kind,
//! status, service, environment, release, module and function globs, user,
//! trace id, tags, error type, time range, free text), the order of the
//! results, and cursors that page through them steadily while new events
//! arrive. One set of filters for both stores: each turns it into its own
//! SQL ([`sql`]), so the command line, the HTTP API and the dashboard see
//! the same answers from SQLite and PostgreSQL.

mod cursor;
mod events;
mod glob;
pub(crate) mod group_words;
mod page;
pub(crate) mod sql;
pub(crate) mod text;

pub use events::{EventFilter, EventQuery};
pub use page::{GroupSort, Page};

pub(crate) use cursor::{event_cursor, group_cursor};
pub(crate) use glob::glob_matches;
