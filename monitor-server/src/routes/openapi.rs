//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of this API. It is
//! written by hand beside the routes, and a test holds the two together:
//! every route the router serves is in the document, every documented
//! route answers, and the statuses and bodies tests see are the ones the
//! document names.

use axum::http::header;
use axum::response::IntoResponse;

/// The document, as served.
pub(crate) const DOCUMENT: &str = include_str!("../../openapi.json");

pub(crate) async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
