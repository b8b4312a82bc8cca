//! Planted secrets never reach a sink: not in messages, `source()` chains,
//! context or captured arguments.

use monitor_runtime::{Context, MemorySink, Monitor, monitor};
use proptest::prelude::*;

#[derive(Debug)]
struct GatewayError {
    message: String,
    source: Option<Box<GatewayError>>,
}

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GatewayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

#[monitor(args(api_key, reference))]
fn call_gateway(api_key: &str, reference: &str, message: &str, cause: &str) -> Result<(), GatewayError> {
    let _ = (api_key, reference);
    Err(GatewayError {
        message: message.to_owned(),
        source: Some(Box::new(GatewayError { message: cause.to_owned(), source: None })),
    })
}

/// Appends the Luhn check digit to `body`.
fn card_with_check_digit(body: &str) -> String {
    (0..10)
        .map(|d| format!("{body}{d}"))
        .find(|candidate| monitor_runtime::scrub::luhn_valid(candidate))
        .expect("one digit completes it")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn planted_secrets_never_reach_a_sink(
        password in "[A-Za-z0-9]{10,20}",
        token in "[A-Za-z0-9]{20,32}",
        api_key in "[A-Za-z0-9]{16,24}",
        card_body in "5[0-9]{14}",
        words in "[a-z]{3,8}",
    ) {
        let card = card_with_check_digit(&card_body);
        let sink = MemorySink::new();
        let guard = Monitor::builder().sink(sink.clone()).install().expect("installs");
        {
            let _scope = Context::new().tag("session", token.clone()).tag("tenant", words.clone()).enter();
            let message = format!("{words} login failed: password={password}, card {card}");
            let cause = format!("upstream said Authorization: Bearer {token}");
            let _ = call_gateway(&api_key, &words, &message, &cause);
        }
        guard.shutdown();

        let events = sink.events();
        prop_assert_eq!(events.len(), 1);
        let everything = serde_json::to_string(&*events[0]).expect("events serialize");
        for secret in [&password, &token, &api_key, &card] {
            prop_assert!(!everything.contains(secret.as_str()), "{} leaked in {}", secret, everything);
        }
        prop_assert!(everything.contains(&words), "the harmless parts survive: {}", everything);
    }
}
