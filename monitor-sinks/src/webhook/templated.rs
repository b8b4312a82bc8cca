//! Templated webhooks: the body a destination's configuration writes,
//! field by field, for HTTP APIs that are not chat platforms (an SMS
//! gateway, a paging service).

use monitor_rules::vocabulary::truncate_chars;
use monitor_rules::{BodyEncoding, Placeholder, WebhookTemplate, fill_template};
use monitor_runtime::alerting::{AlertState, Notification};

use crate::delivery::format::{RenderOptions, title};

/// The longest value a placeholder gives (characters), as in the generic
/// body: a field without `max_chars` is bounded too.
const MAX_VALUE: usize = 16_384;

/// The body of a templated webhook for `notification`: each field's
/// template filled, cut to its `max_chars` (the truncation marker counted
/// in), then written as a JSON object of strings or as a form, as
/// `template.encoding` says. Its `Content-Type` is
/// [`BodyEncoding::content_type`].
///
/// ```
/// use monitor_rules::{BodyEncoding, TemplateField, WebhookTemplate};
/// use monitor_sinks::delivery::{RenderOptions, sample_notification};
/// use monitor_sinks::webhook::templated;
///
/// let field = |name: &str, template: &str, max_chars| TemplateField {
///     name: name.into(),
///     template: template.into(),
///     max_chars,
/// };
/// let sms = WebhookTemplate {
///     url: "https://sms.example.org/send".into(),
///     encoding: BodyEncoding::Form,
///     fields: vec![field("To", "+31600000000", None), field("Body", "{title}: {message}", Some(40))],
///     auth: None,
/// };
/// let body = templated::render(&sample_notification("card declined".into()), &sms, &RenderOptions::default());
/// assert_eq!(body, "To=%2B31600000000&Body=%5BCRITICAL%5D+too_many_errors%3A%E2%80%A6+%5Btruncated%5D");
/// ```
pub fn render(notification: &Notification, template: &WebhookTemplate, options: &RenderOptions) -> String {
    let fields = template.fields.iter().map(|field| {
        let filled = fill_template(&field.template, |placeholder| value(notification, placeholder, options));
        let value = match field.max_chars {
            Some(max) => truncate_chars(&filled, usize::try_from(max).unwrap_or(usize::MAX)).into_owned(),
            None => filled,
        };
        (field.name.as_str(), value)
    });
    match template.encoding {
        BodyEncoding::Form => url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish(),
        BodyEncoding::Json => {
            let object: serde_json::Map<String, serde_json::Value> =
                fields.map(|(name, value)| (name.to_owned(), serde_json::Value::String(value))).collect();
            serde_json::Value::Object(object).to_string()
        }
    }
}

/// What `placeholder` stands for in this notification; empty when the
/// alert has no such thing (no message, no group, no link configured).
fn value(notification: &Notification, placeholder: Placeholder, options: &RenderOptions) -> String {
    let alert = &notification.alert;
    let details = &alert.details;
    let text = match placeholder {
        Placeholder::Title => title(alert),
        Placeholder::Rule => alert.rule.clone(),
        Placeholder::Severity => alert.severity.as_str().to_owned(),
        Placeholder::Summary => alert.summary.clone(),
        Placeholder::Message => details.message.clone().unwrap_or_default(),
        Placeholder::Service => options.service_of(alert).unwrap_or_default().to_owned(),
        Placeholder::Status => if alert.state == AlertState::Firing { "firing" } else { "resolved" }.to_owned(),
        Placeholder::Link => options.link_for(alert).unwrap_or_default(),
        Placeholder::Group => details.group.map(|g| g.to_string()).unwrap_or_default(),
        Placeholder::Occurrences => details.occurrences.to_string(),
        Placeholder::Key => notification.key.clone(),
        // A placeholder added to the rules crate and not yet here: the
        // validator knows it, so it renders as nothing rather than failing.
        _ => String::new(),
    };
    truncate_chars(&text, MAX_VALUE).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::sample_notification;
    use monitor_rules::TemplateField;
    use monitor_rules::vocabulary::TRUNCATION_MARKER;

    fn template(encoding: BodyEncoding, fields: &[(&str, &str, Option<u32>)]) -> WebhookTemplate {
        WebhookTemplate {
            url: "https://sms.example.org/send".into(),
            encoding,
            fields: fields
                .iter()
                .map(|(name, template, max_chars)| TemplateField {
                    name: (*name).into(),
                    template: (*template).into(),
                    max_chars: *max_chars,
                })
                .collect(),
            auth: None,
        }
    }

    #[test]
    fn every_placeholder_is_filled() {
        let every: String = Placeholder::ALL.iter().map(|p| format!("{}={{{}}};", p.name(), p.name())).collect();
        let mut notification = sample_notification("card declined".into());
        notification.alert.details.group = Some(monitor_runtime::GroupKey(0xabc));
        let options = RenderOptions { link: Some("https://status.example.org/g/{group}".into()), service: None };
        let body = render(&notification, &template(BodyEncoding::Json, &[("all", &every, None)]), &options);
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            json["all"],
            "title=[CRITICAL] too_many_errors: 12 errors within 1h (more than 10);rule=too_many_errors;\
             severity=critical;summary=12 errors within 1h (more than 10);message=card declined;service=billing;\
             status=firing;link=https://status.example.org/g/0000000000000abc;group=0000000000000abc;\
             occurrences=12;key=0123456789abcdef;"
        );
    }

    #[test]
    fn a_long_value_is_cut_to_its_limit_on_a_character_boundary() {
        let notification = sample_notification("é".repeat(500));
        let sms = template(BodyEncoding::Form, &[("Body", "{message}", Some(160)), ("Other", "{message}", None)]);
        let body = render(&notification, &sms, &RenderOptions::default());
        let fields: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        assert_eq!(fields[0].0, "Body");
        assert_eq!(fields[0].1.chars().count(), 160);
        assert!(fields[0].1.ends_with(TRUNCATION_MARKER) && fields[0].1.starts_with("ééé"));
        assert_eq!(fields[1].1, "é".repeat(500), "no limit, no cut");
    }

    #[test]
    fn resolved_alerts_say_so() {
        let mut notification = sample_notification("x".into());
        notification.alert.state = AlertState::Resolved;
        let body = render(
            &notification,
            &template(BodyEncoding::Json, &[("s", "{status}", None), ("t", "{title}", None)]),
            &RenderOptions::default(),
        );
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["s"], "resolved");
        assert!(json["t"].as_str().unwrap().starts_with("[RESOLVED] "));
    }
}
