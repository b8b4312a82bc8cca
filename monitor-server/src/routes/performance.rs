//! Performance per function: calls, errors and latency percentiles over
//! time, from the call counts every monitored process stores per minute.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use axum::Json;
use axum::extract::{RawQuery, State};
use monitor_sinks::store::{Buckets, FunctionStats};
use serde_json::{Value, json};

use super::Params;
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use crate::time::show;

/// The longest window asked in one call: 90 days.
const MAX_HOURS: u64 = 90 * 24;

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

pub(crate) async fn functions(State(state): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<Value>> {
    let params = Params::read_only(raw.as_deref(), &["hours", "bucket", "module", "function"])?;
    let hours = match params.get("hours") {
        None => 24,
        Some(text) => text.parse::<u64>().ok().filter(|hours| (1..=MAX_HOURS).contains(hours)).ok_or_else(|| {
            Problem::bad_request(format!("hours `{text}` is not a whole number from 1 to {MAX_HOURS}"))
        })?,
    };
    let width = match params.get("bucket") {
        None if hours <= 48 => Duration::from_secs(3600),
        None => Duration::from_secs(86_400),
        Some(text) => humantime::parse_duration(text)
            .ok()
            .filter(|width| width.as_secs() >= 60 && width.as_secs().is_multiple_of(60))
            .ok_or_else(|| {
                Problem::bad_request(format!("bucket `{text}` is not a whole number of minutes: 5m, 1h, 1d"))
            })?,
    };
    let until = SystemTime::now();
    let since = until - Duration::from_secs(hours * 3600);
    let buckets = Buckets { since, until, width };
    let stats = state.store.function_stats(&buckets, params.get("module"), params.get("function")).await?;
    let mut per_function: BTreeMap<(String, String), Vec<FunctionStats>> = BTreeMap::new();
    for row in stats {
        per_function.entry((row.module.clone(), row.function.clone())).or_default().push(row);
    }
    let functions: Vec<Value> = per_function
        .into_iter()
        .map(|((module, function), series)| {
            let calls: u64 = series.iter().map(|row| row.calls).sum();
            let errors: u64 = series.iter().map(|row| row.errors + row.panics).sum();
            let worst = |pick: fn(&FunctionStats) -> Duration| series.iter().map(pick).max().map(ms);
            json!({
                "module": module,
                "function": function,
                "calls": calls,
                "errors": errors,
                "slow_calls": series.iter().map(|row| row.slow_calls).sum::<u64>(),
                "error_rate": if calls == 0 { 0.0 } else { errors as f64 / calls as f64 },
                // Percentiles do not add up across buckets: the worst
                // bucket's is what a chart's peak shows.
                "worst_p95_ms": worst(|row| row.p95),
                "worst_p99_ms": worst(|row| row.p99),
                "series": series.iter().map(|row| json!({
                    "start": show(row.start),
                    "calls": row.calls,
                    "errors": row.errors,
                    "panics": row.panics,
                    "slow_calls": row.slow_calls,
                    "error_rate": row.error_rate,
                    "mean_ms": ms(row.mean),
                    "p50_ms": ms(row.p50),
                    "p95_ms": ms(row.p95),
                    "p99_ms": ms(row.p99),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({
        "since": show(since),
        "until": show(until),
        "bucket_seconds": width.as_secs(),
        "functions": functions,
    })))
}
