//! The shape of a rule file: which tables and keys it has and what type
//! each value is. Mistakes here are reported like the validator's, each at
//! its key or value, and reading goes on, so that one wrong key does not
//! hide the mistakes in the rest of the file.

use std::borrow::Cow;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::condition;
use crate::raw::{
    Loc, RawAuth, RawCondition, RawConfig, RawDestination, RawRule, RawSchedule, RawSummary, RawTemplate, RuleError, Sp,
};

const TOP: [&str; 4] = ["destinations", "rules", "schedules", "summaries"];
const RULE: [&str; 10] = [
    "name",
    "when",
    "severity",
    "notify",
    "group_by",
    "group_wait",
    "group_interval",
    "repeat_interval",
    "during",
    "outside",
];
const DESTINATION: [&str; 12] = [
    "slack",
    "discord",
    "teams",
    "webhook",
    "alertmanager",
    "email",
    "console",
    "per_minute",
    "encoding",
    "fields",
    "auth",
    "max_chars",
];
const AUTH: [&str; 3] = ["bearer_env", "user_env", "password_env"];
const SCHEDULE: [&str; 3] = ["days", "hours", "timezone"];
const SUMMARY: [&str; 4] = ["daily", "weekly", "timezone", "notify"];

type Value<'i> = Spanned<DeValue<'i>>;
type Key<'i> = Spanned<Cow<'i, str>>;

/// The configuration as written in `document`, parsed from `text`.
pub(super) fn raw_config(text: &str, document: &DeTable<'_>, errors: &mut Vec<RuleError>) -> RawConfig {
    let mut raw = RawConfig::default();
    for (key, value) in written_order(document) {
        match text_of(key) {
            "destinations" => {
                for (name, value) in table(value, "`destinations`", errors).map(written_order).unwrap_or_default() {
                    raw.destinations.extend(destination(name, value, errors));
                }
            }
            "schedules" => {
                for (name, value) in table(value, "`schedules`", errors).map(written_order).unwrap_or_default() {
                    raw.schedules.extend(schedule(name, value, errors));
                }
            }
            "summaries" => {
                for (name, value) in table(value, "`summaries`", errors).map(written_order).unwrap_or_default() {
                    raw.summaries.extend(summary(name, value, errors));
                }
            }
            "rules" => match value.get_ref() {
                DeValue::Array(rules) => {
                    for (index, rule) in rules.iter().enumerate() {
                        raw.rules.extend(self::rule(text, index + 1, rule, errors));
                    }
                }
                _ => errors.push(wrong_type(value, "`rules`", "an array of tables (write `[[rules]]`)")),
            },
            other => errors.push(unknown_key(key, other, "at the top of the file", &TOP)),
        }
    }
    raw
}

fn rule(text: &str, number: usize, value: &Value<'_>, errors: &mut Vec<RuleError>) -> Option<RawRule> {
    let fields = table(value, &format!("rule {number}"), errors)?;
    let name = match fields.get("name") {
        Some(name) => string(name, &format!("`name` of rule {number}"), errors),
        None => {
            errors.push(RuleError::new(loc(value), format!("rule {number} has no `name`")));
            None
        }
    };
    // A rule without a usable name is still checked, under its number.
    let name = name.unwrap_or_else(|| Sp::new(format!("#{number}"), loc(value)));
    let mut rule = RawRule::named(name.clone());
    for (key, value) in written_order(fields) {
        let what = format!("`{}` of rule `{}`", text_of(key), name.value);
        match text_of(key) {
            "name" => {}
            "when" => {
                rule.when = Some(match value.get_ref() {
                    DeValue::String(when) => condition(text, when, value.span(), errors),
                    _ => {
                        errors.push(wrong_type(value, &what, "a string, such as \"errors > 10 within 1h\""));
                        RawCondition::Reported
                    }
                });
            }
            "severity" => rule.severity = string(value, &what, errors),
            "notify" => rule.notify = strings(value, &what, errors),
            "group_by" => rule.group_by = strings(value, &what, errors),
            "group_wait" => rule.group_wait = string(value, &what, errors),
            "group_interval" => rule.group_interval = string(value, &what, errors),
            "repeat_interval" => rule.repeat_interval = string(value, &what, errors),
            "during" => rule.during = string(value, &what, errors),
            "outside" => rule.outside = string(value, &what, errors),
            other => errors.push(unknown_key(key, other, &format!("in rule `{}`", name.value), &RULE)),
        }
    }
    Some(rule)
}

/// `name = { slack = "https://…", per_minute = 30 }`: a destination has
/// exactly one kind, and may have its own rate limit. A webhook may also
/// have a body template: `encoding`, `fields`, `auth` and `max_chars`.
fn destination(name: &Key<'_>, value: &Value<'_>, errors: &mut Vec<RuleError>) -> Option<RawDestination> {
    let label = format!("destination `{}`", text_of(name));
    let fields = table(value, &label, errors)?;
    let before = errors.len();
    let mut kinds = Vec::new();
    // Kept apart so that a wrong limit does not hide a missing kind; the
    // loader sorts every error by its place.
    let mut per_minute = None;
    let mut limit_errors = Vec::new();
    let mut template: Option<RawTemplate> = None;
    for (key, value) in written_order(fields) {
        let kind = Sp::new(text_of(key).to_owned(), loc(value));
        let what = format!("`{}` of {label}", text_of(key));
        if matches!(text_of(key), "encoding" | "fields" | "auth" | "max_chars") {
            let template =
                template.get_or_insert_with(|| RawTemplate { loc: Some(loc(key)), ..RawTemplate::default() });
            template_part(template, text_of(key), value, &what, &mut limit_errors);
            continue;
        }
        let values = match text_of(key) {
            "slack" | "discord" | "teams" | "webhook" | "alertmanager" => {
                string(value, &what, errors).map(|url| vec![url])
            }
            "email" => Some(strings(value, &what, errors)),
            "console" => match value.get_ref() {
                DeValue::Boolean(on) => on.then(Vec::new),
                _ => {
                    errors.push(wrong_type(value, &what, "`true`"));
                    None
                }
            },
            "per_minute" => {
                per_minute = number(value, &what, &mut limit_errors);
                continue;
            }
            other => {
                errors.push(unknown_key(key, other, &format!("in {label}"), &DESTINATION));
                None
            }
        };
        if let Some(values) = values {
            kinds.push((kind, values));
        }
    }
    let kinds_reported = errors.len() > before;
    errors.append(&mut limit_errors);
    match kinds.len() {
        1 => kinds.pop().map(|(kind, values)| RawDestination {
            name: Sp::new(text_of(name).to_owned(), loc(name)),
            kind,
            values,
            per_minute,
            template,
        }),
        // A key already reported says what is wrong better than this would.
        0 if kinds_reported => None,
        0 => {
            errors.push(RuleError::new(
                loc(value),
                format!("{label} needs one of slack, discord, teams, webhook, alertmanager, email or console"),
            ));
            None
        }
        _ => {
            errors.push(RuleError::new(
                loc(value),
                format!("{label} names more than one kind: declare one destination per kind"),
            ));
            None
        }
    }
}

/// One part of a webhook's body template: `encoding = "form"`,
/// `fields = { To = "…", Body = "{title}" }`, `auth = { bearer_env = "SMS_TOKEN" }`
/// (or `{ user_env = "…", password_env = "…" }` for basic authentication),
/// `max_chars = { Body = 160 }`.
fn template_part(template: &mut RawTemplate, key: &str, value: &Value<'_>, what: &str, errors: &mut Vec<RuleError>) {
    let entries = |errors: &mut Vec<RuleError>| table(value, what, errors).map(written_order).unwrap_or_default();
    match key {
        "encoding" => template.encoding = string(value, what, errors),
        "fields" => {
            for (name, text) in entries(errors) {
                let field = format!("field `{}` of {what}", text_of(name));
                if let Some(text) = string(text, &field, errors) {
                    template.fields.push((Sp::new(text_of(name).to_owned(), loc(name)), text));
                }
            }
        }
        "max_chars" => {
            for (name, limit) in entries(errors) {
                let field = format!("`{}` of {what}", text_of(name));
                if let Some(limit) = number(limit, &field, errors) {
                    template.max_chars.push((Sp::new(text_of(name).to_owned(), loc(name)), limit));
                }
            }
        }
        "auth" => {
            let (mut bearer, mut user, mut password) = (None, None, None);
            let before = errors.len();
            for (name, variable) in entries(errors) {
                let part = format!("`{}` of {what}", text_of(name));
                match text_of(name) {
                    "bearer_env" => bearer = string(variable, &part, errors),
                    "user_env" => user = string(variable, &part, errors),
                    "password_env" => password = string(variable, &part, errors),
                    other => errors.push(unknown_key(name, other, &format!("in {what}"), &AUTH)),
                }
            }
            template.auth = Some(match (bearer, user, password) {
                _ if errors.len() > before => RawAuth::Reported,
                (Some(token), None, None) => RawAuth::Bearer(token),
                (None, Some(user), Some(password)) => RawAuth::Basic(user, password),
                _ => {
                    errors.push(RuleError::new(
                        loc(value),
                        format!(
                            "{what} must name `bearer_env` (a bearer token's variable), or `user_env` and \
                             `password_env` (basic authentication's), and nothing else"
                        ),
                    ));
                    RawAuth::Reported
                }
            });
        }
        _ => {}
    }
}

fn schedule(name: &Key<'_>, value: &Value<'_>, errors: &mut Vec<RuleError>) -> Option<RawSchedule> {
    let label = format!("schedule `{}`", text_of(name));
    let fields = table(value, &label, errors)?;
    let mut schedule =
        RawSchedule { name: Sp::new(text_of(name).to_owned(), loc(name)), days: None, hours: None, timezone: None };
    for (key, value) in written_order(fields) {
        let what = format!("`{}` of {label}", text_of(key));
        match text_of(key) {
            "days" => schedule.days = string(value, &what, errors),
            "hours" => schedule.hours = string(value, &what, errors),
            "timezone" => schedule.timezone = string(value, &what, errors),
            other => errors.push(unknown_key(key, other, &format!("in {label}"), &SCHEDULE)),
        }
    }
    Some(schedule)
}

/// `morning = { daily = "08:00", timezone = "Europe/Amsterdam", notify = ["ops"] }`,
/// or `weekly = "mon 08:00"`: the cadence is the key, the time its value.
fn summary(name: &Key<'_>, value: &Value<'_>, errors: &mut Vec<RuleError>) -> Option<RawSummary> {
    let label = format!("summary `{}`", text_of(name));
    let fields = table(value, &label, errors)?;
    let mut summary = RawSummary::named(Sp::new(text_of(name).to_owned(), loc(name)));
    for (key, value) in written_order(fields) {
        let what = format!("`{}` of {label}", text_of(key));
        match text_of(key) {
            "daily" => {
                summary.cadence.push(Sp::new("daily".to_owned(), loc(key)));
                summary.at = string(value, &what, errors);
            }
            "weekly" => {
                summary.cadence.push(Sp::new("weekly".to_owned(), loc(key)));
                let Some(when) = string(value, &what, errors) else { continue };
                match when.value.split_once(' ') {
                    Some((day, at)) => {
                        summary.day = Some(Sp::new(day.to_owned(), when.loc));
                        summary.at = Some(Sp::new(at.trim().to_owned(), when.loc));
                    }
                    None => errors.push(RuleError::new(
                        when.loc,
                        format!("{what} must be a day and a time, such as \"mon 08:00\""),
                    )),
                }
            }
            "timezone" => summary.timezone = string(value, &what, errors),
            "notify" => summary.notify = strings(value, &what, errors),
            other => errors.push(unknown_key(key, other, &format!("in {label}"), &SUMMARY)),
        }
    }
    Some(summary)
}

/// The entries of a table in the order they are written (the parser keeps
/// them sorted by key).
fn written_order<'t, 'i>(table: &'t DeTable<'i>) -> Vec<(&'t Key<'i>, &'t Value<'i>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

fn table<'t, 'i>(value: &'t Value<'i>, what: &str, errors: &mut Vec<RuleError>) -> Option<&'t DeTable<'i>> {
    match value.get_ref() {
        DeValue::Table(table) => Some(table),
        _ => {
            errors.push(wrong_type(value, what, "a table"));
            None
        }
    }
}

fn string(value: &Value<'_>, what: &str, errors: &mut Vec<RuleError>) -> Option<Sp<String>> {
    match value.get_ref() {
        DeValue::String(text) => Some(Sp::new(text.as_ref().to_owned(), loc(value))),
        _ => {
            errors.push(wrong_type(value, what, "a string"));
            None
        }
    }
}

/// A number, in decimal as the validator reads it: an integer in any of
/// TOML's notations, or a float as written (the validator says it is not a
/// whole number).
fn number(value: &Value<'_>, what: &str, errors: &mut Vec<RuleError>) -> Option<Sp<String>> {
    let text = match value.get_ref() {
        DeValue::Integer(integer) => i128::from_str_radix(integer.as_str(), integer.radix())
            .map_or_else(|_| integer.as_str().to_owned(), |n| n.to_string()),
        DeValue::Float(float) => float.as_str().to_owned(),
        _ => {
            errors.push(wrong_type(value, what, "a whole number, such as 30"));
            return None;
        }
    };
    Some(Sp::new(text, loc(value)))
}

/// An array of strings. A lone string is reported but still used as a list
/// of one, so the names in it are checked too.
fn strings(value: &Value<'_>, what: &str, errors: &mut Vec<RuleError>) -> Vec<Sp<String>> {
    match value.get_ref() {
        DeValue::Array(items) => {
            items.iter().filter_map(|item| string(item, &format!("each of {what}"), errors)).collect()
        }
        DeValue::String(text) => {
            errors.push(wrong_type(value, what, &format!("an array of strings (write [\"{text}\"])")));
            vec![Sp::new(text.as_ref().to_owned(), loc(value))]
        }
        _ => {
            errors.push(wrong_type(value, what, "an array of strings"));
            Vec::new()
        }
    }
}

fn wrong_type(value: &Value<'_>, what: &str, expected: &str) -> RuleError {
    let found = match value.get_ref() {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    };
    RuleError::new(loc(value), format!("{what} must be {expected}, found {found}"))
}

fn unknown_key(key: &Key<'_>, name: &str, place: &str, known: &[&str]) -> RuleError {
    RuleError::new(loc(key), format!("unknown key `{name}` {place}: expected one of {}", known.join(", ")))
}

fn text_of<'k>(key: &'k Key<'_>) -> &'k str {
    key.get_ref()
}

fn loc<T>(value: &Spanned<T>) -> Loc {
    let Range { start, end } = value.span();
    Loc::File { start, end }
}
