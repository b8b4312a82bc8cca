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
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let this_hour = UNIX_EPOCH + Duration::from_secs(since_epoch - since_epoch % 3600);
    let since = this_hour - Duration::from_secs((hours - 1) * 3600);
    Buckets::hourly(since, this_hour + Duration::from_secs(3600))
}

/// Counts per bucket and severity, every bucket present (empty ones at 0).
fn per_bucket(buckets: &Buckets, counts: &[BucketCount]) -> Vec<(SystemTime, BTreeMap<Severity, u64>)> {
    let width = buckets.width.as_secs().max(1);
    let span = buckets.until.duration_since(buckets.since).unwrap_or_default().as_secs();
    let mut bars: Vec<(SystemTime, BTreeMap<Severity, u64>)> = (0..span.div_ceil(width))
        .map(|index| (buckets.since + Duration::from_secs(index * width), BTreeMap::new()))
        .collect();
    for count in counts {
        let Ok(offset) = count.start.duration_since(buckets.since) else { continue };
        let Ok(severity) = count.label.parse::<Severity>() else { continue };
        if let Some((_, bar)) = bars.get_mut((offset.as_secs() / width) as usize) {
            *bar.entry(severity).or_default() += count.count;
        }
    }
    bars
}

/// One stacked piece of a bar.
struct Rect {
    start: SystemTime,
    severity: Severity,
    count: u64,
    x: f64,
    y: f64,
    width: f64,
    height: f64,
}

/// A stacked bar chart of `counts` (broken down by severity) over `buckets`.
pub(crate) fn severity_bars(label: &str, buckets: &Buckets, counts: &[BucketCount]) -> Markup {
    let bars = per_bucket(buckets, counts);
    let total: u64 = bars.iter().flat_map(|(_, bar)| bar.values()).sum();
    let peak = bars.iter().map(|(_, bar)| bar.values().sum::<u64>()).max().unwrap_or(0).max(1);
    let slot = (WIDTH - SCALE) / bars.len().max(1) as f64;
    let plot = HEIGHT - AXIS;
    let summary = format!("{label}: {total} in all, at most {peak} in one hour");
    let present: Vec<Severity> =
        Severity::ALL.into_iter().filter(|severity| bars.iter().any(|(_, bar)| bar.contains_key(severity))).collect();
    let mut rects = Vec::new();
    for (index, (start, bar)) in bars.iter().enumerate() {
        let x = SCALE + index as f64 * slot + 1.0;
        // Worst at the bottom: the bar's base is what matters most.
        let mut top = plot;
        for (severity, count) in bar.iter().rev() {
            let height = *count as f64 / peak as f64 * (plot - 4.0);
            top -= height;
            rects.push(Rect {
                start: *start,
                severity: *severity,
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
                    rect class={ "bar sev-" (rect.severity.as_str()) } x=(format!("{:.1}", rect.x)) y=(format!("{:.1}", rect.y))
                        width=(format!("{:.1}", rect.width)) height=(format!("{:.1}", rect.height)) {
                        title { (show(rect.start)) ": " (rect.count) " " (rect.severity.as_str()) }
                    }
                }
                @for (index, (start, _)) in bars.iter().enumerate().step_by(6) {
                    text.scale x=(format!("{:.1}", SCALE + index as f64 * slot)) y=(HEIGHT - 4.0) { (show(*start)[11..16]) }
                }
            }
            figcaption {
                (summary)
                @if !present.is_empty() {
                    " · "
                    @for severity in &present {
                        span class={ "key sev-" (severity.as_str()) } { (severity.as_str()) }
                        " "
                    }
                }
            }
        }
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
        let bars = per_bucket(&buckets, &counts);
        assert_eq!(bars.len(), 24);
        assert_eq!(bars[0].1[&Severity::Error], 3);
        assert_eq!(bars[23].1[&Severity::Warning], 2);
        let svg = severity_bars("Errors", &buckets, &counts).into_string();
        assert!(svg.contains("5 in all") && svg.matches("<rect").count() == 2, "{svg}");
    }
}
