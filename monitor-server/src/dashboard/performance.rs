//! Performance per function over the last hours: calls, errors, error
//! rate, slow calls and the worst hour's latency percentiles, from the
//! per-minute call counts every monitored process stores (the same
//! numbers as the API's performance route); and for one function (the
//! one chosen, else the most called) its p50, p95 and p99 and its error
//! rate hour by hour.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use axum::extract::{Extension, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Html;
use maud::{Markup, html};
use monitor_sinks::store::{Buckets, FunctionStats};

use super::chart;
use super::form::Form;
use super::layout::{self, Nav, PageError, PageResult, Viewer};
use super::session::Base;
use crate::auth::Caller;
use crate::state::AppState;

const WINDOWS: [(&str, &str); 3] = [("1", "last hour"), ("24", "last 24 h"), ("168", "last 7 days")];

/// One function's totals over the window.
pub(crate) struct Totals {
    pub(crate) module: String,
    pub(crate) function: String,
    pub(crate) calls: u64,
    pub(crate) errors: u64,
    pub(crate) slow_calls: u64,
    pub(crate) worst_p95: Duration,
    pub(crate) worst_p99: Duration,
}

impl Totals {
    fn path(&self) -> String {
        format!("{}::{}", self.module, self.function)
    }
}

/// The query string of the performance page showing `function` over `hours`.
pub(crate) fn function_query(function: &Totals, hours: &str) -> String {
    Form::query(&[("function".to_owned(), function.path()), ("hours".to_owned(), hours.to_owned())])
}

pub(crate) fn totals(stats: &[FunctionStats]) -> Vec<Totals> {
    let mut per_function: BTreeMap<(String, String), Totals> = BTreeMap::new();
    for row in stats {
        let entry = per_function.entry((row.module.clone(), row.function.clone())).or_insert_with(|| Totals {
            module: row.module.clone(),
            function: row.function.clone(),
            calls: 0,
            errors: 0,
            slow_calls: 0,
            worst_p95: Duration::ZERO,
            worst_p99: Duration::ZERO,
        });
        entry.calls += row.calls;
        entry.errors += row.errors + row.panics;
        entry.slow_calls += row.slow_calls;
        // Percentiles do not add up across hours: the worst hour's is shown.
        entry.worst_p95 = entry.worst_p95.max(row.p95);
        entry.worst_p99 = entry.worst_p99.max(row.p99);
    }
    let mut functions: Vec<Totals> = per_function.into_values().collect();
    functions.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.function.cmp(&b.function)));
    functions
}

pub(crate) fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    base: Base,
    RawQuery(raw): RawQuery,
) -> PageResult<Html<String>> {
    let form = Form::parse(raw.unwrap_or_default().as_bytes());
    let hours_text = form.get("hours").unwrap_or("24");
    let hours: u64 =
        WINDOWS.iter().find(|(value, _)| *value == hours_text).and_then(|(value, _)| value.parse().ok()).ok_or_else(
            || PageError::new(StatusCode::BAD_REQUEST, format!("hours `{hours_text}` is not one of 1, 24 or 168")),
        )?;
    let buckets = chart::last_hours(SystemTime::now(), hours);
    let stats = state.store.function_stats(&buckets, form.get("module"), None).await?;
    let functions = totals(&stats);
    let chosen = form.get("function").map(str::to_owned).or_else(|| functions.first().map(Totals::path));
    let hourly: Vec<FunctionStats> = match &chosen {
        Some(path) => stats.into_iter().filter(|row| format!("{}::{}", row.module, row.function) == *path).collect(),
        None => Vec::new(),
    };

    let viewer = Viewer { base, caller };
    let body = html! {
        (filter_form(&viewer.base, &form, hours_text))
        @if let Some(path) = &chosen {
            section #function-charts {
                h2 { "Latency of " code { (path) } }
                @if hourly.is_empty() {
                    p.empty { "No calls of " code { (path) } " in this window." }
                } @else {
                    (latency_chart(&buckets, &hourly))
                    h2 { "Error rate of " code { (path) } }
                    (error_rate_chart(&buckets, &hourly))
                }
            }
        }
        @if functions.is_empty() {
            p.empty { "No monitored calls in this window." }
        } @else {
            div.scroll {
                table #functions {
                    thead { tr {
                        th { "Function" } th.num { "Calls" } th.num { "Errors" } th.num { "Error rate" }
                        th.num { "Slow" } th.num { "Worst p95" } th.num { "Worst p99" }
                    } }
                    tbody {
                        @for function in &functions {
                            tr {
                                td {
                                    a href=(viewer.base.to(&format!("/performance{}", function_query(function, hours_text))))
                                        aria-current=[(chosen.as_deref() == Some(function.path().as_str())).then_some("true")] {
                                        span.muted { (function.module) "::" } (function.function)
                                    }
                                }
                                td.num { (function.calls) }
                                td.num { (function.errors) }
                                td.num {
                                    @if function.calls == 0 { "—" } @else {
                                        (format!("{:.1} %", function.errors as f64 / function.calls as f64 * 100.0))
                                    }
                                }
                                td.num { (function.slow_calls) }
                                td.num { (ms(function.worst_p95)) }
                                td.num { (ms(function.worst_p99)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&viewer, Nav::Performance, "Performance", body))
}

/// Each hour's value of `pick`, `None` for hours without calls.
fn per_hour(buckets: &Buckets, hourly: &[FunctionStats], pick: impl Fn(&FunctionStats) -> f64) -> Vec<Option<f64>> {
    let hours = buckets.until.duration_since(buckets.since).unwrap_or_default().as_secs().div_ceil(3600) as usize;
    let mut values = vec![None; hours];
    for row in hourly.iter().filter(|row| row.calls > 0) {
        let Ok(offset) = row.start.duration_since(buckets.since) else { continue };
        if let Some(value) = values.get_mut((offset.as_secs() / 3600) as usize) {
            *value = Some(pick(row));
        }
    }
    values
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn latency_chart(buckets: &Buckets, hourly: &[FunctionStats]) -> Markup {
    let series = [
        chart::Series { name: "p50", class: "p50", values: per_hour(buckets, hourly, |row| millis(row.p50)) },
        chart::Series { name: "p95", class: "p95", values: per_hour(buckets, hourly, |row| millis(row.p95)) },
        chart::Series { name: "p99", class: "p99", values: per_hour(buckets, hourly, |row| millis(row.p99)) },
    ];
    chart::lines("Latency per hour", "ms", buckets, &series)
}

fn error_rate_chart(buckets: &Buckets, hourly: &[FunctionStats]) -> Markup {
    let rate = |row: &FunctionStats| (row.errors + row.panics) as f64 / row.calls.max(1) as f64 * 100.0;
    let series = [chart::Series { name: "errors", class: "error-rate", values: per_hour(buckets, hourly, rate) }];
    chart::lines("Error rate per hour", "%", buckets, &series)
}

fn filter_form(base: &Base, form: &Form, hours: &str) -> Markup {
    html! {
        form.filters method="get" action=(base.to("/performance")) role="search" {
            label {
                "Module"
                input type="text" name="module" value=(form.get("module").unwrap_or_default()) placeholder="payments::*";
            }
            @if let Some(function) = form.get("function") {
                input type="hidden" name="function" value=(function);
            }
            label {
                "Window"
                select name="hours" {
                    @for (value, text) in WINDOWS {
                        option value=(value) selected[hours == value] { (text) }
                    }
                }
            }
            button type="submit" { "Show" }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(function: &str, calls: u64, errors: u64, p95_ms: u64) -> FunctionStats {
        FunctionStats {
            start: SystemTime::UNIX_EPOCH,
            module: "payments".into(),
            function: function.into(),
            calls,
            errors,
            panics: 0,
            slow_calls: 0,
            error_rate: 0.0,
            mean: Duration::ZERO,
            p50: Duration::ZERO,
            p95: Duration::from_millis(p95_ms),
            p99: Duration::from_millis(p95_ms),
        }
    }

    #[test]
    fn hours_add_up_and_the_worst_percentile_is_kept() {
        let functions = totals(&[row("charge", 3, 1, 40), row("charge", 5, 0, 90), row("refund", 20, 0, 5)]);
        assert_eq!(functions[0].function, "refund", "most called first");
        assert_eq!((functions[1].calls, functions[1].errors), (8, 1));
        assert_eq!(functions[1].worst_p95, Duration::from_millis(90));
    }

    #[test]
    fn each_hour_of_the_window_gets_its_value_and_hours_without_calls_none() {
        let buckets = chart::last_hours(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000), 3);
        let mut first = row("charge", 4, 1, 40);
        first.start = buckets.since;
        let mut last = row("charge", 2, 0, 90);
        last.start = buckets.since + Duration::from_secs(2 * 3600);
        let values = per_hour(&buckets, &[first, last], |row| millis(row.p95));
        assert_eq!(values, [Some(40.0), None, Some(90.0)]);
        let svg = error_rate_chart(&buckets, &[row("charge", 4, 1, 40)]).into_string();
        assert!(svg.contains("Error rate per hour"), "{svg}");
    }
}
