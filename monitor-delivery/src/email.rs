//! E-mail through SMTP: the server URL, the message, and what an answer
//! means for the next attempt.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::ConfigError;
use crate::format::{EmailBody, RenderOptions, email};
use crate::http::Attempt;
use crate::pacing::RateLimit;
use crate::redact::redact_url;
use monitor_runtime::rules::Notification;

/// How to reach the SMTP server, from `smtp://` or `smtps://` URLs.
#[derive(Clone)]
pub(crate) struct SmtpServer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpServer")
    }
}

impl SmtpServer {
    /// `smtps://host[:465]` is TLS from the first byte; `smtp://host[:587]`
    /// must upgrade with STARTTLS, except to a loopback address, where it is
    /// plain (a local relay or a test server). User and password in the URL
    /// log in.
    pub(crate) fn from_url(text: &str, timeout: Duration) -> Result<Self, ConfigError> {
        let bad = |reason: &str| ConfigError::new(None, redact_url(text), reason);
        let url = url::Url::parse(text).map_err(|e| bad(&format!("not a valid SMTP URL ({e})")))?;
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| bad("an SMTP URL needs a host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        if !matches!(url.path(), "" | "/") || url.query().is_some() {
            return Err(bad("an SMTP URL has no path or query: smtp://host:port or smtps://host:port"));
        }
        let (port, tls) = match url.scheme() {
            "smtps" => (url.port().unwrap_or(465), Some(true)),
            "smtp" if is_loopback(&host) => (url.port().unwrap_or(25), None),
            "smtp" => (url.port().unwrap_or(587), Some(false)),
            _ => return Err(bad("the scheme must be smtp:// (STARTTLS) or smtps:// (TLS)")),
        };
        let tls = match tls {
            None => Tls::None,
            Some(wrapped) => {
                let parameters =
                    TlsParameters::new(host.clone()).map_err(|e| bad(&format!("cannot set up TLS ({e})")))?;
                if wrapped { Tls::Wrapper(parameters) } else { Tls::Required(parameters) }
            }
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(port).tls(tls).timeout(Some(timeout));
        if !url.username().is_empty() {
            let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
            let user = decode(url.username());
            let password = url.password().map(decode).unwrap_or_default();
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(SmtpServer { transport: builder.build() })
    }

    pub(crate) async fn send(&self, from: &str, to: &[String], message: &str) -> Attempt {
        let envelope = match envelope(from, to) {
            Ok(envelope) => envelope,
            Err(why) => return Attempt::Rejected(why),
        };
        match self.transport.send_raw(&envelope, message.as_bytes()).await {
            Ok(_) => Attempt::Sent(RateLimit::default()),
            // 5xx: the server will refuse this message every time.
            Err(error) if error.is_permanent() => Attempt::Rejected(error.to_string()),
            // 4xx, timeouts, refused or dropped connections, TLS trouble:
            // may pass.
            Err(error) => Attempt::Retry { wait: None, limit: RateLimit::default(), why: error.to_string() },
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn envelope(from: &str, to: &[String]) -> Result<lettre::address::Envelope, String> {
    let address = |text: &str| text.parse::<Address>().map_err(|e| format!("bad address in the spool: {e}"));
    let recipients = to.iter().map(|t| address(t)).collect::<Result<Vec<_>, _>>()?;
    lettre::address::Envelope::new(Some(address(from)?), recipients).map_err(|e| e.to_string())
}

/// A sender or recipient: `oncall@example.org` or `On call <oncall@example.org>`.
pub(crate) fn mailbox(text: &str) -> Result<Mailbox, String> {
    text.trim().parse::<Mailbox>().map_err(|e| format!("not a valid e-mail address ({e})"))
}

/// The whole message, ready for `send_raw`. Its Message-ID is made from the
/// notification key, so a receiver sees a redelivery as the same message.
pub(crate) fn message(
    notification: &Notification,
    options: &RenderOptions,
    from: &Mailbox,
    to: &[Mailbox],
) -> Result<String, String> {
    let EmailBody { subject, text, html } = email(notification, options);
    let domain = from.email.domain();
    let key: String =
        notification.key.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    let destination: String =
        notification.destination.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect();
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(subject)
        .date(SystemTime::now())
        .message_id(Some(format!("<{key}.{destination}@{domain}>")));
    for recipient in to {
        builder = builder.to(recipient.clone());
    }
    let body = MultiPart::alternative()
        .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html));
    let message = builder.multipart(body).map_err(|e| format!("cannot build the e-mail: {e}"))?;
    String::from_utf8(message.formatted()).map_err(|_| "the e-mail is not valid UTF-8".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::sample_notification;

    #[test]
    fn urls_pick_the_tls_mode_and_refuse_the_rest() {
        let timeout = Duration::from_secs(5);
        for good in [
            "smtp://127.0.0.1:2525",
            "smtp://localhost",
            "smtp://[::1]:25",
            "smtps://mail.example.org",
            "smtp://user:p%40ss@mail.example.org:587",
        ] {
            assert!(SmtpServer::from_url(good, timeout).is_ok(), "{good}");
        }
        for (bad, shown) in [
            ("http://mail.example.org", "http://mail.example.org"),
            ("smtp://", "smtp://"),
            ("smtp://mail.example.org/inbox?x=1", "smtp://mail.example.org/inbox"),
            ("smtp://user:SECRET@mail.example.org/x", "smtp://***@mail.example.org/x"),
        ] {
            let error = SmtpServer::from_url(bad, timeout).unwrap_err().to_string();
            assert!(error.contains(shown) && !error.contains("SECRET"), "{bad}: {error}");
        }
    }

    #[test]
    fn the_message_carries_both_parts_and_a_stable_id() {
        let from = mailbox("Monitor <monitor@example.org>").unwrap();
        let to = [mailbox("a@example.org").unwrap(), mailbox("b@example.org").unwrap()];
        let notification = sample_notification("card declined".into());
        let raw = message(&notification, &RenderOptions::default(), &from, &to).unwrap();
        assert!(raw.contains("Message-ID: <0123456789abcdef.ops@example.org>"), "{raw}");
        assert!(raw.contains("multipart/alternative") && raw.contains("text/html"));
        assert!(raw.contains("To: a@example.org, b@example.org"));
        assert!(mailbox("not an address").is_err());
    }
}
