//! Discord webhook bodies: one embed with the severity's colour, fields, a
//! timestamp and a footer, within Discord's published limits.

use serde_json::{Value, json};

use monitor_runtime::alerting::Notification;

use crate::delivery::failure::{CHAT_BACKTRACE_FRAMES, failure_text};
use crate::delivery::format::chars;
use crate::delivery::format::{RenderOptions, colour, event_time, fields, fields_left_out, rfc3339, title};
use monitor_rules::vocabulary::truncate_chars as truncate;

/// Discord's limits (characters), from its developer documentation.
pub mod limits {
    /// Message content.
    pub const CONTENT: usize = 2000;
    /// Embed title.
    pub const TITLE: usize = 256;
    /// Embed description.
    pub const DESCRIPTION: usize = 4096;
    /// Fields per embed.
    pub const FIELDS: usize = 25;
    /// Field name.
    pub const FIELD_NAME: usize = 256;
    /// Field value.
    pub const FIELD_VALUE: usize = 1024;
    /// Footer text.
    pub const FOOTER: usize = 2048;
    /// Title, description, field names and values and footer together.
    pub const TOTAL: usize = 6000;
}

/// A description is shortened before any field is dropped, down to this.
const DESCRIPTION_FLOOR: usize = 500;

/// The name of the last field when some were left out (Discord refuses
/// an empty name).
const LEFT_OUT_NAME: &str = "Not shown";

/// The body of a Discord webhook request.
///
/// ```
/// use monitor_sinks::delivery::{sample_notification, RenderOptions};
/// use monitor_sinks::webhook::discord;
///
/// let body = discord::render(&sample_notification("card 4 declined".into()), &RenderOptions::default());
/// let embed = &body["embeds"][0];
/// assert_eq!(embed["title"], "[CRITICAL] too_many_errors: 12 errors within 1h (more than 10)");
/// assert_eq!(embed["color"], 0xC62828);
/// assert_eq!(embed["timestamp"], "2027-01-15T08:00:00Z");
/// assert!(embed["footer"]["text"].as_str().unwrap().contains("0123456789abcdef"));
/// ```
pub fn render(notification: &Notification, options: &RenderOptions) -> Value {
    if let Some(report) = &notification.summary {
        return super::summary::discord(notification, report);
    }
    let alert = &notification.alert;
    let title_text = title(alert);
    let mut embed_title = truncate(&title_text, limits::TITLE).into_owned();
    let mut description = truncate(&describe(notification), limits::DESCRIPTION).into_owned();
    let all_fields = fields(alert, options);
    let field_count = all_fields.len();
    let mut embed_fields: Vec<(String, String)> = all_fields
        .into_iter()
        .take(limits::FIELDS)
        .map(|(name, value)| {
            (truncate(&name, limits::FIELD_NAME).into_owned(), truncate(&value, limits::FIELD_VALUE).into_owned())
        })
        .collect();
    // Fields left out are counted in a last field of their own, which
    // takes one of the 25 places.
    if field_count > limits::FIELDS {
        embed_fields.truncate(limits::FIELDS - 1);
    }
    let left_out = |kept: &[(String, String)]| {
        (field_count > kept.len()).then(|| (LEFT_OUT_NAME.to_owned(), fields_left_out(field_count - kept.len())))
    };
    let footer = truncate(&format!("monitor · notification {}", notification.key), limits::FOOTER).into_owned();
    // Over the total: the description gives way first, then the last fields
    // (counted with the others left out).
    loop {
        let field_chars = |(n, v): &(String, String)| chars(n) + chars(v);
        let total = chars(&embed_title)
            + chars(&description)
            + embed_fields.iter().map(field_chars).sum::<usize>()
            + left_out(&embed_fields).as_ref().map_or(0, field_chars)
            + chars(&footer);
        if total <= limits::TOTAL {
            break;
        }
        let excess = total - limits::TOTAL;
        let description_chars = chars(&description);
        if description_chars > DESCRIPTION_FLOOR {
            let keep = description_chars.saturating_sub(excess).max(DESCRIPTION_FLOOR);
            description = truncate(&description, keep).into_owned();
        } else if embed_fields.pop().is_none() {
            let keep = chars(&embed_title).saturating_sub(excess);
            embed_title = truncate(&embed_title, keep).into_owned();
        }
    }
    embed_fields.extend(left_out(&embed_fields));
    let mut embed = json!({
        "title": embed_title,
        "description": description,
        "color": colour(alert),
        "timestamp": rfc3339(event_time(alert)),
        "footer": { "text": footer },
        "fields": embed_fields
            .into_iter()
            .map(|(name, value)| json!({ "name": name, "value": value, "inline": chars(&value) <= 40 }))
            .collect::<Vec<_>>(),
    });
    if let Some(link) = options.link_for(alert) {
        embed["url"] = json!(link);
    }
    json!({
        "content": truncate(&title_text, limits::CONTENT),
        "embeds": [embed],
        // Nobody is pinged by what an alert message happens to contain.
        "allowed_mentions": { "parse": [] },
    })
}

/// The latest message, then the error chain and backtrace in a code block.
pub(crate) fn describe(notification: &Notification) -> String {
    let details = &notification.alert.details;
    let mut text = details.message.clone().unwrap_or_default();
    let failure = failure_text(details, CHAT_BACKTRACE_FRAMES);
    if !failure.is_empty() {
        text.push_str("\n```\n");
        text.push_str(&failure);
        text.push_str("\n```");
    }
    text
}
