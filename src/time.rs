//! The time axis: calendar months and the periods a series is sampled on.
//!
//! Nothing here reads the clock: a dataset's periods follow only from the
//! configured start month, so the same configuration always gives the same
//! column names (the original tool counted back from *today*).

use std::fmt;
use std::str::FromStr;

use crate::calendar::{Date, TimeZone};
use crate::error::ConfigError;

/// A calendar month, e.g. `2024-01`.
///
/// Displays and parses as `YYYY-MM`; [`YearMonth::compact`] gives the
/// `YYYYMM` form used in column names and label files.
///
/// ```
/// use ghostload::YearMonth;
/// let m: YearMonth = "2024-11".parse()?;
/// assert_eq!(m.plus_months(3).to_string(), "2025-02");
/// assert_eq!(m.compact(), 202411);
/// # Ok::<(), ghostload::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    month: u8,
}

impl YearMonth {
    /// A month from its year (1..=9999) and month number (1..=12).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `start_month` when either part is out of range.
    pub fn new(year: i32, month: u8) -> Result<Self, ConfigError> {
        if !(1..=9999).contains(&year) {
            return Err(ConfigError::out_of_range(
                "start_month",
                format!("year {year}"),
                "years 1 ..= 9999",
            ));
        }
        if !(1..=12).contains(&month) {
            return Err(ConfigError::out_of_range(
                "start_month",
                format!("month {month}"),
                "months 1 ..= 12",
            ));
        }
        Ok(YearMonth { year, month })
    }

    /// The calendar year.
    #[must_use]
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month number, 1 (January) to 12 (December).
    #[must_use]
    pub fn month(self) -> u8 {
        self.month
    }

    /// The month `n` months later. Within a [`TimeAxis`] it is at most
    /// 9999-12; past that the year keeps counting (saturating at `i32::MAX`)
    /// rather than overflowing.
    #[must_use]
    pub fn plus_months(self, n: usize) -> YearMonth {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        let zero_based = (i64::from(self.month) - 1).saturating_add(n);
        let year = i64::from(self.year).saturating_add(zero_based / 12);
        YearMonth {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: (zero_based % 12) as u8 + 1,
        }
    }

    /// Months from this one to 9999-12, the last month [`new`](Self::new) accepts.
    fn months_to_end(self) -> usize {
        let index = |year: i32, month: u8| i64::from(year) * 12 + i64::from(month);
        usize::try_from(index(9999, 12) - index(self.year, self.month)).unwrap_or(0)
    }

    /// `YYYYMM` as a number, e.g. `202401`.
    #[must_use]
    pub fn compact(self) -> u32 {
        self.year as u32 * 100 + u32::from(self.month)
    }

    /// Number of days in this month (Gregorian calendar).
    #[must_use]
    pub fn days(self) -> u32 {
        match self.month {
            4 | 6 | 9 | 11 => 30,
            2 if self.is_leap_year() => 29,
            2 => 28,
            _ => 31,
        }
    }

    fn is_leap_year(self) -> bool {
        (self.year % 4 == 0 && self.year % 100 != 0) || self.year % 400 == 0
    }
}

impl Default for YearMonth {
    /// January 2024, the default start of every dataset.
    fn default() -> Self {
        YearMonth { year: 2024, month: 1 }
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for YearMonth {
    type Err = ConfigError;

    /// Parses `YYYY-MM` (as written by [`Display`](fmt::Display)).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || ConfigError::Invalid {
            field: "start_month",
            value: s.to_owned(),
            reason: "expected a month written YYYY-MM, e.g. 2024-01",
        };
        let (y, m) = s.split_once('-').ok_or_else(invalid)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(invalid());
        }
        let year = y.parse::<i32>().map_err(|_| invalid())?;
        let month = m.parse::<u8>().map_err(|_| invalid())?;
        YearMonth::new(year, month)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for YearMonth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for YearMonth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// How long one period of a series lasts.
///
/// `Monthly` is the default and gives the monthly files only; the interval
/// resolutions add the long-form `meter_readings` table (one reading per
/// meter and interval), whose monthly sums are the monthly view. In
/// configuration files and on the command line: `monthly`, `daily`,
/// `hourly`, `15min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Resolution {
    /// One value per calendar month, in kWh per month.
    #[default]
    Monthly,
    /// One reading per local calendar day (kWh per day), as in the SGCC benchmark.
    Daily,
    /// One reading per hour (kWh per hour).
    Hourly,
    /// One reading per quarter hour (kWh per 15 minutes), a common AMI register interval.
    #[cfg_attr(feature = "serde", serde(rename = "15min"))]
    FifteenMinutes,
}

impl Resolution {
    /// Every resolution, coarsest first.
    pub const ALL: [Resolution; 4] = [
        Resolution::Monthly,
        Resolution::Daily,
        Resolution::Hourly,
        Resolution::FifteenMinutes,
    ];

    /// The name used in configuration files and on the command line.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Resolution::Monthly => "monthly",
            Resolution::Daily => "daily",
            Resolution::Hourly => "hourly",
            Resolution::FifteenMinutes => "15min",
        }
    }

    /// Readings per day; `None` for [`Monthly`](Resolution::Monthly).
    #[must_use]
    pub const fn intervals_per_day(self) -> Option<usize> {
        match self {
            Resolution::Monthly => None,
            Resolution::Daily => Some(1),
            Resolution::Hourly => Some(24),
            Resolution::FifteenMinutes => Some(96),
        }
    }

    /// Length of one interval in seconds; `None` for [`Monthly`](Resolution::Monthly).
    #[must_use]
    pub const fn interval_seconds(self) -> Option<i64> {
        match self.intervals_per_day() {
            Some(n) => Some(86_400 / n as i64),
            None => None,
        }
    }

    /// Whether this is an interval (sub-monthly) resolution.
    #[must_use]
    pub const fn is_interval(self) -> bool {
        !matches!(self, Resolution::Monthly)
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Resolution {
    type Err = ConfigError;

    /// Parses `monthly`, `daily`, `hourly` or `15min`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Resolution::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ConfigError::Invalid {
                field: "resolution",
                value: s.to_owned(),
                reason: "expected one of monthly, daily, hourly, 15min",
            })
    }
}

/// The periods a consumption series covers: whole calendar months from a
/// start, at a resolution, with timestamps in a zone.
///
/// At [`Resolution::Monthly`] a period is a month; at the interval
/// resolutions a period is a day, an hour or a quarter hour of local time,
/// and the axis runs from local midnight on the first day of the start month
/// to the end of its last month (every day of every month, leap days included).
///
/// ```
/// use ghostload::{Resolution, TimeAxis, YearMonth};
/// let axis = TimeAxis::new(YearMonth::new(2024, 11)?, 3, Resolution::Monthly)?;
/// let months: Vec<String> = (0..axis.len()).map(|i| axis.month(i).to_string()).collect();
/// assert_eq!(months, ["2024-11", "2024-12", "2025-01"]);
///
/// let hourly = TimeAxis::new(YearMonth::new(2024, 2)?, 1, Resolution::Hourly)?;
/// assert_eq!(hourly.len(), 29 * 24); // a leap February
/// assert_eq!(hourly.timestamp_string(0), "2024-02-01T00:00:00+08:00"); // Asia/Manila by default
/// assert_eq!(hourly.month_range(0), 0..696);
/// assert_eq!((hourly.intervals(), axis.intervals()), (696, 0)); // monthly has no readings
/// # Ok::<(), ghostload::ConfigError>(())
/// ```
///
/// With the `serde` feature it (de)serializes as `{start, periods, resolution}`
/// (`periods` counts months) and an optional `timezone`; deserializing checks
/// the month count as [`TimeAxis::new`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "TimeAxisFields", into = "TimeAxisFields"))]
pub struct TimeAxis {
    start: YearMonth,
    months: usize,
    resolution: Resolution,
    zone: TimeZone,
    /// Day number (since 1970-01-01) of the first local day.
    first_day: i64,
    /// Number of periods.
    len: usize,
}

/// The serialized form of a [`TimeAxis`], checked on the way in.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct TimeAxisFields {
    start: YearMonth,
    periods: usize,
    resolution: Resolution,
    #[serde(default, skip_serializing_if = "is_default_zone")]
    timezone: TimeZone,
}

#[cfg(feature = "serde")]
fn is_default_zone(z: &TimeZone) -> bool {
    *z == TimeZone::default()
}

#[cfg(feature = "serde")]
impl TryFrom<TimeAxisFields> for TimeAxis {
    type Error = ConfigError;

    fn try_from(f: TimeAxisFields) -> Result<Self, Self::Error> {
        Ok(TimeAxis::new(f.start, f.periods, f.resolution)?.with_zone(f.timezone))
    }
}

#[cfg(feature = "serde")]
impl From<TimeAxis> for TimeAxisFields {
    fn from(a: TimeAxis) -> Self {
        TimeAxisFields {
            start: a.start,
            periods: a.months,
            resolution: a.resolution,
            timezone: a.zone,
        }
    }
}

impl TimeAxis {
    /// Largest number of months accepted (100 years).
    pub const MAX_PERIODS: usize = 1200;

    /// An axis of `months` calendar months beginning at `start`, at `resolution`,
    /// in the default zone (Asia/Manila; see [`with_zone`](Self::with_zone)).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `num_months` unless `1 <= months <= 1200`
    /// and the last month falls no later than 9999-12 (a later year would
    /// not fit the four-digit `YYYY-MM` and `YYYYMM` forms of the output files).
    pub fn new(start: YearMonth, months: usize, resolution: Resolution) -> Result<Self, ConfigError> {
        if !(1..=Self::MAX_PERIODS).contains(&months) {
            return Err(ConfigError::out_of_range("num_months", months, "1 ..= 1200"));
        }
        if start.months_to_end() < months - 1 {
            return Err(ConfigError::out_of_range(
                "num_months",
                format!("{months} from {start}"),
                "1 ..= 1200, with the last month no later than 9999-12",
            ));
        }
        let first_day = Date::first_of(start).days_since_epoch();
        let len = match resolution.intervals_per_day() {
            None => months,
            Some(per_day) => {
                let end = Date::first_of(start.plus_months(months)).days_since_epoch();
                (end - first_day) as usize * per_day
            }
        };
        Ok(TimeAxis {
            start,
            months,
            resolution,
            zone: TimeZone::default(),
            first_day,
            len,
        })
    }

    /// The same axis with its timestamps in `zone`.
    #[must_use]
    pub fn with_zone(mut self, zone: TimeZone) -> Self {
        self.zone = zone;
        self
    }

    /// The monthly axis over the same months (itself when already monthly).
    #[must_use]
    pub fn monthly(&self) -> TimeAxis {
        TimeAxis {
            resolution: Resolution::Monthly,
            len: self.months,
            ..*self
        }
    }

    /// The same months at `resolution` (in the same zone).
    #[must_use]
    pub(crate) fn at_resolution(&self, resolution: Resolution) -> TimeAxis {
        let len = match resolution.intervals_per_day() {
            None => self.months,
            Some(per_day) => self.days() * per_day,
        };
        TimeAxis {
            resolution,
            len,
            ..*self
        }
    }

    /// The first period's month.
    #[must_use]
    pub fn start(&self) -> YearMonth {
        self.start
    }

    /// Number of periods (months at monthly resolution, intervals otherwise).
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always `false`: an axis has at least one period.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Number of calendar months covered.
    #[must_use]
    pub fn months(&self) -> usize {
        self.months
    }

    /// Number of calendar days covered.
    #[must_use]
    pub fn days(&self) -> usize {
        (Date::first_of(self.start.plus_months(self.months)).days_since_epoch() - self.first_day) as usize
    }

    /// The resolution of every period.
    #[must_use]
    pub fn resolution(&self) -> Resolution {
        self.resolution
    }

    /// The zone timestamps are written in.
    #[must_use]
    pub fn zone(&self) -> TimeZone {
        self.zone
    }

    /// Interval readings per meter: [`len`](Self::len) at the interval
    /// resolutions, 0 at monthly resolution (which has no readings).
    #[must_use]
    pub fn intervals(&self) -> usize {
        if self.resolution.is_interval() { self.len } else { 0 }
    }

    /// Periods per day: `None` at monthly resolution.
    #[must_use]
    pub fn intervals_per_day(&self) -> Option<usize> {
        self.resolution.intervals_per_day()
    }

    /// The 0-based day (from the axis' first day) that period `i` falls in;
    /// at monthly resolution, the first day of its month.
    #[must_use]
    pub fn day_index(&self, i: usize) -> usize {
        match self.resolution.intervals_per_day() {
            Some(per_day) => i / per_day,
            None => (Date::first_of(self.month(i)).days_since_epoch() - self.first_day) as usize,
        }
    }

    /// The local calendar date of day `d` (0-based) of the axis.
    #[must_use]
    pub fn date(&self, d: usize) -> Date {
        Date::from_days_since_epoch(self.first_day + d as i64)
    }

    /// The calendar month that period `i` (0-based) falls in.
    #[must_use]
    pub fn month(&self, i: usize) -> YearMonth {
        match self.resolution {
            Resolution::Monthly => self.start.plus_months(i),
            _ => self.date(self.day_index(i)).year_month(),
        }
    }

    /// The periods of month `m` (0-based month of the axis): `m..m + 1` at
    /// monthly resolution, the month's intervals otherwise.
    #[must_use]
    pub fn month_range(&self, m: usize) -> std::ops::Range<usize> {
        match self.resolution.intervals_per_day() {
            None => m..m + 1,
            Some(per_day) => {
                let day =
                    |k: usize| (Date::first_of(self.start.plus_months(k)).days_since_epoch() - self.first_day) as usize;
                day(m) * per_day..day(m + 1) * per_day
            }
        }
    }

    /// Position of period `i` in the year, in months: `1.0` is the start of
    /// January, `12.0` December. At monthly resolution a period sits at its
    /// month's number; finer periods add the fraction of the month elapsed.
    #[must_use]
    pub fn month_of_year(&self, i: usize) -> f64 {
        let month = self.month(i);
        match self.resolution.intervals_per_day() {
            None => f64::from(month.month()),
            Some(per_day) => {
                let into_month = i - self.month_range(self.month_index(i)).start;
                f64::from(month.month()) + into_month as f64 / (f64::from(month.days()) * per_day as f64)
            }
        }
    }

    /// The 0-based month of the axis that period `i` falls in.
    #[must_use]
    pub fn month_index(&self, i: usize) -> usize {
        let m = self.month(i);
        let index = |ym: YearMonth| i64::from(ym.year()) * 12 + i64::from(ym.month());
        (index(m) - index(self.start)) as usize
    }

    /// Length of period `i` in hours (calendar days × 24 for a month).
    #[must_use]
    pub fn hours(&self, i: usize) -> f64 {
        match self.resolution.interval_seconds() {
            None => f64::from(self.month(i).days() * 24),
            Some(s) => s as f64 / 3600.0,
        }
    }

    /// The UTC instant (seconds since 1970-01-01T00:00:00Z) at which period
    /// `i` starts: local midnight of its month's first day at monthly resolution.
    #[must_use]
    pub fn timestamp(&self, i: usize) -> i64 {
        let local = match self.resolution.interval_seconds() {
            None => Date::first_of(self.month(i)).days_since_epoch() * 86_400,
            Some(s) => self.first_day * 86_400 + i as i64 * s,
        };
        local - self.zone.offset_seconds()
    }

    /// The start of period `i` as an ISO 8601 local time with its offset,
    /// e.g. `2024-01-01T13:00:00+08:00`.
    #[must_use]
    pub fn timestamp_string(&self, i: usize) -> String {
        let mut out = Vec::with_capacity(25);
        self.push_timestamp(i, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Appends [`timestamp_string`](Self::timestamp_string) to `out`.
    pub(crate) fn push_timestamp(&self, i: usize, out: &mut Vec<u8>) {
        let local = self.timestamp(i) + self.zone.offset_seconds();
        let day = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400) as u32;
        Date::from_days_since_epoch(day).push_iso(out);
        let two = |out: &mut Vec<u8>, n: u32| {
            out.push(b'0' + (n / 10) as u8);
            out.push(b'0' + (n % 10) as u8);
        };
        out.push(b'T');
        two(out, secs / 3600);
        out.push(b':');
        two(out, secs / 60 % 60);
        out.push(b':');
        two(out, secs % 60);
        self.zone.push_offset(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_months_rolls_over_years() {
        let m = YearMonth::new(2023, 12).unwrap();
        assert_eq!(m.plus_months(1), YearMonth::new(2024, 1).unwrap());
        assert_eq!(m.plus_months(25), YearMonth::new(2026, 1).unwrap());
        assert_eq!(m.plus_months(0), m);
    }

    #[test]
    fn parse_rejects_malformed_months() {
        for bad in ["2024-13", "2024-00", "2024-1", "24-01", "2024/01", "", "abcd-ef"] {
            let err = bad.parse::<YearMonth>().unwrap_err();
            assert_eq!(err.field(), "start_month", "{bad}");
        }
        assert_eq!("2024-02".parse::<YearMonth>().unwrap().days(), 29);
        assert_eq!("2100-02".parse::<YearMonth>().unwrap().days(), 28);
    }

    #[test]
    fn axis_rejects_zero_periods() {
        let err = TimeAxis::new(YearMonth::default(), 0, Resolution::Monthly).unwrap_err();
        assert_eq!(err.field(), "num_months");
    }

    #[test]
    fn axis_labels_follow_the_calendar() {
        let axis = TimeAxis::new(YearMonth::new(2024, 11).unwrap(), 14, Resolution::Monthly).unwrap();
        assert_eq!(axis.month(13).compact(), 202512);
        assert_eq!(axis.month_of_year(2), 1.0);
        assert_eq!(axis.hours(0), 720.0);
    }
}
