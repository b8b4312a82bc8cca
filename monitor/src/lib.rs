// The README is the crate's front page, and its examples are doctests; one
// of them delivers alerts, so they compile where delivery does.
#![cfg_attr(feature = "webhook", doc = include_str!("../../README.md"))]
#![cfg_attr(
    not(feature = "webhook"),
    doc = "In-process error monitoring, audit logging and alerting for Rust services: see the README."
)]
//!
//! # Crate layout
//!
//! Everything of the runtime is at the crate root (`monitor::Monitor`,
//! `monitor::capture_error`, the `#[monitor]` attribute, `monitor::alerts!`,
//! the [`audit`], [`alerts`](mod@alerts), [`alerting`] and [`scrub`] modules). The places
//! records go are modules of their own, each behind a cargo feature:
//!
//! | module | feature | what |
//! |---|---|---|
//! | `sqlite` | `sqlite` (default) | the embedded store and its queries |
//! | `postgres` | `postgres` | one PostgreSQL database many instances share |
//! | `store` | `sqlite` or `postgres` | the `Store` trait both implement, and `store::open(url_or_path)` |
//! | [`ConsoleSink`] | always | one line per event on stderr |
//! | `delivery` | `webhook` or `email` | `DeliveryOptions`, given to [`MonitorBuilder::delivery`] |
//! | `webhook` | `webhook` | Slack, Discord, Teams, generic JSON and templated (SMS gateway) renderers |
//! | `email` | `email` | the e-mail renderer |
//! | `spool` | `webhook` or `email` | the file notifications wait in while a destination is down |
//! | `MonitorLayer`, `tracing_layer` | `tracing` | a `tracing_subscriber` layer: error events captured, span fields as context, spans timed |
//! | `http` | `axum` | tower middleware for axum services: request ids, trace context, per-route timing |

// The macros name this crate `::monitor`; so must the crate's own doctests.
extern crate self as monitor;

pub use monitor_runtime::*;
pub use monitor_sinks::ConsoleSink;

#[cfg(feature = "axum")]
#[doc(inline)]
pub use monitor_http as http;
#[cfg(any(feature = "webhook", feature = "email"))]
pub use monitor_sinks::delivery;
#[cfg(feature = "email")]
pub use monitor_sinks::email;
#[cfg(feature = "postgres")]
pub use monitor_sinks::postgres;
#[cfg(any(feature = "webhook", feature = "email"))]
pub use monitor_sinks::spool;
#[cfg(feature = "sqlite")]
pub use monitor_sinks::sqlite;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use monitor_sinks::store;
#[cfg(feature = "webhook")]
pub use monitor_sinks::webhook;
