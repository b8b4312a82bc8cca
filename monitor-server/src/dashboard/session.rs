//! Signing in to the dashboard: a token typed into a form becomes an
//! `HttpOnly`, `SameSite=Strict` cookie scoped to the dashboard's path, and
//! every dashboard request is authenticated from it exactly as an API call
//! is from its bearer token (same hashes, same roles, same names as the
//! audit log's actor). Nothing is kept on the server, so a restart or a
//! second instance behind a balancer signs nobody out.
//!
//! A browser sends a `SameSite=Strict` cookie only with requests started
//! from the dashboard itself; changes are also refused when the request's
//! `Origin` is another site's, for browsers that send the cookie anyway.

use axum::extract::{FromRequestParts, OriginalUri, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::form::Form;
use super::layout::{self, PageError};
use crate::auth::Caller;
use crate::state::AppState;

/// The cookie that carries the signed-in token.
const COOKIE: &str = "monitor_dashboard";

/// How long a sign-in lasts: a working day.
const SIGN_IN_SECONDS: u64 = 12 * 3600;

/// Where the monitor's routes are mounted (empty when served alone, the
/// nesting prefix such as `/monitor` in a service's own router), so pages
/// link to each other wherever they are served.
#[derive(Clone, Debug, Default)]
pub(crate) struct Base(pub(crate) String);

impl Base {
    /// The dashboard path `path` (starting with `/`, or empty for the
    /// overview) under this base.
    pub(crate) fn to(&self, path: &str) -> String {
        format!("{}/dashboard{path}", self.0)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Base {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(base_of(parts.extensions.get::<OriginalUri>().map(|uri| uri.path()), parts.uri.path()))
    }
}

/// The prefix the original path has before the path this router sees.
fn base_of(original: Option<&str>, here: &str) -> Base {
    Base(original.and_then(|original| original.strip_suffix(here)).unwrap_or_default().to_owned())
}

fn token_from_cookies(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| percent_decode_str(value).decode_utf8_lossy().into_owned())
}

/// The cookie holding `value`; `Secure` when the browser reached the
/// server over TLS (through a proxy that says so), so it never travels
/// in clear from then on. On plain loopback HTTP it cannot be.
fn cookie(base: &Base, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let encoded = utf8_percent_encode(value, NON_ALPHANUMERIC);
    let path = base.to("");
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={encoded}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    ))
    .expect("a cookie of percent-encoded text and a path is a valid header value")
}

/// Whether a proxy in front says the browser used HTTPS.
fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// True unless the request names an origin other than the host it is
/// sent to: a page of another site posting a form here.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|value| value.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|value| value.to_str().ok()).unwrap_or_default();
    origin.split_once("://").is_some_and(|(_, authority)| authority == host)
}

/// Lets a request through with its [`Caller`] when its cookie holds a
/// known token; sends a browser without one to the sign-in page.
pub(crate) async fn signed_in(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let base = base_of(request.extensions().get::<OriginalUri>().map(|uri| uri.path()), request.uri().path());
    let Some(caller) = token_from_cookies(request.headers()).and_then(|token| state.config.tokens.authenticate(&token))
    else {
        return Redirect::to(&base.to("/login")).into_response();
    };
    if request.method() != Method::GET && !same_origin(request.headers()) {
        return PageError::new(
            StatusCode::FORBIDDEN,
            "this change was sent from another site: make it from the dashboard",
        )
        .into_response();
    }
    request.extensions_mut().insert::<Caller>(caller);
    next.run(request).await
}

/// `GET /dashboard/login`: the form.
pub(crate) async fn form(base: Base) -> Response {
    layout::sign_in(&base, None).into_response()
}

/// `POST /dashboard/login`: a known token signs in; any other is told so.
pub(crate) async fn sign_in(State(state): State<AppState>, base: Base, headers: HeaderMap, form: Form) -> Response {
    if !same_origin(&headers) {
        return PageError::new(StatusCode::FORBIDDEN, "sign in from the dashboard's own page").into_response();
    }
    let token = form.get("token").unwrap_or_default().trim().to_owned();
    if state.config.tokens.authenticate(&token).is_none() {
        let page = layout::sign_in(&base, Some("That token is not known to this server."));
        return (StatusCode::UNAUTHORIZED, page).into_response();
    }
    let mut response = Redirect::to(&base.to("/")).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie(&base, &token, SIGN_IN_SECONDS, over_tls(&headers)));
    response
}

/// `POST /dashboard/logout`: the cookie is cleared.
pub(crate) async fn sign_out(base: Base, headers: HeaderMap) -> Response {
    let mut response = Redirect::to(&base.to("/login")).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie(&base, "", 0, over_tls(&headers)));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_is_the_prefix_before_the_routes_own_path() {
        assert_eq!(base_of(Some("/monitor/dashboard/errors"), "/dashboard/errors").0, "/monitor");
        assert_eq!(base_of(Some("/dashboard/errors"), "/dashboard/errors").0, "");
        assert_eq!(base_of(None, "/dashboard").to("/login"), "/dashboard/login");
    }

    #[test]
    fn a_cookie_reads_back_what_was_set_and_origins_are_compared() {
        let set = cookie(&Base("/monitor".into()), "a;token=with specials", 60, false);
        let text = set.to_str().unwrap();
        assert!(
            text.contains("Path=/monitor/dashboard") && text.contains("HttpOnly") && text.contains("SameSite=Strict")
        );
        assert!(!text.contains("Secure"), "{text}");
        assert!(cookie(&Base::default(), "t", 60, true).to_str().unwrap().ends_with("; Secure"));
        let mut headers = HeaderMap::new();
        let pair = text.split(';').next().unwrap();
        headers.insert(header::COOKIE, HeaderValue::from_str(&format!("other=1; {pair}")).unwrap());
        assert_eq!(token_from_cookies(&headers).as_deref(), Some("a;token=with specials"));

        assert!(!over_tls(&headers));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(over_tls(&headers));
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:9300"));
        assert!(same_origin(&headers));
        headers.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:9300"));
        assert!(same_origin(&headers));
        headers.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_origin(&headers));
    }
}
