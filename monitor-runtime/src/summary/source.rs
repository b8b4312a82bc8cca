//! Where summaries are read from. In a file of its own so that the sink
//! trait, which offers a source, and the source, which fails with a sink's
//! error, do not import each other.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::SummaryReport;
use crate::sink::SinkError;

/// Where summaries are read from: a store that every instance writes to.
#[async_trait]
pub trait SummarySource: Send + Sync + 'static {
    /// Whether this instance sends summaries now: only one instance of a
    /// fleet writing to one store does. `lease` is how long a leader that
    /// stops asking keeps the lead, where the store cannot tell its process died.
    async fn lead(&self, lease: Duration) -> Result<bool, SinkError>;

    /// What happened in `[since, until)`: the report's counts and lists
    /// (its name, schedule and service are filled in by the caller).
    async fn report(&self, since: SystemTime, until: SystemTime) -> Result<SummaryReport, SinkError>;
}
