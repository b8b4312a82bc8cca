//! The audit log: records by the same filters as the CLI, a page at a
//! time; the compliance summary per process and day; and a walk of the
//! chain that says whether anyone edited it.

use std::time::{Duration, SystemTime};

use axum::Json;
use axum::extract::{RawQuery, State};
use monitor_sinks::store::Buckets;
use serde_json::{Value, json};

use super::Params;
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use crate::summary::AuditSummary;
use crate::time::show;
use crate::views;

pub(crate) async fn records(State(state): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<Value>> {
    let params = Params::read(raw.as_deref(), &["limit", "after"])?;
    let mut query = params.filters.audit(SystemTime::now(), params.limit()?)?;
    query.after_seq = params
        .get("after")
        .map(|text| {
            text.parse::<i64>().map_err(|_| Problem::bad_request(format!("after `{text}` is not a seq number")))
        })
        .transpose()?;
    let records = state.store.audit_records(&query).await?;
    // A full page may have more after it: its last seq reads the next.
    let next = (records.len() == query.limit).then(|| records.last().map(|record| record.seq)).flatten();
    Ok(Json(json!({ "records": records.iter().map(views::audit).collect::<Vec<_>>(), "next_after": next })))
}

pub(crate) async fn summary(State(state): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<Value>> {
    let params = Params::read_only(raw.as_deref(), &["since", "until", "process"])?;
    let now = SystemTime::now();
    let since = params.time("since", now)?.unwrap_or(now - Duration::from_secs(30 * 86_400));
    let until = params.time("until", now)?.unwrap_or(now);
    if since >= until {
        return Err(Problem::bad_request(format!("since {} is not before until {}", show(since), show(until))));
    }
    // The store counts whole buckets: the last one must hold `until`.
    let buckets = Buckets::daily(since, until + Duration::from_millis(1));
    let summary = AuditSummary::of(state.store.audit_counts(&buckets).await?, params.get("process"));
    Ok(Json(summary.to_json(since, until)))
}

pub(crate) async fn verify(State(state): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<Value>> {
    Params::read_only(raw.as_deref(), &[])?;
    let report = state.store.verify_audit_chain().await?;
    Ok(Json(views::chain_report(&report)))
}
