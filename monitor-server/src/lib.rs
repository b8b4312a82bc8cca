//! The HTTP API of a monitor store, for operators, support staff, auditors
//! and the tools they use: groups and their triage, events, performance,
//! alerts and their acknowledgement, the audit log, a live stream of news,
//! an intake for external alerts, the monitor's own metrics and an OpenAPI
//! document of it all.
//!
//! `monitor serve` runs it; [`router`] gives the same routes to mount in a
//! service's own axum application:
//!
//! ```no_run
//! use monitor_server::{ServerConfig, auth::Tokens};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = monitor_sinks::store::open("monitor.db")?;
//! let app = axum::Router::new().nest("/monitor", monitor_server::router(store, ServerConfig::new(Tokens::from_env()?)));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9300").await?;
//! axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Routes
//!
//! | route | role |
//! |---|---|
//! | `GET /health` | public |
//! | `GET /metrics` | public |
//! | `GET /api/v1/openapi.json` | public |
//! | `POST /api/v1/webhook/receive` | signed with the webhook secret |
//! | `GET /api/v1/groups`, `/groups/{key}`, `/groups/{key}/events`, `/events` | viewer |
//! | `PATCH /api/v1/groups`, `/groups/{key}` | operator |
//! | `GET /api/v1/performance` | viewer |
//! | `GET /api/v1/alerts`, `/alerts/{id}` | viewer |
//! | `POST /api/v1/alerts/{id}/ack` | operator |
//! | `GET /api/v1/audit`, `/audit/summary`, `/audit/verify` | viewer |
//! | `GET /api/v1/stream` | viewer |
//! | `GET /dashboard/` and its pages | viewer, signed in with a token |
//!
//! The dashboard's pages (see `docs/dashboard.md`) sign in with the same
//! tokens and offer each role only what it may do.
//!
//! Every refusal is an RFC 9457 problem (`application/problem+json`).

pub mod auth;
mod config;
mod dashboard;
mod layers;
mod problem;
pub mod query;
mod routes;
mod state;
pub mod summary;
pub mod time;
pub mod triage;
pub mod views;
pub mod webhook;

use std::sync::Arc;

use axum::Router;
use monitor_sinks::store::Store;

pub use config::ServerConfig;
pub use layers::describe_metrics;
pub use problem::{ApiResult, PROBLEM_JSON, Problem};

/// The API's routes over `store`, ready to serve or to nest in another
/// router. See the crate documentation for the routes and their roles.
pub fn router(store: Arc<dyn Store>, config: ServerConfig) -> Router {
    let state = state::AppState::new(store, config);
    routes::all(state)
}
