//! Retention: which events a store removes, and why. A [`RetentionPolicy`]
//! is plain data (written in code or read from TOML); each store turns it
//! into the same SQL expression ([`EventRules`]) so that both decide alike,
//! and deletes in small transactions of its own.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use monitor_runtime::{EventKind, GroupKey, Severity};
use serde::{Deserialize, Deserializer, Serialize};

use super::audit_archive::AuditArchive;
use super::count_retention::CountRows;
use super::millis;

/// Rows deleted per transaction: small enough that a writer waits at most
/// a few milliseconds for one, large enough that a run is not all overhead.
pub(crate) const CHUNK_ROWS: i64 = 1_000;

const DAY: u64 = 86_400;

/// How long the time-series counts are kept by default: a year and a
/// month, so that a chart can set this month beside the same month last
/// year. Charts, top groups and function statistics read these counts, not
/// events: they are meant to outlive the events (30 days by default), and
/// a row per group and minute is far smaller than the events it counts.
pub const DEFAULT_COUNTS_MAX_AGE: Duration = Duration::from_secs(400 * DAY);

/// What a store keeps, and for how long.
///
/// Each event gets one age limit, the most specific that applies: a
/// [`pattern`](RetentionPolicy::patterns) matching its group first, then its
/// [`severity`](RetentionPolicy::severity), then its
/// [`kind`](RetentionPolicy::kind), then [`max_age`](RetentionPolicy::max_age).
/// So "critical: 1 year" keeps critical events a year even though the
/// default age is 30 days. [`max_size`](RetentionPolicy::max_size) then
/// removes the lowest-severity, oldest events until the store is under it.
///
/// Groups keep their counts, first and last seen and status when their old
/// events go, and audit rows are never touched by these rules:
/// [`audit`](RetentionPolicy::audit) archives them to files. The
/// time-series counts that charts read (per group and minute, per function
/// and minute, hourly totals) go after
/// [`counts_max_age`](RetentionPolicy::counts_max_age).
///
/// ```
/// use std::time::Duration;
/// use monitor_runtime::Severity;
/// use monitor_sinks::store::RetentionPolicy;
///
/// let policy: RetentionPolicy = toml::from_str(r#"
///     max_age = "30d"
///     max_size = "500MiB"
///     severity = { critical = "1y", debug = "7d" }
///     kind = { slow = "3d" }
///     patterns = [{ template = "cache miss for *", older_than = "1d" }]
///     counts_max_age = "2y"
/// "#).unwrap();
/// policy.validate().unwrap();
/// assert_eq!(policy.severity[&Severity::Debug], Duration::from_secs(7 * 86_400));
/// assert_eq!(policy.max_size, Some(500 * 1024 * 1024));
///
/// // The default: events 30 days, the counts charts read 400 days.
/// assert_eq!(RetentionPolicy::default().max_age, Some(Duration::from_secs(30 * 86_400)));
/// assert_eq!(RetentionPolicy::default().counts_max_age, Some(Duration::from_secs(400 * 86_400)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionPolicy {
    /// Events older than this go (default 30 days; `None`, written `"none"`
    /// in TOML: no age limit).
    #[serde(deserialize_with = "optional_duration")]
    pub max_age: Option<Duration>,
    /// Age limits per severity, instead of `max_age` for events of that
    /// severity (`critical = "1y"`, `debug = "7d"`).
    #[serde(deserialize_with = "duration_map")]
    pub severity: BTreeMap<Severity, Duration>,
    /// Age limits per kind of event (`error`, `panic`, `slow`, `message`),
    /// for events whose severity has no limit of its own.
    #[serde(deserialize_with = "duration_map")]
    pub kind: BTreeMap<String, Duration>,
    /// Age limits for the events of some groups; the first that matches a
    /// group applies, before any other limit.
    pub patterns: Vec<PatternRule>,
    /// Keeps the store under this many bytes (TOML: `"500MiB"`, `"2GB"`),
    /// removing the lowest-severity events first and, among them, the
    /// oldest. What the size of a store is: see `docs/storage.md`.
    #[serde(deserialize_with = "optional_size")]
    pub max_size: Option<u64>,
    /// Archives old audit rows to files (default: none; audit rows are
    /// never deleted otherwise).
    pub audit: Option<AuditRetention>,
    /// The time-series counts older than this go: occurrences per group
    /// and minute, calls per function and minute, and the hourly totals of
    /// occurrences and audit records (default [`DEFAULT_COUNTS_MAX_AGE`];
    /// `None`, written `"none"` in TOML: kept forever). Never less than the
    /// longest event age limit of the policy (see
    /// [`counts_age`](RetentionPolicy::counts_age)), and hourly audit
    /// totals only for hours before the oldest audit row still stored.
    /// Groups' own counts never change.
    #[serde(deserialize_with = "optional_duration")]
    pub counts_max_age: Option<Duration>,
}

/// An age limit for the events of the groups it matches: by key, or by a
/// glob over the group's template (`*` any text, `?` one character).
///
/// ```
/// use std::time::Duration;
/// use monitor_runtime::GroupKey;
/// use monitor_sinks::store::PatternRule;
///
/// let noisy = PatternRule::template("cache miss for *", Duration::from_secs(86_400));
/// let one = PatternRule::group(GroupKey(0x2a), Duration::from_secs(7 * 86_400));
/// assert!(noisy.matches(GroupKey(1), "cache miss for user <*>"));
/// assert!(one.matches(GroupKey(0x2a), "anything"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternRule {
    /// The group's key (16 hex digits in TOML).
    #[serde(default, deserialize_with = "optional_group_key")]
    pub group: Option<GroupKey>,
    /// A glob over the group's template.
    #[serde(default)]
    pub template: Option<String>,
    /// Events of matching groups older than this go.
    #[serde(deserialize_with = "duration")]
    pub older_than: Duration,
}

/// Archiving of old audit rows: whole segments of the chain, oldest first,
/// to NDJSON files in `archive_dir`, each vouched for by a checkpoint row
/// kept in the store (see `docs/audit.md`).
///
/// ```
/// use monitor_sinks::store::RetentionPolicy;
///
/// let policy: RetentionPolicy = toml::from_str(r#"
///     audit = { older_than = "400d", archive_dir = "audit-archive" }
/// "#).unwrap();
/// assert_eq!(policy.audit.unwrap().older_than.as_secs(), 400 * 86_400);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRetention {
    /// Rows older than this are archived (never the last row of the log).
    #[serde(deserialize_with = "duration")]
    pub older_than: Duration,
    /// Where the archive files go (created if missing).
    pub archive_dir: PathBuf,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            max_age: Some(Duration::from_secs(30 * DAY)),
            severity: BTreeMap::new(),
            kind: BTreeMap::new(),
            patterns: Vec::new(),
            max_size: None,
            audit: None,
            counts_max_age: Some(DEFAULT_COUNTS_MAX_AGE),
        }
    }
}

impl PatternRule {
    /// Events of the group `key` older than `older_than` go.
    pub fn group(key: GroupKey, older_than: Duration) -> Self {
        PatternRule { group: Some(key), template: None, older_than }
    }

    /// Events of groups whose template matches `glob` older than
    /// `older_than` go.
    pub fn template(glob: impl Into<String>, older_than: Duration) -> Self {
        PatternRule { group: None, template: Some(glob.into()), older_than }
    }

    /// Whether the group `key` with `template` is one this rule is about.
    pub fn matches(&self, key: GroupKey, template: &str) -> bool {
        self.group.is_some_and(|group| group == key)
            || self.template.as_deref().is_some_and(|glob| glob_matches(glob, template))
    }
}

impl RetentionPolicy {
    /// Nothing is removed: the start for a policy of only some rules.
    ///
    /// ```
    /// use monitor_sinks::store::RetentionPolicy;
    ///
    /// let size_only = RetentionPolicy::none().max_size(64 << 20);
    /// assert_eq!((size_only.max_age, size_only.counts_max_age), (None, None));
    /// ```
    pub fn none() -> Self {
        RetentionPolicy { max_age: None, counts_max_age: None, ..RetentionPolicy::default() }
    }

    /// Events older than `age` go (`None`: no age limit).
    pub fn max_age(mut self, age: Option<Duration>) -> Self {
        self.max_age = age;
        self
    }

    /// Events of `severity` are kept for `age` instead.
    ///
    /// ```
    /// use std::time::Duration;
    /// use monitor_runtime::Severity;
    /// use monitor_sinks::store::RetentionPolicy;
    ///
    /// let policy = RetentionPolicy::default()
    ///     .keep_severity(Severity::Critical, Duration::from_secs(365 * 86_400))
    ///     .keep_severity(Severity::Debug, Duration::from_secs(7 * 86_400));
    /// assert!(policy.validate().is_ok());
    /// ```
    pub fn keep_severity(mut self, severity: Severity, age: Duration) -> Self {
        self.severity.insert(severity, age);
        self
    }

    /// Events of `kind` are kept for `age` instead (when their severity has
    /// no limit of its own).
    pub fn keep_kind(mut self, kind: EventKind, age: Duration) -> Self {
        self.kind.insert(kind.as_str().to_owned(), age);
        self
    }

    /// Adds a pattern rule (after those already there).
    pub fn pattern(mut self, rule: PatternRule) -> Self {
        self.patterns.push(rule);
        self
    }

    /// Keeps the store under `bytes`.
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = Some(bytes);
        self
    }

    /// The time-series counts older than `age` go (`None`: kept forever).
    pub fn counts_max_age(mut self, age: Option<Duration>) -> Self {
        self.counts_max_age = age;
        self
    }

    /// Archives audit rows older than `older_than` into `archive_dir`.
    pub fn audit(mut self, older_than: Duration, archive_dir: impl Into<PathBuf>) -> Self {
        self.audit = Some(AuditRetention { older_than, archive_dir: archive_dir.into() });
        self
    }

    /// Checks the policy: every age above zero, kinds that exist, pattern
    /// rules naming a group or a template (not both), a size of at least
    /// 64 KiB, an archive directory for audit retention.
    ///
    /// ```
    /// use monitor_sinks::store::RetentionPolicy;
    ///
    /// let bad: RetentionPolicy = toml::from_str(r#"kind = { eror = "7d" }"#).unwrap();
    /// let error = bad.validate().unwrap_err();
    /// assert!(error.to_string().contains("`eror`"), "{error}");
    /// ```
    pub fn validate(&self) -> Result<(), RetentionPolicyError> {
        let refuse = |message: String| Err(RetentionPolicyError { message });
        let zero = |what: String| RetentionPolicyError {
            message: format!("{what} is zero: give a positive duration such as \"7d\", or leave it out"),
        };
        if self.max_age == Some(Duration::ZERO) {
            return Err(zero("max_age".to_owned()));
        }
        if self.counts_max_age == Some(Duration::ZERO) {
            return Err(zero("counts_max_age".to_owned()));
        }
        if let Some((severity, _)) = self.severity.iter().find(|(_, age)| age.is_zero()) {
            return Err(zero(format!("the age of severity {severity}")));
        }
        for (kind, age) in &self.kind {
            if EventKind::parse(kind).is_none() {
                return refuse(format!(
                    "the event kind `{kind}` does not exist: write one of error, panic, slow, message"
                ));
            }
            if age.is_zero() {
                return Err(zero(format!("the age of kind {kind}")));
            }
        }
        for (index, rule) in self.patterns.iter().enumerate() {
            let which = index + 1;
            match (&rule.group, &rule.template) {
                (None, None) => {
                    return refuse(format!("pattern rule {which} names neither a group nor a template: give one"));
                }
                (Some(_), Some(_)) => {
                    return refuse(format!(
                        "pattern rule {which} names both a group and a template: write two rules instead"
                    ));
                }
                (None, Some(glob)) if glob.trim().is_empty() => {
                    return refuse(format!(
                        "pattern rule {which} has an empty template: give a glob such as \"timeout *\""
                    ));
                }
                _ => {}
            }
            if rule.older_than.is_zero() {
                return Err(zero(format!("older_than of pattern rule {which}")));
            }
        }
        if let Some(size) = self.max_size
            && size < 64 * 1024
        {
            return refuse(format!("max_size is {size} bytes: give at least 64KiB (such as \"500MiB\")"));
        }
        if let Some(audit) = &self.audit {
            if audit.older_than.is_zero() {
                return Err(zero("the audit retention's older_than".to_owned()));
            }
            if audit.archive_dir.as_os_str().is_empty() {
                return refuse("the audit retention has no archive_dir: name the directory archives go to".to_owned());
            }
        }
        Ok(())
    }
}

/// A policy that cannot be used: what is wrong and how to write it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionPolicyError {
    message: String,
}

impl fmt::Display for RetentionPolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "retention policy: {}", self.message)
    }
}

impl std::error::Error for RetentionPolicyError {}

/// Events counted per reason they go for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EventCounts {
    /// Older than `max_age`.
    pub age: u64,
    /// Older than the limit of their severity.
    pub severity: u64,
    /// Older than the limit of their kind.
    pub kind: u64,
    /// Older than the limit of a pattern rule matching their group.
    pub pattern: u64,
    /// Removed to bring the store under `max_size`.
    pub size: u64,
}

impl EventCounts {
    /// Every event counted.
    pub fn total(&self) -> u64 {
        self.age + self.severity + self.kind + self.pattern + self.size
    }

    /// Adds `n` under the reason code an [`EventRules`] expression gives.
    pub(crate) fn add(&mut self, reason: i64, n: u64) {
        match reason {
            REASON_PATTERN => self.pattern += n,
            REASON_SEVERITY => self.severity += n,
            REASON_KIND => self.kind += n,
            _ => self.age += n,
        }
    }
}

/// What applying a policy would do now, without changing anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RetentionPlan {
    /// Events that would go, per reason.
    pub events: EventCounts,
    /// The store's size as the size rule measures it, when the policy has
    /// one.
    pub size_bytes: Option<u64>,
    /// Audit rows that would be archived (when the policy archives).
    pub audit_rows: u64,
    /// The last audit row that would be archived.
    pub audit_up_to: Option<i64>,
    /// Rows of the time-series counts that would go, per table.
    pub counts: CountRows,
}

/// What applying a policy did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    /// Events removed, per reason.
    pub events: EventCounts,
    /// The store's size before, as the size rule measures it, when the
    /// policy has one.
    pub size_bytes: Option<u64>,
    /// Audit segments archived, oldest first.
    pub archives: Vec<AuditArchive>,
    /// Rows of the time-series counts removed, per table.
    pub counts: CountRows,
    /// True when the run stopped early because its sink is shutting down.
    pub interrupted: bool,
}

impl RetentionReport {
    /// Audit rows archived by this run.
    pub fn audit_rows(&self) -> u64 {
        self.archives.iter().map(|archive| archive.rows).sum()
    }
}

pub(crate) const REASON_PATTERN: i64 = 1;
pub(crate) const REASON_SEVERITY: i64 = 2;
pub(crate) const REASON_KIND: i64 = 3;
pub(crate) const REASON_AGE: i64 = 4;

/// The age rules of a policy at one moment, as SQL both stores run: an
/// expression over an `events` row giving the reason it goes (a
/// `REASON_*` code) or NULL when it stays. Every value in it is a number or
/// a name checked to be safe to quote (group keys, severities, kinds).
#[derive(Clone, Debug)]
pub(crate) struct EventRules {
    /// The reason expression.
    pub(crate) reason: String,
    /// Rows at or after this time never go by age: an indexed prefilter.
    pub(crate) before_ms: i64,
}

impl EventRules {
    /// The rules of `policy` at `now`; `groups` are the stored groups'
    /// keys and templates (what pattern rules match). `None` when no age
    /// rule applies.
    pub(crate) fn new(policy: &RetentionPolicy, now: SystemTime, groups: &[(GroupKey, String)]) -> Option<Self> {
        let cutoff = |age: Duration| millis(now.checked_sub(age).unwrap_or(std::time::UNIX_EPOCH));
        let mut arms = Vec::new();
        let mut before_ms = i64::MIN;
        let mut arm = |condition: String, age: Duration, reason: i64| {
            let at = cutoff(age);
            before_ms = before_ms.max(at);
            arms.push(format!("WHEN {condition} THEN CASE WHEN timestamp_ms < {at} THEN {reason} END"));
        };
        // Each group goes to the first rule that matches it.
        let mut claimed: Vec<Vec<GroupKey>> = vec![Vec::new(); policy.patterns.len()];
        for (key, template) in groups {
            if let Some(index) = policy.patterns.iter().position(|rule| rule.matches(*key, template)) {
                claimed[index].push(*key);
            }
        }
        for (index, rule) in policy.patterns.iter().enumerate() {
            // A rule by key applies even when no group row exists for it.
            if let Some(key) = rule.group
                && !claimed[index].contains(&key)
                && !claimed[..index].iter().any(|keys| keys.contains(&key))
            {
                claimed[index].push(key);
            }
            if claimed[index].is_empty() {
                continue;
            }
            let keys: Vec<String> = claimed[index].iter().map(|key| format!("'{key}'")).collect();
            arm(format!("group_key IN ({})", keys.join(", ")), rule.older_than, REASON_PATTERN);
        }
        for (severity, age) in &policy.severity {
            arm(format!("severity = '{}'", severity.as_str()), *age, REASON_SEVERITY);
        }
        for (kind, age) in &policy.kind {
            // Checked by `validate`; an unknown name could match nothing anyway.
            let Some(kind) = EventKind::parse(kind) else { continue };
            arm(format!("kind = '{}'", kind.as_str()), *age, REASON_KIND);
        }
        let otherwise = match policy.max_age {
            Some(age) => {
                let at = cutoff(age);
                before_ms = before_ms.max(at);
                format!("ELSE CASE WHEN timestamp_ms < {at} THEN {REASON_AGE} END")
            }
            None => String::new(),
        };
        if arms.is_empty() && otherwise.is_empty() {
            return None;
        }
        let reason = match (arms.is_empty(), policy.max_age) {
            // Only the default age: no rule to choose between.
            (true, Some(age)) => format!("(CASE WHEN timestamp_ms < {} THEN {REASON_AGE} END)", cutoff(age)),
            _ => format!("(CASE {} {otherwise} END)", arms.join(" ")),
        };
        Some(EventRules { reason, before_ms })
    }

    /// The filter of rows that go.
    pub(crate) fn filter(&self) -> String {
        format!("timestamp_ms < {} AND {} IS NOT NULL", self.before_ms, self.reason)
    }
}

/// Whether `text` matches `glob`: `*` any run of characters, `?` one
/// character, anything else itself.
pub(crate) fn glob_matches(glob: &str, text: &str) -> bool {
    let (glob, text): (Vec<char>, Vec<char>) = (glob.chars().collect(), text.chars().collect());
    let (mut g, mut t) = (0, 0);
    // Where the last `*` was, and the text position it matched up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match glob.get(g) {
            Some('*') => {
                star = Some((g, t));
                g += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                g += 1;
                t += 1;
            }
            _ => match star {
                // Let the last `*` take one more character.
                Some((star_g, star_t)) => {
                    g = star_g + 1;
                    t = star_t + 1;
                    star = Some((star_g, star_t + 1));
                }
                None => return false,
            },
        }
    }
    glob[g..].iter().all(|&c| c == '*')
}

/// Parses a size: bytes, or a number with `KB`, `MB`, `GB` (powers of
/// 1000) or `KiB`, `MiB`, `GiB` (powers of 1024).
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| {
        format!("`{text}` is not a size: write a whole number of bytes, or one with a unit, such as \"500MiB\"")
    })?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        other => {
            return Err(format!(
                "`{other}` in `{text}` is not a size unit: write B, KB, MB, GB, TB, KiB, MiB, GiB or TiB"
            ));
        }
    };
    number.checked_mul(factor).ok_or_else(|| format!("`{text}` is too large"))
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|error| format!("`{text}` is not a duration ({error}): write one such as \"30d\", \"12h\" or \"1y\""))
}

fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

fn optional_duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(deserializer)?;
    if matches!(text.trim(), "none" | "off" | "forever") {
        return Ok(None);
    }
    parse_duration(&text).map(Some).map_err(serde::de::Error::custom)
}

fn duration_map<'de, D, K>(deserializer: D) -> Result<BTreeMap<K, Duration>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de> + Ord,
{
    let texts = BTreeMap::<K, String>::deserialize(deserializer)?;
    texts
        .into_iter()
        .map(|(key, text)| parse_duration(&text).map(|age| (key, age)).map_err(serde::de::Error::custom))
        .collect()
}

fn optional_size<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Bytes(u64),
        Text(String),
    }
    match Size::deserialize(deserializer)? {
        Size::Bytes(bytes) => Ok(Some(bytes)),
        Size::Text(text) if matches!(text.trim(), "none" | "off") => Ok(None),
        Size::Text(text) => parse_size(&text).map(Some).map_err(serde::de::Error::custom),
    }
}

fn optional_group_key<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<GroupKey>, D::Error> {
    let text = String::deserialize(deserializer)?;
    let key = text.trim();
    if key.is_empty() || key.len() > 16 {
        return Err(serde::de::Error::custom(format!(
            "`{text}` is not a group key: write its 16 hex digits, as `monitor` lists groups"
        )));
    }
    key.parse().map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "`{text}` is not a group key: write its 16 hex digits, as `monitor` lists groups"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_a_shell() {
        assert!(glob_matches("cache miss *", "cache miss for <*>"));
        assert!(glob_matches("*timeout*", "db timeout after <*>ms"));
        assert!(glob_matches("a?c", "abc"));
        assert!(!glob_matches("a?c", "ac"));
        assert!(!glob_matches("cache", "cache miss"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*b*c", "a-b-x-c"));
        assert!(!glob_matches("a*b*c", "a-c-b"));
    }

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        assert_eq!(parse_size("500MiB"), Ok(500 << 20));
        assert_eq!(parse_size("2 GB"), Ok(2_000_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("5 parsecs").unwrap_err().contains("not a size unit"));
        assert!(parse_size("MiB").unwrap_err().contains("not a size"));
    }

    #[test]
    fn the_most_specific_rule_decides() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_000 * DAY);
        let policy = RetentionPolicy::default()
            .keep_severity(Severity::Critical, Duration::from_secs(365 * DAY))
            .pattern(PatternRule::template("noisy *", Duration::from_secs(DAY)));
        let rules = EventRules::new(&policy, now, &[(GroupKey(7), "noisy thing".into())]).unwrap();
        let pattern = rules.reason.find("group_key IN ('0000000000000007')").unwrap();
        let severity = rules.reason.find("severity = 'critical'").unwrap();
        assert!(pattern < severity, "{}", rules.reason);
        assert!(rules.reason.contains("ELSE"), "the default age applies to the rest");
        assert!(EventRules::new(&RetentionPolicy::none(), now, &[]).is_none());
    }

    #[test]
    fn bad_values_say_how_to_write_them() {
        let error = toml::from_str::<RetentionPolicy>(r#"max_age = "thirty days""#).unwrap_err().to_string();
        assert!(error.contains("30d"), "{error}");
        let error = toml::from_str::<RetentionPolicy>(r#"max_size = "lots""#).unwrap_err().to_string();
        assert!(error.contains("500MiB"), "{error}");
        let error = toml::from_str::<RetentionPolicy>(r#"severity = { severe = "1d" }"#).unwrap_err().to_string();
        assert!(error.contains("severe"), "{error}");
        let both = RetentionPolicy::none().pattern(PatternRule {
            group: Some(GroupKey(1)),
            template: Some("x".into()),
            older_than: Duration::from_secs(1),
        });
        assert!(both.validate().unwrap_err().to_string().contains("both"));
        let none: RetentionPolicy = toml::from_str(r#"max_age = "none""#).unwrap();
        assert_eq!(none.max_age, None);
        let forever: RetentionPolicy = toml::from_str(r#"counts_max_age = "none""#).unwrap();
        assert_eq!(forever.counts_max_age, None);
        let error = RetentionPolicy::default().counts_max_age(Some(Duration::ZERO)).validate().unwrap_err();
        assert!(error.to_string().contains("counts_max_age is zero"), "{error}");
    }
}
