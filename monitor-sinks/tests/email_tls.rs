//! E-mail over real TLS sessions (STARTTLS and implicit TLS) to aiosmtpd on
//! loopback, with a certificate made for the test: what is trusted gets
//! through encrypted, and nothing goes out in the clear when TLS fails.

mod support;

use std::time::Duration;

use monitor_runtime::Notifier;
use monitor_runtime::alerts::Target;
use monitor_sinks::delivery::{BreakerPolicy, DeliveryOptions, RetryPolicy};
use support::{SmtpServer, SmtpTls, TestCertificate, eventually, keys, send, spool_dir, spooled_keys, start_sink};

fn options(dir: &tempfile::TempDir, smtp_url: &str) -> DeliveryOptions {
    DeliveryOptions::new()
        .spool_dir(dir.path())
        .smtp(smtp_url, "Billing alerts <alerts@example.org>")
        .retry(RetryPolicy::default().max_attempts(2).initial_backoff(Duration::from_millis(50)))
        .request_timeout(Duration::from_secs(5))
        .breaker(BreakerPolicy::default().open_for(Duration::from_secs(60)))
}

fn email() -> Target {
    Target::Email(vec!["oncall@example.org".into()])
}

/// One alert through a server of this kind, trusting its certificate.
async fn delivered_over(tls: SmtpTls, scheme: &str) {
    let certificate = TestCertificate::localhost();
    let server = SmtpServer::start_tls(tls, &certificate, &[]);
    let dir = spool_dir();
    let options = options(&dir, &server.url_as(scheme)).smtp_root_certificate(certificate.pem.clone());
    let sink = start_sink("oncall", email(), &options);
    let keys = keys("tls", 1);
    send(&sink, &keys).await;
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 1).await, "{:?}", sink.stats());
    let mails = server.mails();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.tls.as_deref().is_some_and(|v| v.starts_with("TLS")), "the session was encrypted: {:?}", mail.tls);
    assert_eq!(mail.to, ["oncall@example.org"]);
    assert!(mail.message.contains("Subject: [CRITICAL] too_many_errors"), "{}", mail.message);
    assert!(mail.message.contains("text/plain") && mail.message.contains("text/html"), "both parts");
    assert!(mail.message.contains(&format!("Message-ID: <{}.oncall@example.org>", keys[0])));
}

#[tokio::test]
async fn a_message_over_starttls_arrives_encrypted_and_whole() {
    delivered_over(SmtpTls::StartTls, "smtp").await;
}

#[tokio::test]
async fn a_message_over_implicit_tls_arrives_encrypted_and_whole() {
    delivered_over(SmtpTls::Implicit, "smtps").await;
}

/// Sends one alert that cannot be delivered: it is retried, then spooled,
/// and the server never sees a message. Returns the last error.
async fn spooled_unsent(server: &SmtpServer, options: impl FnOnce(&tempfile::TempDir) -> DeliveryOptions) -> String {
    let dir = spool_dir();
    let sink = start_sink("oncall", email(), &options(&dir));
    let keys = keys("refused", 1);
    send(&sink, &keys).await;
    assert!(eventually(Duration::from_secs(10), || sink.stats().spooled == 1).await, "{:?}", sink.stats());
    let stats = sink.stats();
    assert_eq!((stats.sent, stats.retried), (0, 1), "{stats:?}");
    assert_eq!(spooled_keys(dir.path(), "oncall"), keys);
    assert_eq!((server.attempts(), server.messages().len()), (0, 0), "no DATA command, encrypted or not");
    stats.last_error.unwrap_or_default()
}

#[tokio::test]
async fn a_certificate_no_trusted_root_signed_is_retried_and_spooled_never_sent() {
    let certificate = TestCertificate::localhost();
    let unrelated = TestCertificate::localhost();
    for (tls, scheme) in [(SmtpTls::StartTls, "smtp"), (SmtpTls::Implicit, "smtps")] {
        let server = SmtpServer::start_tls(tls, &certificate, &[]);
        // Trusting some other private CA does not make this server's certificate trusted.
        let error = spooled_unsent(&server, |dir| {
            options(dir, &server.url_as(scheme)).smtp_root_certificate(unrelated.pem.clone())
        })
        .await;
        assert!(error.contains("certificate"), "{tls:?}: {error}");
    }
}

#[tokio::test]
async fn implicit_tls_with_the_built_in_roots_alone_refuses_a_private_certificate() {
    let certificate = TestCertificate::localhost();
    let server = SmtpServer::start_tls(SmtpTls::Implicit, &certificate, &[]);
    let error = spooled_unsent(&server, |dir| options(dir, &server.url_as("smtps"))).await;
    assert!(error.contains("certificate"), "{error}");
}

#[tokio::test]
async fn a_server_without_starttls_is_not_written_to_in_the_clear() {
    let certificate = TestCertificate::localhost();
    // Plain only, no STARTTLS offered; a root certificate makes smtp:// to
    // loopback require the upgrade.
    let server = SmtpServer::start(&[]);
    let error =
        spooled_unsent(&server, |dir| options(dir, &server.url()).smtp_root_certificate(certificate.pem.clone())).await;
    assert!(error.contains("STARTTLS"), "{error}");
}
