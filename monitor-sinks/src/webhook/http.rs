//! Posting a webhook body, and what the answer means for the next attempt.

use std::time::{Duration, SystemTime};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};

use crate::delivery::attempt::Attempt;
use crate::delivery::pacing::RateLimit;
use crate::delivery::retry::{discord_retry_after, parse_retry_after};

/// The largest error body read (Discord's 429 JSON is far smaller).
const MAX_ERROR_BODY: usize = 16 * 1024;

/// Posts bodies to one webhook URL, with its `Authorization` header when
/// it has one.
pub(crate) struct HttpSender {
    client: reqwest::Client,
    url: reqwest::Url,
    discord: bool,
    /// Marked sensitive, and added to each request as it is sent: it is
    /// never part of what is spooled.
    authorization: Option<HeaderValue>,
}

// Not derived: the URL holds the webhook's secret, and so does the header.
impl std::fmt::Debug for HttpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSender")
            .field("url", &monitor_rules::redact_url(self.url.as_str()))
            .field("authorization", &self.authorization.as_ref().map(|_| "***"))
            .finish()
    }
}

impl HttpSender {
    pub(crate) fn new(
        url: reqwest::Url,
        discord: bool,
        request_timeout: Duration,
        connect_timeout: Duration,
    ) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(request_timeout)
            .connect_timeout(connect_timeout)
            // A webhook that redirects is misconfigured, and a redirected
            // POST may turn into a GET: report it instead of following.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("monitor-delivery/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {}", e.without_url()))?;
        Ok(HttpSender { client, url, discord, authorization: None })
    }

    /// Sends `value` as the `Authorization` header of every request.
    pub(crate) fn set_authorization(&mut self, mut value: HeaderValue) {
        value.set_sensitive(true);
        self.authorization = Some(value);
    }

    /// Posts a JSON body.
    pub(crate) async fn post(&self, body: &serde_json::Value) -> Attempt {
        self.send(self.client.post(self.url.clone()).json(body)).await
    }

    /// Posts a body already written, of this `Content-Type`.
    pub(crate) async fn post_text(&self, content_type: &str, body: &str) -> Attempt {
        let request = self.client.post(self.url.clone()).header(CONTENT_TYPE, content_type).body(body.to_owned());
        self.send(request).await
    }

    async fn send(&self, request: RequestBuilder) -> Attempt {
        let request = match &self.authorization {
            Some(value) => request.header(AUTHORIZATION, value.clone()),
            None => request,
        };
        let response = match request.send().await {
            Ok(response) => response,
            // Timeouts, refused or reset connections: all may pass. The URL
            // is left out of the message: it holds the webhook's secret.
            Err(error) => {
                let why = if error.is_timeout() {
                    "timed out".to_owned()
                } else if error.is_connect() {
                    format!("cannot connect: {}", source_text(&error))
                } else {
                    format!("request failed: {}", source_text(&error))
                };
                return Attempt::Retry { wait: None, limit: RateLimit::default(), why };
            }
        };
        let status = response.status();
        let limit = RateLimit::from_headers(response.headers());
        if status.is_success() {
            return Attempt::Sent(limit);
        }
        let header_wait = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        match classify(status) {
            Class::Retry => {
                let body_wait = if self.discord && status == StatusCode::TOO_MANY_REQUESTS {
                    read_limited(response).await.as_deref().and_then(discord_retry_after)
                } else {
                    None
                };
                let wait = header_wait.max(body_wait);
                Attempt::Retry { wait, limit, why: format!("answered {status}") }
            }
            Class::Gone => Attempt::Gone(format!("answered {status}")),
            Class::Reject => Attempt::Rejected(format!("answered {status}")),
        }
    }
}

/// `Authorization: Basic …` for `user` and `password` (RFC 7617: base64
/// of `user:password`), or why it cannot be a header.
pub(crate) fn basic_authorization(user: &str, password: &str) -> Result<HeaderValue, String> {
    if user.contains(':') {
        return Err("a basic authentication user name cannot hold `:`".to_owned());
    }
    header_value(&format!("Basic {}", base64(format!("{user}:{password}").as_bytes())))
}

/// `Authorization: Bearer <token>`, or why it cannot be a header.
pub(crate) fn bearer_authorization(token: &str) -> Result<HeaderValue, String> {
    header_value(&format!("Bearer {token}"))
}

/// The reason never quotes the value: it is a secret.
fn header_value(text: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(text)
        .map_err(|_| "it holds a character an HTTP header cannot carry (a line break or a control character)")?;
    value.set_sensitive(true);
    Ok(value)
}

/// Standard base64 with padding (RFC 4648), for basic authentication.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

enum Class {
    Retry,
    Gone,
    Reject,
}

/// 408, 429 and 5xx other than 501 (Not Implemented will not change) may
/// pass; 404 and 410 mean the webhook was deleted; anything else (a 400
/// for a body the platform refuses, a 401 for a bad token, a redirect) is
/// the same on every attempt.
fn classify(status: StatusCode) -> Class {
    match status.as_u16() {
        408 | 429 => Class::Retry,
        501 => Class::Reject,
        500..=599 => Class::Retry,
        404 | 410 => Class::Gone,
        _ => Class::Reject,
    }
}

/// The innermost cause, which says what happened (refused, reset, DNS)
/// without the URL that reqwest's own message carries.
fn source_text(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    if std::ptr::addr_eq(cause, error) { "unknown error".to_owned() } else { cause.to_string() }
}

async fn read_limited(mut response: reqwest::Response) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ERROR_BODY {
            return None;
        }
    }
    Some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_authentication_is_encoded_as_rfc_7617_says() {
        // RFC 7617's own example.
        let value = basic_authorization("Aladdin", "open sesame").unwrap();
        assert_eq!(value.to_str().unwrap(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert!(value.is_sensitive());
        for (input, encoded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg==")] {
            assert_eq!(base64(input.as_bytes()), encoded);
        }
        assert!(basic_authorization("a:b", "c").is_err());
        let error = bearer_authorization("SECRET\nInjected: yes").unwrap_err();
        assert!(!error.contains("SECRET"), "{error}");
    }

    #[test]
    fn which_answers_are_retried() {
        let retried: Vec<u16> =
            (100..600).filter(|&code| matches!(classify(StatusCode::from_u16(code).unwrap()), Class::Retry)).collect();
        let mut expected = vec![408, 429];
        expected.extend((500..600).filter(|&c| c != 501));
        assert_eq!(retried, expected);
        assert!(matches!(classify(StatusCode::GONE), Class::Gone));
        assert!(matches!(classify(StatusCode::NOT_FOUND), Class::Gone));
        assert!(matches!(classify(StatusCode::BAD_REQUEST), Class::Reject));
        assert!(matches!(classify(StatusCode::MOVED_PERMANENTLY), Class::Reject));
    }
}
