//! Configuration as written, before checking: every piece keeps where it
//! came from, so each error can point at it.

use std::fmt;

use proc_macro2::{Span, TokenStream};

use crate::text_map::TextMap;

/// Where a piece of configuration was written.
#[derive(Clone, Copy, Debug)]
pub enum Loc {
    /// A token of the `alerts!` macro (or of a condition parsed from text).
    Token(Span),
    /// A byte range in a rule file.
    File {
        /// First byte.
        start: usize,
        /// One past the last byte.
        end: usize,
    },
}

/// A value and where it was written.
#[derive(Clone, Debug)]
pub struct Sp<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub loc: Loc,
}

impl<T> Sp<T> {
    /// A value at `loc`.
    pub fn new(value: T, loc: Loc) -> Self {
        Sp { value, loc }
    }
}

/// A destination as written: `ops_chat = slack("https://…")`.
#[derive(Clone, Debug)]
pub struct RawDestination {
    /// Its name.
    pub name: Sp<String>,
    /// `slack`, `discord`, `teams`, `webhook`, `alertmanager`, `email` or `console`.
    pub kind: Sp<String>,
    /// The URL, or the e-mail addresses.
    pub values: Vec<Sp<String>>,
    /// Its own rate limit, notifications a minute, as written (`30`): the
    /// validator checks that it is a whole number in range. `None` when it
    /// has none and the router's default applies.
    pub per_minute: Option<Sp<String>>,
    /// A body template (encoding, fields, authentication, lengths), when
    /// any part of one is written: only a `webhook` takes one.
    pub template: Option<RawTemplate>,
}

/// The parts of a templated webhook as written; the validator checks them.
#[derive(Clone, Debug, Default)]
pub struct RawTemplate {
    /// `json` or `form`; JSON when absent.
    pub encoding: Option<Sp<String>>,
    /// Field names and their templates, in the order written.
    pub fields: Vec<(Sp<String>, Sp<String>)>,
    /// The `Authorization` header's variables.
    pub auth: Option<RawAuth>,
    /// Field names and their longest length in characters, as written (`160`).
    pub max_chars: Vec<(Sp<String>, Sp<String>)>,
    /// Where the template's options start: errors about it as a whole go there.
    pub loc: Option<Loc>,
}

/// A templated webhook's authentication as written: names of environment
/// variables.
#[derive(Clone, Debug)]
pub enum RawAuth {
    /// `bearer("SMS_TOKEN")`, `{ bearer_env = "SMS_TOKEN" }`.
    Bearer(Sp<String>),
    /// `basic("SMS_USER", "SMS_PASSWORD")`, `{ user_env = …, password_env = … }`.
    Basic(Sp<String>, Sp<String>),
    /// Written, but not usable; the loader has said why.
    Reported,
}

/// A `when` condition as written.
#[derive(Clone, Debug)]
pub enum RawCondition {
    /// Tokens of the `alerts!` macro: each token knows its place.
    Tokens(TokenStream),
    /// The text of a condition in a rule file, lexed into tokens; `map`
    /// turns a token's place in the text into its place in the file.
    Text {
        /// The text's tokens.
        tokens: TokenStream,
        /// Where the text's characters are in the file.
        map: TextMap,
    },
    /// A condition that was written but cannot be used (not text, or text
    /// that does not lex): the loader has reported why, so the validator
    /// does not report it missing too.
    Reported,
}

/// A schedule as written: `office { days "mon-fri"; hours "08:00-18:00"; timezone "Europe/Amsterdam"; }`.
#[derive(Clone, Debug)]
pub struct RawSchedule {
    /// Its name.
    pub name: Sp<String>,
    /// Days (`mon-fri`, `weekends`); every day when absent.
    pub days: Option<Sp<String>>,
    /// Hours (`08:00-18:00`); all day when absent.
    pub hours: Option<Sp<String>>,
    /// IANA time zone; UTC when absent.
    pub timezone: Option<Sp<String>>,
}

/// A summary as written: `morning { daily at "08:00"; timezone "Europe/Amsterdam"; notify ops; }`.
#[derive(Clone, Debug)]
pub struct RawSummary {
    /// Its name.
    pub name: Sp<String>,
    /// `daily` or `weekly`, each time it is written (twice is a mistake).
    pub cadence: Vec<Sp<String>>,
    /// The day of a weekly summary (`mon`).
    pub day: Option<Sp<String>>,
    /// The local time of day (`08:00`).
    pub at: Option<Sp<String>>,
    /// IANA time zone; UTC when absent.
    pub timezone: Option<Sp<String>>,
    /// Destination names.
    pub notify: Vec<Sp<String>>,
}

impl RawSummary {
    /// A summary with only its name.
    pub fn named(name: Sp<String>) -> Self {
        RawSummary { name, cadence: Vec::new(), day: None, at: None, timezone: None, notify: Vec::new() }
    }
}

/// A rule as written.
#[derive(Clone, Debug)]
pub struct RawRule {
    /// Its name.
    pub name: Sp<String>,
    /// The `when` condition.
    pub when: Option<RawCondition>,
    /// Severity name.
    pub severity: Option<Sp<String>>,
    /// Destination names.
    pub notify: Vec<Sp<String>>,
    /// Label names.
    pub group_by: Vec<Sp<String>>,
    /// Durations as written (`30s`, `5m`, `4h`).
    pub group_wait: Option<Sp<String>>,
    /// See [`RawRule::group_wait`].
    pub group_interval: Option<Sp<String>>,
    /// See [`RawRule::group_wait`].
    pub repeat_interval: Option<Sp<String>>,
    /// The schedule's name, when notifications go out only during it.
    pub during: Option<Sp<String>>,
    /// `hold` or `drop`: what happens to notifications due outside the schedule.
    pub outside: Option<Sp<String>>,
}

impl RawRule {
    /// A rule with only its name.
    pub fn named(name: Sp<String>) -> Self {
        RawRule {
            name,
            when: None,
            severity: None,
            notify: Vec::new(),
            group_by: Vec::new(),
            group_wait: None,
            group_interval: None,
            repeat_interval: None,
            during: None,
            outside: None,
        }
    }
}

/// Destinations and rules as written.
#[derive(Clone, Debug, Default)]
pub struct RawConfig {
    /// In the order written.
    pub destinations: Vec<RawDestination>,
    /// In the order written.
    pub rules: Vec<RawRule>,
    /// In the order written.
    pub schedules: Vec<RawSchedule>,
    /// In the order written.
    pub summaries: Vec<RawSummary>,
}

/// One mistake in a configuration.
#[derive(Clone, Debug)]
pub struct RuleError {
    /// Where it is.
    pub loc: Loc,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl RuleError {
    /// An error at `loc`.
    pub fn new(loc: Loc, message: impl Into<String>) -> Self {
        RuleError { loc, message: message.into() }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
