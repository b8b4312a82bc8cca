//! `/metrics`: the monitor's own metrics (captured, dropped, delivered,
//! queue and request counts) in the Prometheus text format, from the
//! recorder `monitor serve` installs or the one a service gives.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::problem::Problem;
use crate::state::AppState;

pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    match &state.config.metrics {
        Some(handle) => {
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
        }
        None => Problem::not_found(
            "this server was given no metrics recorder: `monitor serve` installs one; a service mounting the router passes its PrometheusHandle to ServerConfig::metrics",
        )
        .into_response(),
    }
}
