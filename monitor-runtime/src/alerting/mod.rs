//! The alerting machinery: evaluating the rules of an
//! [`AlertConfig`](crate::alerts::AlertConfig) (the configuration lives in
//! [`alerts`](mod@crate::alerts)) and routing their alerts.
//!
//! [`Engine`] turns what happened (occurrences, call durations, audit
//! records, new and regressed groups, heartbeats, resource samples) into
//! firing and resolved [`Alert`]s with the numbers that made them;
//! [`Router`] decides which notifications go out when. Both take the time
//! as an argument, from a [`Clock`], so every window, timer and schedule is
//! tested without sleeping.
//!
//! An installed monitor runs both on its worker when given rules with
//! [`MonitorBuilder::alerts`](crate::MonitorBuilder::alerts); each
//! notification goes to its destination's [`Notifier`](crate::Notifier),
//! and storage keeps a record of it in
//! [`Batch::notifications`](crate::Batch::notifications).

mod alert;
mod clock;
mod condition;
mod engine;
mod fleet;
mod label_sets;
mod matching;
mod resources;
mod router;
mod window;

pub use alert::{Alert, AlertDetails, AlertState, Labels, Occurrence, ResourceSample};
pub use clock::{Clock, ManualClock, SystemClock};
pub use engine::Engine;
pub use fleet::{FleetCount, FleetLook, FleetSource};
pub use label_sets::MAX_LABEL_SETS;
pub use resources::ResourceSampler;
pub use router::{AcknowledgedAlert, Notification, Router, RouterConfig, RouterCounts};
