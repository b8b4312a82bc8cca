//! The routes, the layers around them, and what handlers share: reading a
//! query string into filters and paging, and checking a caller's role.

pub(crate) mod admin;
mod alerts;
mod audit;
mod groups;
mod health;
mod metrics;
mod openapi;
mod performance;
pub(crate) mod stream;
mod webhook;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use tower::limit::ConcurrencyLimitLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::auth::{Caller, Role};
use crate::layers;
use crate::problem::{ApiResult, Problem};
use crate::query::Filters;
use crate::state::AppState;

/// Results in one page when no `limit` is given, and at most.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 1000;

pub(crate) fn all(state: AppState) -> Router {
    let config = state.config.clone();
    // Routes that answer at once: the time limit applies.
    let timed = Router::new()
        .route("/groups", get(groups::list).patch(groups::change_many))
        .route("/groups/{key}", get(groups::one).patch(groups::change_one))
        .route("/groups/{key}/events", get(groups::events_of))
        .route("/events", get(groups::events))
        .route("/performance", get(performance::functions))
        .route("/alerts", get(alerts::list))
        .route("/alerts/{id}", get(alerts::one))
        .route("/alerts/{id}/ack", post(alerts::acknowledge))
        .route("/audit", get(audit::records))
        .route("/audit/summary", get(audit::summary))
        .route("/audit/verify", get(audit::verify))
        .route("/audit/export", get(admin::audit_export))
        .route("/retention/plan", post(admin::retention_plan))
        .route("/retention/apply", post(admin::retention_apply))
        .layer(from_fn_with_state(config.request_timeout, layers::time_limit));
    let api = timed
        .route("/stream", get(stream::news))
        .route_layer(from_fn_with_state(state.clone(), layers::authenticate))
        .layer(DefaultBodyLimit::max(config.body_limit));
    let public = Router::new()
        .route("/health", get(health::health))
        .route("/metrics", get(metrics::metrics))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route(
            "/api/v1/webhook/receive",
            post(webhook::receive).layer(DefaultBodyLimit::max(config.webhook_body_limit)),
        );
    let mut router = public
        .nest("/api/v1", api)
        .fallback(|| async { Problem::not_found("no such route: see /api/v1/openapi.json for the routes") })
        .layer(from_fn(layers::problems_only))
        // Pages answer HTML, even when they refuse: merged past the layer
        // that turns refusals into problems.
        .merge(crate::dashboard::routes(state.clone(), config.request_timeout))
        .layer(from_fn(layers::record_metrics))
        .layer(CatchPanicLayer::custom(layers::panic_response))
        .layer(ConcurrencyLimitLayer::new(config.concurrency_limit))
        .with_state(state);
    if !config.cors_origins.is_empty() {
        router = router.layer(cors(&config.cors_origins));
    }
    router
}

/// Browsers on these origins may call the API with a bearer token.
fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PATCH])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, HeaderName::from_static("last-event-id")])
}

/// Refuses a caller whose role may not do what `needed` may.
pub(crate) fn allow(caller: &Caller, needed: Role) -> ApiResult<()> {
    if caller.role.may(needed) { Ok(()) } else { Err(Problem::forbidden(caller.role, needed)) }
}

/// A query string: the filters, and the other parameters a route takes
/// (`limit`, `cursor`, …), each given at most once.
pub(crate) struct Params {
    pub(crate) filters: Filters,
    others: BTreeMap<String, String>,
}

impl Params {
    /// Reads `raw`, taking `names` as the route's own parameters and the
    /// rest as filters; anything else is refused, naming it.
    pub(crate) fn read(raw: Option<&str>, names: &[&str]) -> ApiResult<Self> {
        let mut others = BTreeMap::new();
        let mut filter_pairs = Vec::new();
        for (name, value) in form_urlencoded(raw.unwrap_or_default()) {
            if names.contains(&name.as_str()) {
                if others.insert(name.clone(), value).is_some() {
                    return Err(Problem::bad_request(format!("`{name}` is given twice: give it once")));
                }
            } else {
                filter_pairs.push((name, value));
            }
        }
        let filters = Filters::from_pairs(filter_pairs)
            .map_err(|error| Problem::bad_request(format!("{error}; this route also takes {}", names.join(", "))))?;
        Ok(Params { filters, others })
    }

    /// Reads `raw` for a route that takes only `names`.
    pub(crate) fn read_only(raw: Option<&str>, names: &[&str]) -> ApiResult<Self> {
        let mut others = BTreeMap::new();
        for (name, value) in form_urlencoded(raw.unwrap_or_default()) {
            if !names.contains(&name.as_str()) {
                return Err(Problem::bad_request(format!(
                    "unknown parameter `{name}`: this route takes {}",
                    names.join(", ")
                )));
            }
            if others.insert(name.clone(), value).is_some() {
                return Err(Problem::bad_request(format!("`{name}` is given twice: give it once")));
            }
        }
        Ok(Params { filters: Filters::default(), others })
    }

    /// A time parameter (`24h`, `2026-12-01`, RFC 3339), if given.
    pub(crate) fn time(&self, name: &str, now: std::time::SystemTime) -> ApiResult<Option<std::time::SystemTime>> {
        self.get(name)
            .map(|text| {
                crate::time::parse_time(text, now).map_err(|error| Problem::bad_request(format!("{name}: {error}")))
            })
            .transpose()
    }

    /// A route parameter, if given.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.others.get(name).map(String::as_str)
    }

    /// `limit`: [`DEFAULT_LIMIT`] when absent; 1 to [`MAX_LIMIT`].
    pub(crate) fn limit(&self) -> ApiResult<usize> {
        match self.get("limit") {
            None => Ok(DEFAULT_LIMIT),
            Some(text) => {
                text.parse::<usize>().ok().filter(|limit| (1..=MAX_LIMIT).contains(limit)).ok_or_else(|| {
                    Problem::bad_request(format!("limit `{text}` is not a number from 1 to {MAX_LIMIT}"))
                })
            }
        }
    }

    /// A boolean parameter: `true` or `false`.
    pub(crate) fn flag(&self, name: &str) -> ApiResult<bool> {
        match self.get(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(Problem::bad_request(format!("{name} `{other}` is not true or false"))),
        }
    }
}

fn form_urlencoded(raw: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.as_bytes()).map(|(name, value)| (name.into_owned(), value.into_owned())).collect()
}
