//! Errors logged through `tracing` captured like any other: a
//! [`tracing_subscriber::Layer`] that sits beside `fmt` (or any other layer).
//!
//! ```
//! use monitor_runtime::{MemorySink, Monitor, MonitorLayer};
//! use tracing_subscriber::prelude::*;
//!
//! let sink = MemorySink::new();
//! let guard = Monitor::builder().sink(sink.clone()).install().unwrap();
//! let subscriber = tracing_subscriber::registry()
//!     .with(tracing_subscriber::fmt::layer().with_writer(std::io::sink))
//!     .with(MonitorLayer::new());
//! tracing::subscriber::with_default(subscriber, || {
//!     let span = tracing::info_span!("charge", user = "member-17");
//!     let _entered = span.enter();
//!     let error = std::io::Error::other("card declined");
//!     tracing::error!(error = %error, invoice = 42, "charge failed");
//!     tracing::info!("an info line is only logged");
//! });
//! guard.shutdown();
//!
//! let events = sink.events();
//! assert_eq!(events.len(), 1);
//! assert_eq!(events[0].message, "card declined");
//! assert_eq!(events[0].context.user.as_deref(), Some("member-17"));
//! assert!(events[0].args.iter().any(|(name, value)| name == "invoice" && value == "42"));
//! ```
//!
//! What it does, and what it costs:
//!
//! - An event at or above the layer's level ([`MonitorLayer::level`],
//!   `ERROR` by default) goes through the same capture as `capture_error`:
//!   fingerprinted, grouped with its repeats, scrubbed, matched by rules.
//!   Its `error` field is the error's message (and a `&dyn Error` value
//!   brings its `source()` chain); without one, the event's message is.
//!   Every other field is an argument of the event. Field values are read
//!   again from the event only when the occurrence is delivered (first in
//!   its window, a sample): a repeat formats its message and nothing else.
//! - Span fields named as context ([`MonitorLayer::context_fields`]; `user`,
//!   `trace_id` and `request_id` by default) become the event's context,
//!   over the [`Context`](crate::Context) entered on the thread; the
//!   innermost span wins.
//! - With [`MonitorLayer::time_spans`], every span closed after it was
//!   entered is a call of a call site named after the span, in
//!   [`callsites`](crate::callsites), the metrics and latency rules.
//! - Below its level, an event costs one comparison; without an installed
//!   monitor, one more relaxed load. The layer never says a callsite is
//!   uninteresting, so the layers beside it see everything they would
//!   without it.

mod fields;
mod layer;
mod span_context;
mod span_timing;

pub use layer::MonitorLayer;
