//! Fleet rules: `errors(...) > N within W across fleet` counts what every
//! instance wrote to one shared store, and one instance at a time (the
//! leader, chosen through the store) evaluates it and notifies. A store
//! sink offers a [`FleetSource`]; the worker asks it, every status sync
//! interval, whether this instance leads and, if so, for the counts.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::event::{EventKind, GroupKey};
use crate::sink::SinkError;
use monitor_rules::Severity;

/// Occurrences of one group in one minute, as a shared store counts them
/// from every instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetCount {
    /// The group.
    pub group: GroupKey,
    /// Its module.
    pub module: String,
    /// Its function.
    pub function: String,
    /// Its severity.
    pub severity: Severity,
    /// Its kind of event.
    pub kind: EventKind,
    /// Its template.
    pub template: String,
    /// The start of the minute.
    pub minute: SystemTime,
    /// Occurrences in that minute, all instances together.
    pub count: u64,
}

/// Where fleet rules read their counts and take their turn to lead.
#[async_trait]
pub trait FleetSource: Send + Sync + 'static {
    /// Whether this instance leads (evaluates fleet rules) now: takes the
    /// leadership when nobody holds it, keeps it while held. `lease` is how
    /// long a leader that stops asking keeps it, where the store cannot
    /// tell that the leader's process died.
    async fn lead(&self, lease: Duration) -> Result<bool, SinkError>;

    /// Per group and minute, what every instance counted since `since`.
    async fn counts_since(&self, since: SystemTime) -> Result<Vec<FleetCount>, SinkError>;
}

/// What the worker learnt from the fleet source at its last look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FleetLook {
    /// This instance leads: the counts of the longest fleet window.
    Leading(Vec<FleetCount>),
    /// Another instance leads (or the store could not be asked): fleet
    /// rules are not evaluated here.
    Following,
}
