//! Webhooks: Slack (Block Kit), Discord (embeds), Microsoft Teams (an
//! Adaptive Card for Workflows webhooks), a generic JSON body with the
//! documented schema [`generic::GENERIC_SCHEMA`] and [`templated`] bodies
//! (an SMS gateway's form, a paging service's JSON), each rendered within
//! the platform's published limits and posted with reqwest over rustls.
//!
//! ```
//! use monitor_sinks::delivery::{RenderOptions, sample_notification};
//! use monitor_sinks::webhook::{discord, generic};
//!
//! let notification = sample_notification("card declined".into());
//! let body = discord::render(&notification, &RenderOptions::default());
//! assert!(body["embeds"][0]["title"].as_str().unwrap().starts_with("[CRITICAL] too_many_errors"));
//! assert_eq!(generic::render(&notification, &RenderOptions::default())["schema"], generic::GENERIC_SCHEMA);
//! ```

mod http;

pub mod alertmanager;
pub mod discord;
pub mod generic;
pub mod slack;
mod summary;
pub mod teams;
pub mod templated;

pub use summary::{SUMMARY_SCHEMA, summary_json};

pub(crate) use http::{HttpSender, basic_authorization, bearer_authorization};
