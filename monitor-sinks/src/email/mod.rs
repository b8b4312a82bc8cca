//! E-mail through SMTP: the server URL, the message, and what an answer
//! means for the next attempt.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::Tls;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::delivery::config::DeliveryConfigError;
use crate::delivery::format::RenderOptions;
mod format;
use crate::delivery::attempt::Attempt;
use crate::delivery::pacing::RateLimit;
pub use format::{EmailBody, render};
use monitor_rules::redact_url;
use monitor_runtime::alerting::Notification;

mod tls;

pub(crate) use tls::{check_root_certificate, read_root_certificate};

/// How to reach the SMTP server, from `smtp://` or `smtps://` URLs.
#[derive(Clone)]
pub(crate) struct SmtpServer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    mode: Mode,
}

/// How the conversation with the server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// In the clear: only to a loopback address without a root certificate.
    Plain,
    /// Plain, then upgraded with STARTTLS; never goes on unencrypted.
    StartTls,
    /// TLS from the first byte.
    Tls,
}

// Not derived: the transport holds the credentials.
impl std::fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpServer").field("mode", &self.mode).finish_non_exhaustive()
    }
}

impl SmtpServer {
    /// `smtps://host[:465]` is TLS from the first byte; `smtp://host[:587]`
    /// must upgrade with STARTTLS, except to a loopback address when no
    /// root certificate is configured, where it is plain (a local relay or
    /// a test server, port 25 by default). User and password in the URL
    /// log in. `roots` are PEM root certificates trusted beside the
    /// built-in ones.
    pub(crate) fn from_url(text: &str, timeout: Duration, roots: &[Vec<u8>]) -> Result<Self, DeliveryConfigError> {
        let bad = |reason: &str| DeliveryConfigError::new(None, redact_url(text), reason);
        let url = url::Url::parse(text).map_err(|e| bad(&format!("not a valid SMTP URL ({e})")))?;
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| bad("an SMTP URL needs a host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        if !matches!(url.path(), "" | "/") || url.query().is_some() {
            return Err(bad("an SMTP URL has no path or query: smtp://host:port or smtps://host:port"));
        }
        // Whoever configures a root certificate expects the relay to speak
        // TLS, loopback or not: a relay that stops offering STARTTLS must
        // then be refused, not written to in the clear. Without one, a
        // loopback relay stays plain as it always was: nothing leaves the
        // machine, and its certificate (if any) could not be checked.
        let plain = roots.is_empty() && is_loopback(&host);
        let (port, mode) = match url.scheme() {
            "smtps" => (url.port().unwrap_or(465), Mode::Tls),
            "smtp" if plain => (url.port().unwrap_or(25), Mode::Plain),
            "smtp" => (url.port().unwrap_or(587), Mode::StartTls),
            _ => return Err(bad("the scheme must be smtp:// (STARTTLS) or smtps:// (TLS)")),
        };
        let parameters =
            || tls::parameters(&host, roots).map_err(|why| bad(&format!("the SMTP root certificate {why}")));
        let tls = match mode {
            Mode::Plain => Tls::None,
            Mode::StartTls => Tls::Required(parameters()?),
            Mode::Tls => Tls::Wrapper(parameters()?),
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(port).tls(tls).timeout(Some(timeout));
        if !url.username().is_empty() {
            let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
            let user = decode(url.username());
            let password = url.password().map(decode).unwrap_or_default();
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(SmtpServer { transport: builder.build(), mode })
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
    let EmailBody { subject, text, html } = render(notification, options);
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
    use crate::delivery::format::sample_notification;

    #[test]
    fn urls_pick_the_tls_mode_and_refuse_the_rest() {
        let timeout = Duration::from_secs(5);
        for (good, mode) in [
            ("smtp://127.0.0.1:2525", Mode::Plain),
            ("smtp://localhost", Mode::Plain),
            ("smtp://[::1]:25", Mode::Plain),
            ("smtps://127.0.0.1:4650", Mode::Tls),
            ("smtps://mail.example.org", Mode::Tls),
            ("smtp://user:p%40ss@mail.example.org:587", Mode::StartTls),
        ] {
            assert_eq!(SmtpServer::from_url(good, timeout, &[]).map(|s| s.mode).ok(), Some(mode), "{good}");
        }
        for (bad, shown) in [
            ("http://mail.example.org", "http://mail.example.org"),
            ("smtp://", "smtp://"),
            ("smtp://mail.example.org/inbox?x=1", "smtp://mail.example.org/***"),
            ("smtp://user:SECRET@mail.example.org/x", "smtp://***@mail.example.org/***"),
        ] {
            let error = SmtpServer::from_url(bad, timeout, &[]).unwrap_err().to_string();
            assert!(error.contains(shown) && !error.contains("SECRET"), "{bad}: {error}");
        }
    }

    #[test]
    fn a_root_certificate_makes_loopback_upgrade_too() {
        let pem = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap().cert.pem().into_bytes();
        let roots = [pem];
        let timeout = Duration::from_secs(5);
        for (url, mode) in [
            ("smtp://127.0.0.1:2525", Mode::StartTls),
            ("smtp://localhost", Mode::StartTls),
            ("smtps://localhost:4650", Mode::Tls),
            ("smtp://mail.example.org", Mode::StartTls),
        ] {
            assert_eq!(SmtpServer::from_url(url, timeout, &roots).map(|s| s.mode).ok(), Some(mode), "{url}");
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
