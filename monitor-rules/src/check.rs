//! The one validator: turns a configuration as written into a checked
//! [`AlertConfig`], or lists every mistake with where it is.

use std::time::Duration;

use crate::condition::parse_condition;
use crate::duration::parse_duration;
use crate::model::{
    AlertConfig, Condition, DEFAULT_GROUP_INTERVAL, DEFAULT_GROUP_WAIT, DEFAULT_REPEAT_INTERVAL, Destination,
    MAX_PER_MINUTE, MAX_WINDOW, Rule, Target,
};
use crate::raw::{
    Loc, RawAuth, RawCondition, RawConfig, RawDestination, RawRule, RawSchedule, RawTemplate, RuleError, Sp,
};
use crate::redact::redact_url;
use crate::schedule::{OutsideSchedule, Schedule};
use crate::severity::Severity;
use crate::template::{BodyEncoding, TemplateField, WebhookAuth, WebhookTemplate, check_template};

mod summary;

/// The longest a templated field's `max_chars` may be.
const MAX_FIELD_CHARS: u32 = 1_000_000;

/// What a rule's alerts can be split by, for each kind of condition: only
/// what its inputs carry (`tag.<name>` too where events are counted).
fn group_by_labels(condition: &Condition) -> (&'static [&'static str], bool) {
    match condition {
        Condition::Errors { .. } | Condition::NewGroup { .. } | Condition::Regression { .. } => {
            (&["function", "module", "group", "severity", "kind"], true)
        }
        // Counted from the store's groups, which keep no tags.
        Condition::FleetErrors { .. } => (&["function", "module", "group", "severity", "kind"], false),
        Condition::Latency { .. } | Condition::ErrorRate { .. } => (&["function", "module"], false),
        Condition::Audit { .. } => (&["process", "action", "status"], false),
        Condition::Absent { .. } | Condition::Memory { .. } | Condition::Cpu { .. } => (&[], false),
    }
}

/// Checks a configuration; all mistakes are reported together.
pub fn check(raw: &RawConfig) -> Result<AlertConfig, Vec<RuleError>> {
    let mut errors = Vec::new();
    let mut destinations = Vec::new();
    for (index, destination) in raw.destinations.iter().enumerate() {
        if raw.destinations[..index].iter().any(|d| d.name.value == destination.name.value) {
            errors.push(RuleError::new(
                destination.name.loc,
                format!("destination `{}` is declared twice", destination.name.value),
            ));
        }
        let target = check_destination(destination, &mut errors);
        let per_minute = match &destination.per_minute {
            None => Some(None),
            Some(limit) => check_per_minute(&destination.name.value, limit, &mut errors).map(Some),
        };
        if let (Some(target), Some(per_minute)) = (target, per_minute) {
            destinations.push(Destination { name: destination.name.value.clone(), target, per_minute });
        }
    }
    let mut schedules = Vec::new();
    for (index, schedule) in raw.schedules.iter().enumerate() {
        if raw.schedules[..index].iter().any(|s| s.name.value == schedule.name.value) {
            errors.push(RuleError::new(
                schedule.name.loc,
                format!("schedule `{}` is declared twice", schedule.name.value),
            ));
        }
        if let Some(schedule) = check_schedule(schedule, &mut errors) {
            schedules.push(schedule);
        }
    }
    let mut rules = Vec::new();
    for (index, rule) in raw.rules.iter().enumerate() {
        if raw.rules[..index].iter().any(|r| r.name.value == rule.name.value) {
            errors.push(RuleError::new(rule.name.loc, format!("rule `{}` is declared twice", rule.name.value)));
        }
        if let Some(rule) = check_rule(rule, raw, &mut errors) {
            rules.push(rule);
        }
    }
    let summaries = summary::check_summaries(raw, &mut errors);
    if errors.is_empty() { Ok(AlertConfig { destinations, rules, schedules, summaries }) } else { Err(errors) }
}

fn check_destination(destination: &RawDestination, errors: &mut Vec<RuleError>) -> Option<Target> {
    let kind = destination.kind.value.as_str();
    if destination.template.is_some() && kind != "webhook" {
        let at = destination.template.as_ref().and_then(|t| t.loc).unwrap_or(destination.kind.loc);
        errors.push(RuleError::new(
            at,
            format!(
                "destination `{}`: `{kind}` takes no body template: encoding, fields, auth and max_chars are for a \
                 `webhook`",
                destination.name.value
            ),
        ));
        return None;
    }
    let mut url = || -> Option<String> {
        match destination.values.as_slice() {
            [url] => check_url(url, errors).then(|| url.value.clone()),
            _ => {
                errors.push(RuleError::new(destination.kind.loc, format!("`{kind}` takes one URL")));
                None
            }
        }
    };
    match kind {
        "slack" => url().map(Target::Slack),
        "discord" => url().map(Target::Discord),
        "teams" => url().map(Target::Teams),
        "webhook" => match &destination.template {
            None => url().map(Target::Webhook),
            Some(template) => {
                let url = url();
                let template = check_webhook_template(destination, template, errors);
                let (url, (encoding, fields, auth)) = (url?, template?);
                Some(Target::TemplatedWebhook(WebhookTemplate { url, encoding, fields, auth }))
            }
        },
        "alertmanager" => url().map(Target::Alertmanager),
        "console" => Some(Target::Console),
        "email" => {
            if destination.values.is_empty() {
                errors.push(RuleError::new(destination.kind.loc, "`email` needs at least one address"));
                return None;
            }
            let valid = destination.values.iter().filter(|address| check_email(address, errors)).count();
            (valid == destination.values.len())
                .then(|| Target::Email(destination.values.iter().map(|a| a.value.clone()).collect()))
        }
        other => {
            errors.push(RuleError::new(
                destination.kind.loc,
                format!(
                    "unknown destination kind `{other}`: expected slack, discord, teams, webhook, alertmanager, email or console"
                ),
            ));
            None
        }
    }
}

/// The parts of a templated webhook: its encoding, its fields (each
/// template's placeholders known, each name once, each length in range)
/// and the names of its authentication's variables.
fn check_webhook_template(
    destination: &RawDestination,
    raw: &RawTemplate,
    errors: &mut Vec<RuleError>,
) -> Option<(BodyEncoding, Vec<TemplateField>, Option<WebhookAuth>)> {
    let before = errors.len();
    let name = &destination.name.value;
    let mut error =
        |loc: Loc, message: String| errors.push(RuleError::new(loc, format!("destination `{name}`: {message}")));
    let encoding = match raw.encoding.as_ref().map(|e| (e.value.as_str(), e.loc)) {
        None | Some(("json", _)) => BodyEncoding::Json,
        Some(("form", _)) => BodyEncoding::Form,
        Some((other, loc)) => {
            error(loc, format!("unknown encoding `{other}`: expected `json` or `form`"));
            BodyEncoding::Json
        }
    };
    if raw.fields.is_empty() {
        error(
            raw.loc.unwrap_or(destination.kind.loc),
            "a templated webhook needs at least one field of its body, such as `Body` with the text \"{title}\""
                .to_owned(),
        );
    }
    let mut fields: Vec<TemplateField> = Vec::new();
    for (field, template) in &raw.fields {
        if field.value.trim().is_empty() {
            error(field.loc, "a field needs a name".to_owned());
        } else if fields.iter().any(|f| f.name == field.value) {
            error(field.loc, format!("field `{}` is written twice", field.value));
        }
        if let Err(why) = check_template(&template.value) {
            error(template.loc, format!("field `{}`: {why}", field.value));
        }
        fields.push(TemplateField { name: field.value.clone(), template: template.value.clone(), max_chars: None });
    }
    let mut limited: Vec<&str> = Vec::new();
    for (field, limit) in &raw.max_chars {
        let Some(index) = fields.iter().position(|f| f.name == field.value) else {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            let names = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
            error(
                field.loc,
                format!("max_chars names `{}`, which is not a field of the body: its fields are {names}", field.value),
            );
            continue;
        };
        if limited.contains(&field.value.as_str()) {
            error(field.loc, format!("max_chars of `{}` is written twice", field.value));
            continue;
        }
        limited.push(&field.value);
        match limit.value.parse::<u32>() {
            Ok(max) if (1..=MAX_FIELD_CHARS).contains(&max) => fields[index].max_chars = Some(max),
            _ => error(
                limit.loc,
                format!(
                    "max_chars of `{}` is `{}`: write a whole number of characters from 1 to {MAX_FIELD_CHARS}",
                    field.value, limit.value
                ),
            ),
        }
    }
    let mut variable = |value: &Sp<String>| -> Option<String> {
        let text = value.value.as_str();
        // Capitals only, as environment variables are named by custom: most
        // tokens have small letters, so a token written here by mistake is
        // refused rather than named in the start-up error of a variable
        // that is not set.
        let valid = text.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
            && text.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            // Not shown: what was written may be the secret itself.
            error(
                value.loc,
                "auth names the environment variable that holds the secret (capital letters, digits and `_`, such \
                 as SMS_TOKEN); what is written here is not such a name, and is not shown in case it is the secret \
                 itself: never write a secret in code or rule files"
                    .to_owned(),
            );
        }
        valid.then(|| text.to_owned())
    };
    let auth = match &raw.auth {
        None => Some(None),
        Some(RawAuth::Bearer(token)) => variable(token).map(|token_env| Some(WebhookAuth::Bearer { token_env })),
        Some(RawAuth::Basic(user, password)) => match (variable(user), variable(password)) {
            (Some(user_env), Some(password_env)) => Some(Some(WebhookAuth::Basic { user_env, password_env })),
            _ => None,
        },
        Some(RawAuth::Reported) => None,
    };
    if errors.len() > before {
        return None;
    }
    Some((encoding, fields, auth?))
}

/// A destination's own rate limit: a whole number of notifications a
/// minute, from 1 to [`MAX_PER_MINUTE`].
fn check_per_minute(name: &str, limit: &Sp<String>, errors: &mut Vec<RuleError>) -> Option<u32> {
    let text = limit.value.as_str();
    let digits = text.strip_prefix('-').unwrap_or(text);
    let problem = if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        format!(
            "`{text}` per minute is not a whole number: write a whole number of notifications a minute, from 1 to \
             {MAX_PER_MINUTE}"
        )
    } else if text.starts_with('-') || digits.bytes().all(|b| b == b'0') {
        format!(
            "`{text}` per minute would never send: write at least 1 (or leave the limit out for the router's default)"
        )
    } else {
        match text.parse::<u32>() {
            Ok(per_minute) if per_minute <= MAX_PER_MINUTE => return Some(per_minute),
            _ => format!("`{text}` per minute is above the highest limit: write at most {MAX_PER_MINUTE}"),
        }
    };
    errors.push(RuleError::new(limit.loc, format!("destination `{name}`: {problem}")));
    None
}

/// HTTPS only, except plain HTTP to this machine (for tests and local relays).
/// Messages show the URL as [`redact_url`] does.
fn check_url(url: &Sp<String>, errors: &mut Vec<RuleError>) -> bool {
    let parsed = match url::Url::parse(&url.value) {
        Ok(parsed) => parsed,
        Err(error) => {
            // Nothing of the value is shown: without a scheme and host,
            // nothing tells where a secret in it starts. The parser's
            // reason never quotes the value.
            errors.push(RuleError::new(url.loc, format!("not a URL: expected https://host/path ({error})")));
            return false;
        }
    };
    match parsed.scheme() {
        _ if crate::vocabulary::is_https_or_loopback(&parsed) => true,
        scheme => {
            errors.push(RuleError::new(
                url.loc,
                format!(
                    "webhook URL `{}` uses `{scheme}`: use https (plain http is allowed only to localhost)",
                    redact_url(&url.value)
                ),
            ));
            false
        }
    }
}

fn check_email(address: &Sp<String>, errors: &mut Vec<RuleError>) -> bool {
    let text = address.value.trim();
    let valid = match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !text.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
        }
        None => false,
    };
    if !valid {
        errors.push(RuleError::new(
            address.loc,
            format!("`{text}` is not a valid e-mail address (expected name@domain.tld)"),
        ));
    }
    valid
}

fn check_schedule(schedule: &RawSchedule, errors: &mut Vec<RuleError>) -> Option<Schedule> {
    let text = |part: &Option<Sp<String>>, default: &str| part.as_ref().map_or(default.to_owned(), |p| p.value.clone());
    let loc = |part: &Option<Sp<String>>| part.as_ref().map_or(schedule.name.loc, |p| p.loc);
    let name = &schedule.name.value;
    let (days, hours, zone) =
        (text(&schedule.days, "daily"), text(&schedule.hours, "all day"), text(&schedule.timezone, "UTC"));
    // Each part is parsed on its own so that the error points at the part at fault.
    let parts = [
        (Schedule::parse(name, &days, "all day", "UTC"), loc(&schedule.days)),
        (Schedule::parse(name, "daily", &hours, "UTC"), loc(&schedule.hours)),
        (Schedule::parse(name, "daily", "all day", &zone), loc(&schedule.timezone)),
    ];
    let mut valid = true;
    for (result, at) in parts {
        if let Err(message) = result {
            errors.push(RuleError::new(at, format!("schedule `{name}`: {message}")));
            valid = false;
        }
    }
    valid.then(|| Schedule::parse(name, &days, &hours, &zone).ok()).flatten()
}

fn check_rule(rule: &RawRule, raw: &RawConfig, errors: &mut Vec<RuleError>) -> Option<Rule> {
    let before = errors.len();
    let condition = match &rule.when {
        None => {
            errors.push(RuleError::new(rule.name.loc, format!("rule `{}` has no `when` condition", rule.name.value)));
            None
        }
        // The loader has said why this condition cannot be used.
        Some(RawCondition::Reported) => None,
        Some(RawCondition::Tokens(tokens)) => parse(tokens, Loc::Token, errors),
        Some(RawCondition::Text { tokens, map }) => parse(tokens, |span| map.locate(span), errors),
    };
    let severity = match &rule.severity {
        None => Some(Severity::Error),
        Some(name) => match name.value.parse::<Severity>() {
            Ok(severity) => Some(severity),
            Err(error) => {
                errors.push(RuleError::new(name.loc, error.to_string()));
                None
            }
        },
    };
    if rule.notify.is_empty() {
        errors.push(RuleError::new(
            rule.name.loc,
            format!("rule `{}` has no destination: add `notify` with at least one destination", rule.name.value),
        ));
    }
    for target in &rule.notify {
        if !raw.destinations.iter().any(|d| d.name.value == target.value) {
            let known: Vec<&str> = raw.destinations.iter().map(|d| d.name.value.as_str()).collect();
            errors.push(RuleError::new(
                target.loc,
                format!("unknown destination `{}`: declared destinations are {}", target.value, list(&known)),
            ));
        }
    }
    if let Some(condition) = &condition {
        let (labels, tags) = group_by_labels(condition);
        for label in &rule.group_by {
            let name = label.value.as_str();
            if labels.contains(&name) || (tags && name.starts_with("tag.") && name.len() > 4) {
                continue;
            }
            let mut expected: Vec<String> = labels.iter().map(|l| format!("`{l}`")).collect();
            if tags {
                expected.push("`tag.<name>`".to_owned());
            }
            let message = if expected.is_empty() {
                format!("`group_by {name}`: this kind of rule has one alert only; remove `group_by`")
            } else {
                format!("unknown group_by label `{name}` for this kind of rule: expected {}", expected.join(", "))
            };
            errors.push(RuleError::new(label.loc, message));
        }
    }
    if let Some(during) = &rule.during
        && !raw.schedules.iter().any(|s| s.name.value == during.value)
    {
        let known: Vec<&str> = raw.schedules.iter().map(|s| s.name.value.as_str()).collect();
        let known = if known.is_empty() { "none (declare one with `schedule`)".to_owned() } else { known.join(", ") };
        errors.push(RuleError::new(
            during.loc,
            format!("unknown schedule `{}`: declared schedules are {known}", during.value),
        ));
    }
    let outside_schedule = match &rule.outside {
        None => OutsideSchedule::Hold,
        Some(outside) if rule.during.is_none() => {
            errors.push(RuleError::new(outside.loc, "`outside` needs a schedule: add `during <schedule>`"));
            OutsideSchedule::Hold
        }
        Some(outside) => match outside.value.as_str() {
            "hold" => OutsideSchedule::Hold,
            "drop" => OutsideSchedule::Drop,
            other => {
                errors.push(RuleError::new(outside.loc, format!("`outside {other}`: expected `hold` or `drop`")));
                OutsideSchedule::Hold
            }
        },
    };
    // A group_wait of zero sends a new alert at the first look, as in
    // Alertmanager; the intervals between notifications cannot be zero.
    let group_wait = interval("group_wait", rule.group_wait.as_ref(), DEFAULT_GROUP_WAIT, true, errors);
    let group_interval =
        interval("group_interval", rule.group_interval.as_ref(), DEFAULT_GROUP_INTERVAL, false, errors);
    let repeat_interval =
        interval("repeat_interval", rule.repeat_interval.as_ref(), DEFAULT_REPEAT_INTERVAL, false, errors);
    if let (Some(group), Some(repeat)) = (group_interval, repeat_interval)
        && repeat < group
    {
        let loc = rule.repeat_interval.as_ref().map_or(rule.name.loc, |r| r.loc);
        errors.push(RuleError::new(
            loc,
            format!(
                "repeat_interval ({}) is shorter than group_interval ({}): a repeat can only go out at a group interval",
                humantime::format_duration(repeat),
                humantime::format_duration(group)
            ),
        ));
    }
    if errors.len() > before {
        return None;
    }
    Some(Rule {
        name: rule.name.value.clone(),
        condition: condition?,
        severity: severity?,
        notify: rule.notify.iter().map(|n| n.value.clone()).collect(),
        group_by: rule.group_by.iter().map(|g| g.value.clone()).collect(),
        group_wait: group_wait?,
        group_interval: group_interval?,
        repeat_interval: repeat_interval?,
        schedule: rule.during.as_ref().map(|d| d.value.clone()),
        outside_schedule,
    })
}

fn interval(
    key: &str,
    value: Option<&Sp<String>>,
    default: Duration,
    zero_allowed: bool,
    errors: &mut Vec<RuleError>,
) -> Option<Duration> {
    let Some(value) = value else { return Some(default) };
    match parse_duration(&value.value) {
        Ok(duration) if duration.is_zero() && !zero_allowed => {
            errors.push(RuleError::new(
                value.loc,
                format!("{key} must be longer than zero: it is the least time between two notifications of a group"),
            ));
            None
        }
        Ok(duration) if duration > MAX_WINDOW => {
            errors.push(RuleError::new(value.loc, format!("{key} is longer than 7 days: keep it to a week or less")));
            None
        }
        Ok(duration) => Some(duration),
        Err(message) => {
            errors.push(RuleError::new(value.loc, message));
            None
        }
    }
}

/// The condition, or its mistakes in `errors`, each placed by `place`.
fn parse(
    tokens: &proc_macro2::TokenStream,
    place: impl Fn(proc_macro2::Span) -> Loc,
    errors: &mut Vec<RuleError>,
) -> Option<Condition> {
    match parse_condition(tokens.clone()) {
        Ok(condition) => Some(condition),
        Err(error) => {
            errors.extend(error.into_iter().map(|e| RuleError::new(place(e.span()), e.to_string())));
            None
        }
    }
}

fn list(names: &[&str]) -> String {
    if names.is_empty() { "none (declare one with `destination`)".to_owned() } else { names.join(", ") }
}
