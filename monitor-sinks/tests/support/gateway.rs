//! An SMS gateway on loopback, like Twilio's Messages API: a POST with its
//! credentials in `Authorization`, the message as form fields `To`, `From`
//! and `Body` (or, for a JSON gateway, an object with them), and a body of
//! one segment at most. It refuses what the real one would and answers
//! 201 for a message it accepts.

use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use parking_lot::Mutex;

use super::Loopback;

/// The longest `Body` the gateway takes: one SMS segment of GSM-7
/// characters, counted in characters.
pub const SEGMENT: usize = 160;

/// How the gateway wants its messages written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatewayEncoding {
    /// `application/x-www-form-urlencoded` fields.
    Form,
    /// A JSON object of strings.
    Json,
}

/// One request the gateway saw, and what it answered.
#[derive(Clone, Debug)]
pub struct GatewayRequest {
    pub method: String,
    pub path: String,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
    /// The body as sent.
    pub body: String,
    /// The fields it read from the body, in order.
    pub fields: Vec<(String, String)>,
    pub status: u16,
    /// Why it refused, when it did.
    pub refused: Option<String>,
}

impl GatewayRequest {
    /// The value of field `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

struct State {
    encoding: GatewayEncoding,
    authorization: String,
    down: bool,
    requests: Vec<GatewayRequest>,
}

/// The gateway, running until dropped.
pub struct SmsGateway {
    server: Loopback,
    state: Arc<Mutex<State>>,
}

impl SmsGateway {
    /// A gateway that takes messages written as `encoding` from whoever
    /// sends `authorization` (the whole header value: `Bearer …`, `Basic …`).
    pub fn start(encoding: GatewayEncoding, authorization: &str) -> Self {
        let state = Arc::new(Mutex::new(State {
            encoding,
            authorization: authorization.to_owned(),
            down: false,
            requests: Vec::new(),
        }));
        SmsGateway { server: Loopback::serve(state.clone(), answer), state }
    }

    /// The URL of `path`.
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// While down, every request is answered 503.
    pub fn set_down(&self, down: bool) {
        self.state.lock().down = down;
    }

    pub fn requests(&self) -> Vec<GatewayRequest> {
        self.state.lock().requests.clone()
    }

    /// The messages it accepted (201).
    pub fn accepted(&self) -> Vec<GatewayRequest> {
        self.requests().into_iter().filter(|r| r.status == 201).collect()
    }
}

async fn answer(request: Request<Incoming>, state: Arc<Mutex<State>>) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (content_type, authorization) = (header("content-type"), header("authorization"));
    let (method, path) = (request.method().to_string(), request.uri().path().to_owned());
    let bytes = request.into_body().collect().await.map_err(std::io::Error::other)?.to_bytes();
    let body = String::from_utf8_lossy(&bytes).into_owned();
    let mut state = state.lock();
    let (encoding, expected_authorization, down) = (state.encoding, state.authorization.clone(), state.down);
    let fields: Vec<(String, String)> = match encoding {
        GatewayEncoding::Form => url::form_urlencoded::parse(body.as_bytes()).into_owned().collect(),
        GatewayEncoding::Json => serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&body)
            .map(|object| object.into_iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned())).collect())
            .unwrap_or_default(),
    };
    let wanted_type = match encoding {
        GatewayEncoding::Form => "application/x-www-form-urlencoded",
        GatewayEncoding::Json => "application/json",
    };
    let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let (status, refused) = if down {
        (503, Some("down".to_owned()))
    } else if method != "POST" {
        (405, Some(format!("method {method}")))
    } else if authorization.as_deref() != Some(expected_authorization.as_str()) {
        (401, Some("authenticate".to_owned()))
    } else if !content_type.as_deref().unwrap_or_default().starts_with(wanted_type) {
        (400, Some(format!("content type {content_type:?}, expected {wanted_type}")))
    } else if let Some(missing) = ["To", "From", "Body"].into_iter().find(|&n| field(n).is_none_or(str::is_empty)) {
        (400, Some(format!("missing {missing}")))
    } else if field("Body").unwrap_or_default().chars().count() > SEGMENT {
        (400, Some(format!("Body over {SEGMENT} characters")))
    } else {
        (201, None)
    };
    let reply = match &refused {
        Some(why) => format!("{{\"message\":\"{why}\"}}"),
        None => "{\"sid\":\"SM0\",\"status\":\"queued\"}".to_owned(),
    };
    state.requests.push(GatewayRequest {
        method,
        path,
        content_type,
        authorization,
        body,
        fields: fields.clone(),
        status,
        refused,
    });
    let mut response = Response::new(Full::new(Bytes::from(reply)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
    Ok(response)
}
