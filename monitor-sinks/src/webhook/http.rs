//! Posting a webhook body, and what the answer means for the next attempt.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;

use crate::delivery::attempt::Attempt;
use crate::delivery::pacing::RateLimit;
use crate::delivery::retry::{discord_retry_after, parse_retry_after};

/// The largest error body read (Discord's 429 JSON is far smaller).
const MAX_ERROR_BODY: usize = 16 * 1024;

/// Posts JSON bodies to one webhook URL.
pub(crate) struct HttpSender {
    client: reqwest::Client,
    url: reqwest::Url,
    discord: bool,
}

// Not derived: the URL holds the webhook's secret.
impl std::fmt::Debug for HttpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSender").field("url", &monitor_rules::redact_url(self.url.as_str())).finish()
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
        Ok(HttpSender { client, url, discord })
    }

    pub(crate) async fn post(&self, body: &serde_json::Value) -> Attempt {
        let response = match self.client.post(self.url.clone()).json(body).send().await {
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
