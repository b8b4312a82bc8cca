//! Alert delivery for monitor: how a notification looks on each platform,
//! within each platform's published limits.
//!
//! [`format`] renders a [`Notification`](monitor_runtime::rules::Notification)
//! for Slack (Block Kit with a text fallback), Discord (an embed with the
//! severity's colour, fields, timestamp and footer), Microsoft Teams (an
//! Adaptive Card in a `message` attachment) and a generic, versioned JSON
//! schema. Texts over a platform's limits are cut on character boundaries
//! with a visible marker, so a platform never rejects a notification for
//! its size.
//!
//! ```
//! use monitor_delivery::format::{discord, RenderOptions};
//! # let notification = monitor_delivery::format::sample_notification("x".repeat(10_000));
//!
//! let body = discord(&notification, &RenderOptions::default());
//! let description = body["embeds"][0]["description"].as_str().unwrap();
//! assert!(description.chars().count() <= 4096);
//! assert!(description.ends_with("[truncated]"));
//! ```

// Library code reports failures; it never unwraps them (tests may).
#![warn(clippy::unwrap_used)]

pub mod format;
mod truncate;

pub use truncate::{TRUNCATION_MARKER, truncate};
