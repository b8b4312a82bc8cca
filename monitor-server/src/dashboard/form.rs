//! Form bodies and query strings as the dashboard's pages send them:
//! `application/x-www-form-urlencoded` pairs, where an empty field means
//! the field was left blank, not "match the empty text".

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;

use super::layout::PageError;

/// Form bodies are a few short fields: a note is the longest.
const FORM_BYTES: usize = 64 * 1024;

/// The non-empty fields of a form or query string, in order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Form {
    pub(crate) pairs: Vec<(String, String)>,
}

impl Form {
    /// Reads `raw`, dropping fields left blank.
    pub(crate) fn parse(raw: &[u8]) -> Self {
        let pairs = url::form_urlencoded::parse(raw)
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        Form { pairs }
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(field, _)| field == name).map(|(_, value)| value.as_str())
    }

    /// Every value of `name`, in order (checkboxes).
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(field, _)| field == name).map(|(_, value)| value.as_str()).collect()
    }

    /// These fields but `names`.
    pub(crate) fn without(&self, names: &[&str]) -> Vec<(String, String)> {
        self.pairs.iter().filter(|(name, _)| !names.contains(&name.as_str())).cloned().collect()
    }

    /// `pairs` as a query string, `?` included when there is any.
    pub(crate) fn query(pairs: &[(String, String)]) -> String {
        if pairs.is_empty() {
            return String::new();
        }
        let mut serializer = url::form_urlencoded::Serializer::for_suffix(String::from("?"), 1);
        serializer.extend_pairs(pairs);
        serializer.finish()
    }
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "the form could not be read"))?;
        if body.len() > FORM_BYTES {
            return Err(PageError::new(StatusCode::PAYLOAD_TOO_LARGE, "the form is larger than the dashboard takes"));
        }
        Ok(Form::parse(&body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_fields_are_dropped_and_the_rest_round_trips() {
        let form = Form::parse(b"text=card+declined&status=&module=payments%3A%3A*&cursor=abc");
        assert_eq!(form.get("text"), Some("card declined"));
        assert_eq!(form.get("status"), None);
        assert_eq!(Form::parse(b"key=a&key=&key=b").all("key"), ["a", "b"]);
        let kept = form.without(&["cursor"]);
        assert_eq!(Form::query(&kept), "?text=card+declined&module=payments%3A%3A*");
        assert_eq!(Form::query(&[]), "");
    }
}
