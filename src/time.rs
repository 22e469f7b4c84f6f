//! The time axis: calendar months and the periods a series is sampled on.
//!
//! Nothing here reads the clock: a dataset's periods follow only from the
//! configured start month, so the same configuration always gives the same
//! column names (the original tool counted back from *today*).

use std::fmt;
use std::str::FromStr;

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
/// Only monthly series exist today; the enum is `#[non_exhaustive]` so that
/// hourly and 15-minute resolutions can be added without breaking callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Resolution {
    /// One value per calendar month, in kWh per month.
    #[default]
    Monthly,
}

/// The periods a consumption series covers: a start, a count and a resolution.
///
/// ```
/// use ghostload::{Resolution, TimeAxis, YearMonth};
/// let axis = TimeAxis::new(YearMonth::new(2024, 11)?, 3, Resolution::Monthly)?;
/// let months: Vec<String> = (0..axis.len()).map(|i| axis.month(i).to_string()).collect();
/// assert_eq!(months, ["2024-11", "2024-12", "2025-01"]);
/// # Ok::<(), ghostload::ConfigError>(())
/// ```
///
/// With the `serde` feature it (de)serializes as `{start, periods, resolution}`;
/// deserializing checks the period count as [`TimeAxis::new`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "TimeAxisFields"))]
pub struct TimeAxis {
    start: YearMonth,
    periods: usize,
    resolution: Resolution,
}

/// The serialized form of a [`TimeAxis`], checked on the way in.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeAxisFields {
    start: YearMonth,
    periods: usize,
    resolution: Resolution,
}

#[cfg(feature = "serde")]
impl TryFrom<TimeAxisFields> for TimeAxis {
    type Error = ConfigError;

    fn try_from(f: TimeAxisFields) -> Result<Self, Self::Error> {
        TimeAxis::new(f.start, f.periods, f.resolution)
    }
}

impl TimeAxis {
    /// Largest number of periods accepted (100 years of months).
    pub const MAX_PERIODS: usize = 1200;

    /// An axis of `periods` periods beginning at `start`.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `num_months` unless `1 <= periods <= 1200`
    /// and the last period falls no later than 9999-12 (a later year would
    /// not fit the four-digit `YYYY-MM` and `YYYYMM` forms of the output files).
    pub fn new(start: YearMonth, periods: usize, resolution: Resolution) -> Result<Self, ConfigError> {
        if !(1..=Self::MAX_PERIODS).contains(&periods) {
            return Err(ConfigError::out_of_range("num_months", periods, "1 ..= 1200"));
        }
        if start.months_to_end() < periods - 1 {
            return Err(ConfigError::out_of_range(
                "num_months",
                format!("{periods} from {start}"),
                "1 ..= 1200, with the last month no later than 9999-12",
            ));
        }
        Ok(TimeAxis {
            start,
            periods,
            resolution,
        })
    }

    /// The first period's month.
    #[must_use]
    pub fn start(&self) -> YearMonth {
        self.start
    }

    /// Number of periods.
    #[must_use]
    pub fn len(&self) -> usize {
        self.periods
    }

    /// Always `false`: an axis has at least one period.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The resolution of every period.
    #[must_use]
    pub fn resolution(&self) -> Resolution {
        self.resolution
    }

    /// The calendar month that period `i` (0-based) falls in.
    #[must_use]
    pub fn month(&self, i: usize) -> YearMonth {
        self.start.plus_months(i)
    }

    /// Position of period `i` in the year, in months: `1.0` is the start of
    /// January, `12.0` December. Seasonal models use this rather than the
    /// month number so that finer resolutions can place a period inside its month.
    #[must_use]
    pub fn month_of_year(&self, i: usize) -> f64 {
        f64::from(self.month(i).month())
    }

    /// Length of period `i` in hours (calendar days × 24).
    #[must_use]
    pub fn hours(&self, i: usize) -> f64 {
        f64::from(self.month(i).days() * 24)
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
