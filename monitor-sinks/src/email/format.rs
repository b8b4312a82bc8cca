//! E-mail bodies: a plain-text part and an HTML part saying the same.

use monitor_runtime::alerting::Notification;
use monitor_runtime::summary::SummaryReport;

use crate::delivery::failure::failure_text;
use crate::delivery::format::{RenderOptions, colour, event_time, fields, rfc3339, title};
use monitor_rules::vocabulary::truncate_chars as truncate;

/// Longest subject (characters); mail clients show far less.
const SUBJECT: usize = 200;
/// Longest message or traceback in a body (characters): a mail server may
/// refuse a huge message, and nobody reads past this.
const TEXT: usize = 64 * 1024;

/// The subject, plain-text body and HTML body of an alert e-mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailBody {
    /// `[CRITICAL] rule: summary`.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// Renders the e-mail for a notification.
///
/// ```
/// use monitor_sinks::delivery::{sample_notification, RenderOptions};
/// use monitor_sinks::email;
///
/// let body = email::render(&sample_notification("card <4> declined".into()), &RenderOptions::default());
/// assert_eq!(body.subject, "[CRITICAL] too_many_errors: 12 errors within 1h (more than 10)");
/// assert!(body.text.contains("card <4> declined"));
/// assert!(body.html.contains("card &lt;4&gt; declined"));
/// ```
///
/// A summary is rendered as a report: its parts as lists, its counts of
/// occurrences as a table.
pub fn render(notification: &Notification, options: &RenderOptions) -> EmailBody {
    if let Some(report) = &notification.summary {
        return summary(notification, report, options);
    }
    let alert = &notification.alert;
    let subject = truncate(&title(alert).replace(['\r', '\n'], " "), SUBJECT).into_owned();
    let message = alert.details.message.as_deref().map(|m| truncate(m, TEXT).into_owned()).unwrap_or_default();
    let traceback = truncate(&failure_text(&alert.details, monitor_runtime::MAX_FRAMES + 1), TEXT).into_owned();
    let fields = fields(alert, options);
    let when = rfc3339(event_time(alert));
    let link = options.link_for(alert);

    let mut text = format!("{}\n\n", title(alert));
    if !message.is_empty() {
        text.push_str(&message);
        text.push_str("\n\n");
    }
    for (name, value) in &fields {
        text.push_str(&format!("{name}: {value}\n"));
    }
    if !traceback.is_empty() {
        text.push_str(&format!("\n{traceback}\n"));
    }
    text.push_str(&format!("\n{when} · notification {}\n", notification.key));
    if let Some(link) = &link {
        text.push_str(&format!("{link}\n"));
    }

    let mut html = format!(
        "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">\
         <h2 style=\"border-left:6px solid #{:06x};padding-left:8px\">{}</h2>",
        colour(alert),
        escape(&title(alert))
    );
    if !message.is_empty() {
        html.push_str(&format!("<p style=\"white-space:pre-wrap\">{}</p>", escape(&message)));
    }
    html.push_str("<table cellpadding=\"4\">");
    for (name, value) in &fields {
        html.push_str(&format!("<tr><th align=\"left\">{}</th><td>{}</td></tr>", escape(name), escape(value)));
    }
    html.push_str("</table>");
    if !traceback.is_empty() {
        html.push_str(&format!("<pre>{}</pre>", escape(&traceback)));
    }
    html.push_str(&format!("<p style=\"color:#757575\">{when} · notification {}</p>", escape(&notification.key)));
    if let Some(link) = &link {
        html.push_str(&format!("<p><a href=\"{0}\">{0}</a></p>", escape(link)));
    }
    html.push_str("</body></html>");
    EmailBody { subject, text, html }
}

/// A summary's e-mail: the report's text, and the same as HTML.
fn summary(notification: &Notification, report: &SummaryReport, options: &RenderOptions) -> EmailBody {
    let title = report.title();
    let subject = truncate(&title.replace(['\r', '\n'], " "), SUBJECT).into_owned();
    let link = options.link_for(&notification.alert);
    let mut text = truncate(&report.text(), TEXT).into_owned();
    text.push_str(&format!("\n{} · notification {}\n", report.schedule, notification.key));
    if let Some(link) = &link {
        text.push_str(&format!("{link}\n"));
    }
    let mut html = format!(
        "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">\
         <h2 style=\"border-left:6px solid #1565c0;padding-left:8px\">{}</h2><p style=\"color:#757575\">{}</p>",
        escape(&title),
        escape(&report.period)
    );
    if !report.occurrences.is_empty() {
        html.push_str(
            "<table cellpadding=\"4\"><tr><th align=\"left\">Severity</th><th align=\"right\">Occurrences</th></tr>",
        );
        for (severity, count) in &report.occurrences {
            html.push_str(&format!("<tr><td>{}</td><td align=\"right\">{count}</td></tr>", severity.as_str()));
        }
        html.push_str("</table>");
    }
    for section in report.sections() {
        html.push_str(&format!("<h3>{}</h3><ul>", escape(section.heading)));
        for line in &section.lines {
            html.push_str(&format!("<li>{}</li>", escape(&truncate(line, TEXT))));
        }
        html.push_str("</ul>");
    }
    html.push_str(&format!(
        "<p style=\"color:#757575\">{} · notification {}</p>",
        escape(&report.schedule),
        escape(&notification.key)
    ));
    if let Some(link) = &link {
        html.push_str(&format!("<p><a href=\"{0}\">{0}</a></p>", escape(link)));
    }
    html.push_str("</body></html>");
    EmailBody { subject, text, html }
}

/// Text as HTML: the five characters with a meaning in markup and attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::format::sample_notification;

    #[test]
    fn a_subject_is_one_line_and_bounded() {
        let mut notification = sample_notification("m".into());
        notification.alert.summary = format!("line one\r\nBcc: someone@example.org {}", "x".repeat(1000));
        let body = render(&notification, &RenderOptions::default());
        assert!(!body.subject.contains(['\r', '\n']));
        assert!(body.subject.chars().count() <= SUBJECT);
    }

    #[test]
    fn markup_in_alerts_is_shown_not_run() {
        let mut notification = sample_notification("<script>alert('x')</script>".into());
        notification.alert.details.traceback = vec!["<b>frame</b>".into()];
        let options = RenderOptions {
            link: Some("https://status.example.org/?g=\"{group}\"".into()),
            ..RenderOptions::default()
        };
        let body = render(&notification, &options);
        assert!(!body.html.contains("<script>") && !body.html.contains("<b>frame"));
        assert!(body.html.contains("&lt;script&gt;alert(&#39;x&#39;)"));
        assert!(body.text.contains("<b>frame</b>"));
    }
}
