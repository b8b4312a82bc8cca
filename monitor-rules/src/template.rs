//! Templated webhooks: a body written by the configuration, field by
//! field, for HTTP APIs that are not chat platforms (an SMS gateway's
//! `To`, `From` and `Body`, a paging service's fields).

use std::fmt;

use crate::redact::redact_url;

/// A webhook whose body is made of the fields its configuration lists,
/// each a text with placeholders, sent as a JSON object or as a form
/// (`application/x-www-form-urlencoded`), with an `Authorization` header
/// whose secret is read from the environment when the notifier is made:
/// code and rule files only name the variable.
///
/// ```
/// use monitor_rules::{AlertConfig, BodyEncoding, Target, WebhookAuth};
///
/// let config = AlertConfig::from_toml_str(r#"
///     [destinations]
///     sms = { webhook = "https://sms.example.org/send", encoding = "form", fields = { To = "+31600000000", From = "monitor", Body = "{title}" }, auth = { bearer_env = "SMS_TOKEN" }, max_chars = { Body = 160 } }
/// "#).unwrap();
/// let Target::TemplatedWebhook(sms) = &config.destination("sms").unwrap().target else { unreachable!() };
/// assert_eq!(sms.encoding, BodyEncoding::Form);
/// assert_eq!(sms.auth, Some(WebhookAuth::Bearer { token_env: "SMS_TOKEN".into() }));
/// assert_eq!(sms.field("Body").unwrap().max_chars, Some(160));
/// // Its URL is shown as any webhook's is: the path may hold a token.
/// assert!(format!("{sms:?}").contains(r#"url: "https://sms.example.org/***""#));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookTemplate {
    /// Where the body is posted: https, or plain http to this machine.
    pub url: String,
    /// How the fields are written in the body.
    pub encoding: BodyEncoding,
    /// The body's fields, in order (at least one, names unique).
    pub fields: Vec<TemplateField>,
    /// The `Authorization` header, when the service wants one.
    pub auth: Option<WebhookAuth>,
}

impl WebhookTemplate {
    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&TemplateField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

// Not derived: the URL may hold a token (`https://gateway/hooks/<token>`).
impl fmt::Debug for WebhookTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookTemplate")
            .field("url", &redact_url(&self.url))
            .field("encoding", &self.encoding)
            .field("fields", &self.fields)
            .field("auth", &self.auth)
            .finish()
    }
}

/// One field of a templated body: its name and the text it is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateField {
    /// The field's name, as the service expects it (`Body`, `message`).
    pub name: String,
    /// Its text; `{title}`, `{message}` and the other [`Placeholder`]s in
    /// it are replaced, `{{` and `}}` stand for `{` and `}`.
    pub template: String,
    /// Its longest value, in characters: a longer one is cut with
    /// [`TRUNCATION_MARKER`](crate::vocabulary::TRUNCATION_MARKER) at its
    /// end, the marker included in the count (`160` keeps an SMS to one
    /// segment).
    pub max_chars: Option<u32>,
}

/// How a templated body is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyEncoding {
    /// A JSON object of strings (`application/json`).
    Json,
    /// A form, as HTML forms post them (`application/x-www-form-urlencoded`):
    /// what SMS gateways such as Twilio's take.
    Form,
}

impl BodyEncoding {
    /// `json` or `form`, as written in configurations.
    pub fn as_str(self) -> &'static str {
        match self {
            BodyEncoding::Json => "json",
            BodyEncoding::Form => "form",
        }
    }

    /// The `Content-Type` of a body written so.
    pub fn content_type(self) -> &'static str {
        match self {
            BodyEncoding::Json => "application/json",
            BodyEncoding::Form => "application/x-www-form-urlencoded",
        }
    }
}

/// The `Authorization` header of a templated webhook. Only the names of
/// environment variables are configured: their values are read when the
/// destination's notifier is made, and never written to the spool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookAuth {
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The variable that holds the token.
        token_env: String,
    },
    /// `Authorization: Basic <base64 of user:password>` (RFC 7617).
    Basic {
        /// The variable that holds the user name (an account id, say).
        user_env: String,
        /// The variable that holds the password (an auth token, say).
        password_env: String,
    },
}

impl WebhookAuth {
    /// The environment variables it reads, in order.
    pub fn variables(&self) -> Vec<&str> {
        match self {
            WebhookAuth::Bearer { token_env } => vec![token_env],
            WebhookAuth::Basic { user_env, password_env } => vec![user_env, password_env],
        }
    }
}

/// What a template's `{…}` may name.
///
/// ```
/// use monitor_rules::{Placeholder, fill_template};
///
/// let text = fill_template("{severity}: {rule} ({{x}})", |p| match p {
///     Placeholder::Severity => "critical".into(),
///     Placeholder::Rule => "too_many_errors".into(),
///     _ => String::new(),
/// });
/// assert_eq!(text, "critical: too_many_errors ({x})");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Placeholder {
    /// `[CRITICAL] rule: summary`, or `[RESOLVED] rule: summary`.
    Title,
    /// The rule's name.
    Rule,
    /// The severity (`critical`).
    Severity,
    /// The rule's summary (`12 errors within 1h (more than 10)`).
    Summary,
    /// The latest message (scrubbed), or nothing.
    Message,
    /// The service, or nothing.
    Service,
    /// `firing` or `resolved`.
    Status,
    /// The configured link back, or nothing.
    Link,
    /// The error group (16 hex digits), or nothing.
    Group,
    /// Occurrences counted for the alert.
    Occurrences,
    /// The notification key, the same on every retry: for services that
    /// drop duplicates.
    Key,
}

impl Placeholder {
    /// Every placeholder, in the order the documentation lists them.
    pub const ALL: [Placeholder; 11] = [
        Placeholder::Title,
        Placeholder::Rule,
        Placeholder::Severity,
        Placeholder::Summary,
        Placeholder::Message,
        Placeholder::Service,
        Placeholder::Status,
        Placeholder::Link,
        Placeholder::Group,
        Placeholder::Occurrences,
        Placeholder::Key,
    ];

    /// Its name, as written between braces.
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Title => "title",
            Placeholder::Rule => "rule",
            Placeholder::Severity => "severity",
            Placeholder::Summary => "summary",
            Placeholder::Message => "message",
            Placeholder::Service => "service",
            Placeholder::Status => "status",
            Placeholder::Link => "link",
            Placeholder::Group => "group",
            Placeholder::Occurrences => "occurrences",
            Placeholder::Key => "key",
        }
    }

    /// The placeholder called `name`.
    pub fn from_name(name: &str) -> Option<Placeholder> {
        Placeholder::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// One piece of a template.
enum Piece<'t> {
    Text(&'t str),
    Value(Placeholder),
}

/// The pieces of `template`, or what is wrong with it.
fn pieces(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        if at > 0 {
            out.push(Piece::Text(&rest[..at]));
        }
        let after = &rest[at + 1..];
        if rest[at..].starts_with("{{") {
            out.push(Piece::Text("{"));
            rest = &after[1..];
        } else if rest[at..].starts_with("}}") {
            out.push(Piece::Text("}"));
            rest = &after[1..];
        } else if rest[at..].starts_with('}') {
            return Err("a `}` that closes nothing: write `}}` for a brace".to_owned());
        } else {
            let Some(end) = after.find('}') else {
                return Err("a `{` that is never closed: write `{{` for a brace".to_owned());
            };
            let name = &after[..end];
            let placeholder = Placeholder::from_name(name).ok_or_else(|| {
                let known: Vec<String> = Placeholder::ALL.iter().map(|p| format!("{{{}}}", p.name())).collect();
                format!("unknown placeholder `{{{name}}}`: expected one of {}", known.join(", "))
            })?;
            out.push(Piece::Value(placeholder));
            rest = &after[end + 1..];
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// What is wrong with `template`, if anything: an unknown placeholder, or
/// a brace that neither opens a placeholder nor is doubled.
pub(crate) fn check_template(template: &str) -> Result<(), String> {
    pieces(template).map(drop)
}

/// `template` with each placeholder replaced by `value` of it, and `{{`
/// and `}}` by single braces. The validator has checked the templates of a
/// configuration; in a template it has not, a mistake is kept as written.
pub fn fill_template(template: &str, mut value: impl FnMut(Placeholder) -> String) -> String {
    let Ok(pieces) = pieces(template) else { return template.to_owned() };
    let mut out = String::with_capacity(template.len());
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Value(placeholder) => out.push_str(&value(placeholder)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_read_as_rust_format_strings_are() {
        let fill = |t: &str| fill_template(t, |p| p.name().to_uppercase());
        assert_eq!(fill("{title}"), "TITLE");
        assert_eq!(fill("[{severity}] {rule}: {message}"), "[SEVERITY] RULE: MESSAGE");
        assert_eq!(fill("{{not}} {key}}}"), "{not} KEY}");
        assert_eq!(fill("é{status}ü"), "éSTATUSü");
        assert_eq!(fill(""), "");
        for (bad, why) in [
            ("{titel}", "unknown placeholder `{titel}`"),
            ("{title", "never closed"),
            ("a}", "closes nothing"),
            ("{}", "`{}`"),
        ] {
            let error = check_template(bad).unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
            assert_eq!(fill(bad), bad, "kept as written");
        }
        assert!(check_template("{titel}").unwrap_err().contains("{title}, {rule}"));
        for placeholder in Placeholder::ALL {
            assert_eq!(Placeholder::from_name(placeholder.name()), Some(placeholder));
        }
    }
}
