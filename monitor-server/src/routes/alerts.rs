//! Alerts: incidents still firing (or every one), one incident, and an
//! operator's acknowledgement, written to the audit log by the store.

use std::time::SystemTime;

use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use monitor_sinks::store::{AlertChange, AlertQuery, AlertStatus};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Params, allow};
use crate::auth::{Caller, Role};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use crate::views;

pub(crate) async fn list(State(state): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<Value>> {
    let params = Params::read_only(raw.as_deref(), &["status", "rule", "since", "until", "limit"])?;
    let now = SystemTime::now();
    let limit = params.limit()?;
    let query = AlertQuery {
        rule: params.get("rule").map(str::to_owned),
        since: params.time("since", now)?,
        before: params.time("until", now)?,
        limit,
        ..AlertQuery::default()
    };
    let statuses: Vec<Option<AlertStatus>> = match params.get("status").unwrap_or("firing") {
        // Still firing: an acknowledged incident has not gone away.
        "firing" => vec![Some(AlertStatus::Active), Some(AlertStatus::Acknowledged)],
        "all" => vec![None],
        text => vec![Some(AlertStatus::parse(text).ok_or_else(|| {
            Problem::bad_request(format!(
                "unknown alert status `{text}`: use one of firing (the default), active, acknowledged, resolved, all"
            ))
        })?)],
    };
    let mut alerts = Vec::new();
    for status in statuses {
        alerts.extend(state.store.alerts(&AlertQuery { status, ..query.clone() }).await?);
    }
    // Newest first across the statuses read, then the limit.
    alerts.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
    alerts.truncate(limit);
    Ok(Json(json!({ "alerts": alerts.iter().map(views::alert).collect::<Vec<_>>() })))
}

fn id(text: &str) -> ApiResult<i64> {
    text.parse().map_err(|_| Problem::bad_request(format!("`{text}` is not an incident id: ids are numbers")))
}

pub(crate) async fn one(State(state): State<AppState>, Path(text): Path<String>) -> ApiResult<Json<Value>> {
    let id = id(&text)?;
    let alert = state.store.alert(id).await?.ok_or_else(|| Problem::not_found(format!("no incident {id}")))?;
    Ok(Json(json!({ "alert": views::alert(&alert) })))
}

/// An acknowledgement: what the operator is doing about it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Acknowledgement {
    comment: Option<String>,
}

pub(crate) async fn acknowledge(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(text): Path<String>,
    body: Option<Json<Acknowledgement>>,
) -> ApiResult<Json<Value>> {
    allow(&caller, Role::Operator)?;
    let id = id(&text)?;
    let Json(ack) = body.unwrap_or_default();
    let (alert, changed) = match state.store.acknowledge_alert(id, &caller.name, ack.comment.as_deref()).await? {
        AlertChange::Changed(alert) => (alert, true),
        AlertChange::Unchanged(alert) => (alert, false),
        AlertChange::NotFound => return Err(Problem::not_found(format!("no incident {id}"))),
    };
    Ok(Json(json!({ "changed": changed, "alert": views::alert(&alert) })))
}
