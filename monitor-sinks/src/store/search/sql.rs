//! Search filters as SQL, for both stores: one place decides what each
//! filter means, and a [`Dialect`] says how each store writes it.

use std::time::SystemTime;

use monitor_runtime::{EventKind, GroupStatus, Severity};

use super::cursor::{GroupCursor, parse_event_cursor};
use super::events::{EventFilter, EventQuery};
use super::glob::like_pattern;
use super::group_words::{is_group_word, prefix_range};
use super::text::{fts5_query, search_terms, tsquery};
use crate::store::{GroupQuery, StoreError, millis, severity_rank};

/// Which store's SQL to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A bound value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    Int(i64),
    Text(String),
}

/// A `WHERE` clause being built, with its parameters.
#[derive(Debug)]
pub(crate) struct Filter {
    dialect: Dialect,
    clauses: Vec<String>,
    params: Vec<Param>,
}

impl Filter {
    pub(crate) fn new(dialect: Dialect) -> Self {
        Filter { dialect, clauses: Vec::new(), params: Vec::new() }
    }

    /// A filter that numbers its parameters after `before`'s and takes them
    /// over: for a query around a subquery written with `before`.
    pub(crate) fn continuing(before: &mut Filter) -> Self {
        Filter { dialect: before.dialect, clauses: Vec::new(), params: std::mem::take(&mut before.params) }
    }

    /// Binds a value and returns its placeholder (typed for PostgreSQL,
    /// which cannot always infer it).
    pub(crate) fn bind(&mut self, param: Param) -> String {
        let cast = match param {
            Param::Int(_) => "::bigint",
            Param::Text(_) => "::text",
        };
        self.params.push(param);
        match self.dialect {
            Dialect::Sqlite => format!("?{}", self.params.len()),
            Dialect::Postgres => format!("${}{cast}", self.params.len()),
        }
    }

    fn text(&mut self, text: &str) -> String {
        self.bind(Param::Text(text.to_owned()))
    }

    fn int(&mut self, value: i64) -> String {
        self.bind(Param::Int(value))
    }

    /// `column` (milliseconds since the epoch) at or after `since` and
    /// before `until`, each when given.
    pub(crate) fn time_range(&mut self, column: &str, since: Option<SystemTime>, until: Option<SystemTime>) {
        if let Some(since) = since {
            let since = self.int(millis(since));
            self.push(format!("{column} >= {since}"));
        }
        if let Some(until) = until {
            let until = self.int(millis(until));
            self.push(format!("{column} < {until}"));
        }
    }

    pub(crate) fn push(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    /// `WHERE …`, or nothing when no filter was given.
    pub(crate) fn where_clause(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!("WHERE {}", self.clauses.join(" AND ")) }
    }

    pub(crate) fn params(&self) -> &[Param] {
        &self.params
    }

    /// `column` matches `pattern`, a glob whose `*` matches anything:
    /// case-sensitive in both stores, as module paths are.
    fn glob(&mut self, column: &str, pattern: &str) -> String {
        match self.dialect {
            // GLOB is case-sensitive where SQLite's LIKE is not.
            Dialect::Sqlite => {
                let placeholder = self.text(&sqlite_glob(pattern));
                format!("{column} GLOB {placeholder}")
            }
            Dialect::Postgres => {
                let placeholder = self.text(&like_pattern(pattern));
                format!("{column} LIKE {placeholder} ESCAPE '\\'")
            }
        }
    }

    /// A field of an event's context (a JSON object).
    fn context_field(&self, field: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("json_extract(context, '$.{field}')"),
            Dialect::Postgres => format!("(context::jsonb ->> '{field}')"),
        }
    }

    /// What severity, kind, module, function and error type select: the
    /// same columns in groups and events.
    fn location(&mut self, filters: Location<'_>) {
        if let Some(severity) = filters.min_severity {
            let rank = self.int(severity_rank(severity));
            self.push(format!("severity_rank >= {rank}"));
        }
        if let Some(severity) = filters.severity {
            let name = self.text(severity.as_str());
            self.push(format!("severity = {name}"));
        }
        if let Some(kind) = filters.kind {
            let name = self.text(kind.as_str());
            self.push(format!("kind = {name}"));
        }
        self.code_location(filters.module, filters.function);
        if let Some(error_type) = filters.error_type {
            let name = self.text(error_type);
            self.push(format!("error_type = {name}"));
        }
    }

    /// What module and function select, on any table with those columns.
    pub(crate) fn code_location(&mut self, module: Option<&str>, function: Option<&str>) {
        if let Some(module) = module {
            let clause = if module.contains('*') {
                self.glob("module", module)
            } else {
                let exact = self.text(module);
                let inside = self.glob("module", &format!("{module}::*"));
                format!("(module = {exact} OR {inside})")
            };
            self.push(clause);
        }
        if let Some(function) = function {
            let clause = if function.contains("::") {
                // The same in both stores: the full path, for patterns
                // that name modules.
                let path = "(module || '::' || function)";
                let whole = self.glob(path, function);
                let tail = self.glob(path, &format!("*::{function}"));
                format!("({whole} OR {tail})")
            } else {
                self.glob("function", function)
            };
            self.push(clause);
        }
    }

    /// What an event's context and text select, as conditions on `events`.
    fn event_context(&mut self, filter: &EventFilter) -> Result<(), StoreError> {
        for (field, value) in [
            ("service", &filter.service),
            ("environment", &filter.environment),
            ("release", &filter.release),
            ("user", &filter.user),
            ("trace_id", &filter.trace_id),
        ] {
            if let Some(value) = value {
                let column = self.context_field(field);
                let value = self.text(value);
                self.push(format!("{column} = {value}"));
            }
        }
        for (key, value) in &filter.tags {
            let (key, value) = (self.text(key), self.text(value));
            self.push(match self.dialect {
                Dialect::Sqlite => format!(
                    "EXISTS (SELECT 1 FROM json_each(events.context, '$.tags') AS tag WHERE tag.key = {key} AND tag.value = {value})"
                ),
                Dialect::Postgres => format!("(context::jsonb -> 'tags' ->> {key}) = {value}"),
            });
        }
        if let Some(text) = &filter.text {
            let clause = self.text_match(&search_terms(text)?);
            self.push(clause);
        }
        Ok(())
    }

    /// Events whose message or template holds every one of `terms`, from
    /// the full-text index, as a condition on `events`.
    fn text_match(&mut self, terms: &[String]) -> String {
        match self.dialect {
            Dialect::Sqlite => {
                let query = self.text(&fts5_query(terms));
                format!("events.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH {query})")
            }
            Dialect::Postgres => {
                let query = self.text(&tsquery(terms));
                format!("words @@ to_tsquery('simple'::regconfig, {query})")
            }
        }
    }

    /// Groups whose events held every one of `terms`: words of letters
    /// from the groups' own words (a few index entries each, however many
    /// events hold them), words with digits (numbers, references, ids,
    /// which the groups' words leave out) from the events' full-text index.
    fn group_text(&mut self, terms: Vec<String>) {
        let (numbers, words): (Vec<String>, Vec<String>) = terms.into_iter().partition(|term| !is_group_word(term));
        for word in words {
            let (from, to) = prefix_range(&word);
            let (from, to) = (self.text(&from), self.text(&to));
            self.push(format!("group_key IN (SELECT group_key FROM group_words WHERE word >= {from} AND word < {to})"));
        }
        if !numbers.is_empty() {
            let mut events = Filter::continuing(self);
            let clause = events.text_match(&numbers);
            self.params = std::mem::take(&mut events.params);
            self.push(format!("group_key IN (SELECT group_key FROM events WHERE {clause})"));
        }
    }
}

/// The filters groups and events share.
struct Location<'a> {
    min_severity: Option<Severity>,
    severity: Option<Severity>,
    kind: Option<EventKind>,
    module: Option<&'a str>,
    function: Option<&'a str>,
    error_type: Option<&'a str>,
}

/// `pattern` for SQLite's GLOB: `*` stays a wildcard; GLOB's other special
/// characters (`?`, `[`) match themselves.
fn sqlite_glob(pattern: &str) -> String {
    let mut glob = String::with_capacity(pattern.len() + 4);
    for c in pattern.chars() {
        match c {
            '?' => glob.push_str("[?]"),
            '[' => glob.push_str("[[]"),
            c => glob.push(c),
        }
    }
    glob
}

/// The `WHERE` clause of a group search, without sort or limit. The page
/// cursor is part of it.
pub(crate) fn group_filter(query: &GroupQuery, dialect: Dialect) -> Result<Filter, StoreError> {
    let mut filter = Filter::new(dialect);
    filter.location(Location {
        min_severity: query.min_severity,
        severity: query.severity,
        kind: query.kind,
        module: query.module.as_deref(),
        function: query.function.as_deref(),
        error_type: query.error_type.as_deref(),
    });
    if let Some(status) = query.status {
        let status = filter.text(GroupStatus::as_str(status));
        filter.push(format!("status = {status}"));
    }
    filter.time_range("last_seen_ms", query.seen_since, query.seen_before);
    if let Some(assignee) = &query.assignee {
        let assignee = filter.text(assignee);
        filter.push(format!("assignee = {assignee}"));
    }
    if let Some(keys) = &query.keys {
        if keys.is_empty() {
            filter.push("1 = 0".to_owned());
        } else {
            let placeholders: Vec<String> = keys.iter().map(|key| filter.text(&key.to_string())).collect();
            filter.push(format!("group_key IN ({})", placeholders.join(", ")));
        }
    }
    let only_text = query.events.text.is_some() && EventFilter { text: None, ..query.events.clone() }.is_empty();
    if only_text {
        filter.group_text(search_terms(query.events.text.as_deref().unwrap_or_default())?);
    } else if !query.events.is_empty() {
        let mut events = Filter::continuing(&mut filter);
        events.event_context(&query.events)?;
        filter.params = std::mem::take(&mut events.params);
        filter.push(format!("group_key IN (SELECT group_key FROM events {})", events.where_clause()));
    }
    if let Some(after) = &query.after {
        let cursor = GroupCursor::parse(query.sort, after)?;
        let column = query.sort.column();
        let (value, same, key) = (filter.int(cursor.value), filter.int(cursor.value), filter.text(&cursor.key));
        filter.push(format!("({column} < {value} OR ({column} = {same} AND group_key > {key}))"));
    }
    Ok(filter)
}

/// The `ORDER BY` of a group search.
pub(crate) fn group_order(query: &GroupQuery) -> String {
    format!("ORDER BY {} DESC, group_key", query.sort.column())
}

/// The `WHERE` clause of an event search, without order or limit.
pub(crate) fn event_filter(query: &EventQuery, dialect: Dialect) -> Result<Filter, StoreError> {
    let mut filter = Filter::new(dialect);
    filter.location(Location {
        min_severity: query.min_severity,
        severity: query.severity,
        kind: query.kind,
        module: query.module.as_deref(),
        function: query.function.as_deref(),
        error_type: query.error_type.as_deref(),
    });
    if let Some(group) = query.group {
        let key = filter.text(&group.to_string());
        filter.push(format!("group_key = {key}"));
    }
    filter.time_range("timestamp_ms", query.since, query.until);
    filter.event_context(&query.context)?;
    if let Some(after) = &query.after {
        let id = filter.int(parse_event_cursor(after)?);
        filter.push(format!("id < {id}"));
    }
    Ok(filter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_and_typed_per_store() {
        let query = GroupQuery {
            module: Some("payments::*".into()),
            min_severity: Some(Severity::Error),
            ..GroupQuery::default()
        };
        let sqlite = group_filter(&query, Dialect::Sqlite).unwrap();
        assert_eq!(sqlite.where_clause(), "WHERE severity_rank >= ?1 AND module GLOB ?2");
        let postgres = group_filter(&query, Dialect::Postgres).unwrap();
        assert_eq!(postgres.where_clause(), "WHERE severity_rank >= $1::bigint AND module LIKE $2::text ESCAPE '\\'");
        assert_eq!(postgres.params()[1], Param::Text("payments::%".into()));
    }

    #[test]
    fn event_filters_of_a_group_search_share_its_parameters() {
        let query = GroupQuery {
            status: Some(GroupStatus::Open),
            events: EventFilter { service: Some("billing".into()), ..EventFilter::default() },
            ..GroupQuery::default()
        };
        let filter = group_filter(&query, Dialect::Postgres).unwrap();
        assert_eq!(
            filter.where_clause(),
            "WHERE status = $1::text AND group_key IN (SELECT group_key FROM events WHERE (context::jsonb ->> 'service') = $2::text)"
        );
        assert_eq!(filter.params().len(), 2);
    }

    #[test]
    fn words_of_a_group_search_come_from_the_groups_words_and_numbers_from_the_events() {
        let query = GroupQuery {
            events: EventFilter { text: Some("Timeout MND-42".into()), ..EventFilter::default() },
            ..GroupQuery::default()
        };
        let filter = group_filter(&query, Dialect::Sqlite).unwrap();
        assert_eq!(
            filter.where_clause(),
            "WHERE group_key IN (SELECT group_key FROM group_words WHERE word >= ?1 AND word < ?2) \
             AND group_key IN (SELECT group_key FROM group_words WHERE word >= ?3 AND word < ?4) \
             AND group_key IN (SELECT group_key FROM events WHERE events.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?5))"
        );
        assert_eq!(filter.params()[0], Param::Text("timeout".into()));
        assert_eq!(filter.params()[4], Param::Text("\"42\"*".into()));
    }
}
