//! What wraps every request: the bearer token check, the time limit, the
//! request metrics, and the rewriting of the framework's own refusals
//! (a body too large, a bad JSON body, an unknown route) into problems, so
//! a client reads one kind of error body from every route.

use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::Caller;
use crate::problem::{PROBLEM_JSON, Problem};
use crate::state::AppState;

/// Refusals of the framework are short texts; a longer body is not read.
const REFUSAL_BYTES: usize = 4096;

/// Finds the caller of an API route from its bearer token, or answers 401.
/// The token never reaches a log line: only the caller's name goes on.
pub(crate) async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim);
    let Some(caller) = presented.and_then(|token| state.config.tokens.authenticate(token)) else {
        return Problem::unauthorized().into_response();
    };
    request.extensions_mut().insert::<Caller>(caller);
    next.run(request).await
}

/// Answers 503 with a problem when a request takes longer than `limit`.
pub(crate) async fn time_limit(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the request took longer than {limit:?}: narrow the query (a shorter time range, more filters)"),
        )
        .into_response(),
    }
}

/// Gives the installed recorder the help texts of the server's own
/// metrics (request counts and durations, streams, received alerts).
///
/// ```
/// monitor_server::describe_metrics();
/// ```
pub fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_histogram};
    describe_counter!(
        "monitor_http_requests_total",
        Unit::Count,
        "API requests, by route template, method and status."
    );
    describe_histogram!(
        "monitor_http_request_duration_seconds",
        Unit::Seconds,
        "API request durations, by route template."
    );
    describe_counter!("monitor_stream_connections_total", Unit::Count, "Live streams opened.");
    describe_counter!(
        "monitor_stream_dropped_slow_total",
        Unit::Count,
        "Live streams dropped because their client read too slowly."
    );
    describe_counter!("monitor_webhook_alerts_received_total", Unit::Count, "Alerts taken in by the webhook intake.");
}

/// Counts requests by route template (never the raw path, which holds
/// keys and ids) and status, and times them.
pub(crate) async fn record_metrics(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("monitor_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("monitor_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Turns an error response that is not a problem yet into one, keeping
/// its status and its text as the detail.
pub(crate) async fn problems_only(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (_, body) = response.into_parts();
    let text = to_bytes(body, REFUSAL_BYTES).await.map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let detail = match text {
        Ok(text) if !text.trim().is_empty() => text,
        _ => default_detail(status).to_owned(),
    };
    Problem::new(status, detail).into_response()
}

fn default_detail(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "no such route: see /api/v1/openapi.json for the routes this server has",
        StatusCode::METHOD_NOT_ALLOWED => "this route does not take this method: see /api/v1/openapi.json",
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is larger than this server accepts",
        _ => "the request could not be served",
    }
}

/// A handler that panicked answers 500 as a problem; the server goes on.
pub(crate) fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "the server failed while answering: the failure was logged")
        .into_response()
}
