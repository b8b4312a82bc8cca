//! Alert rules of monitor: the model, the condition language and the one
//! validator, shared by the `alerts!` macro (compile-time errors on the
//! offending token) and by rule files loaded at run time (errors with file,
//! line and column).
//!
//! ```
//! use monitor_rules::{AlertConfig, Condition};
//!
//! let config = AlertConfig::from_toml_str(r#"
//!     [destinations]
//!     oncall = { email = ["oncall@example.org"] }
//!
//!     [[rules]]
//!     name = "slow_payments"
//!     when = "p95(function = \"payments::*\") > 2s over 15m"
//!     severity = "warning"
//!     notify = ["oncall"]
//! "#).unwrap();
//! assert!(matches!(config.rules[0].condition, Condition::Latency { percentile, .. } if percentile == 95.0));
//! ```

// Library code reports failures; it never unwraps them (tests may).
#![warn(clippy::unwrap_used)]

mod check;
mod condition;
mod duration;
mod file;
mod model;
mod raw;
mod redact;
mod schedule;
mod severity;
mod summary;
mod template;
mod text_map;
pub mod vocabulary;

pub use duration::parse_duration;
pub use file::{ConfigError, ConfigErrors};
pub use model::{
    AlertConfig, Condition, DEFAULT_GROUP_INTERVAL, DEFAULT_GROUP_WAIT, DEFAULT_REPEAT_INTERVAL,
    DEFAULT_RESOURCE_CHECK, Destination, Field, Filter, MAX_PER_MINUTE, MAX_WINDOW, Op, Rule, Target,
};
pub use redact::redact_url;
pub use schedule::{OutsideSchedule, Schedule};
pub use severity::{Severity, UnknownSeverity};
pub use summary::{Cadence, Summary};
pub use template::{BodyEncoding, Placeholder, TemplateField, WebhookAuth, WebhookTemplate, fill_template};

/// What the `alerts!` macro builds on: the rules as written, with the spans
/// of their tokens, and the validator. Not a public API: it may change in
/// any release, and it exposes parser types users never need.
#[doc(hidden)]
pub mod macro_support {
    pub use crate::check::check;
    pub use crate::condition::parse_condition;
    pub use crate::raw::{
        Loc, RawAuth, RawCondition, RawConfig, RawDestination, RawRule, RawSchedule, RawSummary, RawTemplate,
        RuleError, Sp,
    };
    pub use crate::text_map::TextMap;
}
