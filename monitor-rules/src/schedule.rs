//! Delivery schedules: the days and hours, in a time zone, when a rule's
//! notifications go out (business hours, weekends, night shifts).

use std::time::SystemTime;

/// Days and hours in a time zone.
///
/// ```
/// use monitor_rules::Schedule;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let office = Schedule::parse("office", "mon-fri", "08:00-18:00", "Europe/Amsterdam").unwrap();
/// // Monday 2026-11-23 09:30 in Amsterdam is 08:30 UTC.
/// let monday_morning = UNIX_EPOCH + Duration::from_secs(1_795_422_600);
/// assert!(office.is_active(monday_morning));
/// // Saturday at the same time is not.
/// assert!(!office.is_active(monday_morning - Duration::from_secs(2 * 86_400)));
///
/// let error = Schedule::parse("office", "mon-fry", "08:00-18:00", "UTC").unwrap_err();
/// assert!(error.contains("`fry`"), "{error}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Its name, used by rules (`during office`).
    pub name: String,
    /// Active days, Monday first.
    pub days: [bool; 7],
    /// First active minute of the day (0–1439).
    pub from_minute: u16,
    /// First inactive minute (1–1440). Earlier than `from_minute` for spans
    /// that cross midnight (`22:00-06:00`): the span belongs to the day it starts on.
    pub to_minute: u16,
    /// IANA time zone name (`Europe/Amsterdam`, `UTC`).
    pub timezone: String,
}

/// What happens to a notification due outside its rule's schedule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutsideSchedule {
    /// Kept, in order, and sent when the schedule opens (the default).
    #[default]
    Hold,
    /// Discarded and counted; the alert's timers carry on as if it had been sent.
    Drop,
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Schedule {
    /// Parses a schedule's parts. `days`: `mon-fri`, `sat,sun`, `fri-mon`,
    /// `weekdays`, `weekends`, `daily`. `hours`: `08:00-18:00`, `22:00-06:00`,
    /// `all day`. `timezone`: an IANA name. The error says what is wrong.
    pub fn parse(name: &str, days: &str, hours: &str, timezone: &str) -> Result<Schedule, String> {
        let days = parse_days(days)?;
        let (from_minute, to_minute) = parse_hours(hours)?;
        check_timezone(timezone)?;
        Ok(Schedule { name: name.to_owned(), days, from_minute, to_minute, timezone: timezone.to_owned() })
    }

    /// Whether `at` falls inside the schedule.
    pub fn is_active(&self, at: SystemTime) -> bool {
        let Ok(zone) = jiff::tz::TimeZone::get(&self.timezone) else { return true };
        let Ok(timestamp) = jiff::Timestamp::try_from(at) else { return true };
        let local = timestamp.to_zoned(zone);
        let day = usize::from(local.weekday().to_monday_zero_offset().unsigned_abs());
        let minute = u16::from(local.hour().unsigned_abs()) * 60 + u16::from(local.minute().unsigned_abs());
        if self.from_minute < self.to_minute {
            self.days[day] && (self.from_minute..self.to_minute).contains(&minute)
        } else {
            // Crosses midnight: the evening part of an active day, or the
            // morning part after one.
            let yesterday = (day + 6) % 7;
            (self.days[day] && minute >= self.from_minute) || (self.days[yesterday] && minute < self.to_minute)
        }
    }
}

pub(crate) fn day_index(name: &str) -> Result<usize, String> {
    let lower = name.trim().to_ascii_lowercase();
    DAY_NAMES
        .iter()
        .position(|d| lower == *d || (lower.len() > 3 && full_day_name(d).starts_with(&lower)))
        .ok_or_else(|| format!("unknown day `{}`: use mon, tue, wed, thu, fri, sat, sun", name.trim()))
}

/// `Monday` for 0, `Sunday` for 6.
pub(crate) fn day_title(index: usize) -> String {
    let name = full_day_name(DAY_NAMES[index % 7]);
    name[..1].to_ascii_uppercase() + &name[1..]
}

fn full_day_name(short: &str) -> &'static str {
    match short {
        "mon" => "monday",
        "tue" => "tuesday",
        "wed" => "wednesday",
        "thu" => "thursday",
        "fri" => "friday",
        "sat" => "saturday",
        _ => "sunday",
    }
}

fn parse_days(text: &str) -> Result<[bool; 7], String> {
    let mut days = [false; 7];
    match text.trim().to_ascii_lowercase().as_str() {
        "weekdays" => return Ok([true, true, true, true, true, false, false]),
        "weekends" | "weekend" => return Ok([false, false, false, false, false, true, true]),
        "daily" | "every day" | "all" => return Ok([true; 7]),
        "" => return Err("no days given: use `mon-fri`, `sat,sun`, `weekdays`, `weekends` or `daily`".to_owned()),
        _ => {}
    }
    for part in text.split(',') {
        match part.split_once('-') {
            Some((first, last)) => {
                let (first, last) = (day_index(first)?, day_index(last)?);
                let mut day = first;
                loop {
                    days[day] = true;
                    if day == last {
                        break;
                    }
                    day = (day + 1) % 7;
                }
            }
            None => days[day_index(part)?] = true,
        }
    }
    Ok(days)
}

pub(crate) fn parse_time(text: &str) -> Result<u16, String> {
    let bad = || format!("`{}` is not a time of day: use HH:MM, such as 08:00 or 18:30", text.trim());
    let (hour, minute) = text.trim().split_once(':').ok_or_else(bad)?;
    let (hour, minute): (u16, u16) = (hour.parse().map_err(|_| bad())?, minute.parse().map_err(|_| bad())?);
    if minute >= 60 || hour > 24 || (hour == 24 && minute != 0) {
        return Err(bad());
    }
    Ok(hour * 60 + minute)
}

fn parse_hours(text: &str) -> Result<(u16, u16), String> {
    if matches!(text.trim().to_ascii_lowercase().as_str(), "all day" | "all-day" | "any") {
        return Ok((0, 24 * 60));
    }
    let (from, to) = text
        .split_once('-')
        .ok_or_else(|| format!("`{}` is not a span of hours: use HH:MM-HH:MM, such as 08:00-18:00", text.trim()))?;
    let (from, to) = (parse_time(from)?, parse_time(to)?);
    if from == to || from >= 24 * 60 {
        return Err(format!("`{}` is an empty span of hours: the end must differ from the start", text.trim()));
    }
    Ok((from, to))
}

pub(crate) fn check_timezone(name: &str) -> Result<(), String> {
    jiff::tz::TimeZone::get(name)
        .map(|_| ())
        .map_err(|_| format!("unknown time zone `{name}`: use an IANA name such as `Europe/Amsterdam` or `UTC`"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// 2026-11-23 was a Monday; this is 00:00 UTC that day.
    const MONDAY: u64 = 1_795_392_000;

    /// `day` days after that Monday, at `hour:minute` UTC (the summaries'
    /// tests use it too).
    pub(crate) fn at(day: u64, hour: u64, minute: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(MONDAY + day * 86_400 + hour * 3600 + minute * 60)
    }

    #[test]
    fn days_hours_and_zones_are_read_and_checked() {
        assert_eq!(parse_days("mon-fri").unwrap(), [true, true, true, true, true, false, false]);
        assert_eq!(parse_days("fri-mon").unwrap(), [true, false, false, false, true, true, true]);
        assert_eq!(parse_days("sat, Sunday").unwrap(), [false, false, false, false, false, true, true]);
        assert!(parse_days("mon-fry").unwrap_err().contains("`fry`"));
        assert_eq!(parse_hours("08:00-18:30").unwrap(), (480, 1110));
        assert!(parse_hours("8-18").unwrap_err().contains("HH:MM"));
        assert!(parse_hours("25:00-26:00").is_err());
        assert!(parse_hours("09:00-09:00").unwrap_err().contains("empty"));
        assert!(check_timezone("Europe/Amsterdam").is_ok());
        assert!(check_timezone("Mars/Olympus").unwrap_err().contains("Mars/Olympus"));
    }

    #[test]
    fn business_hours_follow_the_time_zone() {
        let office = Schedule::parse("office", "weekdays", "08:00-18:00", "Europe/Amsterdam").unwrap();
        // Amsterdam is UTC+1 in November.
        assert!(!office.is_active(at(0, 6, 59)), "07:59 local");
        assert!(office.is_active(at(0, 7, 0)), "08:00 local");
        assert!(office.is_active(at(4, 16, 59)), "Friday 17:59 local");
        assert!(!office.is_active(at(4, 17, 0)), "Friday 18:00 local");
        assert!(!office.is_active(at(5, 10, 0)), "Saturday");
    }

    #[test]
    fn night_spans_belong_to_the_day_they_start() {
        let night = Schedule::parse("night", "fri", "22:00-06:00", "UTC").unwrap();
        assert!(night.is_active(at(4, 23, 0)), "Friday night");
        assert!(night.is_active(at(5, 5, 59)), "Saturday early morning, after Friday");
        assert!(!night.is_active(at(5, 6, 0)));
        assert!(!night.is_active(at(3, 5, 0)), "Thursday morning follows Wednesday, not active");
        let weekend = Schedule::parse("weekend", "weekends", "all day", "UTC").unwrap();
        assert!(weekend.is_active(at(6, 23, 59)) && !weekend.is_active(at(0, 0, 0)));
    }
}
