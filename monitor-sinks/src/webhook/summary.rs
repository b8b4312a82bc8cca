//! Scheduled summaries in each chat platform's format, within the same
//! published limits as alerts (see each platform's `limits`), and as the
//! generic webhook's `monitor.summary.v1` JSON.

use std::time::SystemTime;

use serde_json::{Value, json};

use monitor_runtime::alerting::Notification;
use monitor_runtime::summary::{SummaryGroup, SummaryReport, SummarySection};

use super::{discord, slack, teams};
use crate::delivery::format::{RenderOptions, chars, rfc3339};
use monitor_rules::vocabulary::truncate_chars as truncate;

/// The `schema` of the generic webhook's summary body.
pub const SUMMARY_SCHEMA: &str = "monitor.summary.v1";

/// A section's lines as a list, one entry a line.
fn bullets(section: &SummarySection) -> String {
    section.lines.iter().map(|line| format!("• {line}")).collect::<Vec<_>>().join("\n")
}

/// `period · every day at 08:00 (UTC) · notification key`.
fn footer(report: &SummaryReport, key: &str) -> String {
    [report.period.as_str(), report.schedule.as_str(), &format!("notification {key}")]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

fn time_of(report: &SummaryReport) -> SystemTime {
    report.until.unwrap_or(SystemTime::UNIX_EPOCH)
}

/// A summary as a Slack message: a header, then a section per part of the
/// report, then its period.
pub(super) fn slack(notification: &Notification, report: &SummaryReport, options: &RenderOptions) -> Value {
    let title = report.title();
    let mut blocks = vec![json!({
        "type": "header",
        "text": { "type": "plain_text", "text": truncate(&title, slack::limits::HEADER), "emoji": false },
    })];
    for section in report.sections() {
        let text = format!("*{}*\n{}", section.heading, slack_escape(&bullets(&section)));
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": truncate(&text, slack::limits::SECTION_TEXT) },
        }));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{
            "type": "mrkdwn",
            "text": truncate(&slack_escape(&footer(report, &notification.key)), slack::limits::SECTION_TEXT),
        }],
    }));
    if let Some(link) = summary_link(notification, options).filter(|link| link.len() <= slack::limits::URL) {
        blocks.push(json!({
            "type": "actions",
            "elements": [{ "type": "button", "text": { "type": "plain_text", "text": "Open" }, "url": link }],
        }));
    }
    json!({ "text": truncate(&title, slack::limits::FALLBACK), "blocks": blocks })
}

fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The most of the embed's 6,000 characters the period and the footer take,
/// so the parts always have most of it.
const DISCORD_PERIOD: usize = 1_000;
const DISCORD_FOOTER: usize = 500;

/// A summary as one Discord embed: a field per part of the report. The
/// parts share what the title, period and footer leave of the embed's
/// 6,000 characters: each short part whole, the longer ones cut to equal
/// shares.
pub(super) fn discord(notification: &Notification, report: &SummaryReport) -> Value {
    use discord::limits;
    let title = truncate(&report.title(), limits::TITLE).into_owned();
    let description = truncate(&report.period, DISCORD_PERIOD).into_owned();
    let footer = truncate(&footer(report, &notification.key), DISCORD_FOOTER).into_owned();
    let sections: Vec<(String, String)> = report
        .sections()
        .iter()
        .take(limits::FIELDS)
        .map(|section| (truncate(section.heading, limits::FIELD_NAME).into_owned(), bullets(section)))
        .collect();
    let fixed = chars(&title) + chars(&description) + chars(&footer);
    let names: usize = sections.iter().map(|(name, _)| chars(name)).sum();
    let room = limits::TOTAL.saturating_sub(fixed + names);
    let shares = fair_shares(&sections.iter().map(|(_, value)| chars(value)).collect::<Vec<_>>(), room);
    let fields: Vec<Value> = sections
        .iter()
        .zip(shares)
        .map(|((name, value), share)| {
            json!({ "name": name, "value": truncate(value, share.clamp(1, limits::FIELD_VALUE)) })
        })
        .collect();
    json!({
        "embeds": [{
            "title": title,
            "description": description,
            "color": 0x1565C0,
            "fields": fields,
            "footer": { "text": footer },
            "timestamp": rfc3339(time_of(report)),
        }],
    })
}

/// Shares of `room` for texts of these lengths, none over its length: the
/// shortest are given their whole length, the rest split what is left
/// equally.
fn fair_shares(lengths: &[usize], room: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by_key(|&index| lengths[index]);
    let mut shares = vec![0; lengths.len()];
    let mut left = room;
    for (done, &index) in order.iter().enumerate() {
        let share = (left / (lengths.len() - done)).min(lengths[index]);
        shares[index] = share;
        left -= share;
    }
    shares
}

/// A summary as a Teams Adaptive Card: a heading and a list per part of
/// the report. Past the 28 KB Teams accepts, the longest part is halved
/// until the card fits.
pub(super) fn teams(notification: &Notification, report: &SummaryReport, options: &RenderOptions) -> Value {
    let mut sections: Vec<(String, String)> = report
        .sections()
        .iter()
        .map(|section| {
            (section.heading.to_owned(), section.lines.iter().map(|l| format!("- {l}")).collect::<Vec<_>>().join("\r"))
        })
        .collect();
    loop {
        let body = teams_card(notification, report, options, &sections);
        let size = serde_json::to_vec(&body).map_or(0, |bytes| bytes.len());
        if size <= teams::limits::PAYLOAD_BYTES {
            return body;
        }
        // Each pass halves the longest part: at most about 20 passes per part.
        match sections.iter_mut().max_by_key(|(_, text)| text.len()) {
            Some(longest) if chars(&longest.1) > 1 => {
                longest.1 = truncate(&longest.1, chars(&longest.1) / 2).into_owned();
            }
            _ => return teams_card(notification, report, &RenderOptions::default(), &[]),
        }
    }
}

fn teams_card(
    notification: &Notification,
    report: &SummaryReport,
    options: &RenderOptions,
    sections: &[(String, String)],
) -> Value {
    let mut body = vec![
        json!({ "type": "TextBlock", "text": truncate(&report.title(), 500), "weight": "bolder", "size": "medium", "wrap": true }),
        json!({ "type": "TextBlock", "text": truncate(&report.period, 500), "isSubtle": true, "wrap": true }),
    ];
    for (heading, text) in sections {
        body.push(json!({ "type": "TextBlock", "text": heading, "weight": "bolder", "wrap": true }));
        body.push(json!({ "type": "TextBlock", "text": text, "wrap": true }));
    }
    body.push(json!({
        "type": "TextBlock",
        "text": truncate(&footer(report, &notification.key), 1000),
        "isSubtle": true, "size": "small", "wrap": true,
    }));
    teams::adaptive_message(body, summary_link(notification, options))
}

/// A summary as the generic webhook's JSON: every count and list as
/// data, for a receiver that files or charts them (`docs/delivery.md`).
pub(super) fn generic(notification: &Notification, report: &SummaryReport) -> Value {
    let mut body = summary_json(report);
    body["key"] = json!(notification.key);
    body["destination"] = json!(notification.destination);
    body
}

/// A summary's report as the `monitor.summary.v1` JSON document, without
/// the notification's `key` and `destination`: what `monitor report
/// --json` prints and the generic webhook posts.
///
/// ```
/// use monitor_runtime::summary::SummaryReport;
///
/// let report = SummaryReport { name: "morning".into(), new_groups: 2, ..SummaryReport::default() };
/// let body = monitor_sinks::webhook::summary_json(&report);
/// assert_eq!(body["schema"], "monitor.summary.v1");
/// assert_eq!(body["title"], "Summary morning: 0 errors, 2 new groups");
/// ```
pub fn summary_json(report: &SummaryReport) -> Value {
    let groups = |list: &[SummaryGroup]| {
        list.iter()
            .map(|group| {
                json!({
                    "group": group.key.to_string(),
                    "severity": group.severity.as_str(),
                    "where": group.place,
                    "template": group.template,
                    "count": group.count,
                })
            })
            .collect::<Vec<_>>()
    };
    let millis = |duration: Option<std::time::Duration>| duration.map(|d| d.as_millis() as u64);
    json!({
        "schema": SUMMARY_SCHEMA,
        "summary": report.name,
        "title": report.title(),
        "schedule": report.schedule,
        "service": report.service,
        "since": report.since.map(rfc3339),
        "until": report.until.map(rfc3339),
        "period": report.period,
        "occurrences": report.occurrences.iter().map(|(severity, count)| (severity.as_str().to_owned(), json!(count))).collect::<serde_json::Map<_, _>>(),
        "new_groups": report.new_groups,
        "new_group_list": groups(&report.new_group_list),
        "regressions": groups(&report.regressions),
        "top_groups": groups(&report.top_groups),
        "slowest": report.slowest.iter().map(|f| json!({
            "function": f.function, "calls": f.calls, "p95_ms": f.p95.as_secs_f64() * 1000.0, "error_rate": f.error_rate,
        })).collect::<Vec<_>>(),
        "alerts": report.alerts.iter().map(|a| json!({
            "rule": a.rule, "incidents": a.incidents, "acknowledged": a.acknowledged, "resolved": a.resolved,
            "mtta_ms": millis(a.mtta), "mttr_ms": millis(a.mttr),
        })).collect::<Vec<_>>(),
        "audit": report.audit.iter().map(|p| json!({
            "process": p.process, "records": p.records, "compliant": p.compliant, "exceptions": p.exceptions,
            "failed": p.failed, "pending_review": p.pending_review, "compliant_percent": p.compliant_percent(),
        })).collect::<Vec<_>>(),
        "text": report.text(),
    })
}

/// The link back, with `{group}` empty and `{rule}` the summary's name.
pub(crate) fn summary_link(notification: &Notification, options: &RenderOptions) -> Option<String> {
    options.link_for(&notification.alert)
}

#[cfg(test)]
mod tests {
    use super::fair_shares;

    #[test]
    fn short_texts_keep_their_length_and_long_ones_share_the_rest() {
        assert_eq!(fair_shares(&[10, 5_000, 20, 9_000], 1_030), [10, 500, 20, 500]);
        assert_eq!(fair_shares(&[10, 20], 1_000), [10, 20]);
        assert_eq!(fair_shares(&[100, 100, 100], 90), [30, 30, 30]);
        assert_eq!(fair_shares(&[], 90), Vec::<usize>::new());
    }
}
