//! Evaluating alert rules and routing their alerts.
//!
//! [`Engine`] turns what happened (occurrences, audit records, new and
//! regressed groups, heartbeats) into firing and resolved [`Alert`]s with
//! the numbers that made them; [`Router`] decides which notifications go
//! out when. Both take the time as an argument, from a [`Clock`], so every
//! window and timer is tested without sleeping.
//!
//! Not evaluated yet: latency percentiles and process resources (memory,
//! CPU) conditions, and delivery schedules (business hours, weekends); the
//! engine and router are not yet fed by the monitor's worker.

mod clock;
mod engine;
mod router;
mod window;

pub use clock::{Clock, ManualClock, SystemClock};
pub use engine::{Alert, AlertDetails, AlertState, Engine, Labels, Occurrence};
pub use router::{Notification, Router, RouterConfig, RouterCounts};
