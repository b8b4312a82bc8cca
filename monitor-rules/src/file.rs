//! Rule files (TOML), checked by the same validator as the `alerts!` macro,
//! with file, line and column in every error.

mod literal;
mod parse_thread;
mod shape;

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use toml::de::DeTable;

use crate::check::check;
use crate::model::AlertConfig;
use crate::raw::{Loc, RawCondition, RuleError};
use crate::text_map::TextMap;

/// One mistake in a rule file, with where it is.
///
/// Lines and columns count from 1, always: a mistake that concerns the
/// file as a whole (it cannot be read) is at 1:1.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigError {
    /// The file, when loaded from one.
    pub file: Option<PathBuf>,
    /// Line, from 1.
    pub line: usize,
    /// Column, in characters, from 1.
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

    /// Reads and checks a rule file. A file that cannot be read is one
    /// error, at 1:1, naming the file.
    ///
    /// ```
    /// use monitor_rules::AlertConfig;
    ///
    /// let errors = AlertConfig::from_path("no/such/alerts.toml").unwrap_err();
    /// assert!(errors.to_string().contains("no/such/alerts.toml:1:1: cannot read the rule file"), "{errors}");
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Result<AlertConfig, ConfigErrors> {
        let path = path.as_ref();
        match std::fs::read_to_string(path) {
            Ok(text) => load(&text, Some(path)),
            Err(error) => Err(ConfigErrors(vec![ConfigError {
                file: Some(path.to_path_buf()),
                line: 1,
                column: 1,
                message: format!("cannot read the rule file: {error}"),
            }])),
        }
    }
}

fn load(text: &str, path: Option<&Path>) -> Result<AlertConfig, ConfigErrors> {
    // The conditions' spans, and the texts proc-macro2 keeps for them, stay
    // on that thread and go with it (see `parse_thread`).
    parse_thread::on_parse_thread(|| load_here(text, path))
}

fn load_here(text: &str, path: Option<&Path>) -> Result<AlertConfig, ConfigErrors> {
    let at = |offset: usize, message: String| {
        let (line, column) = line_column(text, offset);
        ConfigError { file: path.map(Path::to_path_buf), line, column, message }
    };
    // A file that does not parse is one error: nothing after it can be read.
    let document = DeTable::parse(text).map_err(|error| {
        let offset = error.span().map_or(0, |span| span.start);
        ConfigErrors(vec![at(offset, error.message().trim().to_owned())])
    })?;
    let mut early = Vec::new();
    let raw = shape::raw_config(text, document.get_ref(), &mut early);
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

/// The tokens of a `when` string and where each of its characters is in
/// `text`, or [`RawCondition::Reported`] with the reason in `errors`.
fn condition(text: &str, value: &str, span: Range<usize>, errors: &mut Vec<RuleError>) -> RawCondition {
    let tokens = match proc_macro2::TokenStream::from_str(value) {
        Ok(tokens) => tokens,
        Err(error) => {
            let at = Loc::File { start: span.start, end: span.end };
            errors.push(RuleError::new(at, format!("the condition cannot be read: {error}")));
            return RawCondition::Reported;
        }
    };
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
