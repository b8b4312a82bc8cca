//! Templated webhooks in rule files: an SMS gateway's form fields, their
//! placeholders and lengths, and authentication named by environment
//! variables, each mistake at its place.

use monitor_rules::{AlertConfig, BodyEncoding, Target, TemplateField, WebhookAuth, WebhookTemplate};

/// A rule file whose destination `sms` is the table `sms` (on line 2), and
/// a rule that notifies it.
fn file_with(sms: &str) -> String {
    format!(
        "[destinations]\nsms = {{ {sms} }}\n\n[[rules]]\nname = \"r\"\nwhen = \"errors > 10 within 1h\"\n\
         notify = [\"sms\"]\n"
    )
}

/// `line:column message` of every error in the file with `sms`.
fn listed(sms: &str) -> Vec<String> {
    let errors = AlertConfig::from_toml_str(&file_with(sms)).unwrap_err();
    errors.0.iter().map(|e| format!("{}:{} {}", e.line, e.column, e.message)).collect()
}

/// The column (from 1) where `needle` starts in line 2, `sms = { … }`.
fn column_of(sms: &str, needle: &str) -> usize {
    let line = format!("sms = {{ {sms} }}");
    line[..line.find(needle).expect("the needle is in the line")].chars().count() + 1
}

const URL: &str = r#"webhook = "https://sms.example.org/2010-04-01/Accounts/AC0/Messages.json""#;

fn field(name: &str, template: &str, max_chars: Option<u32>) -> TemplateField {
    TemplateField { name: name.into(), template: template.into(), max_chars }
}

#[test]
fn an_sms_gateway_is_a_form_with_to_from_and_body_cut_to_one_segment() {
    let sms = format!(
        r#"{URL}, encoding = "form", fields = {{ To = "+31600000000", From = "monitor", Body = "{{title}}: {{message}}" }}, auth = {{ user_env = "SMS_ACCOUNT", password_env = "SMS_TOKEN" }}, max_chars = {{ Body = 160 }}"#
    );
    let config = AlertConfig::from_toml_str(&file_with(&sms)).unwrap();
    let expected = WebhookTemplate {
        url: "https://sms.example.org/2010-04-01/Accounts/AC0/Messages.json".into(),
        encoding: BodyEncoding::Form,
        fields: vec![
            field("To", "+31600000000", None),
            field("From", "monitor", None),
            field("Body", "{title}: {message}", Some(160)),
        ],
        auth: Some(WebhookAuth::Basic { user_env: "SMS_ACCOUNT".into(), password_env: "SMS_TOKEN".into() }),
    };
    assert_eq!(config.destination("sms").unwrap().target, Target::TemplatedWebhook(expected));
}

#[test]
fn json_is_the_default_encoding_and_auth_may_be_a_bearer_token() {
    let sms = format!(
        r#"{URL}, fields = {{ text = "{{{{{{severity}}}}}} {{summary}}" }}, auth = {{ bearer_env = "PAGER_TOKEN" }}"#
    );
    let config = AlertConfig::from_toml_str(&file_with(&sms)).unwrap();
    let Target::TemplatedWebhook(template) = &config.destination("sms").unwrap().target else { panic!() };
    assert_eq!(template.encoding, BodyEncoding::Json);
    assert_eq!(template.fields, [field("text", "{{{severity}}} {summary}", None)]);
    assert_eq!(template.auth, Some(WebhookAuth::Bearer { token_env: "PAGER_TOKEN".into() }));
    // A webhook without any of it is the generic one, as before.
    let config = AlertConfig::from_toml_str(&file_with(URL)).unwrap();
    assert!(matches!(config.destination("sms").unwrap().target, Target::Webhook(_)));
}

#[test]
fn an_unknown_placeholder_is_placed_at_its_template_and_lists_the_known_ones() {
    let sms = format!(r#"{URL}, encoding = "form", fields = {{ To = "+31600000000", Body = "{{titel}}" }}"#);
    let column = column_of(&sms, r#""{titel}""#);
    let errors = listed(&sms);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(&format!(
            "2:{column} destination `sms`: field `Body`: unknown placeholder `{{titel}}`: expected one of {{title}}, \
             {{rule}}, {{severity}}, {{summary}}, {{message}}, {{service}}, {{status}}, {{link}}, {{group}}, \
             {{occurrences}}, {{key}}"
        )),
        "{errors:?}"
    );
    let sms = format!(r#"{URL}, fields = {{ Body = "{{title" }}"#);
    assert!(listed(&sms)[0].contains("a `{` that is never closed: write `{{` for a brace"));
}

#[test]
fn every_mistake_in_a_template_is_listed_at_its_place() {
    let sms = format!(
        r#"{URL}, encoding = "xml", fields = {{ Body = "{{title}}" }}, max_chars = {{ Bdy = 160, Body = 0 }}, auth = {{ bearer_env = "sk_live 123" }}"#
    );
    let errors = listed(&sms);
    let expect = [
        (column_of(&sms, r#""xml""#), "unknown encoding `xml`: expected `json` or `form`"),
        (column_of(&sms, "Bdy"), "max_chars names `Bdy`, which is not a field of the body: its fields are Body"),
        (column_of(&sms, "0 }"), "max_chars of `Body` is `0`: write a whole number of characters from 1 to"),
        (column_of(&sms, r#""sk_live"#), "auth names the environment variable that holds the secret"),
    ];
    assert_eq!(errors.len(), expect.len(), "{errors:#?}");
    for (column, message) in expect {
        assert!(
            errors.iter().any(|e| e.starts_with(&format!("2:{column} ")) && e.contains(message)),
            "{column} {message}: {errors:#?}"
        );
    }
    assert!(!errors.iter().any(|e| e.contains("sk_live")), "what may be a secret is not shown: {errors:#?}");
}

#[test]
fn template_parts_belong_to_a_webhook_with_fields() {
    let errors = listed(r#"slack = "https://hooks.slack.com/services/T0/B0/X", encoding = "form""#);
    assert!(errors[0].contains("`slack` takes no body template"), "{errors:?}");
    let errors = listed(&format!(r#"{URL}, encoding = "form""#));
    assert!(errors[0].contains("needs at least one field of its body"), "{errors:?}");
    let errors = listed(&format!(r#"{URL}, fields = {{ Body = "x" }}, auth = {{ bearer_env = "A", user_env = "B" }}"#));
    assert!(errors[0].contains("must name `bearer_env`"), "{errors:?}");
    let errors = listed(&format!(r#"{URL}, fields = {{ Body = "x" }}, auth = {{ token = "A" }}"#));
    assert!(errors[0].contains("unknown key `token`"), "{errors:?}");
    let errors = listed(&format!(r#"{URL}, fields = {{ Body = 3 }}"#));
    assert!(errors.iter().any(|e| e.contains("must be a string, found an integer")), "{errors:?}");
}

#[test]
fn a_token_written_where_its_variable_belongs_is_refused_and_not_shown() {
    // It would be a valid name in small letters: variables are named in capitals, tokens rarely are.
    for written in ["ghp_16C7e42F292c6912E7710c838347Ae178B4a", "sk_live_51abc", "Bearer ABC", "1PASSWORD"] {
        let sms = format!(r#"{URL}, fields = {{ Body = "{{title}}" }}, auth = {{ bearer_env = "{written}" }}"#);
        let errors = listed(&sms);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("capital letters, digits and `_`"), "{errors:?}");
        assert!(!errors[0].contains(written), "{errors:?}");
    }
    let sms = format!(
        r#"{URL}, fields = {{ Body = "x" }}, auth = {{ user_env = "_SMS_USER2", password_env = "SMS_TOKEN" }}"#
    );
    assert!(AlertConfig::from_toml_str(&file_with(&sms)).is_ok());
}

#[test]
fn debug_hides_the_url_token_and_shows_variable_names_only() {
    let sms = r#"webhook = "https://hooks.example.org/send/SECRET-PATH", fields = { Body = "{title}" }, auth = { bearer_env = "SMS_TOKEN" }"#;
    let config = AlertConfig::from_toml_str(&file_with(sms)).unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains("SECRET-PATH") && shown.contains("https://hooks.example.org/***"), "{shown}");
    assert!(shown.contains("token_env: \"SMS_TOKEN\""), "{shown}");
}
