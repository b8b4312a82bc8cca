//! Slack incoming-webhook bodies: Block Kit in an attachment coloured by
//! severity, with a plain-text fallback, within Slack's published limits.

use serde_json::{Value, json};

use monitor_runtime::alerting::Notification;

use crate::delivery::failure::{CHAT_BACKTRACE_FRAMES, failure_text};
use crate::delivery::format::{RenderOptions, colour, event_time, fields, fields_left_out, rfc3339, title};
use monitor_rules::vocabulary::truncate_chars as truncate;

/// Slack's limits (characters), from its Block Kit reference.
pub mod limits {
    /// Blocks per message.
    pub const BLOCKS: usize = 50;
    /// Text of a section block.
    pub const SECTION_TEXT: usize = 3000;
    /// Text of a header block.
    pub const HEADER: usize = 150;
    /// Fields per section block.
    pub const SECTION_FIELDS: usize = 10;
    /// Text of one section field.
    pub const FIELD_TEXT: usize = 2000;
    /// A button's URL.
    pub const URL: usize = 3000;
    /// The top-level `text` fallback is kept to a section's size.
    pub const FALLBACK: usize = SECTION_TEXT;
}

/// The body of a Slack incoming-webhook request.
///
/// ```
/// use monitor_sinks::delivery::{sample_notification, RenderOptions};
/// use monitor_sinks::webhook::slack;
///
/// let body = slack::render(&sample_notification("card 4 declined".into()), &RenderOptions::default());
/// assert_eq!(body["text"], "[CRITICAL] too_many_errors: 12 errors within 1h (more than 10)");
/// assert_eq!(body["attachments"][0]["color"], "#c62828");
/// assert_eq!(body["attachments"][0]["blocks"][0]["type"], "header");
/// ```
pub fn render(notification: &Notification, options: &RenderOptions) -> Value {
    if let Some(report) = &notification.summary {
        return super::summary::slack(notification, report, options);
    }
    let alert = &notification.alert;
    let title_text = title(alert);
    let mut blocks = vec![json!({
        "type": "header",
        "text": { "type": "plain_text", "text": truncate(&title_text, limits::HEADER), "emoji": false },
    })];
    if let Some(message) = alert.details.message.as_deref().filter(|m| !m.is_empty()) {
        blocks.push(section(message));
    }
    let mut field_texts: Vec<Value> = fields(alert, options)
        .into_iter()
        .map(|(name, value)| {
            let text = format!("*{}*\n{}", escape(&name), escape(&value));
            json!({ "type": "mrkdwn", "text": truncate(&text, limits::FIELD_TEXT) })
        })
        .collect();
    let mut tail = Vec::new();
    let failure = failure_text(&alert.details, CHAT_BACKTRACE_FRAMES);
    if !failure.is_empty() {
        tail.push(section(&format!("```{failure}```")));
    }
    tail.push(json!({
        "type": "context",
        "elements": [{
            "type": "mrkdwn",
            "text": truncate(&format!("{} · notification `{}`", rfc3339(event_time(alert)), notification.key), limits::SECTION_TEXT),
        }],
    }));
    if let Some(link) = options.link_for(alert).filter(|link| link.len() <= limits::URL) {
        tail.push(json!({
            "type": "actions",
            "elements": [{ "type": "button", "text": { "type": "plain_text", "text": "Open" }, "url": link }],
        }));
    }
    // Field sections fill what the 50 blocks leave (at most 5 go to the
    // rest, so there is always room); past it the last field slot says how
    // many were left out, so a reader knows the list is not whole.
    let room = limits::BLOCKS.saturating_sub(blocks.len() + tail.len());
    let capacity = room * limits::SECTION_FIELDS;
    if field_texts.len() > capacity && capacity > 0 {
        let left_out = field_texts.len() - (capacity - 1);
        field_texts.truncate(capacity - 1);
        field_texts.push(json!({ "type": "mrkdwn", "text": fields_left_out(left_out) }));
    }
    for chunk in field_texts.chunks(limits::SECTION_FIELDS).take(room) {
        blocks.push(json!({ "type": "section", "fields": chunk }));
    }
    blocks.extend(tail);
    json!({
        "text": truncate(&title_text, limits::FALLBACK),
        "attachments": [{ "color": format!("#{:06x}", colour(alert)), "blocks": blocks }],
    })
}

fn section(text: &str) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": truncate(&escape(text), limits::SECTION_TEXT) } })
}

/// Slack's mrkdwn treats `&`, `<` and `>` as markup.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
