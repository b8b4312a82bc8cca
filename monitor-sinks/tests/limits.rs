//! Giant alerts never exceed any platform's published limits, and what was
//! cut says so.

use monitor_rules::vocabulary::TRUNCATION_MARKER;
use monitor_sinks::delivery::{RenderOptions, sample_notification};
use monitor_sinks::webhook::{discord, generic, slack, teams};
use proptest::prelude::*;
use serde_json::Value;

fn chars(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.chars().count())
}

/// A notification as large as `--large` makes it: a 5,000-character
/// message, a 100 KB traceback and 40 context fields, in any characters.
fn giant(message: String, line: String, tag_value: String) -> monitor_runtime::alerting::Notification {
    let mut notification = sample_notification(message);
    let details = &mut notification.alert.details;
    details.traceback = (0..100_000 / line.len().max(1)).map(|_| line.clone()).collect();
    details.tags = (0..40).map(|i| (format!("field_{i}"), tag_value.clone())).collect();
    details.user = Some("clerk-7".into());
    notification
}

fn check_discord(body: &Value) {
    assert!(chars(&body["content"]) <= 2000);
    let embed = &body["embeds"][0];
    let fields = embed["fields"].as_array().unwrap();
    assert!(fields.len() <= 25);
    assert!(chars(&embed["footer"]["text"]) <= 2048, "footer {}", chars(&embed["footer"]["text"]));
    let mut total = chars(&embed["title"]) + chars(&embed["description"]) + chars(&embed["footer"]["text"]);
    assert!(chars(&embed["title"]) <= 256 && chars(&embed["description"]) <= 4096);
    for field in fields {
        assert!(chars(&field["name"]) <= 256 && chars(&field["value"]) <= 1024);
        total += chars(&field["name"]) + chars(&field["value"]);
    }
    assert!(total <= 6000, "embed total {total}");
}

fn check_slack(body: &Value) {
    let blocks = body["attachments"][0]["blocks"].as_array().unwrap();
    assert!(blocks.len() <= 50);
    assert!(chars(&body["text"]) <= 3000);
    for block in blocks {
        match block["type"].as_str().unwrap() {
            "header" => assert!(chars(&block["text"]["text"]) <= 150),
            "section" => {
                assert!(chars(&block["text"]["text"]) <= 3000);
                let fields = block["fields"].as_array().map_or(&[][..], Vec::as_slice);
                assert!(fields.len() <= 10 && fields.iter().all(|f| chars(&f["text"]) <= 2000));
            }
            _ => {}
        }
    }
}

/// The texts of Slack's section fields, in order.
fn slack_fields(body: &Value) -> Vec<String> {
    let blocks = body["attachments"][0]["blocks"].as_array().unwrap();
    let fields = blocks.iter().filter_map(|b| b["fields"].as_array()).flatten();
    fields.map(|f| f["text"].as_str().unwrap().to_owned()).collect()
}

/// N in `… and N more fields [truncated]`.
fn left_out(text: &str) -> Option<usize> {
    let rest = text.strip_prefix("… and ")?;
    let (count, tail) = rest.split_once(' ')?;
    tail.ends_with("more fields [truncated]").then(|| count.parse().ok()).flatten()
}

/// Every field the alert has: its tags and the fields a tagless copy shows
/// (which Slack shows whole).
fn field_total(notification: &monitor_runtime::alerting::Notification) -> usize {
    let mut tagless = notification.clone();
    tagless.alert.details.tags.clear();
    slack_fields(&slack::render(&tagless, &RenderOptions::default())).len() + notification.alert.details.tags.len()
}

#[test]
fn forty_fields_fit_slack_whole_and_discord_counts_what_it_leaves_out() {
    for value in ["v".repeat(300), "v".into()] {
        let notification = giant("m".repeat(5000), "frame".into(), value.clone());
        let total = field_total(&notification);
        let body = slack::render(&notification, &RenderOptions::default());
        check_slack(&body);
        let shown = slack_fields(&body);
        assert_eq!(shown.len(), total, "Slack has room for all 40 and the rest");
        assert!(shown.iter().all(|f| left_out(f).is_none()));

        let body = discord::render(&notification, &RenderOptions::default());
        check_discord(&body);
        let fields = body["embeds"][0]["fields"].as_array().unwrap();
        let marker = fields.last().unwrap();
        let count = left_out(marker["value"].as_str().unwrap()).expect("the last field counts the rest");
        assert_eq!(fields.len() - 1 + count, total, "every field is shown or counted");
        assert!(count > 15, "{count}: more than the 40 tags past 25");
        if value.len() == 1 {
            assert_eq!(fields.len(), 25, "short fields fill the 25 places, the count in the last");
        }
    }
}

#[test]
fn the_large_sample_fits_everywhere_and_shows_where_it_was_cut() {
    let notification = giant("m".repeat(5000), "at billing::cards::charge (src/cards.rs:42)".into(), "v".repeat(300));
    let options = RenderOptions { link: Some("https://status.example.org/groups/{group}".into()), service: None };
    let body = discord::render(&notification, &options);
    check_discord(&body);
    assert!(body["embeds"][0]["description"].as_str().unwrap().contains(TRUNCATION_MARKER));
    let body = slack::render(&notification, &options);
    check_slack(&body);
    assert!(body.to_string().contains(TRUNCATION_MARKER));
    let body = teams::render(&notification, &options);
    assert!(serde_json::to_vec(&body).unwrap().len() <= 28 * 1024);
    assert!(body.to_string().contains(TRUNCATION_MARKER));
    let body = generic::render(&notification, &options);
    assert_eq!(body["message"].as_str().unwrap().chars().count(), 5000, "the generic body keeps 16 KiB texts whole");
    assert!(body["traceback"].as_array().unwrap().len() <= 64);
}

#[test]
fn giant_names_summary_and_key_still_fit() {
    let mut notification = giant("m".repeat(5000), "frame".into(), "v".repeat(1500));
    notification.alert.rule = "r".repeat(20_000);
    notification.alert.summary = "s".repeat(40_000);
    notification.key = "k".repeat(10_000);
    let options = RenderOptions {
        link: Some(format!("https://status.example.org/{}/{{rule}}", "p".repeat(4000))),
        service: None,
    };
    check_discord(&discord::render(&notification, &options));
    check_slack(&slack::render(&notification, &options));
    assert!(serde_json::to_vec(&teams::render(&notification, &options)).unwrap().len() <= 28 * 1024);
}

#[test]
fn a_giant_alert_fills_slack_to_its_50_blocks_and_no_further() {
    // 600 fields need 60 sections of 10: more than 50 blocks in all.
    let mut notification =
        giant("m".repeat(5000), "at billing::cards::charge (src/cards.rs:42)".into(), "v".repeat(300));
    notification.alert.details.tags = (0..600).map(|i| (format!("field_{i:03}"), "v".repeat(300))).collect();
    let options = RenderOptions { link: Some("https://status.example.org/groups/{group}".into()), service: None };
    let body = slack::render(&notification, &options);
    check_slack(&body);
    let blocks = body["attachments"][0]["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 50, "the cap is reached, not merely respected");
    for block in blocks {
        assert!(chars(&block["text"]["text"]) <= 3000);
    }
    let kinds: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(kinds[..2], ["header", "section"], "the title and the message come first");
    assert_eq!(kinds[kinds.len() - 2..], ["context", "actions"], "the key and the link are never crowded out");
    assert!(blocks[blocks.len() - 3]["text"]["text"].as_str().unwrap().contains(TRUNCATION_MARKER), "the traceback");
    let fields = slack_fields(&body);
    let count = left_out(fields.last().unwrap()).expect("the last field slot counts the fields left out");
    assert_eq!(fields.len() - 1 + count, field_total(&notification), "every field is shown or counted");
}

#[test]
fn discord_cuts_long_field_names_and_a_long_footer() {
    let mut notification = giant("m".repeat(100), "frame".into(), "v".repeat(10));
    notification.alert.details.tags = [("n".repeat(300), "value".to_owned())].into();
    notification.key = "k".repeat(3000);
    let body = discord::render(&notification, &RenderOptions::default());
    check_discord(&body);
    let embed = &body["embeds"][0];
    let footer = embed["footer"]["text"].as_str().unwrap();
    assert_eq!(footer.chars().count(), 2048);
    assert!(footer.ends_with(TRUNCATION_MARKER), "{footer}");
    let fields = embed["fields"].as_array().unwrap();
    let long =
        fields.iter().find(|f| f["name"].as_str().unwrap().starts_with("tag nnn")).expect("the long field is kept");
    assert_eq!(chars(&long["name"]), 256);
    assert!(long["name"].as_str().unwrap().ends_with(TRUNCATION_MARKER));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_giant_alert_stays_within_every_limit(
        message in "\\PC{0,6000}",
        line in "\\PC{1,200}",
        tag_value in "\\PC{0,1500}",
    ) {
        let notification = giant(message, line, tag_value);
        let options = RenderOptions::default();
        check_discord(&discord::render(&notification, &options));
        check_slack(&slack::render(&notification, &options));
        let teams_body = serde_json::to_vec(&teams::render(&notification, &options)).unwrap();
        prop_assert!(teams_body.len() <= 28 * 1024, "{} bytes", teams_body.len());
    }
}

/// A summary whose every list is full of giant texts in any characters.
fn giant_summary(text: &str) -> monitor_runtime::alerting::Notification {
    use monitor_runtime::summary::{SummaryAlerts, SummaryAudit, SummaryFunction, SummaryGroup, SummaryReport};
    use monitor_runtime::{GroupKey, Severity};
    use std::time::Duration;
    let group = |n: u64| SummaryGroup {
        key: GroupKey(n),
        severity: Severity::Critical,
        place: text.repeat(50),
        template: text.repeat(2_000),
        count: n,
    };
    let report = SummaryReport {
        name: text.repeat(500),
        schedule: text.repeat(500),
        period: text.repeat(3_000),
        occurrences: vec![(Severity::Critical, 7), (Severity::Error, 3)],
        new_groups: 10,
        new_group_list: (0..5).map(group).collect(),
        regressions: (5..10).map(group).collect(),
        top_groups: (10..15).map(group).collect(),
        slowest: (0..5)
            .map(|n| SummaryFunction {
                function: text.repeat(2_000),
                calls: n,
                p95: Duration::from_millis(n),
                error_rate: 0.5,
            })
            .collect(),
        alerts: (0..5)
            .map(|_| SummaryAlerts { rule: text.repeat(2_000), incidents: 1, ..Default::default() })
            .collect(),
        audit: (0..5).map(|_| SummaryAudit { process: text.repeat(2_000), records: 3, ..Default::default() }).collect(),
        ..SummaryReport::default()
    };
    let mut notification = sample_notification("m".into());
    notification.summary = Some(std::sync::Arc::new(report));
    notification
}

#[test]
fn a_giant_summary_fits_every_platform_and_shows_where_it_was_cut() {
    for text in ["x", "é<&>", "🦀\u{200b}"] {
        let notification = giant_summary(text);
        let options = RenderOptions { link: Some("https://status.example.org/rules/{rule}".into()), service: None };

        let body = slack::render(&notification, &options);
        let blocks = body["blocks"].as_array().unwrap();
        assert!(blocks.len() <= 50 && chars(&body["text"]) <= 3000);
        for block in blocks {
            match block["type"].as_str().unwrap() {
                "header" => assert!(chars(&block["text"]["text"]) <= 150),
                "section" => assert!(chars(&block["text"]["text"]) <= 3000),
                "context" => assert!(chars(&block["elements"][0]["text"]) <= 3000),
                _ => {}
            }
        }
        assert!(body.to_string().contains(TRUNCATION_MARKER));

        let body = discord::render(&notification, &options);
        check_discord(&body);
        let fields = body["embeds"][0]["fields"].as_array().unwrap();
        let headings: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(
            headings,
            ["Errors", "Top groups", "New groups", "Regressions", "Slowest functions", "Alerts", "Audit"],
            "every part keeps its place, cut"
        );
        assert!(fields.iter().all(|f| chars(&f["value"]) > 0));

        let body = teams::render(&notification, &options);
        assert!(serde_json::to_vec(&body).unwrap().len() <= 28 * 1024);
        assert!(body.to_string().contains("Slowest functions"));

        let body = generic::render(&notification, &options);
        assert_eq!(body["schema"], monitor_sinks::webhook::SUMMARY_SCHEMA);
        assert_eq!(body["top_groups"].as_array().unwrap().len(), 5);
        assert_eq!(body["occurrences"]["critical"], 7);
    }
}
