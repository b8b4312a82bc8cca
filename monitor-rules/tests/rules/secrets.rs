//! Webhook tokens stay out of `Debug` output and out of error messages.

use monitor_rules::{AlertConfig, BodyEncoding, Destination, Target, TemplateField, WebhookAuth, WebhookTemplate};

const TOKEN: &str = "XTOKENX";

fn config() -> AlertConfig {
    let text = format!(
        r#"
[destinations]
slack = {{ slack = "https://hooks.slack.com/services/T0{TOKEN}/B0{TOKEN}/{TOKEN}" }}
discord = {{ discord = "https://discord.com/api/webhooks/1234{TOKEN}/{TOKEN}" }}
teams = {{ teams = "https://prod.logic.azure.com:443/workflows/{TOKEN}/triggers/manual?sig={TOKEN}" }}
hook = {{ webhook = "https://relay:{TOKEN}@alerts.example.org/hooks/{TOKEN}#{TOKEN}" }}
oncall = {{ email = ["oncall@example.org"] }}

[[rules]]
name = "too_many_errors"
when = "errors > 10 within 1h"
notify = ["slack", "discord", "teams", "hook", "oncall"]
"#
    );
    AlertConfig::from_toml_str(&text).unwrap()
}

#[test]
fn debug_of_a_configuration_shows_no_token() {
    let config = config();
    for shown in [format!("{config:?}"), format!("{config:#?}")] {
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(!shown.contains("relay"), "user info is hidden: {shown}");
        for expected in [
            "\"https://hooks.slack.com/services/***\"",
            "\"https://discord.com/api/webhooks/***\"",
            "\"https://prod.logic.azure.com/workflows/***\"",
            "\"https://***@alerts.example.org/***\"",
            "\"oncall@example.org\"",
        ] {
            assert!(shown.contains(expected), "{expected} missing from {shown}");
        }
    }
}

#[test]
fn debug_of_a_target_built_by_hand_shows_no_token() {
    for target in [
        Target::Slack(format!("hooks.slack.com/services/T0/B0/{TOKEN}")),
        Target::Discord(format!("not a url {TOKEN}")),
        Target::Webhook(format!("mailto:{TOKEN}@example.org")),
        Target::Teams(format!("https://example.org/?sig={TOKEN}")),
        Target::TemplatedWebhook(WebhookTemplate {
            url: format!("https://sms.example.org/send/{TOKEN}?key={TOKEN}"),
            encoding: BodyEncoding::Form,
            fields: vec![TemplateField { name: "Body".into(), template: "{title}".into(), max_chars: Some(160) }],
            auth: Some(WebhookAuth::Bearer { token_env: "SMS_TOKEN".into() }),
        }),
    ] {
        let destination = Destination { name: "d".to_owned(), target, per_minute: None };
        let shown = format!("{destination:?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("***"), "{shown}");
    }
}

#[test]
fn a_value_that_is_not_a_url_is_named_by_its_place_not_its_text() {
    let text = format!(
        "[destinations]\nchat = {{ slack = \"hooks.slack.com/services/T0/B0/{TOKEN}\" }}\nhook = {{ webhook = \"https://exa mple.org/{TOKEN}\" }}\n"
    );
    let errors = AlertConfig::from_toml_str(&text).unwrap_err();
    let urls: Vec<_> = errors.0.iter().filter(|e| e.message.starts_with("not a URL")).collect();
    assert_eq!(urls.len(), 2, "{errors}");
    assert_eq!((urls[0].line, urls[0].column), (2, 18));
    assert_eq!((urls[1].line, urls[1].column), (3, 20));
    assert!(urls[0].message.starts_with("not a URL: expected https://host/path ("), "{}", urls[0].message);
    let shown = errors.to_string();
    assert!(!shown.contains(TOKEN) && !shown.contains("hooks.slack") && !shown.contains("mple"), "{shown}");
}

#[test]
fn a_plain_http_url_is_named_without_its_token() {
    let text = format!("[destinations]\nchat = {{ slack = \"http://hooks.slack.com/services/T0/B0/{TOKEN}\" }}\n");
    let errors = AlertConfig::from_toml_str(&text).unwrap_err();
    let shown = errors.to_string();
    assert!(shown.contains("`http://hooks.slack.com/services/***` uses `http`"), "{shown}");
    assert!(!shown.contains(TOKEN), "{shown}");
}

#[test]
fn a_single_path_segment_is_a_secret_too() {
    let text = r#"
[destinations]
ntfy = { webhook = "https://ntfy.sh/opsalerts" }
hook = { webhook = "https://example.org/hook" }
upper = { webhook = "https://example.org/SECRET" }
"#;
    let config = AlertConfig::from_toml_str(text).unwrap();
    let shown = format!("{config:?}");
    for secret in ["opsalerts", "/hook", "SECRET"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("\"https://ntfy.sh/***\"") && shown.contains("\"https://example.org/***\""), "{shown}");
    let errors = AlertConfig::from_toml_str("[destinations]\nntfy = { webhook = \"http://ntfy.sh/opsalerts\" }\n")
        .unwrap_err()
        .to_string();
    assert!(errors.contains("`http://ntfy.sh/***` uses `http`") && !errors.contains("opsalerts"), "{errors}");
}
