//! Scheduled summaries: every day or week, at a local time of day, a report
//! of what happened since the last one goes to the summary's destinations.
//!
//! A summary is declared with the rules (`summary morning { daily at "08:00";
//! timezone "Europe/Amsterdam"; notify ops_chat; }` in
//! [`alerts!`](crate::alerts!), or `[summaries]` in a rule file). The
//! report is read from a store, so that it covers every instance writing
//! to it: a sink with a store offers a [`SummarySource`] (the SQLite and
//! PostgreSQL sinks do), and one instance at a time (the one that leads,
//! chosen through the store) sends it.
//!
//! Each destination receives it as a [`Notification`](crate::alerting::Notification)
//! whose [`summary`](crate::alerting::Notification::summary) holds the
//! [`SummaryReport`]; its alert carries the report's title, for
//! destinations that show one line.

mod report;
mod source;

pub use report::{SummaryAlerts, SummaryAudit, SummaryFunction, SummaryGroup, SummaryReport, SummarySection};
pub use source::SummarySource;
