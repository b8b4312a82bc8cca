//! The dashboard: server-rendered pages over the same store, roles and
//! filters as the API, for people in a browser. Its stylesheet and its
//! one small script are compiled into the binary; charts are SVG drawn on
//! the server; nothing is fetched from anywhere else.
//!
//! | route | role |
//! |---|---|
//! | `GET`, `POST /dashboard/login`, `POST /dashboard/logout` | public |
//! | `GET /dashboard/assets/…` | public |
//! | `GET /dashboard/`, `/dashboard/errors`, `/dashboard/groups/{key}`, `/dashboard/performance`, `/dashboard/alerts`, `/dashboard/audit` | viewer |
//! | `GET /dashboard/cards` (the overview's numbers as JSON, for its script) | viewer |
//! | `GET /dashboard/stream` (the live stream, signed in by cookie) | viewer |
//! | `POST /dashboard/groups`, `/dashboard/groups/{key}`, `/dashboard/alerts/{id}/ack` | operator |
//!
//! A page shows a role only what it may do; a change posted anyway by a
//! role that may not is refused with 403, as the API refuses it.

mod alerts;
mod audit;
mod chart;
mod errors;
mod form;
mod group;
mod layout;
mod overview;
mod performance;
mod session;

use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::layers;
use crate::routes::stream;
use crate::state::AppState;
use session::Base;

const STYLESHEET: &str = include_str!("assets/dashboard.css");
const SCRIPT: &str = include_str!("assets/dashboard.js");

/// The dashboard's routes, with their own sign-in: pages answer HTML,
/// never problems, so they are merged beside the API's routes.
pub(crate) fn routes(state: AppState, request_timeout: Duration) -> Router<AppState> {
    let pages = Router::new()
        .route("/dashboard/", get(overview::page))
        .route("/dashboard/cards", get(overview::cards))
        .route("/dashboard/errors", get(errors::page))
        .route("/dashboard/groups", post(errors::change_selected))
        .route("/dashboard/groups/{key}", get(group::page).post(group::change))
        .route("/dashboard/performance", get(performance::page))
        .route("/dashboard/alerts", get(alerts::page))
        .route("/dashboard/alerts/{id}/ack", post(alerts::acknowledge))
        .route("/dashboard/audit", get(audit::page))
        // The API's own export, signed in by the cookie: an admin's download.
        .route("/dashboard/audit/export", get(crate::routes::admin::audit_export))
        .layer(from_fn_with_state(request_timeout, layers::time_limit))
        // The stream does not end: no time limit.
        .route("/dashboard/stream", get(stream::news))
        .route_layer(from_fn_with_state(state, session::signed_in))
        .layer(map_response(private));
    Router::new()
        .route("/dashboard", get(|base: Base| async move { Redirect::to(&base.to("/")) }))
        .route("/dashboard/login", get(session::form).post(session::sign_in))
        .route("/dashboard/logout", post(session::sign_out))
        .route("/dashboard/assets/dashboard.css", get(|| async { asset("text/css; charset=utf-8", STYLESHEET) }))
        .route("/dashboard/assets/dashboard.js", get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }))
        .merge(pages)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// Pages hold what only a signed-in caller may read: no shared cache
/// keeps them, and no other site frames them.
async fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode};
    use monitor_sinks::sqlite::SqliteStore;
    use tower::ServiceExt;

    use crate::ServerConfig;
    use crate::auth::{Role, Tokens};

    const TOKEN: &str = "viewer-token-0123456789abcdef";

    /// A service nests the monitor's router under its own prefix: the
    /// pages link, redirect and scope their cookie under it.
    #[tokio::test]
    async fn the_dashboard_works_under_the_prefix_it_is_mounted_at() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path().join("monitor.db")).unwrap().shared());
        let tokens = Tokens::none().with("grafana", Role::Viewer, TOKEN).unwrap();
        let app = axum::Router::new().nest("/monitor", crate::router(store, ServerConfig::new(tokens)));
        let get = |path: &str, cookie: Option<&str>| {
            let mut request = Request::get(path);
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            app.clone().oneshot(request.body(Body::empty()).unwrap())
        };

        let anonymous = get("/monitor/dashboard/errors", None).await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
        assert_eq!(anonymous.headers()["location"], "/monitor/dashboard/login");

        let signed_in = get("/monitor/dashboard/errors", Some(&format!("monitor_dashboard={TOKEN}"))).await.unwrap();
        assert_eq!(signed_in.status(), StatusCode::OK);
        assert_eq!(signed_in.headers()["cache-control"], "no-store");
        let page = String::from_utf8(to_bytes(signed_in.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
        assert!(page.contains(r#"href="/monitor/dashboard/assets/dashboard.css""#), "{page}");
        assert!(page.contains("grafana · viewer") && page.contains("No group matches"), "{page}");

        let css = get("/monitor/dashboard/assets/dashboard.css", None).await.unwrap();
        assert_eq!(css.status(), StatusCode::OK);
        assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    }
}
