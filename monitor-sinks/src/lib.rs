//! Where monitor's records go: an embedded SQLite store (the default, no
//! server needed), a console sink for development, and delivery of alert
//! notifications to Slack, Discord, Microsoft Teams, generic webhooks and
//! e-mail. Users depend on the `monitor` crate, which re-exports these
//! modules; each sits behind a cargo feature, so a service that only
//! stores compiles no HTTP or SMTP client.
//!
//! | module | feature | what |
//! |---|---|---|
//! | [`store`] | `sqlite` or `postgres` | the [`Store`](store::Store) trait both stores implement: queries, triage, alert lifecycle |
//! | [`sqlite`] | `sqlite` (default) | one SQLite file: events, groups, audit log, notifications |
//! | `postgres` | `postgres` | one PostgreSQL database that many instances share |
//! | [`ConsoleSink`] | always | one line per event on stderr |
//! | `delivery` | `webhook` or `email` | [`DeliveryOptions`](delivery::DeliveryOptions): retries, pacing, circuit breaker, disk spool |
//! | `webhook` | `webhook` | Slack, Discord, Teams and generic JSON bodies within each platform's limits |
//! | `email` | `email` | SMTP with STARTTLS or implicit TLS, plain-text and HTML parts |
//! | `spool` | `webhook` or `email` | the append-only file notifications wait in while a destination is down |
//!
//! ```no_run
//! # #[cfg(feature = "sqlite")]
//! # fn main() -> Result<(), monitor_runtime::InstallError> {
//! use monitor_runtime::Monitor;
//! use monitor_sinks::ConsoleSink;
//! use monitor_sinks::sqlite::SqliteSink;
//!
//! let guard = Monitor::builder()
//!     .service("invoices")
//!     .sink(SqliteSink::new("monitor.db"))
//!     .sink(ConsoleSink::new())
//!     .install()?;
//! # drop(guard);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "sqlite"))]
//! # fn main() {}
//! ```

// Library code reports failures; it never unwraps them (tests may).
#![warn(clippy::unwrap_used)]

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod chain;
mod console;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod store;

#[cfg(feature = "delivery")]
pub mod delivery;
#[cfg(feature = "email")]
pub mod email;
#[cfg(feature = "delivery")]
pub mod spool;
#[cfg(feature = "webhook")]
pub mod webhook;

pub use console::ConsoleSink;
