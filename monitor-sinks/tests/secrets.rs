//! Secrets of every kind, planted in every field an event, an audit record and a notification can
//! carry, reach no sink: not the SQLite file, not a webhook on loopback, not the spool, not a
//! rendered webhook or e-mail body. Each case runs the whole pipeline: the worker scrubs, an alert
//! rule fires, the delivery renders and sends (one destination answers, one is down and spools).

mod support;

use std::path::Path;
use std::time::{Duration, Instant, UNIX_EPOCH};

use monitor_runtime::alerting::ManualClock;
use monitor_runtime::alerts::AlertConfig;
use monitor_runtime::audit::{AuditEvent, audit};
use monitor_runtime::{Context, MemorySink, Monitor, monitor};
use monitor_sinks::delivery::{DeliveryOptions, RenderOptions, RetryPolicy};
use monitor_sinks::sqlite::SqliteSink;
use monitor_sinks::{email, spool, webhook};
use proptest::prelude::*;
use support::{Platform, Reply, WebhookServer, spool_dir};

/// In the dashboard link every body carries; it must not reach one.
const LINK_TOKEN: &str = "LinkT0ken9f8e7d6c";

#[derive(Debug)]
struct UpstreamError {
    message: String,
    cause: Option<Box<UpstreamError>>,
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UpstreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|e| e as _)
    }
}

#[monitor(args(note))]
fn call_upstream(note: &str, message: &str, cause: &str) -> Result<(), UpstreamError> {
    let _ = note;
    Err(UpstreamError {
        message: message.to_owned(),
        cause: Some(Box::new(UpstreamError { message: cause.to_owned(), cause: None })),
    })
}

#[derive(AuditEvent)]
#[audit(process = "account_security", action = "review")]
struct Reviewed {
    #[audit(reference = "account")]
    account: String,
    #[audit(actor)]
    reviewer: String,
    note: String,
    comments: Vec<String>,
}

/// A secret as planted, and the parts of it that must appear nowhere.
#[derive(Clone, Debug)]
struct Planted {
    text: String,
    forbidden: Vec<String>,
}

fn b64(range: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Za-z0-9_-]{{{},{}}}", range.start(), range.end())).unwrap()
}

/// The Luhn check digit appended to `body`.
fn card(body: &str) -> String {
    (0..10).map(|d| format!("{body}{d}")).find(|c| monitor_runtime::scrub::luhn_valid(c)).unwrap()
}

/// Check digits that make `country` + `bban` a valid IBAN.
fn iban(country: &str, bban: &str) -> String {
    let digits = format!("{bban}{country}00").chars().filter_map(|c| c.to_digit(36)).collect::<Vec<_>>();
    let remainder = digits.iter().fold(0, |acc, &d| (acc * if d >= 10 { 100 } else { 10 } + d) % 97);
    format!("{country}{:02}{bban}", 98 - remainder)
}

fn grouped(text: &str, separator: &str) -> String {
    text.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(separator)
}

fn whole(text: String) -> Planted {
    Planted { forbidden: vec![text.clone()], text }
}

/// One secret of every kind the scrubber knows, written the ways people write them.
fn secret() -> impl Strategy<Value = Planted> {
    prop_oneof![
        (b64(10..=30), b64(10..=40), b64(20..=43)).prop_map(|(h, p, s)| whole(format!("eyJ{h}.eyJ{p}.{s}"))),
        "(AKIA|ASIA)[A-Z0-9]{16}".prop_map(whole),
        "[A-Z][a-z][0-9][A-Za-z0-9/+]{37}".prop_map(whole),
        (prop::sample::select(vec!["Bearer", "Token", "Bot", "Basic", "Digest", "ApiKey"]), "[A-Za-z0-9._~+/-]{16,40}")
            .prop_map(|(scheme, credential)| Planted {
                text: format!("Authorization: {scheme} {credential}"),
                forbidden: vec![credential],
            }),
        (prop::sample::select(vec!["sessionid", "JSESSIONID", "PHPSESSID"]), "[A-Za-z0-9]{16,32}", any::<bool>())
            .prop_map(|(name, value, header)| Planted {
                text: format!("{}{name}={value}", if header { "Cookie: lang=en; " } else { "" }),
                forbidden: vec![value],
            }),
        (prop::sample::select(vec!["sig", "key", "X-Amz-Signature", "token", "code"]), "[A-Za-z0-9%]{16,40}").prop_map(
            |(name, value)| Planted {
                text: format!("https://files.example.org/f?id=7&{name}={value}&page=2"),
                forbidden: vec![value],
            }
        ),
        (prop::sample::select(vec!["", "RSA ", "EC ", "OPENSSH "]), "[A-Za-z0-9+/]{32,64}").prop_map(|(kind, body)| {
            Planted {
                text: format!("-----BEGIN {kind}PRIVATE KEY-----\n{body}\n-----END {kind}PRIVATE KEY-----"),
                forbidden: vec![body],
            }
        }),
        ("[A-Z]{2}", "[A-Z0-9]{11,26}", 0..3, prop::sample::select(vec!["", " ", "  "])).prop_map(
            |(country, bban, case, separator)| {
                let valid = iban(&country, &bban);
                let written = match case {
                    0 => valid.clone(),
                    1 => valid.to_lowercase(),
                    _ => valid
                        .chars()
                        .enumerate()
                        .map(|(i, c)| if i % 2 == 0 { c.to_ascii_lowercase() } else { c })
                        .collect(),
                };
                let middle = written[4..written.len() - 4].to_owned();
                Planted { text: grouped(&written, separator), forbidden: vec![middle] }
            }
        ),
        ("[2-6][0-9]{11,17}", prop::sample::select(vec!["", " ", "-", ".", "  "])).prop_map(|(body, separator)| {
            let number = card(&body);
            Planted { text: grouped(&number, separator), forbidden: vec![number[..number.len() - 4].to_owned()] }
        }),
        ("[a-z]{6,10}\\.[a-z]{2,8}", "[a-z]{3,10}\\.(org|com|de)")
            .prop_map(|(local, domain)| Planted { text: format!("{local}@{domain}"), forbidden: vec![local] }),
        (prop::sample::select(vec!["passphrase", "pin", "PIN", "otp", "Otp"]), "[A-Za-z0-9]{8,16}", any::<bool>())
            .prop_map(|(key, value, colon)| Planted {
                text: format!("{key}{}{value}", if colon { ": " } else { "=" }),
                forbidden: vec![value],
            }),
        prop::collection::vec("[a-z]{8,12}", 2..5)
            .prop_map(|words| Planted { text: format!("password: {}", words.join(" ")), forbidden: words }),
    ]
}

fn surrounding() -> impl Strategy<Value = String> {
    "[a-zA-Z ]{0,12}"
}

/// Every byte of the files under `dir` (the SQLite file, its journal, spool files).
fn bytes_under(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all.extend(bytes_under(&path));
        } else {
            all.extend(std::fs::read(&path).unwrap_or_default());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

/// Polls until `done` holds, for at most ten seconds.
fn wait_for(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done()
}

fn rules(up: &str, down: &str) -> AlertConfig {
    AlertConfig::from_toml_str(&format!(
        r#"
        [destinations]
        up = {{ webhook = "{up}" }}
        down = {{ webhook = "{down}" }}

        [[rules]]
        name = "upstream_errors"
        when = "new_group(severity >= error)"
        severity = "critical"
        notify = ["up", "down"]
        group_wait = "1s"
        "#
    ))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_planted_secret_reaches_storage_the_spool_or_a_rendered_body(
        planted in secret(),
        (before, after) in (surrounding(), surrounding()),
    ) {
        prop_assume!(planted.forbidden.iter().all(|f| !before.contains(f.as_str()) && !after.contains(f.as_str())));
        let text = format!("{before} {} {after}", planted.text);
        let files = tempfile::tempdir().unwrap();
        let spool = spool_dir();
        let up = WebhookServer::start(Platform::Generic);
        let down = WebhookServer::start(Platform::Generic);
        down.set_default(Reply::Status(503));
        let link = format!("https://dash.example.org/groups/{{group}}?auth={LINK_TOKEN}&view=1");
        let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_800_000_000));
        let memory = MemorySink::new();
        let guard = Monitor::builder()
            .service("billing")
            .sink(SqliteSink::new(files.path().join("monitor.db")))
            .sink(memory.clone())
            .alerts(rules(&up.url("/hook"), &down.url("/hook")))
            .delivery(
                DeliveryOptions::new()
                    .spool_dir(spool.path())
                    .retry(RetryPolicy::default().max_attempts(1))
                    .link(link.clone()),
            )
            .clock(clock.clone())
            .install()
            .unwrap();
        {
            let _scope = Context::new()
                .user(text.clone())
                .trace_id(text.clone())
                .tag("note", text.clone())
                .tag("tenant", "acme")
                .enter();
            let _ = call_upstream(&text, &format!("payment failed: {text}"), &format!("gateway said {text}"));
            audit(&Reviewed { account: text.clone(), reviewer: text.clone(), note: text.clone(), comments: vec![text.clone()] })
                .unwrap();
        }
        prop_assert!(guard.flush(Duration::from_secs(10)));
        clock.advance(Duration::from_secs(2));
        prop_assert!(guard.flush(Duration::from_secs(10)));
        let spooled = || spool::pending(spool.path(), "down").map(|records| records.len()).unwrap_or(0);
        prop_assert!(wait_for(|| !up.received().is_empty() && spooled() > 0), "delivered and spooled");
        guard.shutdown();

        let notifications = memory.notifications();
        prop_assert!(!notifications.is_empty());
        let options = RenderOptions { link: Some(link), service: None };
        let mut rendered = Vec::new();
        for notification in &notifications {
            let mail = email::render(notification, &options);
            rendered.push(format!("{}\n{}\n{}", mail.subject, mail.text, mail.html));
            for body in [
                webhook::generic::render(notification, &options),
                webhook::slack::render(notification, &options),
                webhook::discord::render(notification, &options),
                webhook::teams::render(notification, &options),
            ] {
                rendered.push(body.to_string());
            }
        }
        let received: Vec<String> = up.received().iter().map(|r| r.body.to_string()).collect();
        prop_assert!(received.iter().any(|body| body.contains("view=1")), "the link is there: {:?}", received);
        let places = [
            ("storage", bytes_under(files.path())),
            ("spool", bytes_under(spool.path())),
            ("webhook", received.join("\n").into_bytes()),
            ("rendered bodies", rendered.join("\n").into_bytes()),
        ];
        for (place, bytes) in &places {
            for forbidden in planted.forbidden.iter().map(String::as_str).chain([LINK_TOKEN]) {
                prop_assert!(
                    !contains(bytes, forbidden),
                    "{} from {:?} reached the {}: {}",
                    forbidden,
                    text,
                    place,
                    String::from_utf8_lossy(bytes)
                );
            }
        }
    }
}
