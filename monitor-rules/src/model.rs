//! Checked alert configuration: what the engine runs.

use std::time::Duration;

use crate::schedule::{OutsideSchedule, Schedule};
use crate::severity::Severity;
use crate::summary::Summary;
use crate::template::WebhookTemplate;

mod debug;

/// Destinations and rules, checked: every reference resolves, every value
/// is in range.
///
/// Its `Debug` output hides webhook secrets (see [`Target`]), so a
/// configuration can be logged.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlertConfig {
    /// Where alerts can go.
    pub destinations: Vec<Destination>,
    /// When alerts fire.
    pub rules: Vec<Rule>,
    /// When notifications may go out, for rules that name one.
    pub schedules: Vec<Schedule>,
    /// Reports sent every day or week (see [`Summary`]).
    pub summaries: Vec<Summary>,
}

impl AlertConfig {
    /// The destination called `name`.
    pub fn destination(&self, name: &str) -> Option<&Destination> {
        self.destinations.iter().find(|d| d.name == name)
    }

    /// The rule called `name`.
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// The schedule called `name`.
    pub fn schedule(&self, name: &str) -> Option<&Schedule> {
        self.schedules.iter().find(|s| s.name == name)
    }

    /// The summary called `name`.
    pub fn summary(&self, name: &str) -> Option<&Summary> {
        self.summaries.iter().find(|s| s.name == name)
    }
}

/// A named place alerts are delivered to.
///
/// ```
/// use monitor_rules::AlertConfig;
///
/// let config = AlertConfig::from_toml_str(r#"
///     [destinations]
///     ops_chat = { slack = "https://hooks.slack.com/services/T0/B0/secret", per_minute = 30 }
///     oncall = { email = ["oncall@example.org"] }
/// "#).unwrap();
/// assert_eq!(config.destination("ops_chat").unwrap().per_minute, Some(30));
/// assert_eq!(config.destination("oncall").unwrap().per_minute, None, "the router's default");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    /// Its name, used by rules.
    pub name: String,
    /// What it is.
    pub target: Target,
    /// Notifications a minute it receives at most, from 1 to
    /// [`MAX_PER_MINUTE`]; `None` leaves it to the router's default
    /// (`RouterConfig::per_destination_per_minute` in `monitor-runtime`).
    /// What goes over it is held and sent later, in order.
    pub per_minute: Option<u32>,
}

/// The highest rate limit a destination may set, in notifications a minute.
pub const MAX_PER_MINUTE: u32 = 10_000;

/// The kinds of destination.
///
/// `Debug` shows a webhook URL as [`redact_url`](crate::redact_url) does:
/// its scheme, host and port and, on a known platform's host (Slack,
/// Discord, Teams), the path all its webhooks share; the rest of the path,
/// which holds the token, the query and any user info are shown as `***`.
/// E-mail addresses are shown as they are.
///
/// ```
/// use monitor_rules::Target;
///
/// let slack = Target::Slack("https://hooks.slack.com/services/T000/B000/XXXX".into());
/// assert_eq!(format!("{slack:?}"), r#"Slack("https://hooks.slack.com/services/***")"#);
/// let teams = Target::Teams("https://prod.logic.azure.com/workflows/1/triggers?sig=XXXX".into());
/// assert_eq!(format!("{teams:?}"), r#"Teams("https://prod.logic.azure.com/workflows/***")"#);
/// let hook = Target::Webhook("https://ntfy.sh/opsalerts".into());
/// assert_eq!(format!("{hook:?}"), r#"Webhook("https://ntfy.sh/***")"#);
/// let email = Target::Email(vec!["oncall@example.org".into()]);
/// assert_eq!(format!("{email:?}"), r#"Email(["oncall@example.org"])"#);
/// ```
// Debug is written by hand (model/debug.rs): a derived one would print the
// token. `AlertConfig` and `Destination` keep their derived Debug, which
// goes through this one.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// A Slack incoming webhook URL.
    Slack(String),
    /// A Discord webhook URL.
    Discord(String),
    /// A Microsoft Teams Workflows webhook URL.
    Teams(String),
    /// A generic JSON webhook URL (the documented `monitor.alert.v1` body).
    Webhook(String),
    /// A webhook whose body its configuration writes, field by field, as
    /// JSON or as a form, with its own authentication: an SMS gateway or a
    /// paging service (`webhook("https://…", form, field Body = "{title}")`).
    TemplatedWebhook(WebhookTemplate),
    /// A Prometheus Alertmanager: its base URL (`http://127.0.0.1:9093`);
    /// alerts are posted to its v2 API, `/api/v2/alerts`, under it.
    Alertmanager(String),
    /// E-mail recipients.
    Email(Vec<String>),
    /// The process's standard error (development).
    Console,
}

/// One alert rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Its name, unique in the configuration.
    pub name: String,
    /// What makes it fire.
    pub condition: Condition,
    /// The severity of its alerts.
    pub severity: Severity,
    /// Destinations, by name.
    pub notify: Vec<String>,
    /// Labels that split its alerts into groups (`function`, `module`, …).
    pub group_by: Vec<String>,
    /// How long to wait before the first notification of a new group, so
    /// that what fires together goes out together; `0s` sends at the
    /// first look.
    pub group_wait: Duration,
    /// How long to wait before notifying changes in a group.
    pub group_interval: Duration,
    /// How long to wait before repeating a notification that did not change.
    pub repeat_interval: Duration,
    /// The schedule its notifications keep to, by name (any time when `None`).
    pub schedule: Option<String>,
    /// What happens to notifications due outside the schedule.
    pub outside_schedule: OutsideSchedule,
}

/// Default `group_wait`, as in Alertmanager.
pub const DEFAULT_GROUP_WAIT: Duration = Duration::from_secs(30);
/// Default `group_interval`, as in Alertmanager.
pub const DEFAULT_GROUP_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// Default `repeat_interval`, as in Alertmanager.
pub const DEFAULT_REPEAT_INTERVAL: Duration = Duration::from_secs(4 * 60 * 60);
/// How often memory and CPU rules check the process when they do not say.
pub const DEFAULT_RESOURCE_CHECK: Duration = Duration::from_secs(15 * 60);
/// Longest window a rule may look back over.
pub const MAX_WINDOW: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// What makes a rule fire.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// More than `above` errors matching `filters` within `window`.
    Errors {
        /// Which errors count.
        filters: Vec<Filter>,
        /// Fires above this many.
        above: u64,
        /// Sliding window.
        window: Duration,
    },
    /// More than `above` errors matching `filters` within `window`, counted
    /// across every instance that writes to one shared store
    /// (`errors(...) > 100 within 5m across fleet`). One instance at a time
    /// evaluates it (the leader, chosen through the store); the window is
    /// counted in whole minutes.
    FleetErrors {
        /// Which errors count.
        filters: Vec<Filter>,
        /// Fires above this many.
        above: u64,
        /// Sliding window (at least a minute).
        window: Duration,
    },
    /// The `percentile` of call durations of matching functions above `above` over `window`.
    Latency {
        /// In (0, 100].
        percentile: f64,
        /// Which calls count: `module` and `function` only (see
        /// [`Field::Function`] for what a function pattern matches).
        filters: Vec<Filter>,
        /// Fires above this duration.
        above: Duration,
        /// Sliding window.
        window: Duration,
    },
    /// More than `above_percent` percent of the monitored calls of matching
    /// call sites failed over `window`:
    /// `error_rate(function = "payments::*") > 5% over 15m`. The rate is
    /// errors divided by calls, both counted over the window across every
    /// matching call site (per group when the rule has `group_by`).
    /// `with at least 50 calls` after the window keeps a quiet function from
    /// alerting on one failure out of two calls.
    ///
    /// ```
    /// use monitor_rules::{Condition, Field};
    /// use monitor_rules::macro_support::parse_condition;
    /// use std::time::Duration;
    ///
    /// let tokens = r#"error_rate(function = "payments::*") > 5% over 15m with at least 50 calls"#;
    /// let Condition::ErrorRate { filters, above_percent, window, min_calls } =
    ///     parse_condition(tokens.parse().unwrap()).unwrap()
    /// else {
    ///     unreachable!()
    /// };
    /// assert_eq!(filters[0].field, Field::Function);
    /// assert_eq!((above_percent, window, min_calls), (5.0, Duration::from_secs(15 * 60), 50));
    /// ```
    ErrorRate {
        /// Which call sites count: `module` and `function` only (see
        /// [`Field::Function`] for what a function pattern matches).
        filters: Vec<Filter>,
        /// Fires above this percentage of calls, in (0, 100]: `5.0` is 5%.
        above_percent: f64,
        /// Sliding window.
        window: Duration,
        /// The fewest calls the window must hold for the rate to count (at
        /// least 1; 1 when the rule does not say `with at least N calls`).
        min_calls: u64,
    },
    /// More than `above` audit records matching `filters` within `window`.
    Audit {
        /// Which records count (`process`, `action`, `status`).
        filters: Vec<Filter>,
        /// Fires above this many.
        above: u64,
        /// Sliding window.
        window: Duration,
    },
    /// A group never seen before appears.
    NewGroup {
        /// Which groups count.
        filters: Vec<Filter>,
    },
    /// A resolved group is seen again.
    Regression {
        /// Which groups count.
        filters: Vec<Filter>,
    },
    /// No heartbeat called `heartbeat` for `period`.
    Absent {
        /// The heartbeat's name.
        heartbeat: String,
        /// How long silence is tolerated.
        period: Duration,
    },
    /// Resident memory above `above_bytes`, checked every `every`.
    Memory {
        /// Fires above this many bytes.
        above_bytes: u64,
        /// Check period.
        every: Duration,
    },
    /// CPU use above `above_percent` of one core, checked every `every`.
    Cpu {
        /// Fires above this percentage.
        above_percent: f64,
        /// Check period.
        every: Duration,
    },
}

/// `field op value`, such as `severity >= error` or `function = "payments::*"`.
///
/// With `=` and `!=`, a `*` in the value matches any run of characters,
/// `::` included: `module = "payments::*"` matches module `payments::sepa`
/// and `payments::sepa::batch`. A `function` pattern is matched against the
/// bare function name and against its path `module::function` with any
/// number of leading modules dropped, and `=` holds when one matches (so
/// `!=` holds when none does); see
/// [`Field::Function`].
///
/// ```
/// use monitor_rules::{Condition, Field, Filter, Op};
/// use monitor_rules::macro_support::parse_condition;
///
/// let tokens = r#"p95(function = "payments::*") > 2s over 15m"#.parse().unwrap();
/// let Condition::Latency { filters, .. } = parse_condition(tokens).unwrap() else { unreachable!() };
/// assert_eq!(filters, [Filter { field: Field::Function, op: Op::Eq, value: "payments::*".to_owned() }]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// What is compared.
    pub field: Field,
    /// How.
    pub op: Op,
    /// With what (`*` matches any run of characters in names).
    pub value: String,
}

/// Fields a filter can test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    /// Event severity.
    Severity,
    /// Module path, such as `payments::sepa`.
    Module,
    /// Function name. Call sites and events keep the function's bare
    /// identifier (`charge`) and its module path (`shop::payments::sepa`,
    /// which starts with the crate's name) apart; a `function` pattern
    /// matches when it matches the bare name or the path
    /// `module::function` with any number of leading modules dropped
    /// (whole modules only). So `function = "charge"` finds `charge` in any
    /// module, and `function = "payments::*"` every function of a module
    /// `payments` and of its submodules, whatever crate it is in:
    ///
    /// ```text
    /// function = "payments::*"    shop::payments::charge        matches
    ///                             payments::sepa::charge        matches
    ///                             shop::billing::charge         does not
    ///                             shop::prepayments::charge     does not
    /// function = "charge"         shop::billing::charge         matches (bare name)
    /// ```
    Function,
    /// Group key (hex).
    Group,
    /// Event kind (error, panic, slow, message).
    Kind,
    /// A context tag.
    Tag(String),
    /// Audit process.
    Process,
    /// Audit action.
    Action,
    /// Audit compliance status.
    Status,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `<`
    Lt,
}
