//! Charts drawn on the server as SVG: no script, no library, nothing to
//! fetch. Bars are stacked per severity, hour by hour; each bar carries a
//! `title` the browser shows on hover, and the chart a text summary for
//! screen readers.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use maud::{Markup, html};
use monitor_runtime::Severity;
use monitor_sinks::store::{BucketCount, Buckets};

use crate::time::show;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 180.0;
/// Room at the bottom for the hour labels and at the left for the scale.
const AXIS: f64 = 20.0;
const SCALE: f64 = 36.0;

/// The last `hours` whole hours up to the one holding `now`, as buckets.
pub(crate) fn last_hours(now: SystemTime, hours: u64) -> Buckets {
    last_buckets(now, hours, 3600)
}

/// The last `count` buckets of `width_secs` (aligned to UTC) up to the one
/// holding `now`.
pub(crate) fn last_buckets(now: SystemTime, count: u64, width_secs: u64) -> Buckets {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let this_bucket = UNIX_EPOCH + Duration::from_secs(since_epoch - since_epoch % width_secs);
    let since = this_bucket - Duration::from_secs((count - 1) * width_secs);
    Buckets { since, until: this_bucket + Duration::from_secs(width_secs), width: Duration::from_secs(width_secs) }
}

/// How a bucket of `buckets` is named in a chart's text: "one hour", "6 hours", "one day".
fn bucket_name(buckets: &Buckets) -> String {
    match buckets.width.as_secs() {
        3600 => "one hour".to_owned(),
        86_400 => "one day".to_owned(),
        secs if secs % 3600 == 0 => format!("{} hours", secs / 3600),
        secs => format!("{} minutes", secs / 60),
    }
}

/// A bucket's label on the time axis: the time of day for buckets shorter
/// than a day, else the date.
fn axis_label(buckets: &Buckets, start: SystemTime) -> String {
    let shown = show(start);
    if buckets.width.as_secs() < 86_400
        && buckets.until.duration_since(buckets.since).unwrap_or_default().as_secs() <= 86_400
    {
        shown[11..16].to_owned()
    } else {
        shown[5..10].to_owned()
    }
}

/// Counts per bucket and label, every bucket present (empty ones at 0).
/// Labels are kept by their place in `order` (worst first), so a bar
/// stacks them in that order; labels not in it are left out.
fn per_bucket(buckets: &Buckets, counts: &[BucketCount], order: &[&str]) -> Vec<(SystemTime, BTreeMap<usize, u64>)> {
    let width = buckets.width.as_secs().max(1);
    let span = buckets.until.duration_since(buckets.since).unwrap_or_default().as_secs();
    let mut bars: Vec<(SystemTime, BTreeMap<usize, u64>)> = (0..span.div_ceil(width))
        .map(|index| (buckets.since + Duration::from_secs(index * width), BTreeMap::new()))
        .collect();
    for count in counts {
        let Ok(offset) = count.start.duration_since(buckets.since) else { continue };
        let Some(rank) = order.iter().position(|label| *label == count.label) else { continue };
        if let Some((_, bar)) = bars.get_mut((offset.as_secs() / width) as usize) {
            *bar.entry(rank).or_default() += count.count;
        }
    }
    bars
}

/// One stacked piece of a bar.
struct Rect {
    start: SystemTime,
    label: usize,
    count: u64,
    x: f64,
    y: f64,
    width: f64,
    height: f64,
}

/// A stacked bar chart of `counts` (broken down by severity) over `buckets`.
pub(crate) fn severity_bars(label: &str, buckets: &Buckets, counts: &[BucketCount]) -> Markup {
    let order: Vec<&str> = Severity::ALL.iter().rev().map(|severity| severity.as_str()).collect();
    let classes: Vec<String> = order.iter().map(|name| format!("sev-{name}")).collect();
    stacked_bars(label, buckets, counts, &order, &classes)
}

/// A stacked bar chart of `counts` over `buckets`: one bar per bucket, a
/// piece per label of `order` (the first at the bottom: the one that
/// matters most), drawn with the matching CSS class of `classes`.
pub(crate) fn stacked_bars(
    label: &str,
    buckets: &Buckets,
    counts: &[BucketCount],
    order: &[&str],
    classes: &[String],
) -> Markup {
    let bars = per_bucket(buckets, counts, order);
    let total: u64 = bars.iter().flat_map(|(_, bar)| bar.values()).sum();
    let peak = bars.iter().map(|(_, bar)| bar.values().sum::<u64>()).max().unwrap_or(0).max(1);
    let slot = (WIDTH - SCALE) / bars.len().max(1) as f64;
    let plot = HEIGHT - AXIS;
    let summary = format!("{label}: {total} in all, at most {peak} in {}", bucket_name(buckets));
    let present: Vec<usize> =
        (0..order.len()).filter(|rank| bars.iter().any(|(_, bar)| bar.contains_key(rank))).collect();
    let mut rects = Vec::new();
    for (index, (start, bar)) in bars.iter().enumerate() {
        let x = SCALE + index as f64 * slot + 1.0;
        let mut top = plot;
        for (rank, count) in bar {
            let height = *count as f64 / peak as f64 * (plot - 4.0);
            top -= height;
            rects.push(Rect {
                start: *start,
                label: *rank,
                count: *count,
                x,
                y: top,
                width: (slot - 2.0).max(1.0),
                height,
            });
        }
    }
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(summary) preserveAspectRatio="none" {
                line.axis x1=(SCALE) y1=(plot) x2=(WIDTH) y2=(plot) {}
                text.scale x="2" y="12" { (peak) }
                text.scale x="2" y=(plot) { "0" }
                @for rect in &rects {
                    rect class={ "bar " (classes[rect.label]) } x=(format!("{:.1}", rect.x)) y=(format!("{:.1}", rect.y))
                        width=(format!("{:.1}", rect.width)) height=(format!("{:.1}", rect.height)) {
                        title { (show(rect.start)) ": " (rect.count) " " (order[rect.label].replace('_', " ")) }
                    }
                }
                @for (index, (start, _)) in bars.iter().enumerate().step_by(bars.len().div_ceil(4).max(1)) {
                    text.scale x=(format!("{:.1}", SCALE + index as f64 * slot)) y=(HEIGHT - 4.0) { (axis_label(buckets, *start)) }
                }
            }
            figcaption {
                (summary)
                @if !present.is_empty() {
                    " · "
                    @for rank in present.iter().rev() {
                        span class={ "key " (classes[*rank]) } { (order[*rank].replace('_', " ")) }
                        " "
                    }
                }
            }
        }
    }
}

/// One line of a line chart: its name, its CSS class, and a value per
/// bucket (`None` where there is nothing to show: a gap in the line).
pub(crate) struct Series<'a> {
    pub(crate) name: &'a str,
    pub(crate) class: &'a str,
    pub(crate) values: Vec<Option<f64>>,
}

/// A line chart of `series` over `buckets`, values in `unit` (shown on the
/// scale and in each point's hover title). A run of buckets without a value
/// breaks a line rather than drawing it down to zero: no calls is not a
/// fast call.
pub(crate) fn lines(label: &str, unit: &str, buckets: &Buckets, series: &[Series<'_>]) -> Markup {
    let starts: Vec<SystemTime> = per_bucket(buckets, &[], &[]).into_iter().map(|(start, _)| start).collect();
    let peak = series.iter().flat_map(|line| line.values.iter().flatten()).fold(0.0_f64, |a, b| a.max(*b));
    let scale_top = if peak > 0.0 { peak } else { 1.0 };
    let slot = (WIDTH - SCALE) / starts.len().max(1) as f64;
    let plot = HEIGHT - AXIS;
    let point =
        |index: usize, value: f64| (SCALE + (index as f64 + 0.5) * slot, plot - value / scale_top * (plot - 4.0));
    let summary = format!("{label}: at most {} over the range", with_unit(peak, unit));
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(summary) preserveAspectRatio="none" {
                line.axis x1=(SCALE) y1=(plot) x2=(WIDTH) y2=(plot) {}
                text.scale x="2" y="12" { (with_unit(peak, unit)) }
                text.scale x="2" y=(plot) { "0" }
                @for line in series {
                    @for run in runs(&line.values) {
                        polyline class={ "line " (line.class) } points=(run.iter().map(|(index, value)| {
                            let (x, y) = point(*index, *value);
                            format!("{x:.1},{y:.1}")
                        }).collect::<Vec<_>>().join(" ")) {}
                    }
                    @for (index, value) in line.values.iter().enumerate() {
                        @if let Some(value) = value {
                            @let (x, y) = point(index, *value);
                            circle class={ "dot " (line.class) } cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="2" {
                                title { (show(starts[index])) ": " (line.name) " " (with_unit(*value, unit)) }
                            }
                        }
                    }
                }
                @for (index, start) in starts.iter().enumerate().step_by(starts.len().div_ceil(4).max(1)) {
                    text.scale x=(format!("{:.1}", SCALE + index as f64 * slot)) y=(HEIGHT - 4.0) { (axis_label(buckets, *start)) }
                }
            }
            figcaption {
                (summary)
                " · "
                @for line in series {
                    span class={ "key " (line.class) } { (line.name) }
                    " "
                }
            }
        }
    }
}

/// The unbroken runs of a line: consecutive buckets with a value.
fn runs(values: &[Option<f64>]) -> Vec<Vec<(usize, f64)>> {
    let mut runs: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (index, value) in values.iter().enumerate() {
        match value {
            Some(value) => current.push((index, *value)),
            None if !current.is_empty() => runs.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

/// A value with about three significant digits: fast calls take
/// hundredths of a millisecond, slow ones seconds.
fn with_unit(value: f64, unit: &str) -> String {
    if value >= 100.0 || value == value.trunc() {
        format!("{value:.0} {unit}")
    } else if value >= 1.0 {
        format!("{value:.1} {unit}")
    } else {
        format!("{value:.3} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_their_hour_and_every_hour_is_drawn() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let buckets = last_hours(now, 24);
        assert_eq!(buckets.until.duration_since(buckets.since).unwrap().as_secs(), 24 * 3600);
        let counts = vec![
            BucketCount { start: buckets.since, label: "error".into(), count: 3 },
            BucketCount { start: buckets.since + Duration::from_secs(23 * 3600), label: "warning".into(), count: 2 },
        ];
        let order = ["error", "warning"];
        let bars = per_bucket(&buckets, &counts, &order);
        assert_eq!(bars.len(), 24);
        assert_eq!(bars[0].1[&0], 3);
        assert_eq!(bars[23].1[&1], 2);
        let svg = severity_bars("Errors", &buckets, &counts).into_string();
        assert!(svg.contains("5 in all") && svg.matches("<rect").count() == 2, "{svg}");
        assert!(svg.contains("in one hour"), "{svg}");
    }

    #[test]
    fn a_line_breaks_where_a_bucket_has_no_value_and_every_point_has_a_title() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let buckets = last_hours(now, 4);
        let series = [Series { name: "p95", class: "p95", values: vec![Some(2.0), Some(4.5), None, Some(3.0)] }];
        let svg = lines("Latency", "ms", &buckets, &series).into_string();
        assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        assert!(svg.contains("p95 4.5 ms") && svg.contains("at most 4.5 ms"), "{svg}");
        assert_eq!(runs(&[None, Some(1.0), Some(2.0), None]), vec![vec![(1, 1.0), (2, 2.0)]]);
        assert_eq!(with_unit(0.0123, "ms"), "0.012 ms", "a fast call is not 0");
    }

    #[test]
    fn week_and_month_ranges_have_their_buckets_and_date_labels() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let week = last_buckets(now, 28, 6 * 3600);
        assert_eq!(week.until.duration_since(week.since).unwrap().as_secs(), 7 * 86_400);
        let svg = severity_bars("Errors", &week, &[]).into_string();
        assert!(svg.contains("in 6 hours"), "{svg}");
        let month = last_buckets(now, 30, 86_400);
        assert_eq!(axis_label(&month, month.since).len(), 5, "a date: MM-DD");
    }
}
