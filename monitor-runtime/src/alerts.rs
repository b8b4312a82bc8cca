//! Alert rules: declared in code with [`alerts!`](crate::alerts!) and
//! checked by the compiler, or loaded from a TOML file with
//! [`AlertConfig::from_toml_str`] / [`AlertConfig::from_path`] and checked
//! by the same validator (with file, line and column in every error).
//!
//! ```
//! use monitor_runtime::alerts::{AlertConfig, Condition, Target};
//!
//! let config = monitor_runtime::alerts! {
//!     destination ops_chat = slack("https://hooks.slack.com/services/T000/B000/XXXX");
//!     destination oncall = email("oncall@example.org");
//!
//!     rule too_many_errors {
//!         when errors(severity >= error) > 10 within 1h;
//!         severity critical;
//!         notify ops_chat, oncall;
//!     }
//!     rule slow_payments {
//!         when p95(function = "payments::*") > 2s over 15m;
//!         severity warning;
//!         notify ops_chat;
//!         group_by function;
//!     }
//!     rule failed_sepa_payments {
//!         when audit(process = "sepa_payment_processing", status = failed) > 5 within 1h;
//!         notify ops_chat;
//!     }
//!     rule new_kind_of_error { when new_group(severity >= error); notify ops_chat; }
//!     rule error_came_back { when regression; notify ops_chat; }
//!     rule health_heartbeat { when absent(heartbeat = "health") for 20m; severity critical; notify oncall; }
//! };
//! assert_eq!(config.rules.len(), 6);
//! assert!(matches!(config.destination("oncall").unwrap().target, Target::Email(_)));
//! assert!(matches!(config.rule("error_came_back").unwrap().condition, Condition::Regression { .. }));
//!
//! // The same rule from a file, through the same validator:
//! let from_file = AlertConfig::from_toml_str(r#"
//!     [destinations]
//!     ops_chat = { slack = "https://hooks.slack.com/services/T000/B000/XXXX" }
//!     oncall = { email = ["oncall@example.org"] }
//!
//!     [[rules]]
//!     name = "too_many_errors"
//!     when = "errors(severity >= error) > 10 within 1h"
//!     severity = "critical"
//!     notify = ["ops_chat", "oncall"]
//! "#).unwrap();
//! assert_eq!(from_file.rules[0], config.rules[0]);
//! ```
//!
//! A destination may set its own rate limit, which overrides
//! [`RouterConfig::per_destination_per_minute`](crate::alerting::RouterConfig::per_destination_per_minute)
//! for it alone (from 1 to [`MAX_PER_MINUTE`] a minute):
//!
//! ```
//! let config = monitor_runtime::alerts! {
//!     destination ops_chat = slack("https://hooks.slack.com/services/T000/B000/XXXX") at most 30 per minute;
//!     destination oncall = email("oncall@example.org");
//!     rule too_many_errors { when errors > 10 within 1h; notify ops_chat, oncall; }
//! };
//! assert_eq!(config.destination("ops_chat").unwrap().per_minute, Some(30));
//! assert_eq!(config.destination("oncall").unwrap().per_minute, None, "the router's default");
//!
//! // In a file: `per_minute` beside the destination's kind.
//! let from_file = monitor_runtime::alerts::AlertConfig::from_toml_str(r#"
//!     [destinations]
//!     ops_chat = { slack = "https://hooks.slack.com/services/T000/B000/XXXX", per_minute = 30 }
//!     oncall = { email = ["oncall@example.org"] }
//!
//!     [[rules]]
//!     name = "too_many_errors"
//!     when = "errors > 10 within 1h"
//!     notify = ["ops_chat", "oncall"]
//! "#).unwrap();
//! assert_eq!(from_file.destinations, config.destinations);
//! ```
//!
//! Rules may keep to a schedule: `schedule office { days "mon-fri"; hours
//! "08:00-18:00"; timezone "Europe/Amsterdam"; }` and, in a rule, `during
//! office; outside hold;` (or `drop`). Give the configuration to
//! [`MonitorBuilder::alerts`](crate::MonitorBuilder::alerts) and the worker
//! evaluates it; see [`rules`](crate::alerting) for the engine and the router.

pub use monitor_rules::{
    AlertConfig, BodyEncoding, Cadence, Condition, ConfigError, ConfigErrors, DEFAULT_GROUP_INTERVAL,
    DEFAULT_GROUP_WAIT, DEFAULT_REPEAT_INTERVAL, DEFAULT_RESOURCE_CHECK, Destination, Field, Filter, MAX_PER_MINUTE,
    MAX_WINDOW, Op, OutsideSchedule, Placeholder, Rule, Schedule, Summary, Target, TemplateField, WebhookAuth,
    WebhookTemplate, fill_template, parse_duration,
};
