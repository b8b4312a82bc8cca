//! Tower middleware for axum services: every request gets an id, the
//! caller's trace id and a monitor context, is timed per route like a
//! `#[monitor]` function, and is captured when it answers 5xx or panics.
//!
//! ```
//! use axum::{Router, extract::Path, http::StatusCode, routing::get};
//! use monitor_http::MonitorLayer;
//! use tower::ServiceExt;
//!
//! async fn invoice(Path(id): Path<u32>) -> Result<String, StatusCode> {
//!     if id == 0 { Err(StatusCode::INTERNAL_SERVER_ERROR) } else { Ok(format!("invoice {id}")) }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let guard = monitor_runtime::Monitor::builder().install().unwrap();
//! let app = Router::new().route("/invoices/{id}", get(invoice)).layer(MonitorLayer::new());
//!
//! for id in [7, 8, 0] {
//!     let request = axum::http::Request::get(format!("/invoices/{id}")).body(axum::body::Body::empty()).unwrap();
//!     let response = app.clone().oneshot(request).await.unwrap();
//!     assert_eq!(response.headers()["x-request-id"].len(), 32);
//! }
//!
//! let route = monitor_runtime::callsites().into_iter().find(|s| s.function == "GET /invoices/{id}").unwrap();
//! assert_eq!((route.module, route.calls, route.errors), ("http", 3, 1));
//! assert_eq!(guard.shutdown().captured, 1, "the 500");
//! # });
//! ```
//!
//! For each request, [`MonitorLayer`]:
//!
//! - takes the request id from `X-Request-Id` when it is 1 to
//!   [`MAX_REQUEST_ID_LEN`] visible ASCII characters, or makes a random
//!   128-bit one (32 hex digits); puts it in the request's extensions as a
//!   [`RequestId`] and in the response's `X-Request-Id` (unless the
//!   handler set one);
//! - reads the trace id of a valid W3C `traceparent` header
//!   ([`TraceParent`], also put in the request's extensions);
//! - runs the request in a [`Context`](monitor_runtime::Context) with that
//!   trace id and the tags [`TAG_REQUEST_ID`], [`TAG_METHOD`] and
//!   [`TAG_ROUTE`], so whatever the handler captures carries them;
//! - times the request (until the response's head is ready; the body
//!   streams untouched) under the call site module `http`, function
//!   `"{METHOD} {route template}"`, such as `GET /invoices/{id}`, which
//!   [`callsites`](monitor_runtime::callsites), the metrics and latency
//!   rules see. A request no route matched is `"{METHOD} unmatched"`, so
//!   raw paths never make call sites; methods outside the standard nine
//!   are `OTHER`; past [`MAX_ROUTES`] pairs, new ones share `other`;
//! - captures a 5xx response as an error event of that call site, with the
//!   status in [`TAG_STATUS`];
//! - records a panic of the handler once, as a panic of that call site,
//!   and answers 500 with an empty body instead of dropping the connection.

mod request_id;
mod routes;
mod service;
mod traceparent;

pub use request_id::{MAX_REQUEST_ID_LEN, RequestId, X_REQUEST_ID};
pub use routes::{MAX_ROUTES, MODULE, UNMATCHED};
pub use service::{MonitorLayer, MonitorService, ResponseFuture, TAG_METHOD, TAG_REQUEST_ID, TAG_ROUTE, TAG_STATUS};
pub use traceparent::{TRACEPARENT, TraceParent, TraceParentError};
