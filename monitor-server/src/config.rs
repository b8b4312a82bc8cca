//! How the API is served: who may call it, what it accepts, how long it
//! waits. The defaults are safe for a server on a private network: no
//! CORS, small bodies, short timeouts, a bounded number of requests and
//! live streams at once.

use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::Tokens;
use crate::webhook::WebhookSecret;

/// The API's settings. Build with [`ServerConfig::new`] and the methods
/// that follow it.
///
/// ```
/// use std::time::Duration;
/// use monitor_server::ServerConfig;
/// use monitor_server::auth::{Role, Tokens};
///
/// let tokens = Tokens::none().with("ops", Role::Operator, "a-long-random-token-of-32-chars!").unwrap();
/// let config = ServerConfig::new(tokens).request_timeout(Duration::from_secs(10)).cors_origin("https://ops.example.com");
/// assert_eq!(config.cors_origins, ["https://ops.example.com"]);
/// ```
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The tokens the API accepts.
    pub tokens: Tokens,
    /// Origins a browser may call the API from; none: CORS off.
    pub cors_origins: Vec<String>,
    /// Largest request body accepted (default 64 KiB).
    pub body_limit: usize,
    /// A request that takes longer is answered 408 (default 30 s). The
    /// live stream is exempt.
    pub request_timeout: Duration,
    /// Requests served at once; more wait (default 64).
    pub concurrency_limit: usize,
    /// Live streams open at once; more are refused with 503 (default 32).
    pub max_streams: usize,
    /// How often a live stream asks the store for news (default 1 s).
    pub stream_poll: Duration,
    /// How often a quiet stream sends a heartbeat (default 15 s).
    pub stream_heartbeat: Duration,
    /// News waiting for a slow stream client; when it is full, the client
    /// is dropped (it may resume with `Last-Event-ID`). Default 256.
    pub stream_buffer: usize,
    /// The shared secret signed webhooks are checked with; none: the
    /// intake refuses every call.
    pub webhook_secret: Option<WebhookSecret>,
    /// How far a webhook's timestamp may be from the server's clock
    /// (default 5 minutes): older deliveries are replays.
    pub webhook_window: Duration,
    /// Largest webhook body accepted (default 256 KiB).
    pub webhook_body_limit: usize,
    /// Where `/metrics` reads the monitor's metrics from; none: `/metrics`
    /// answers 404.
    pub metrics: Option<PrometheusHandle>,
}

impl ServerConfig {
    /// The defaults, with these tokens.
    pub fn new(tokens: Tokens) -> Self {
        ServerConfig {
            tokens,
            cors_origins: Vec::new(),
            body_limit: 64 * 1024,
            request_timeout: Duration::from_secs(30),
            concurrency_limit: 64,
            max_streams: 32,
            stream_poll: Duration::from_secs(1),
            stream_heartbeat: Duration::from_secs(15),
            stream_buffer: 256,
            webhook_secret: None,
            webhook_window: Duration::from_secs(300),
            webhook_body_limit: 256 * 1024,
            metrics: None,
        }
    }

    /// Lets a browser on `origin` call the API.
    pub fn cors_origin(mut self, origin: impl Into<String>) -> Self {
        self.cors_origins.push(origin.into());
        self
    }

    /// Sets the largest request body.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Sets the request timeout.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets how many requests are served at once.
    pub fn concurrency_limit(mut self, requests: usize) -> Self {
        self.concurrency_limit = requests.max(1);
        self
    }

    /// Sets how many live streams may be open at once.
    pub fn max_streams(mut self, streams: usize) -> Self {
        self.max_streams = streams;
        self
    }

    /// Sets how often streams poll the store and send heartbeats.
    pub fn stream_timing(mut self, poll: Duration, heartbeat: Duration) -> Self {
        self.stream_poll = poll;
        self.stream_heartbeat = heartbeat;
        self
    }

    /// Sets how much news may wait for a slow stream client.
    pub fn stream_buffer(mut self, items: usize) -> Self {
        self.stream_buffer = items.max(1);
        self
    }

    /// Accepts webhooks signed with `secret`.
    pub fn webhook_secret(mut self, secret: WebhookSecret) -> Self {
        self.webhook_secret = Some(secret);
        self
    }

    /// Sets the replay window of signed webhooks.
    pub fn webhook_window(mut self, window: Duration) -> Self {
        self.webhook_window = window;
        self
    }

    /// Serves `/metrics` from this recorder's handle.
    pub fn metrics(mut self, handle: PrometheusHandle) -> Self {
        self.metrics = Some(handle);
        self
    }
}
