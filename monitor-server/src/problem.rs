//! Errors as RFC 9457 problem details: `application/problem+json` with the
//! status, its title and a `detail` that says what is wrong and how to fix
//! it. Every refusal of the API is one of these.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use monitor_runtime::SinkErrorKind;
use monitor_sinks::store::StoreError;
use serde_json::json;

use crate::auth::Role;
use crate::query::FilterError;

/// The media type of a problem.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A refused or failed request.
///
/// ```
/// use monitor_server::Problem;
/// let problem = Problem::not_found("no group with key 00000000000000ff");
/// assert_eq!(problem.status.as_u16(), 404);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The HTTP status.
    pub status: StatusCode,
    /// What went wrong with this request, and how to fix it.
    pub detail: String,
}

impl Problem {
    /// A problem with `status`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Problem { status, detail: detail.into() }
    }

    /// 400: the request is wrong.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, detail)
    }

    /// 401: no token, or one nobody knows.
    pub fn unauthorized() -> Self {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "a valid token is needed: send `Authorization: Bearer TOKEN` with a token the server was given",
        )
    }

    /// 403: the token's role may not do this.
    pub fn forbidden(role: Role, needed: Role) -> Self {
        Problem::new(
            StatusCode::FORBIDDEN,
            format!("this needs the {} role; the token's role is {}", needed.as_str(), role.as_str()),
        )
    }
}

impl From<FilterError> for Problem {
    fn from(error: FilterError) -> Self {
        Problem::bad_request(error.0)
    }
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Self {
        let status = match error.kind {
            SinkErrorKind::Rejected => StatusCode::BAD_REQUEST,
            SinkErrorKind::Unavailable | SinkErrorKind::Locked => StatusCode::SERVICE_UNAVAILABLE,
            SinkErrorKind::Full => StatusCode::INSUFFICIENT_STORAGE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Problem::new(status, error.message)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = json!({
            "type": "about:blank",
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// What handlers return.
pub type ApiResult<T> = Result<T, Problem>;
