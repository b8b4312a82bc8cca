//! Real servers on loopback for the delivery tests: an HTTP server that
//! plays a platform (its size limits included) and answers as told, and an
//! SMTP server (aiosmtpd, in `smtp`) that keeps what it receives.

#![allow(dead_code, unreachable_pub, unused_imports)]

mod certs;
mod gateway;
mod smtp;

pub use certs::TestCertificate;
pub use gateway::{GatewayEncoding, GatewayRequest, SEGMENT, SmsGateway};
pub use smtp::{Mail, SmtpServer, SmtpTls};

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use monitor_runtime::Notifier;
use monitor_runtime::alerting::Notification;
use monitor_runtime::alerts::{Destination, Target};
use monitor_sinks::delivery::sample_notification;
use monitor_sinks::delivery::{DeliveryNotifier, DeliveryOptions};
use parking_lot::Mutex;
use serde_json::Value;

/// Which platform the server plays: what it refuses as too large.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Slack,
    Discord,
    Teams,
    Generic,
}

impl Platform {
    /// The platform's published limits, as the platform enforces them: a
    /// body over any of them is refused with 400.
    pub fn check(self, body: &[u8]) -> Result<(), String> {
        let json: Value = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
        let chars = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
        let over =
            |what: &str, n: usize, max: usize| if n > max { Err(format!("{what}: {n} > {max}")) } else { Ok(()) };
        match self {
            Platform::Discord => {
                over("content", chars(&json["content"]), 2000)?;
                let embeds = json["embeds"].as_array().cloned().unwrap_or_default();
                over("embeds", embeds.len(), 10)?;
                let mut total = 0;
                for embed in &embeds {
                    over("title", chars(&embed["title"]), 256)?;
                    over("description", chars(&embed["description"]), 4096)?;
                    over("footer", chars(&embed["footer"]["text"]), 2048)?;
                    over("author", chars(&embed["author"]["name"]), 256)?;
                    let fields = embed["fields"].as_array().cloned().unwrap_or_default();
                    over("fields", fields.len(), 25)?;
                    total += chars(&embed["title"])
                        + chars(&embed["description"])
                        + chars(&embed["footer"]["text"])
                        + chars(&embed["author"]["name"]);
                    for field in &fields {
                        // Discord refuses empty names and values as it refuses long ones.
                        if chars(&field["name"]) == 0 || chars(&field["value"]) == 0 {
                            return Err("a field needs a name and a value".into());
                        }
                        over("field name", chars(&field["name"]), 256)?;
                        over("field value", chars(&field["value"]), 1024)?;
                        total += chars(&field["name"]) + chars(&field["value"]);
                    }
                }
                over("embed total", total, 6000)
            }
            Platform::Slack => {
                let mut blocks: Vec<Value> = json["blocks"].as_array().cloned().unwrap_or_default();
                for attachment in json["attachments"].as_array().cloned().unwrap_or_default() {
                    blocks.extend(attachment["blocks"].as_array().cloned().unwrap_or_default());
                }
                over("blocks", blocks.len(), 50)?;
                for block in &blocks {
                    match block["type"].as_str().unwrap_or_default() {
                        "header" => over("header", chars(&block["text"]["text"]), 150)?,
                        "section" => {
                            over("section text", chars(&block["text"]["text"]), 3000)?;
                            let fields = block["fields"].as_array().cloned().unwrap_or_default();
                            over("section fields", fields.len(), 10)?;
                            for field in &fields {
                                over("section field", chars(&field["text"]), 2000)?;
                            }
                        }
                        "context" => {
                            let elements = block["elements"].as_array().cloned().unwrap_or_default();
                            over("context elements", elements.len(), 10)?;
                            for element in elements {
                                over("context text", chars(&element["text"]), 3000)?;
                            }
                        }
                        _ => {}
                    }
                }
                over("text", chars(&json["text"]), 40_000)
            }
            Platform::Teams => over("payload bytes", body.len(), 28 * 1024),
            Platform::Generic => Ok(()),
        }
    }
}

/// How the server answers one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 200 with `{}` (Discord: also its rate-limit headers, bucket not empty).
    Ok,
    /// This status, nothing else.
    Status(u16),
    /// 429 with this `Retry-After` header.
    RetryAfter(String),
    /// 429 with a `Retry-After` date this long after the answer, rounded up
    /// to a whole second (HTTP dates have no fractions), so the date sent
    /// is exactly the date meant.
    RetryAfterDate(Duration),
    /// 429 with Discord's JSON body `retry_after` (seconds), no header.
    DiscordRetryAfter(f64),
    /// 200 saying the rate-limit bucket is empty for this many seconds.
    BucketEmpty(f64),
    /// Never answers.
    Hang,
    /// Closes the connection without an answer.
    Close,
}

/// One request the server saw.
#[derive(Clone, Debug)]
pub struct Received {
    /// When the request reached the server (before its body was read).
    pub at: Instant,
    /// The same moment on the wall clock, for comparing with HTTP dates.
    pub wall: SystemTime,
    /// The `Retry-After` header answered, if any.
    pub retry_after: Option<String>,
    pub path: String,
    pub body: Value,
    /// The status answered; 0 when it hung or closed the connection.
    pub status: u16,
}

impl Received {
    /// The notification key the body carries.
    pub fn key(&self) -> String {
        key_of(&self.body)
    }
}

/// The notification key in any body: `notification_key` in the generic
/// schema, the `notification <key>` text elsewhere.
pub fn key_of(body: &Value) -> String {
    if let Some(key) = body["notification_key"].as_str() {
        return key.to_owned();
    }
    let text = body.to_string();
    let Some(at) = text.find("notification ") else { return String::new() };
    text[at + "notification ".len()..]
        .trim_start_matches('`')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[derive(Debug)]
struct State {
    platform: Platform,
    script: VecDeque<Reply>,
    default: Reply,
    received: Vec<Received>,
}

/// An HTTP server on loopback playing a platform.
pub struct WebhookServer {
    server: Loopback,
    state: Arc<Mutex<State>>,
}

impl WebhookServer {
    pub fn start(platform: Platform) -> Self {
        let state =
            Arc::new(Mutex::new(State { platform, script: VecDeque::new(), default: Reply::Ok, received: Vec::new() }));
        WebhookServer { server: Loopback::serve(state.clone(), answer), state }
    }

    /// The URL of `path` (which plays the webhook's secret token).
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// Answers the next requests so, in order, then as by default.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.lock().script.extend(replies);
    }

    /// How requests are answered once the script is used up.
    pub fn set_default(&self, reply: Reply) {
        self.state.lock().default = reply;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().received.clone()
    }

    /// Keys of the notifications accepted (2xx), in order, each once.
    pub fn delivered_keys(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.received()
            .iter()
            .filter(|r| (200..300).contains(&r.status))
            .map(Received::key)
            .filter(|key| seen.insert(key.clone()))
            .collect()
    }
}

/// An HTTP server on a loopback port of its own thread, answering each
/// request with `answer` over the shared `state`, until dropped.
pub struct Loopback {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Loopback {
    pub fn serve<S, A, F>(state: Arc<Mutex<S>>, answer: A) -> Loopback
    where
        S: Send + 'static,
        A: Fn(Request<Incoming>, Arc<Mutex<S>>) -> F + Copy + Send + Sync + 'static,
        F: std::future::Future<Output = Result<Response<Full<Bytes>>, std::io::Error>> + Send + 'static,
    {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, addr) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                ready.send(listener.local_addr().unwrap()).unwrap();
                let serve = async {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else { continue };
                        let state = state.clone();
                        tokio::spawn(async move {
                            let service = hyper::service::service_fn(move |request| answer(request, state.clone()));
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                                .await;
                        });
                    }
                };
                tokio::select! {
                    () = serve => {}
                    _ = stopped => {}
                }
            });
        });
        Loopback { addr: addr.recv().unwrap(), stop: Some(stop) }
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn answer(request: Request<Incoming>, state: Arc<Mutex<State>>) -> Result<Response<Full<Bytes>>, std::io::Error> {
    // Taken first: pacing is about when requests start, not when their
    // bodies have been read.
    let (at, wall) = (Instant::now(), SystemTime::now());
    let path = request.uri().path().to_owned();
    let body = request.into_body().collect().await.map_err(std::io::Error::other)?.to_bytes();
    let (platform, reply) = {
        let mut state = state.lock();
        let reply = state.script.pop_front().unwrap_or_else(|| state.default.clone());
        (state.platform, reply)
    };
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let record_with = |status: u16, retry_after: Option<String>| {
        state.lock().received.push(Received { at, wall, retry_after, path: path.clone(), body: json.clone(), status });
    };
    let record = |status: u16| record_with(status, None);
    // Like the platform: a body over its limits is refused whatever else.
    if let Err(why) = platform.check(&body) {
        record(400);
        return Ok(respond(400, &[], format!("{{\"error\":\"{why}\"}}")));
    }
    match reply {
        Reply::Ok => {
            record(200);
            let headers: &[(&str, String)] = if platform == Platform::Discord {
                &[("x-ratelimit-remaining", "4".into()), ("x-ratelimit-reset-after", "1.0".into())]
            } else {
                &[]
            };
            Ok(respond(200, headers, "{}".into()))
        }
        Reply::Status(status) => {
            record(status);
            Ok(respond(status, &[], "{}".into()))
        }
        Reply::RetryAfter(value) => {
            record_with(429, Some(value.clone()));
            Ok(respond(429, &[("retry-after", value)], "{}".into()))
        }
        Reply::RetryAfterDate(after) => {
            let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            let whole_second = UNIX_EPOCH + Duration::from_secs(since_epoch.as_secs() + 1);
            let value = httpdate::fmt_http_date(whole_second + after);
            record_with(429, Some(value.clone()));
            Ok(respond(429, &[("retry-after", value)], "{}".into()))
        }
        Reply::DiscordRetryAfter(seconds) => {
            record(429);
            let body =
                format!("{{\"message\":\"You are being rate limited.\",\"retry_after\":{seconds},\"global\":false}}");
            Ok(respond(429, &[], body))
        }
        Reply::BucketEmpty(seconds) => {
            record(200);
            Ok(respond(
                200,
                &[("x-ratelimit-remaining", "0".into()), ("x-ratelimit-reset-after", seconds.to_string())],
                "{}".into(),
            ))
        }
        Reply::Hang => {
            record(0);
            std::future::pending::<()>().await;
            unreachable!()
        }
        Reply::Close => {
            record(0);
            // An error from the service makes hyper drop the connection unanswered.
            Err(std::io::Error::other("closing the connection on purpose"))
        }
    }
}

fn respond(status: u16, headers: &[(&str, String)], body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    for (name, value) in headers {
        response
            .headers_mut()
            .insert(hyper::header::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
    }
    response
}

/// A notification for `destination` with `key`, numbered in its message.
pub fn notification(destination: &str, key: &str) -> Arc<Notification> {
    let mut notification = sample_notification(format!("card declined for invoice {key}"));
    notification.key = key.to_owned();
    notification.destination = destination.to_owned();
    Arc::new(notification)
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
pub async fn eventually(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition()
}

/// A started notifier for one destination.
pub fn start_sink(name: &str, target: Target, options: &DeliveryOptions) -> DeliveryNotifier {
    DeliveryNotifier::new(&Destination { name: name.into(), target, per_minute: None }, options).unwrap()
}

/// Hands notifications with these keys to the notifier; one its queue
/// refuses is counted by the notifier.
pub async fn send(sink: &DeliveryNotifier, keys: &[String]) {
    for key in keys {
        let _ = sink.notify(notification(sink.destination(), key));
    }
}

/// The keys of the records waiting in a destination's spool, oldest first.
pub fn spooled_keys(dir: &Path, destination: &str) -> Vec<String> {
    monitor_sinks::spool::pending(dir, destination).unwrap().into_iter().map(|r| r.key).collect()
}

/// A fresh directory for a spool.
pub fn spool_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Unique keys for a test.
pub fn keys(prefix: &str, n: usize) -> Vec<String> {
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() % 1_000_000;
    (0..n).map(|i| format!("{prefix}-{stamp}-{i:04}")).collect()
}
