//! The layer, its service, and the future that answers each request.
//!
//! A request's call is timed by a runtime call guard, like a `#[monitor]`
//! function's, inside a context scope that the future sets each time it is
//! polled. A panic in the inner future unwinds through [`Monitored`], which
//! drops the guard while the panic is in flight (so it records a panic,
//! once, with the request's context), and is caught one level up by
//! [`ResponseFuture`], which answers 500 instead.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use axum::extract::MatchedPath;
use axum::http::{Request, Response, StatusCode};
use monitor_runtime::__private::{CallGuard, ObserveError, Probe};
use monitor_runtime::{Context, ContextExt, WithContext};
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use crate::request_id::{RequestId, X_REQUEST_ID};
use crate::routes::{self, UNMATCHED};
use crate::traceparent::{TRACEPARENT, TraceParent};

/// The context tag holding the request id.
pub const TAG_REQUEST_ID: &str = "request_id";
/// The context tag holding the request's method.
pub const TAG_METHOD: &str = "http.method";
/// The context tag holding the route template (`/invoices/{id}`), or
/// `unmatched` when no route matched.
pub const TAG_ROUTE: &str = "http.route";
/// The context tag holding the status of a 5xx response, on its event.
pub const TAG_STATUS: &str = "http.status";

/// Monitors every request of the service it wraps: a request id, the
/// caller's trace id, a context scope, per-route timing, and captured 5xx
/// responses and panics. See the [crate documentation](crate).
///
/// Add it with [`Router::layer`](axum::Router::layer), so that it sees the
/// route each request matched; around a whole router (outside it) every
/// request is `unmatched`.
///
/// ```
/// use axum::{Router, routing::get};
/// use monitor_http::MonitorLayer;
///
/// let app: Router = Router::new().route("/health", get(|| async { "ok" })).layer(MonitorLayer::new());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct MonitorLayer {
    _private: (),
}

impl MonitorLayer {
    /// The layer.
    pub fn new() -> Self {
        MonitorLayer { _private: () }
    }
}

impl<S> Layer<S> for MonitorLayer {
    type Service = MonitorService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MonitorService { inner }
    }
}

/// The service [`MonitorLayer`] wraps around another.
///
/// ```
/// use std::convert::Infallible;
/// use axum::body::Body;
/// use axum::http::{Request, Response};
/// use monitor_http::{MonitorService, RequestId};
/// use tower::{ServiceExt, service_fn};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let echo = service_fn(|request: Request<Body>| async move {
///     let id = request.extensions().get::<RequestId>().unwrap().clone();
///     Ok::<_, Infallible>(Response::new(Body::from(id.to_string())))
/// });
/// let request = Request::get("/").header("x-request-id", "order-66").body(Body::empty()).unwrap();
/// let response = MonitorService::new(echo).oneshot(request).await.unwrap();
/// assert_eq!(response.headers()["x-request-id"], "order-66");
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct MonitorService<S> {
    inner: S,
}

impl<S> MonitorService<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        MonitorService { inner }
    }
}

impl<S, B, ResBody> Service<Request<B>> for MonitorService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    S::Error: fmt::Display,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let request_id = RequestId::from_headers_or_generate(request.headers());
        let trace_parent = {
            let mut values = request.headers().get_all(TRACEPARENT).iter();
            match (values.next(), values.next()) {
                (Some(value), None) => value.to_str().ok().and_then(|text| TraceParent::parse(text).ok()),
                _ => None,
            }
        };
        let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
        let site = routes::site(request.method(), route);
        let mut context = Context::new()
            .tag(TAG_REQUEST_ID, request_id.as_str())
            .tag(TAG_METHOD, request.method().as_str())
            .tag(TAG_ROUTE, route.unwrap_or(UNMATCHED));
        if let Some(parent) = trace_parent {
            context = context.trace_id(parent.trace_id_hex());
            request.extensions_mut().insert(parent);
        }
        request.extensions_mut().insert(request_id.clone());
        let guard = CallGuard::enter_async(site);
        let monitored = Monitored { future: self.inner.call(request), guard: Some(guard) };
        ResponseFuture { inner: monitored.with_context(context), request_id }
    }
}

/// The response to one request: the inner service's, with `X-Request-Id`
/// added when it has none, or a 500 when the inner service panicked.
pub struct ResponseFuture<F> {
    inner: WithContext<Monitored<F>>,
    request_id: RequestId,
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").field("request_id", &self.request_id).finish_non_exhaustive()
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    E: fmt::Display,
    ResBody: Default,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let polled = panic::catch_unwind(AssertUnwindSafe(|| Pin::new(&mut this.inner).poll(cx)));
        let mut response = match polled {
            Ok(Poll::Ready(Ok(response))) => response,
            Ok(other) => return other,
            // Already recorded, as a panic, by the call guard the unwinding dropped.
            Err(_payload) => {
                let mut response = Response::new(ResBody::default());
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                response
            }
        };
        if !response.headers().contains_key(X_REQUEST_ID) {
            response.headers_mut().insert(X_REQUEST_ID, this.request_id.header_value().clone());
        }
        Poll::Ready(Ok(response))
    }
}

pin_project! {
    /// The inner service's future with the request's call guard.
    struct Monitored<F> {
        #[pin]
        future: F,
        guard: Option<CallGuard>,
    }
}

/// Drops the call guard if the poll it watches unwinds, so the guard sees
/// the panic (its own `Drop` asks `std::thread::panicking`).
struct EndOnUnwind<'a> {
    guard: &'a mut Option<CallGuard>,
    armed: bool,
}

impl Drop for EndOnUnwind<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.guard.take();
        }
    }
}

impl<F, ResBody, E> Future for Monitored<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    E: fmt::Display,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut unwinding = EndOnUnwind { guard: this.guard, armed: true };
        let polled = this.future.poll(cx);
        unwinding.armed = false;
        let Poll::Ready(result) = polled else { return Poll::Pending };
        if let Some(guard) = unwinding.guard.take() {
            match &result {
                Ok(response) if response.status().is_server_error() => {
                    let status = response.status();
                    let _status = Context::new().tag(TAG_STATUS, status.as_str()).enter();
                    let failed: Result<(), ServerErrorStatus> = Err(ServerErrorStatus { status });
                    (&&&&&&Probe(&failed)).__monitor_observe(&guard);
                }
                Ok(_) => guard.complete(),
                Err(error) => {
                    let failed: Result<(), ServiceError> = Err(ServiceError { message: error.to_string() });
                    (&&&&&&Probe(&failed)).__monitor_observe(&guard);
                }
            }
            // Recorded now, in the request's context, rather than whenever
            // the response future is dropped.
            drop(guard);
        }
        Poll::Ready(result)
    }
}

/// A response with a 5xx status, as its event says it. The route is the
/// event's location, and stays out of the message: the fingerprint would
/// mask parts of a template such as `/invoices/{id}`.
#[derive(Debug)]
struct ServerErrorStatus {
    status: StatusCode,
}

impl fmt::Display for ServerErrorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "responded {}", self.status)
    }
}

impl StdError for ServerErrorStatus {}

/// An error the inner service returned instead of a response.
#[derive(Debug)]
struct ServiceError {
    message: String,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failed without a response: {}", self.message)
    }
}

impl StdError for ServiceError {}
