//! The generic row model: a row is a slice of cells, one per column.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// One value of a row.
///
/// Each format writes each kind of cell as its readers expect: numbers stay
/// numbers, booleans booleans, and times are ISO 8601 text in UTC with
/// milliseconds (`2024-05-01T12:34:56.789Z`) except in xlsx, where they are
/// real dates (see [`Format::Xlsx`](crate::Format::Xlsx)).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use monitor_export::Cell;
///
/// assert_eq!(Cell::from("Zürich"), Cell::Text("Zürich".into()));
/// assert_eq!(Cell::from(Some(7_i64)), Cell::Integer(7));
/// assert_eq!(Cell::from(None::<String>), Cell::Null);
/// let time = Cell::Timestamp(UNIX_EPOCH + Duration::from_millis(1_714_566_896_789));
/// assert_eq!(time.to_text(), "2024-05-01T12:34:56.789Z");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// No value: an empty CSV field, JSON `null`, an XML element with
    /// `null="true"`, an empty spreadsheet cell.
    Null,
    /// Text.
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A floating-point number (a non-finite one is written as null).
    Float(f64),
    /// True or false.
    Bool(bool),
    /// A point in time, written in UTC.
    Timestamp(SystemTime),
}

impl Cell {
    /// The cell as plain text, as CSV, XML and PDF write it (before any
    /// neutralisation or escaping): empty for null, `true`/`false`, the
    /// shortest decimal that reads back as the same float, ISO 8601 UTC
    /// for a time.
    ///
    /// ```
    /// use monitor_export::Cell;
    ///
    /// assert_eq!(Cell::Float(1.5).to_text(), "1.5");
    /// assert_eq!(Cell::Bool(true).to_text(), "true");
    /// assert_eq!(Cell::Null.to_text(), "");
    /// ```
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        self.write_text(&mut text);
        text
    }

    /// Appends [`Cell::to_text`] to `out`, without allocating a string of
    /// its own (the writers reuse one buffer for every cell).
    pub(crate) fn write_text(&self, out: &mut String) {
        match self {
            Cell::Null => {}
            Cell::Text(text) => out.push_str(text),
            Cell::Integer(value) => {
                let _ = write!(out, "{value}");
            }
            Cell::Float(value) if value.is_finite() => {
                let _ = write!(out, "{value}");
            }
            Cell::Float(_) => {}
            Cell::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
            Cell::Timestamp(time) => write_iso8601(*time, out),
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::Text(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        Cell::Integer(value)
    }
}

impl From<u64> for Cell {
    /// Saturates at `i64::MAX`, the largest whole number every format keeps.
    fn from(value: u64) -> Self {
        Cell::Integer(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

impl From<u32> for Cell {
    fn from(value: u32) -> Self {
        Cell::Integer(i64::from(value))
    }
}

impl From<f64> for Cell {
    fn from(value: f64) -> Self {
        Cell::Float(value)
    }
}

impl From<bool> for Cell {
    fn from(value: bool) -> Self {
        Cell::Bool(value)
    }
}

impl From<SystemTime> for Cell {
    fn from(time: SystemTime) -> Self {
        Cell::Timestamp(time)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Self {
        value.map_or(Cell::Null, Into::into)
    }
}

/// Milliseconds since the Unix epoch, negative before it (the stores keep
/// milliseconds, so nothing finer is written).
pub(crate) fn unix_millis(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Writes `time` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (proleptic Gregorian, UTC).
pub(crate) fn write_iso8601(time: SystemTime, out: &mut String) {
    let millis = unix_millis(time);
    let days = millis.div_euclid(86_400_000);
    let of_day = millis.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute) = (of_day / 3_600_000, of_day / 60_000 % 60);
    let (second, milli) = (of_day / 1000 % 60, of_day % 1000);
    let _ = write!(out, "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z");
}

/// The date `days` days after 1970-01-01: the days are counted in 400-year
/// eras of 146,097 days, whose years start on 1 March so that the leap day
/// falls at the end of each year.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn iso(millis: i64) -> String {
        let time = if millis >= 0 {
            UNIX_EPOCH + Duration::from_millis(millis as u64)
        } else {
            UNIX_EPOCH - Duration::from_millis(millis.unsigned_abs())
        };
        Cell::Timestamp(time).to_text()
    }

    #[test]
    fn times_are_iso8601_utc_with_milliseconds() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso(1_709_251_199_999), "2024-02-29T23:59:59.999Z");
        assert_eq!(iso(4_107_542_400_000), "2100-03-01T00:00:00.000Z");
        assert_eq!(iso(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn numbers_and_nulls_as_text() {
        assert_eq!(Cell::Integer(-2).to_text(), "-2");
        assert_eq!(Cell::Float(f64::NAN).to_text(), "");
        assert_eq!(Cell::from(u64::MAX), Cell::Integer(i64::MAX));
    }
}
