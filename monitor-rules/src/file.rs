//! Rule files (TOML), checked by the same validator as the `alerts!` macro,
//! with file, line and column in every error.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

mod literal;

use serde::Deserialize;
use toml::Spanned;

use crate::check::check;
use crate::model::AlertConfig;
use crate::raw::{Loc, RawCondition, RawConfig, RawDestination, RawRule, RawSchedule, RuleError, Sp};
use crate::text_map::TextMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    destinations: BTreeMap<Spanned<String>, Spanned<FileDestination>>,
    #[serde(default)]
    rules: Vec<Spanned<FileRule>>,
    #[serde(default)]
    schedules: BTreeMap<Spanned<String>, Spanned<FileSchedule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSchedule {
    days: Option<Spanned<String>>,
    hours: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDestination {
    slack: Option<Spanned<String>>,
    discord: Option<Spanned<String>>,
    teams: Option<Spanned<String>>,
    webhook: Option<Spanned<String>>,
    email: Option<Spanned<Vec<Spanned<String>>>>,
    console: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRule {
    name: Spanned<String>,
    when: Option<Spanned<String>>,
    severity: Option<Spanned<String>>,
    #[serde(default)]
    notify: Vec<Spanned<String>>,
    #[serde(default)]
    group_by: Vec<Spanned<String>>,
    group_wait: Option<Spanned<String>>,
    group_interval: Option<Spanned<String>>,
    repeat_interval: Option<Spanned<String>>,
    during: Option<Spanned<String>>,
    outside: Option<Spanned<String>>,
}

fn loc<T>(value: &Spanned<T>) -> Loc {
    let span = value.span();
    Loc::File { start: span.start, end: span.end }
}

fn sp(value: &Spanned<String>) -> Sp<String> {
    Sp::new(value.get_ref().clone(), loc(value))
}

/// One mistake in a rule file, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, when loaded from one.
    pub file: Option<PathBuf>,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.as_deref().map_or_else(|| "<rules>".to_owned(), |f| f.display().to_string());
        write!(f, "{file}:{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Every mistake in a rule file, in the order they appear.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(f, "{n} error{} in the alert rules:", if n == 1 { "" } else { "s" })?;
        for error in &self.0 {
            writeln!(f, "  {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl AlertConfig {
    /// Reads and checks rules from TOML text.
    ///
    /// ```
    /// use monitor_rules::AlertConfig;
    ///
    /// let config = AlertConfig::from_toml_str(r#"
    ///     [destinations]
    ///     ops = { slack = "https://hooks.slack.com/services/T0/B0/secret" }
    ///
    ///     [[rules]]
    ///     name = "too_many_errors"
    ///     when = "errors(severity >= error) > 10 within 1h"
    ///     severity = "critical"
    ///     notify = ["ops"]
    /// "#).unwrap();
    /// assert_eq!(config.rules[0].name, "too_many_errors");
    ///
    /// let errors = AlertConfig::from_toml_str(r#"
    ///     [[rules]]
    ///     name = "typo"
    ///     when = "errors > 10 within 1h"
    ///     notify = ["opps"]
    /// "#).unwrap_err();
    /// assert!(errors.to_string().contains("<rules>:5:15: unknown destination `opps`"), "{errors}");
    /// ```
    pub fn from_toml_str(text: &str) -> Result<AlertConfig, ConfigErrors> {
        load(text, None)
    }

    /// Reads and checks a rule file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<AlertConfig, ConfigErrors> {
        let path = path.as_ref();
        match std::fs::read_to_string(path) {
            Ok(text) => load(&text, Some(path)),
            Err(error) => Err(ConfigErrors(vec![ConfigError {
                file: Some(path.to_path_buf()),
                line: 0,
                column: 0,
                message: format!("cannot read the rule file: {error}"),
            }])),
        }
    }
}

fn load(text: &str, path: Option<&Path>) -> Result<AlertConfig, ConfigErrors> {
    let at = |offset: usize, message: String| {
        let (line, column) = line_column(text, offset);
        ConfigError { file: path.map(Path::to_path_buf), line, column, message }
    };
    let file: FileConfig = toml::from_str(text).map_err(|error| {
        let offset = error.span().map_or(0, |span| span.start);
        ConfigErrors(vec![at(offset, error.message().trim().to_owned())])
    })?;
    let mut early = Vec::new();
    let raw = raw_config(text, &file, &mut early);
    let checked = check(&raw);
    let mut errors: Vec<RuleError> = early;
    let config = match checked {
        Ok(config) => Some(config),
        Err(found) => {
            errors.extend(found);
            None
        }
    };
    if errors.is_empty()
        && let Some(config) = config
    {
        return Ok(config);
    }
    let mut located: Vec<ConfigError> = errors
        .into_iter()
        .map(|error| match error.loc {
            Loc::File { start, .. } => at(start, error.message),
            Loc::Token(_) => at(0, error.message),
        })
        .collect();
    located.sort_by_key(|e| (e.line, e.column));
    Err(ConfigErrors(located))
}

fn raw_config(text: &str, file: &FileConfig, errors: &mut Vec<RuleError>) -> RawConfig {
    let mut raw = RawConfig::default();
    for (name, destination) in &file.destinations {
        let table = destination.get_ref();
        let mut kinds: Vec<RawDestination> = Vec::new();
        let mut url = |kind: &str, value: &Option<Spanned<String>>| {
            if let Some(value) = value {
                kinds.push(RawDestination {
                    name: sp(name),
                    kind: Sp::new(kind.to_owned(), loc(value)),
                    values: vec![sp(value)],
                });
            }
        };
        url("slack", &table.slack);
        url("discord", &table.discord);
        url("teams", &table.teams);
        url("webhook", &table.webhook);
        if let Some(addresses) = &table.email {
            let values = addresses.get_ref().iter().map(sp).collect();
            kinds.push(RawDestination { name: sp(name), kind: Sp::new("email".to_owned(), loc(addresses)), values });
        }
        if let Some(console) = &table.console
            && *console.get_ref()
        {
            kinds.push(RawDestination {
                name: sp(name),
                kind: Sp::new("console".to_owned(), loc(console)),
                values: Vec::new(),
            });
        }
        match kinds.len() {
            1 => raw.destinations.extend(kinds),
            0 => errors.push(RuleError::new(
                loc(destination),
                format!(
                    "destination `{}` needs one of slack, discord, teams, webhook, email or console",
                    name.get_ref()
                ),
            )),
            _ => errors.push(RuleError::new(
                loc(destination),
                format!("destination `{}` names more than one kind: declare one destination per kind", name.get_ref()),
            )),
        }
    }
    for rule in &file.rules {
        let rule = rule.get_ref();
        let mut raw_rule = RawRule::named(sp(&rule.name));
        raw_rule.when = rule.when.as_ref().map(|when| condition(text, when, errors));
        raw_rule.severity = rule.severity.as_ref().map(sp);
        raw_rule.notify = rule.notify.iter().map(sp).collect();
        raw_rule.group_by = rule.group_by.iter().map(sp).collect();
        raw_rule.group_wait = rule.group_wait.as_ref().map(sp);
        raw_rule.group_interval = rule.group_interval.as_ref().map(sp);
        raw_rule.repeat_interval = rule.repeat_interval.as_ref().map(sp);
        raw_rule.during = rule.during.as_ref().map(sp);
        raw_rule.outside = rule.outside.as_ref().map(sp);
        raw.rules.push(raw_rule);
    }
    for (name, schedule) in &file.schedules {
        let schedule = schedule.get_ref();
        raw.schedules.push(RawSchedule {
            name: sp(name),
            days: schedule.days.as_ref().map(sp),
            hours: schedule.hours.as_ref().map(sp),
            timezone: schedule.timezone.as_ref().map(sp),
        });
    }
    raw
}

/// The tokens of a `when` string and where each of its characters is in
/// `text`, or [`RawCondition::Reported`] with the reason in `errors`.
fn condition(text: &str, when: &Spanned<String>, errors: &mut Vec<RuleError>) -> RawCondition {
    let value = when.get_ref();
    let tokens = match proc_macro2::TokenStream::from_str(value) {
        Ok(tokens) => tokens,
        Err(error) => {
            errors.push(RuleError::new(loc(when), format!("the condition cannot be read: {error}")));
            return RawCondition::Reported;
        }
    };
    let span = when.span();
    let map = text
        .get(span.clone())
        .and_then(|raw| literal::char_offsets(raw, span.start))
        .and_then(|offsets| TextMap::new(value, offsets))
        // Not expected for a string the parser accepted; the string's start is still right.
        .unwrap_or_else(|| TextMap::at(value, span.start));
    RawCondition::Text { tokens, map }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
