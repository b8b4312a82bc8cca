//! What one delivery attempt came to, for every kind of destination.

use std::time::Duration;

use crate::delivery::pacing::RateLimit;

/// How one attempt went, for any kind of destination.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// Delivered.
    Sent(RateLimit),
    /// Failed for a reason that may pass; the server may have said how long
    /// to wait.
    Retry { wait: Option<Duration>, limit: RateLimit, why: String },
    /// Refused for its content: sending it again would be refused again.
    Rejected(String),
    /// The endpoint no longer exists (404, 410).
    #[cfg_attr(not(feature = "webhook"), allow(dead_code))]
    Gone(String),
}
