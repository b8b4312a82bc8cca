//! Microsoft Teams Workflows webhook bodies: an Adaptive Card in a
//! `message` attachment, within the 28 KB Teams accepts.

use serde_json::{Value, json};

use monitor_runtime::Severity;
use monitor_runtime::alerting::{AlertState, Notification};

use crate::delivery::failure::{CHAT_BACKTRACE_FRAMES, failure_text};
use crate::delivery::format::chars;
use crate::delivery::format::{RenderOptions, event_time, fields, rfc3339, title};
use monitor_rules::vocabulary::truncate_chars as truncate;

/// Teams' limits.
pub mod limits {
    /// Largest request body, in bytes.
    pub const PAYLOAD_BYTES: usize = 28 * 1024;
}

/// The body of a Teams Workflows webhook request.
///
/// ```
/// use monitor_sinks::delivery::{sample_notification, RenderOptions};
/// use monitor_sinks::webhook::teams;
///
/// let body = teams::render(&sample_notification("card 4 declined".into()), &RenderOptions::default());
/// assert_eq!(body["type"], "message");
/// let card = &body["attachments"][0];
/// assert_eq!(card["contentType"], "application/vnd.microsoft.card.adaptive");
/// assert_eq!(card["content"]["type"], "AdaptiveCard");
/// assert_eq!(card["content"]["body"][0]["color"], "attention");
/// ```
pub fn render(notification: &Notification, options: &RenderOptions) -> Value {
    if let Some(report) = &notification.summary {
        return super::summary::teams(notification, report, options);
    }
    let alert = &notification.alert;
    let mut message = alert.details.message.clone().unwrap_or_default();
    let mut traceback = failure_text(&alert.details, CHAT_BACKTRACE_FRAMES);
    let mut facts = fields(alert, options);
    // Halve the longest texts until the card fits: the traceback first, then
    // the message, then the facts from the end.
    loop {
        let body = card(notification, options, &message, &traceback, &facts);
        if serde_json::to_vec(&body).map_or(0, |b| b.len()) <= limits::PAYLOAD_BYTES {
            return body;
        }
        if chars(&traceback) > 200 {
            traceback = truncate(&traceback, chars(&traceback) / 2).into_owned();
        } else if chars(&message) > 200 {
            message = truncate(&message, chars(&message) / 2).into_owned();
        } else if facts.pop().is_none() {
            break;
        }
    }
    // Only a giant rule name, summary, key or link can get here: a card with
    // the title cut short and nothing else always fits.
    let bare = RenderOptions { link: None, ..options.clone() };
    let mut short = notification.clone();
    short.alert.rule = truncate(&short.alert.rule, 200).into_owned();
    short.alert.summary = truncate(&short.alert.summary, 800).into_owned();
    short.key = truncate(&short.key, 100).into_owned();
    card(&short, &bare, "", "", &[])
}

fn card(
    notification: &Notification,
    options: &RenderOptions,
    message: &str,
    traceback: &str,
    facts: &[(String, String)],
) -> Value {
    let alert = &notification.alert;
    let colour = match (alert.state, alert.severity) {
        (AlertState::Resolved, _) => "good",
        (_, Severity::Fatal | Severity::Critical | Severity::Error) => "attention",
        (_, Severity::Warning) => "warning",
        _ => "accent",
    };
    let mut body = vec![json!({
        "type": "TextBlock", "text": title(alert), "weight": "bolder", "size": "medium", "color": colour, "wrap": true,
    })];
    if !message.is_empty() {
        body.push(json!({ "type": "TextBlock", "text": message, "wrap": true }));
    }
    body.push(json!({
        "type": "FactSet",
        "facts": facts.iter().map(|(title, value)| json!({ "title": title, "value": value })).collect::<Vec<_>>(),
    }));
    if !traceback.is_empty() {
        body.push(
            json!({ "type": "TextBlock", "text": traceback, "wrap": true, "fontType": "monospace", "size": "small" }),
        );
    }
    body.push(json!({
        "type": "TextBlock",
        "text": format!("{} · notification {}", rfc3339(event_time(alert)), notification.key),
        "isSubtle": true, "size": "small", "wrap": true,
    }));
    adaptive_message(body, options.link_for(alert))
}

/// The message Teams takes: one full-width Adaptive Card of `body`, with an
/// "Open" button when there is a link. Alerts and summaries share it.
pub(super) fn adaptive_message(body: Vec<Value>, link: Option<String>) -> Value {
    let mut content = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": { "width": "Full" },
        "body": body,
    });
    if let Some(link) = link {
        content["actions"] = json!([{ "type": "Action.OpenUrl", "title": "Open", "url": link }]);
    }
    json!({
        "type": "message",
        "attachments": [{ "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": content }],
    })
}
