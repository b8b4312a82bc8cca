//! Alert delivery: the notifier of each Slack, Discord, Microsoft Teams,
//! generic webhook, Alertmanager and e-mail destination, with retries, pacing, a circuit
//! breaker and a disk spool.
//!
//! [`DeliveryOptions`] is what the monitor's builder takes to deliver to
//! the destinations of its alert configuration: the configuration is given
//! once, and the monitor makes one notifier per destination, checking every
//! URL and address first (and again for destinations a reload adds or
//! changes). Each notifier has its own queue and thread, so a slow or dead
//! destination holds back no other.
//!
//! ```no_run
//! use monitor_runtime::Monitor;
//! use monitor_sinks::delivery::DeliveryOptions;
//!
//! let config = monitor_runtime::alerts! {
//!     destination ops_chat = slack("https://hooks.slack.com/services/T000/B000/XXXX");
//!     destination oncall = email("oncall@example.org");
//!     rule too_many_errors { when errors(severity >= error) > 10 within 1h; severity critical; notify ops_chat, oncall; }
//! };
//! let options = DeliveryOptions::new()
//!     .smtp("smtps://mail.example.org", "Billing alerts <alerts@example.org>")
//!     .spool_dir("/var/lib/billing/monitor-spool")
//!     .link("https://grafana.example.org/d/errors?var-group={group}");
//! let guard = Monitor::builder().alerts(config).delivery(options).install()?;
//! // … later: what happened to each destination
//! println!("{:?}", guard.stats().destinations["ops_chat"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What a notification goes through
//!
//! - **Formatting** (`webhook::{slack, discord, teams, generic, alertmanager}`,
//!   `email::render`): each platform's own layout (Block Kit,
//!   embeds, Adaptive Cards, the `monitor.alert.v1` JSON schema, plain text
//!   and HTML mail), within the platform's published limits: texts are cut
//!   on character boundaries with a visible
//!   [`TRUNCATION_MARKER`](monitor_rules::vocabulary::TRUNCATION_MARKER);
//!   fields past a platform's room (Slack's 50 blocks, Discord's 25 fields)
//!   are counted in a last one, `… and 15 more fields [truncated]`.
//! - **Pacing**: Slack one message a second per webhook, Teams four,
//!   Discord as its `X-RateLimit-*` headers say.
//! - **Retries** ([`RetryPolicy`]): timeouts, connection errors, 408, 429
//!   and 5xx (not 501), and SMTP 4xx answers are retried with exponential
//!   backoff and full jitter, waiting at least what `Retry-After` (seconds
//!   or an HTTP date) or Discord's `retry_after` asks, up to
//!   [`MAX_SERVER_WAIT`]. Other 4xx answers and
//!   SMTP 5xx answers drop the notification (counted as `rejected`).
//! - **Circuit breaker** ([`BreakerPolicy`]): when a notification has used
//!   up its retries, the destination is left alone for a while and probed
//!   with one notification.
//! - **Disk spool** (`spool`): while the circuit is open, and at flush or
//!   shutdown for what is not delivered yet, notifications go to an
//!   append-only file, replayed in order when the destination recovers and
//!   when the process starts again. Delivery is at least once: every message
//!   carries the notification key (`notification_key` in the generic JSON,
//!   the footer elsewhere, the Message-ID of an e-mail).
//! - **Disabled webhooks**: a webhook that answers 404 or 410 was deleted;
//!   its destination is disabled until restart and says so in its
//!   stats and on stderr.
//!
//! Outcomes are counted per destination (`monitor::stats().destinations`,
//! `DeliveryNotifier::stats`) and published as
//! `monitor_notifications_total {destination, outcome}` and
//! `monitor_notifications_dropped_total {destination, reason}` through the
//! `metrics` facade.
//!
//! Webhook URLs carry secrets: they are shown everywhere as
//! [`redact_url`](monitor_rules::redact_url) shows them, and never written
//! to the spool.

pub(crate) mod attempt;
mod backlog;
mod breaker;
mod clock;
pub(crate) mod config;
mod deliver;
pub(crate) mod failure;
pub(crate) mod format;
mod notifier;
mod options;
pub(crate) mod pacing;
pub(crate) mod retry;
mod stats;

pub use breaker::BreakerPolicy;
pub use config::{DeliveryConfigError, destinations_from_env};
pub use format::{RenderOptions, colour, sample_notification, title};
pub use notifier::DeliveryNotifier;
pub use options::DeliveryOptions;
pub use retry::{MAX_SERVER_WAIT, RetryPolicy, parse_retry_after};
pub use stats::{DeliveryHandle, DropReason};
