//! Scheduled summaries: a report of what happened since the last one, sent
//! every day or every week at a local time of day, in a time zone.

use std::time::SystemTime;

use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};

use crate::schedule::{check_timezone, day_index, parse_time};

/// When a summary goes out, and where.
///
/// ```
/// use monitor_rules::{Cadence, Summary};
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let morning = Summary::parse("morning", Cadence::Daily, "08:00", "Europe/Amsterdam", vec!["ops".into()]).unwrap();
/// // Monday 2026-11-23 09:30 in Amsterdam (08:30 UTC): the next one is Tuesday 08:00 there.
/// let monday = UNIX_EPOCH + Duration::from_secs(1_795_422_600);
/// let next = morning.next_after(monday).unwrap();
/// assert_eq!(next, UNIX_EPOCH + Duration::from_secs(1_795_503_600));
/// // It covers the day before it.
/// assert_eq!(morning.previous(next).unwrap(), next - Duration::from_secs(86_400));
///
/// let error = Summary::parse("late", Cadence::Daily, "8am", "UTC", vec![]).unwrap_err();
/// assert!(error.contains("HH:MM"), "{error}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Its name, shown in the summary's title.
    pub name: String,
    /// Every day, or one day a week.
    pub cadence: Cadence,
    /// The local time of day it goes out, in minutes after midnight (0–1439).
    pub at_minute: u16,
    /// IANA time zone name (`Europe/Amsterdam`, `UTC`).
    pub timezone: String,
    /// Destinations, by name.
    pub notify: Vec<String>,
}

/// How often a summary goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cadence {
    /// Every day.
    Daily,
    /// Once a week, on `day` (0 is Monday, 6 is Sunday).
    Weekly {
        /// Monday is 0.
        day: u8,
    },
}

impl Cadence {
    /// `Weekly` on the day named (`mon`, `monday`, `Tue`); the error says
    /// which names are known.
    pub fn parse_day(name: &str) -> Result<Cadence, String> {
        day_index(name).map(|day| Cadence::Weekly { day: day as u8 })
    }
}

impl Summary {
    /// A summary from its parts as written: `at` is `HH:MM`, `timezone` an
    /// IANA name. The error says what is wrong.
    pub fn parse(
        name: &str,
        cadence: Cadence,
        at: &str,
        timezone: &str,
        notify: Vec<String>,
    ) -> Result<Summary, String> {
        let at_minute = parse_time(at)?;
        if at_minute >= 24 * 60 {
            return Err(format!("`{}` is not a time of day: use 00:00 to 23:59", at.trim()));
        }
        check_timezone(timezone)?;
        Ok(Summary { name: name.to_owned(), cadence, at_minute, timezone: timezone.to_owned(), notify })
    }

    /// The first time it is due strictly after `after`; `None` only for a
    /// time zone or instant the zone database cannot place (the validator
    /// refuses unknown zones).
    ///
    /// A local time that a daylight-saving change skips is taken as the
    /// same time on the clock after the change (02:30 becomes 03:30); one
    /// that happens twice is taken the first time.
    pub fn next_after(&self, after: SystemTime) -> Option<SystemTime> {
        let zone = TimeZone::get(&self.timezone).ok()?;
        let now = Timestamp::try_from(after).ok()?.to_zoned(zone);
        let mut date = now.date();
        // At most eight days ahead: today may be past the time, and a
        // weekly summary's day is within a week of tomorrow.
        for _ in 0..9 {
            if self.goes_out_on(date.weekday()) {
                let due = self.due_on(date, &now)?;
                if due.timestamp() > now.timestamp() {
                    return Some(SystemTime::from(due.timestamp()));
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }

    /// The time it was due before `due`: the start of the period `due`'s
    /// summary reports on (a day or a week earlier, on the local clock, so
    /// a day with a daylight-saving change is 23 or 25 hours long).
    pub fn previous(&self, due: SystemTime) -> Option<SystemTime> {
        let zone = TimeZone::get(&self.timezone).ok()?;
        let due = Timestamp::try_from(due).ok()?.to_zoned(zone);
        let back = match self.cadence {
            Cadence::Daily => 1.day(),
            Cadence::Weekly { .. } => 1.week(),
        };
        let date = due.date().checked_sub(back).ok()?;
        Some(SystemTime::from(self.due_on(date, &due)?.timestamp()))
    }

    fn goes_out_on(&self, weekday: Weekday) -> bool {
        match self.cadence {
            Cadence::Daily => true,
            Cadence::Weekly { day } => weekday.to_monday_zero_offset() == day as i8,
        }
    }

    /// The summary's time of day on `date`, in the zone of `like`.
    fn due_on(&self, date: jiff::civil::Date, like: &Zoned) -> Option<Zoned> {
        let (hour, minute) = ((self.at_minute / 60) as i8, (self.at_minute % 60) as i8);
        date.at(hour, minute, 0, 0).to_zoned(like.time_zone().clone()).ok()
    }

    /// `at` on the summary's local clock: `Mon 2026-11-23 08:00`.
    pub fn local_time(&self, at: SystemTime) -> String {
        let zoned = TimeZone::get(&self.timezone)
            .ok()
            .zip(Timestamp::try_from(at).ok())
            .map(|(zone, timestamp)| timestamp.to_zoned(zone));
        zoned.map_or_else(|| format!("{at:?}"), |zoned| zoned.strftime("%a %Y-%m-%d %H:%M").to_string())
    }

    /// `every day at 08:00 (Europe/Amsterdam)`, `every Monday at 08:00 (UTC)`.
    pub fn describe(&self) -> String {
        let when = match self.cadence {
            Cadence::Daily => "every day".to_owned(),
            Cadence::Weekly { day } => format!("every {}", crate::schedule::day_title(day as usize)),
        };
        format!("{when} at {:02}:{:02} ({})", self.at_minute / 60, self.at_minute % 60, self.timezone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::tests::at;
    use std::time::Duration;

    #[test]
    fn daily_summaries_are_due_at_the_local_time_of_day() {
        let summary = Summary::parse("morning", Cadence::Daily, "08:00", "Europe/Amsterdam", vec![]).unwrap();
        // 07:00 UTC is 08:00 in Amsterdam in November.
        assert_eq!(summary.next_after(at(0, 6, 0)), Some(at(0, 7, 0)));
        assert_eq!(summary.next_after(at(0, 7, 0)), Some(at(1, 7, 0)), "strictly after");
        assert_eq!(summary.previous(at(1, 7, 0)), Some(at(0, 7, 0)));
        assert_eq!(summary.describe(), "every day at 08:00 (Europe/Amsterdam)");
        assert_eq!(summary.local_time(at(1, 7, 0)), "Tue 2026-11-24 08:00");
    }

    #[test]
    fn weekly_summaries_wait_for_their_day() {
        let summary = Summary::parse("review", Cadence::parse_day("fri").unwrap(), "17:30", "UTC", vec![]).unwrap();
        assert_eq!(summary.next_after(at(0, 9, 0)), Some(at(4, 17, 30)));
        assert_eq!(summary.next_after(at(4, 17, 30)), Some(at(11, 17, 30)), "a week later");
        assert_eq!(summary.previous(at(11, 17, 30)), Some(at(4, 17, 30)));
        assert_eq!(summary.describe(), "every Friday at 17:30 (UTC)");
    }

    #[test]
    fn a_day_with_a_clock_change_is_as_long_as_the_clock_says() {
        // Europe/Amsterdam went to summer time on 2026-03-29 at 02:00.
        let summary = Summary::parse("morning", Cadence::Daily, "08:00", "Europe/Amsterdam", vec![]).unwrap();
        let sunday = jiff::civil::date(2026, 3, 29).at(8, 0, 0, 0).in_tz("Europe/Amsterdam").unwrap();
        let sunday = SystemTime::from(sunday.timestamp());
        let saturday = summary.previous(sunday).unwrap();
        assert_eq!(sunday.duration_since(saturday).unwrap(), Duration::from_secs(23 * 3600));
        // A time the change skips goes out at the same time after it.
        let night = Summary::parse("night", Cadence::Daily, "02:30", "Europe/Amsterdam", vec![]).unwrap();
        let before = SystemTime::from(
            jiff::civil::date(2026, 3, 29).at(0, 0, 0, 0).in_tz("Europe/Amsterdam").unwrap().timestamp(),
        );
        let due = jiff::Timestamp::try_from(night.next_after(before).unwrap()).unwrap();
        assert_eq!(due.to_zoned(TimeZone::get("Europe/Amsterdam").unwrap()).hour(), 3);
    }

    #[test]
    fn bad_parts_are_refused_with_what_to_write() {
        assert!(Summary::parse("s", Cadence::Daily, "24:00", "UTC", vec![]).unwrap_err().contains("23:59"));
        assert!(Summary::parse("s", Cadence::Daily, "8am", "UTC", vec![]).unwrap_err().contains("HH:MM"));
        assert!(Summary::parse("s", Cadence::Daily, "08:00", "Mars/Base", vec![]).unwrap_err().contains("IANA"));
        assert!(Cadence::parse_day("funday").unwrap_err().contains("mon, tue"));
    }
}
