//! Templated webhooks against an SMS gateway on loopback that checks what
//! Twilio's would: the form's content type, the credentials, the `To`,
//! `From` and `Body` fields, and a body of one 160-character segment.

mod support;

use std::sync::Arc;
use std::time::Duration;

use monitor_rules::vocabulary::TRUNCATION_MARKER;
use monitor_runtime::Notifier;
use monitor_runtime::alerting::Notification;
use monitor_runtime::alerts::{BodyEncoding, Destination, Target, TemplateField, WebhookAuth, WebhookTemplate};
use monitor_sinks::delivery::{BreakerPolicy, DeliveryNotifier, DeliveryOptions, RetryPolicy};
use monitor_sinks::spool::{self, Payload};
use support::{GatewayEncoding, SEGMENT, SmsGateway, eventually, notification, spool_dir};

const TOKEN: &str = "test-token-7d1f";
const TOKEN_VARIABLE: &str = "MONITOR_TEST_SMS_TOKEN";

fn field(name: &str, template: &str, max_chars: Option<u32>) -> TemplateField {
    TemplateField { name: name.into(), template: template.into(), max_chars }
}

/// An SMS destination for `gateway`: the alert's title and message in
/// `Body`, cut to `max_chars` when given.
fn sms(gateway: &SmsGateway, encoding: BodyEncoding, max_chars: Option<u32>, auth: WebhookAuth) -> Destination {
    let template = WebhookTemplate {
        url: gateway.url("/2010-04-01/Accounts/AC0/Messages.json"),
        encoding,
        fields: vec![
            field("To", "+31600000000", None),
            field("From", "monitor", None),
            field("Body", "{title}: {message}", max_chars),
        ],
        auth: Some(auth),
    };
    Destination { name: "sms".into(), target: Target::TemplatedWebhook(template), per_minute: None }
}

fn bearer() -> WebhookAuth {
    WebhookAuth::Bearer { token_env: TOKEN_VARIABLE.into() }
}

fn options(dir: &tempfile::TempDir) -> DeliveryOptions {
    DeliveryOptions::new()
        .spool_dir(dir.path())
        .secret(TOKEN_VARIABLE, TOKEN)
        .retry(
            RetryPolicy::default().initial_backoff(Duration::from_millis(20)).max_backoff(Duration::from_millis(100)),
        )
        .request_timeout(Duration::from_secs(2))
        .breaker(BreakerPolicy::default().open_for(Duration::from_millis(200)).max_open(Duration::from_millis(500)))
}

/// An alert whose message alone is far longer than a segment.
fn long_alert(key: &str) -> Arc<Notification> {
    let mut notification = (*notification("sms", key)).clone();
    notification.alert.details.message = Some(format!("card declined for invoice 42: {}", "é".repeat(400)));
    Arc::new(notification)
}

#[tokio::test]
async fn a_long_alert_is_cut_to_one_segment_and_the_gateway_takes_it() {
    let dir = spool_dir();
    let gateway = SmsGateway::start(GatewayEncoding::Form, &format!("Bearer {TOKEN}"));
    let sink = DeliveryNotifier::new(&sms(&gateway, BodyEncoding::Form, Some(160), bearer()), &options(&dir)).unwrap();
    sink.notify(long_alert("long-1")).unwrap();
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 1).await, "{:?}", gateway.requests());
    let requests = gateway.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let sent = &requests[0];
    assert_eq!((sent.method.as_str(), sent.status), ("POST", 201));
    assert_eq!(sent.path, "/2010-04-01/Accounts/AC0/Messages.json");
    assert_eq!(sent.content_type.as_deref(), Some("application/x-www-form-urlencoded"));
    assert_eq!(sent.field("To"), Some("+31600000000"));
    assert_eq!(sent.field("From"), Some("monitor"));
    let body = sent.field("Body").unwrap();
    assert_eq!(body.chars().count(), SEGMENT, "{body}");
    assert!(
        body.starts_with("[CRITICAL] too_many_errors: 12 errors within 1h (more than 10): card declined"),
        "{body}"
    );
    assert!(body.ends_with(TRUNCATION_MARKER), "{body}");
    assert_eq!(sent.fields.len(), 3, "nothing else in the form: {:?}", sent.fields);
}

#[tokio::test]
async fn a_body_over_the_segment_is_refused_by_the_gateway_and_counted_as_rejected() {
    // The gateway double is strict: without `max_chars` the same alert is refused.
    let dir = spool_dir();
    let gateway = SmsGateway::start(GatewayEncoding::Form, &format!("Bearer {TOKEN}"));
    let sink = DeliveryNotifier::new(&sms(&gateway, BodyEncoding::Form, None, bearer()), &options(&dir)).unwrap();
    sink.notify(long_alert("long-2")).unwrap();
    let rejected = || sink.stats().dropped.get("rejected").copied().unwrap_or_default();
    assert!(eventually(Duration::from_secs(10), || rejected() == 1).await, "{:?}", sink.stats());
    let requests = gateway.requests();
    assert_eq!(requests.len(), 1, "a refusal is not retried: {requests:#?}");
    assert_eq!(requests[0].status, 400);
    assert_eq!(requests[0].refused.as_deref(), Some("Body over 160 characters"));
    assert!(sink.stats().last_error.unwrap().contains("400"));
}

#[tokio::test]
async fn basic_authentication_and_a_json_body() {
    let dir = spool_dir();
    // base64 of `AC0:s3cret`.
    let gateway = SmsGateway::start(GatewayEncoding::Json, "Basic QUMwOnMzY3JldA==");
    let auth = WebhookAuth::Basic { user_env: "MONITOR_TEST_SMS_ACCOUNT".into(), password_env: TOKEN_VARIABLE.into() };
    let options = options(&dir).secret("MONITOR_TEST_SMS_ACCOUNT", "AC0").secret(TOKEN_VARIABLE, "s3cret");
    let sink = DeliveryNotifier::new(&sms(&gateway, BodyEncoding::Json, Some(160), auth), &options).unwrap();
    sink.notify(notification("sms", "json-1")).unwrap();
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 1).await, "{:?}", gateway.requests());
    let sent = &gateway.requests()[0];
    assert_eq!(sent.content_type.as_deref(), Some("application/json"));
    let json: serde_json::Value = serde_json::from_str(&sent.body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "To": "+31600000000",
            "From": "monitor",
            "Body": "[CRITICAL] too_many_errors: 12 errors within 1h (more than 10): card declined for invoice json-1",
        })
    );
}

#[tokio::test]
async fn a_wrong_token_is_refused_and_not_retried() {
    let dir = spool_dir();
    let gateway = SmsGateway::start(GatewayEncoding::Form, "Bearer the-right-one");
    let sink = DeliveryNotifier::new(&sms(&gateway, BodyEncoding::Form, Some(160), bearer()), &options(&dir)).unwrap();
    sink.notify(notification("sms", "wrong-1")).unwrap();
    let rejected = || sink.stats().dropped.get("rejected").copied().unwrap_or_default();
    assert!(eventually(Duration::from_secs(10), || rejected() == 1).await, "{:?}", sink.stats());
    assert_eq!(gateway.requests().iter().map(|r| r.status).collect::<Vec<_>>(), [401]);
    assert_eq!(gateway.requests()[0].authorization.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
}

#[tokio::test]
async fn a_missing_variable_is_a_configuration_error_that_names_it() {
    let dir = spool_dir();
    let gateway = SmsGateway::start(GatewayEncoding::Form, "Bearer x");
    // Neither given with `secret` nor (surely) set in the environment.
    let unset = "MONITOR_TEST_SMS_TOKEN_NEVER_SET_4711";
    let without = DeliveryOptions::new().spool_dir(dir.path());
    let destination = sms(&gateway, BodyEncoding::Form, Some(160), WebhookAuth::Bearer { token_env: unset.into() });
    let error = DeliveryNotifier::new(&destination, &without).unwrap_err().to_string();
    assert!(error.starts_with("destination `sms`: "), "{error}");
    assert!(error.contains(&format!("environment variable {unset}, which is not set")), "{error}");
    // Basic authentication names the variable it misses.
    let auth = WebhookAuth::Basic { user_env: "MONITOR_TEST_SMS_ACCOUNT".into(), password_env: unset.into() };
    let with_user = without.clone().secret("MONITOR_TEST_SMS_ACCOUNT", "AC0");
    let error = DeliveryNotifier::new(&sms(&gateway, BodyEncoding::Form, None, auth), &with_user).unwrap_err();
    assert!(error.to_string().contains(unset), "{error}");
    // A token that cannot be a header is refused without being shown.
    let bad = without.secret(unset, "SECRET\r\nX-Injected: 1");
    let error = DeliveryNotifier::new(&destination, &bad).unwrap_err().to_string();
    assert!(error.contains("cannot be sent") && !error.contains("SECRET"), "{error}");
    assert!(gateway.requests().is_empty());
}

#[tokio::test]
async fn the_spool_keeps_the_body_but_never_the_token_and_replay_sends_it_again() {
    let dir = spool_dir();
    let gateway = SmsGateway::start(GatewayEncoding::Form, &format!("Bearer {TOKEN}"));
    gateway.set_down(true);
    let destination = sms(&gateway, BodyEncoding::Form, Some(160), bearer());
    let sink = DeliveryNotifier::new(&destination, &options(&dir)).unwrap();
    sink.notify(long_alert("spooled-1")).unwrap();
    assert!(eventually(Duration::from_secs(10), || sink.stats().spooled == 1).await, "{:?}", sink.stats());
    sink.flush().await.unwrap();

    let pending = spool::pending(dir.path(), "sms").unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].target, "templated_webhook");
    let Payload::Templated { content_type, body } = &pending[0].payload else { panic!("{:?}", pending[0]) };
    assert_eq!(content_type, "application/x-www-form-urlencoded");
    assert!(body.starts_with("To=%2B31600000000&From=monitor&Body=%5BCRITICAL%5D"), "{body}");
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        assert!(!text.contains(TOKEN) && !text.contains("Bearer"), "{} holds the token: {text}", path.display());
    }
    assert!(!format!("{sink:?} {:?}", sink.stats()).contains(TOKEN));

    gateway.set_down(false);
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 1).await, "{:?}", sink.stats());
    let accepted = gateway.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].authorization.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
    assert_eq!(accepted[0].field("Body").unwrap().chars().count(), SEGMENT);
    assert!(spool::pending(dir.path(), "sms").unwrap().is_empty());
}
