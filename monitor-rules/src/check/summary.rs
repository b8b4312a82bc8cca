//! Checking summaries: a cadence and a time of day, a known time zone, and
//! destinations that can take a report.

use crate::raw::{RawConfig, RawSummary, RuleError, Sp};
use crate::summary::{Cadence, Summary};

const FORM: &str = "write `daily at \"08:00\"` or `weekly on \"mon\" at \"08:00\"`";

/// Every summary of `raw` that is valid; the mistakes of the others in `errors`.
pub(super) fn check_summaries(raw: &RawConfig, errors: &mut Vec<RuleError>) -> Vec<Summary> {
    let mut summaries = Vec::new();
    for (index, summary) in raw.summaries.iter().enumerate() {
        if raw.summaries[..index].iter().any(|s| s.name.value == summary.name.value) {
            errors
                .push(RuleError::new(summary.name.loc, format!("summary `{}` is declared twice", summary.name.value)));
        }
        summaries.extend(check_summary(summary, raw, errors));
    }
    summaries
}

fn check_summary(summary: &RawSummary, raw: &RawConfig, errors: &mut Vec<RuleError>) -> Option<Summary> {
    let name = &summary.name.value;
    let before = errors.len();
    let mut error = |at: &Sp<String>, message: String| {
        errors.push(RuleError::new(at.loc, format!("summary `{name}`: {message}")));
    };
    let cadence = match summary.cadence.as_slice() {
        [] => {
            error(&summary.name, format!("it has no time: {FORM}"));
            None
        }
        [cadence] => match (cadence.value.as_str(), &summary.day) {
            ("daily", None) => Some(Cadence::Daily),
            ("daily", Some(day)) => {
                error(day, "a daily summary takes no day: drop `on …`, or write `weekly`".to_owned());
                None
            }
            ("weekly", Some(day)) => Cadence::parse_day(&day.value).map_err(|message| error(day, message)).ok(),
            ("weekly", None) => {
                error(cadence, "a weekly summary needs its day: `weekly on \"mon\" at \"08:00\"`".to_owned());
                None
            }
            (other, _) => {
                error(cadence, format!("`{other}` is not a cadence: {FORM}"));
                None
            }
        },
        [_, second, ..] => {
            error(second, format!("a summary has one time: {FORM}"));
            None
        }
    };
    let at = match &summary.at {
        Some(at) => Some(at),
        None if !summary.cadence.is_empty() => {
            error(&summary.cadence[0], format!("it has no time of day: {FORM}"));
            None
        }
        None => None,
    };
    let zone = summary.timezone.as_ref();
    let zone_name = zone.map_or("UTC", |zone| zone.value.as_str());
    // Each part is parsed on its own so that the error points at the part at fault.
    if let Some(at) = at
        && let Err(message) = Summary::parse(name, Cadence::Daily, &at.value, "UTC", Vec::new())
    {
        error(at, message);
    }
    if let Some(zone) = zone
        && let Err(message) = Summary::parse(name, Cadence::Daily, "00:00", &zone.value, Vec::new())
    {
        error(zone, message);
    }
    if summary.notify.is_empty() {
        error(&summary.name, "it has no destination: add `notify` with at least one destination".to_owned());
    }
    for target in &summary.notify {
        match raw.destinations.iter().find(|d| d.name.value == target.value) {
            None => {
                let known: Vec<&str> = raw.destinations.iter().map(|d| d.name.value.as_str()).collect();
                let known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
                error(target, format!("unknown destination `{}`: declared destinations are {known}", target.value));
            }
            Some(destination) if destination.kind.value == "alertmanager" => error(
                target,
                format!(
                    "destination `{}` is an Alertmanager, which takes alerts, not reports: send summaries to a chat, \
                     a webhook or e-mail",
                    target.value
                ),
            ),
            Some(_) => {}
        }
    }
    if errors.len() > before {
        return None;
    }
    let notify = summary.notify.iter().map(|target| target.value.clone()).collect();
    Summary::parse(name, cadence?, &at?.value, zone_name, notify).ok()
}
