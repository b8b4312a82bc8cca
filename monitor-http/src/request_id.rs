//! The request id: the caller's `X-Request-Id` when it is sane, else a new
//! random one.

use std::fmt;

use axum::http::header::{HeaderMap, HeaderName, HeaderValue};

/// The header a request id is read from and echoed in.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a caller; a longer one is replaced.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// A request's id, set on the request's extensions by the middleware (a
/// handler takes it with `Extension<RequestId>`) and echoed in the response.
///
/// ```
/// use axum::http::HeaderValue;
/// use monitor_http::RequestId;
///
/// let given = RequestId::from_header(&HeaderValue::from_static("checkout-7f3a")).unwrap();
/// assert_eq!(given.as_str(), "checkout-7f3a");
/// assert!(RequestId::from_header(&HeaderValue::from_static("has spaces")).is_none());
///
/// let fresh = RequestId::generate();
/// assert_eq!(fresh.as_str().len(), 32);
/// assert!(fresh.as_str().bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// A new random id: 128 bits as 32 lowercase hex digits.
    pub fn generate() -> Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let bits: u128 = rand::random();
        let mut text = [0u8; 32];
        for (i, digit) in text.iter_mut().enumerate() {
            *digit = DIGITS[(bits >> (124 - 4 * i) & 0xf) as usize];
        }
        RequestId(HeaderValue::from_bytes(&text).expect("hex digits are a valid header value"))
    }

    /// The id a caller sent, if it is 1 to [`MAX_REQUEST_ID_LEN`] visible
    /// ASCII characters (no spaces, no control characters, no UTF-8): an
    /// id ends up in logs, tags and other services' headers.
    pub fn from_header(value: &HeaderValue) -> Option<Self> {
        let bytes = value.as_bytes();
        let sane = !bytes.is_empty() && bytes.len() <= MAX_REQUEST_ID_LEN && bytes.iter().all(u8::is_ascii_graphic);
        sane.then(|| RequestId(value.clone()))
    }

    /// The caller's id when the request carries exactly one sane
    /// `X-Request-Id`, else a new one.
    pub fn from_headers_or_generate(headers: &HeaderMap) -> Self {
        let mut values = headers.get_all(X_REQUEST_ID).iter();
        match (values.next(), values.next()) {
            (Some(value), None) => Self::from_header(value).unwrap_or_else(Self::generate),
            _ => Self::generate(),
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Checked visible ASCII (or made of hex digits), so always text.
        self.0.to_str().unwrap_or_default()
    }

    /// The id as a header value.
    pub fn header_value(&self) -> &HeaderValue {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_sane_header_is_taken() {
        let mut headers = HeaderMap::new();
        headers.insert(X_REQUEST_ID, HeaderValue::from_static("abc-123"));
        assert_eq!(RequestId::from_headers_or_generate(&headers).as_str(), "abc-123");

        headers.append(X_REQUEST_ID, HeaderValue::from_static("def-456"));
        let id = RequestId::from_headers_or_generate(&headers);
        assert!(id.as_str() != "abc-123" && id.as_str() != "def-456", "two ids: neither is trusted");

        let too_long = "a".repeat(MAX_REQUEST_ID_LEN + 1);
        assert!(RequestId::from_header(&HeaderValue::from_str(&too_long).unwrap()).is_none());
        let longest = "a".repeat(MAX_REQUEST_ID_LEN);
        assert!(RequestId::from_header(&HeaderValue::from_str(&longest).unwrap()).is_some());
        assert!(RequestId::from_header(&HeaderValue::from_static("")).is_none());
        assert!(RequestId::from_header(&HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap()).is_none());
        assert!(RequestId::from_header(&HeaderValue::from_bytes(b"tab\there").unwrap()).is_none());
    }

    #[test]
    fn generated_ids_differ() {
        let (a, b) = (RequestId::generate(), RequestId::generate());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 32);
    }
}
