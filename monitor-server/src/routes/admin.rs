//! What only an admin may do: export audit records to a file (CSV, JSON,
//! NDJSON, XML, xlsx or a PDF report), and plan or apply a retention
//! policy. Both are audited by what they touch: exports leave the audit
//! log as it is; retention archives audit records before removing them.

use std::time::SystemTime;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use monitor_export::{Fields, Format, Report, export_audit};
use monitor_sinks::store::RetentionPolicy;
use serde_json::Value;
use tokio_util::io::ReaderStream;

use super::{Params, allow};
use crate::auth::{Caller, Role};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) async fn audit_export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    allow(&caller, Role::Admin)?;
    let params = Params::read(raw.as_deref(), &["format", "fields"])?;
    let format: Format = params
        .get("format")
        .unwrap_or("csv")
        .parse()
        .map_err(|error: monitor_export::ExportError| Problem::bad_request(error.to_string()))?;
    let fields = match params.get("fields") {
        Some(spec) => Fields::parse(spec).map_err(|error| Problem::bad_request(error.to_string()))?,
        None => Fields::all(),
    };
    let now = SystemTime::now();
    let query = params.filters.audit(now, usize::MAX)?;
    let mut report = Report::new(format!("Audit records of {}", state.store.describe()));
    for (name, value) in params.filters.given(now) {
        report = report.filter(name, value);
    }
    // Written to a temporary file first: a failure halfway is a problem
    // answer, not a truncated download; then streamed, never in memory.
    let file = tempfile::NamedTempFile::new().map_err(|error| {
        Problem::new(axum::http::StatusCode::INSUFFICIENT_STORAGE, format!("no temporary file for the export: {error}"))
    })?;
    export_audit(&*state.store, query, format, report, &fields, file.path(), &mut |_| {})
        .await
        .map_err(|error| Problem::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?;
    let (_, path) =
        file.keep().map_err(|error| Problem::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?;
    let opened = tokio::fs::File::open(&path)
        .await
        .map_err(|error| Problem::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?;
    // The open file is read to its end; its name can go now (Unix keeps
    // an open file's data until it is closed).
    let _ = std::fs::remove_file(&path);
    metrics::counter!("monitor_audit_exports_total", "format" => format.extension()).increment(1);
    let disposition = format!("attachment; filename=\"audit.{}\"", format.extension());
    let mut response = Body::from_stream(ReaderStream::new(opened)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.media_type()));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The policy in a request body (JSON, with the same names and duration
/// texts as the TOML of `monitor retention`), or the default one.
fn policy(body: &Bytes) -> ApiResult<RetentionPolicy> {
    let policy: RetentionPolicy = if body.iter().all(u8::is_ascii_whitespace) {
        RetentionPolicy::default()
    } else {
        serde_json::from_slice(body)
            .map_err(|error| Problem::bad_request(format!("the retention policy is not valid: {error}")))?
    };
    policy.validate().map_err(|error| Problem::bad_request(format!("the retention policy is not valid: {error}")))?;
    Ok(policy)
}

pub(crate) async fn retention_plan(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    allow(&caller, Role::Admin)?;
    let plan = state.store.retention_plan(&policy(&body)?, SystemTime::now()).await?;
    Ok(Json(serde_json::to_value(plan).map_err(|error| Problem::bad_request(error.to_string()))?))
}

pub(crate) async fn retention_apply(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    allow(&caller, Role::Admin)?;
    let report = state.store.apply_retention(&policy(&body)?, SystemTime::now()).await?;
    Ok(Json(serde_json::to_value(report).map_err(|error| Problem::bad_request(error.to_string()))?))
}
