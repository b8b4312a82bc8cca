//! The middleware on a real axum server over loopback, called by a real
//! HTTP client, with an installed monitor collecting what it captures.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Path};
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use monitor_http::{MonitorLayer, RequestId, TAG_METHOD, TAG_REQUEST_ID, TAG_ROUTE, TAG_STATUS};
use monitor_runtime::{Event, EventKind, MemorySink, Monitor, MonitorGuard, Severity, callsites};
use tokio::sync::Notify;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// One monitor per process at a time: the tests of this file take turns.
static SERIAL: Mutex<()> = Mutex::new(());

struct Monitored {
    _serial: MutexGuard<'static, ()>,
    sink: MemorySink,
    guard: MonitorGuard,
    runtime: tokio::runtime::Runtime,
}

impl Monitored {
    fn start() -> Self {
        let serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let sink = MemorySink::new();
        let guard = Monitor::builder().service("invoices").sink(sink.clone()).install().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        Monitored { _serial: serial, sink, guard, runtime }
    }

    /// Shuts the monitor down (delivering everything) and returns what the
    /// sink received and how many occurrences were captured.
    fn finish(self) -> (Vec<Arc<Event>>, u64) {
        let stats = self.guard.shutdown();
        (self.sink.events(), stats.captured)
    }
}

async fn invoice(Path(id): Path<u32>) -> String {
    format!("invoice {id}")
}

async fn whoami(Extension(id): Extension<RequestId>) -> String {
    id.to_string()
}

async fn unavailable() -> impl IntoResponse {
    (StatusCode::SERVICE_UNAVAILABLE, "ledger is down")
}

async fn panics() -> &'static str {
    tokio::task::yield_now().await;
    panic!("invoice store unreachable");
}

async fn captures() -> &'static str {
    tokio::task::yield_now().await;
    monitor_runtime::capture_error(&std::io::Error::other("exchange rate feed stale"));
    "captured"
}

/// Three chunks; the last two only once the client says it has the first.
fn streaming(client_has_first: Arc<Notify>) -> Router {
    Router::new().route(
        "/stream",
        get(move || {
            let client_has_first = client_has_first.clone();
            async move {
                let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, Infallible>>(1);
                tokio::spawn(async move {
                    let _ = sender.send(Ok(Bytes::from_static(b"first;"))).await;
                    client_has_first.notified().await;
                    let _ = sender.send(Ok(Bytes::from_static(b"second;"))).await;
                    let _ = sender.send(Ok(Bytes::from_static(b"third"))).await;
                });
                let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(receiver));
                (
                    [
                        (header::CONTENT_TYPE, "text/event-stream"),
                        (header::HeaderName::from_static("x-custom"), "kept"),
                    ],
                    body,
                )
            }
        }),
    )
}

fn app(client_has_first: Arc<Notify>) -> Router {
    Router::new()
        .route("/invoices/{id}", get(invoice))
        .route("/whoami", get(whoami))
        .route("/unavailable", get(unavailable))
        .route("/panics", get(panics))
        .route("/captures", get(captures))
        .merge(streaming(client_has_first))
        .layer(MonitorLayer::new())
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

fn client() -> Client<HttpConnector, Empty<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

async fn get_with(address: SocketAddr, path: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::get(format!("http://{address}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client().request(request.body(Empty::new()).unwrap()).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (parts.status, parts.headers, String::from_utf8(body.to_vec()).unwrap())
}

/// (calls, errors, panics) of a call site so far (call sites live as long as
/// the process, which the tests of this file share under `cargo test`).
fn counts(function: &str) -> (u64, u64, u64) {
    callsites().into_iter().find(|s| s.function == function).map_or((0, 0, 0), |s| (s.calls, s.errors, s.panics))
}

fn tag<'a>(event: &'a Event, key: &str) -> Option<&'a str> {
    event.context.tags.get(key).map(String::as_str)
}

fn is_generated_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[test]
fn request_id_is_echoed_when_sane_and_generated_otherwise() {
    let monitored = Monitored::start();
    monitored.runtime.block_on(async {
        let address = serve(app(Arc::default())).await;

        let (status, headers, body) = get_with(address, "/whoami", &[("x-request-id", "checkout-7f3a")]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["x-request-id"], "checkout-7f3a");
        assert_eq!(body, "checkout-7f3a", "the handler sees the same id in the request's extensions");

        let (_, headers, body) = get_with(address, "/whoami", &[]).await;
        let generated = headers["x-request-id"].to_str().unwrap();
        assert!(is_generated_id(generated), "{generated}");
        assert_eq!(body, generated);

        let too_long = "a".repeat(200);
        for invalid in ["has spaces in it", too_long.as_str()] {
            let (_, headers, body) = get_with(address, "/whoami", &[("x-request-id", invalid)]).await;
            let replaced = headers["x-request-id"].to_str().unwrap();
            assert!(is_generated_id(replaced), "{invalid:?} was replaced by {replaced}");
            assert_eq!(body, replaced);
        }

        let (_, first, _) = get_with(address, "/whoami", &[]).await;
        let (_, second, _) = get_with(address, "/whoami", &[]).await;
        assert_ne!(first["x-request-id"], second["x-request-id"]);
    });
    let (events, captured) = monitored.finish();
    assert_eq!((events.len(), captured), (0, 0), "200s are not captured: {events:?}");
}

#[test]
fn the_trace_id_and_request_tags_reach_what_the_handler_captures() {
    let monitored = Monitored::start();
    monitored.runtime.block_on(async {
        let address = serve(app(Arc::default())).await;
        let headers = [("traceparent", TRACEPARENT), ("x-request-id", "trace-test-1")];
        let (status, _, _) = get_with(address, "/captures", &headers).await;
        assert_eq!(status, StatusCode::OK);
    });
    let (events, captured) = monitored.finish();
    assert_eq!(captured, 1);
    let event = &events[0];
    assert_eq!(event.kind, EventKind::Error);
    assert_eq!(event.context.trace_id.as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert_eq!(event.context.service.as_deref(), Some("invoices"), "the monitor's own context is kept");
    assert_eq!(tag(event, TAG_REQUEST_ID), Some("trace-test-1"));
    assert_eq!(tag(event, TAG_METHOD), Some("GET"));
    assert_eq!(tag(event, TAG_ROUTE), Some("/captures"));
}

#[test]
fn an_invalid_traceparent_gives_no_trace_id() {
    let monitored = Monitored::start();
    monitored.runtime.block_on(async {
        let address = serve(app(Arc::default())).await;
        let uppercase = TRACEPARENT.to_uppercase();
        let (status, _, _) = get_with(address, "/captures", &[("traceparent", uppercase.as_str())]).await;
        assert_eq!(status, StatusCode::OK);
    });
    let (events, _) = monitored.finish();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].context.trace_id, None);
}

#[test]
fn a_server_error_is_captured_with_method_route_and_status() {
    let before = counts("GET /unavailable");
    let monitored = Monitored::start();
    monitored.runtime.block_on(async {
        let address = serve(app(Arc::default())).await;
        let (status, headers, body) = get_with(address, "/unavailable", &[("x-request-id", "r-503")]).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, "ledger is down", "the body is the handler's");
        assert_eq!(headers["x-request-id"], "r-503");
    });
    let (events, captured) = monitored.finish();
    assert_eq!(captured, 1);
    let event = &events[0];
    assert_eq!(event.kind, EventKind::Error);
    assert_eq!(event.severity, Severity::Error);
    assert_eq!((event.location.module.as_ref(), event.location.function.as_ref()), ("http", "GET /unavailable"));
    assert!(event.message.contains("503"), "{}", event.message);
    assert_eq!(tag(event, TAG_STATUS), Some("503"));
    assert_eq!(tag(event, TAG_METHOD), Some("GET"));
    assert_eq!(tag(event, TAG_ROUTE), Some("/unavailable"));
    assert_eq!(tag(event, TAG_REQUEST_ID), Some("r-503"));
    let after = counts("GET /unavailable");
    assert_eq!((after.0 - before.0, after.1 - before.1), (1, 1), "one call, one error");
}

#[test]
fn a_panicking_handler_answers_500_and_is_captured_once() {
    let before = counts("GET /panics");
    let monitored = Monitored::start();
    monitored.runtime.block_on(async {
        let address = serve(app(Arc::default())).await;
        let (status, headers, body) = get_with(address, "/panics", &[("x-request-id", "r-panic")]).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(headers["x-request-id"], "r-panic");
        assert_eq!(body, "");
        let (status, _, body) = get_with(address, "/invoices/5", &[]).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "invoice 5"), "the server goes on serving");
    });
    let (events, captured) = monitored.finish();
    assert_eq!(captured, 1, "one panic, captured once: {events:?}");
    let panics: Vec<_> = events.iter().filter(|e| e.kind == EventKind::Panic).collect();
    assert_eq!(panics.len(), 1);
    let event = panics[0];
    assert_eq!(event.location.function, "GET /panics");
    assert!(event.message.contains("invoice store unreachable"), "{}", event.message);
    assert_eq!(tag(event, TAG_ROUTE), Some("/panics"));
    assert_eq!(tag(event, TAG_REQUEST_ID), Some("r-panic"));
    let after = counts("GET /panics");
    assert_eq!((after.0 - before.0, after.2 - before.2), (1, 1), "one call, one panic");
}

#[test]
fn requests_are_timed_by_route_template() {
    let before = counts("GET /invoices/{id}");
    let monitored = Monitored::start();
    monitored.runtime.block_on(async {
        let address = serve(app(Arc::default())).await;
        for id in [1, 2] {
            let (status, _, body) = get_with(address, &format!("/invoices/{id}"), &[]).await;
            assert_eq!((status, body), (StatusCode::OK, format!("invoice {id}")));
        }
    });
    let (events, captured) = monitored.finish();
    assert_eq!((events.len(), captured), (0, 0), "200s are not captured");
    let after = counts("GET /invoices/{id}");
    assert_eq!((after.0 - before.0, after.1 - before.1), (2, 0));
    let site = callsites().into_iter().find(|s| s.function == "GET /invoices/{id}").unwrap();
    assert_eq!(site.module, "http");
    assert!(site.total_duration > Duration::ZERO);
    assert!(callsites().iter().all(|s| !s.function.contains("/invoices/1") && !s.function.contains("/invoices/2")));
}

#[test]
fn unmatched_paths_share_one_call_site() {
    let before = counts("GET unmatched");
    let monitored = Monitored::start();
    monitored.runtime.block_on(async {
        let address = serve(app(Arc::default())).await;
        for path in ["/no-such-page-4711", "/wp-admin/setup-config.php", "/invoices"] {
            let (status, headers, _) = get_with(address, path, &[]).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert!(is_generated_id(headers["x-request-id"].to_str().unwrap()), "404s get an id too");
        }
    });
    let (events, captured) = monitored.finish();
    assert_eq!((events.len(), captured), (0, 0), "404s are not captured");
    let after = counts("GET unmatched");
    assert_eq!(after.0 - before.0, 3);
    let names: Vec<_> = callsites().into_iter().map(|s| s.function).collect();
    assert!(names.iter().all(|name| !name.contains("4711") && !name.contains("wp-admin")), "{names:?}");
}

#[test]
fn a_streaming_body_passes_through_as_a_stream() {
    let monitored = Monitored::start();
    monitored.runtime.block_on(async {
        let client_has_first = Arc::new(Notify::new());
        let address = serve(app(client_has_first.clone())).await;
        let request = Request::get(format!("http://{address}/stream")).body(Empty::new()).unwrap();
        let response = client().request(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/event-stream");
        assert_eq!(response.headers()["x-custom"], "kept");
        assert!(response.headers().get(header::CONTENT_LENGTH).is_none(), "not buffered into a sized body");
        let mut body = response.into_body();
        // The server sends the rest only after this: a middleware that
        // buffered the body would never let the first chunk through.
        let first = tokio::time::timeout(Duration::from_secs(10), body.frame()).await.expect("first chunk in time");
        assert_eq!(first.unwrap().unwrap().into_data().unwrap(), "first;");
        client_has_first.notify_one();
        let rest = body.collect().await.unwrap().to_bytes();
        assert_eq!(rest, "second;third");
    });
    let (events, _) = monitored.finish();
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn an_error_instead_of_a_response_is_captured_and_passed_on() {
    use tower::{ServiceExt, service_fn};

    let before = counts("POST unmatched");
    let monitored = Monitored::start();
    let result = monitored.runtime.block_on(async {
        let refuses = service_fn(|_: Request<Body>| async {
            Err::<axum::response::Response, _>(std::io::Error::other("upstream reset"))
        });
        let request = Request::post("/anything").body(Body::empty()).unwrap();
        monitor_http::MonitorService::new(refuses).oneshot(request).await
    });
    assert_eq!(result.unwrap_err().to_string(), "upstream reset", "the error reaches the caller unchanged");
    let (events, captured) = monitored.finish();
    assert_eq!(captured, 1);
    assert_eq!(events[0].location.function, "POST unmatched");
    assert!(events[0].message.contains("upstream reset"), "{}", events[0].message);
    let after = counts("POST unmatched");
    assert_eq!((after.0 - before.0, after.1 - before.1), (1, 1));
}
