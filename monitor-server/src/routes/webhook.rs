//! `POST /api/v1/webhook/receive`: external alerts in. A delivery signed
//! with the shared secret (see [`crate::webhook`]), or sent with an
//! operator's bearer token by a sender that cannot sign, becomes one captured
//! message per alert, through this process's monitor, so it is grouped,
//! stored and may fire rules like any other capture.

use std::borrow::Cow;
use std::time::SystemTime;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use monitor_runtime::{Context, Location, capture_message_from};
use serde_json::{Value, json};

use super::allow;
use crate::auth::Role;
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use crate::webhook::{Received, Refusal, SIGNATURE_HEADER, TIMESTAMP_HEADER, parse};

pub(crate) async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    // A sender that cannot sign (Alertmanager) may send an operator's
    // token instead; anything else must be signed.
    let bearer = header("authorization").and_then(|value| value.strip_prefix("Bearer ")).map(str::trim);
    match bearer.and_then(|token| state.config.tokens.authenticate(token)) {
        Some(caller) => allow(&caller, Role::Operator)?,
        None if bearer.is_some() => return Err(Problem::unauthorized()),
        None => check_signature(&state, &headers, &body)?,
    }
    let alerts = parse(&body).map_err(Problem::bad_request)?;
    if !monitor_runtime::stats().installed {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no monitor is installed in this process, so received alerts cannot be recorded: install one before serving the router",
        ));
    }
    for alert in &alerts {
        capture(alert);
    }
    metrics::counter!("monitor_webhook_alerts_received_total").increment(alerts.len() as u64);
    Ok((StatusCode::ACCEPTED, Json(json!({ "received": alerts.len() }))))
}

fn check_signature(state: &AppState, headers: &HeaderMap, body: &[u8]) -> ApiResult<()> {
    let Some(secret) = &state.config.webhook_secret else {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "this server has no webhook secret, so it takes no signed deliveries: start it with MONITOR_WEBHOOK_SECRET set (or send an operator's token)",
        ));
    };
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    state
        .seen
        .check(
            secret,
            state.config.webhook_window,
            header(TIMESTAMP_HEADER),
            header(SIGNATURE_HEADER),
            body,
            SystemTime::now(),
        )
        .map_err(|refusal| match refusal {
            Refusal::Unsigned(detail) | Refusal::Stale(detail) => Problem::new(StatusCode::UNAUTHORIZED, detail),
            Refusal::Replayed => Problem::new(
                StatusCode::CONFLICT,
                "this delivery was already received: each delivery is taken once (sign each one anew)",
            ),
        })
}

/// Captures one received alert at a location naming its source and name,
/// with its service, environment and labels as the context.
fn capture(alert: &Received) {
    let mut context = Context::new();
    if let Some(service) = &alert.service {
        context = context.service(service.clone());
    }
    if let Some(environment) = &alert.environment {
        context = context.environment(environment.clone());
    }
    for (key, value) in &alert.tags {
        context = context.tag(key.clone(), value.clone());
    }
    context = context.tag("source", alert.source.clone());
    let location = Location {
        module: Cow::Owned(format!("webhook::{}", alert.source)),
        function: Cow::Owned(alert.name.clone()),
        file: Cow::Borrowed("webhook"),
        line: 0,
    };
    context.scope(|| capture_message_from(location, &alert.message, alert.severity));
}
