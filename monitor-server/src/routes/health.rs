//! `/health`: whether the server can answer, and the state of what it
//! depends on. Public, so a load balancer or an orchestrator can ask it
//! without a token; it shows counts and states, never data.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::state::AppState;

/// A store slower than this to answer counts as unreachable.
const STORE_DEADLINE: Duration = Duration::from_secs(2);

pub(crate) async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let store = match tokio::time::timeout(STORE_DEADLINE, state.store.recent_events(1)).await {
        Ok(Ok(_)) => json!({ "status": "ok", "store": state.store.describe() }),
        Ok(Err(error)) => json!({ "status": "unavailable", "store": state.store.describe(), "detail": error.message }),
        Err(_) => json!({
            "status": "unavailable",
            "store": state.store.describe(),
            "detail": format!("no answer within {STORE_DEADLINE:?}"),
        }),
    };
    let ready = store["status"] == "ok";
    // The monitor of this process, when one is installed (`monitor serve`
    // installs one for the webhook intake; a service that mounts the
    // router has its own).
    let stats = monitor_runtime::stats();
    let worker = json!({
        "installed": stats.installed,
        "captured": stats.captured,
        "queued": stats.queued,
        "written": stats.written,
        "dropped": stats.total_dropped(),
        "disabled_sinks": stats.disabled_sinks,
    });
    let destinations: Vec<Value> = stats
        .destinations
        .values()
        .map(|destination| {
            json!({
                "name": destination.destination,
                // A destination turned off after repeated failures is an open circuit.
                "circuit": if destination.disabled.is_some() { "open" } else { "closed" },
                "disabled_because": destination.disabled,
                "queued": destination.queued,
                "spool_pending": destination.spool_pending,
                "sent": destination.sent,
            })
        })
        .collect();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if ready { "ok" } else { "unavailable" },
        "live": true,
        "ready": ready,
        "components": { "store": store, "worker": worker, "destinations": destinations },
    });
    (status, Json(body))
}
