//! The civil calendar under interval data: dates, weekdays, a fixed-offset
//! time zone and public holidays.
//!
//! Everything is integer arithmetic on the proleptic Gregorian calendar
//! (days since 1970-01-01); nothing reads the clock or the machine's zone
//! database, so a dataset's timestamps follow from its configuration alone.

use std::fmt;
use std::str::FromStr;

use crate::error::ConfigError;
use crate::time::YearMonth;

/// A calendar date, e.g. `2024-02-29`. Displays and parses as `YYYY-MM-DD`.
///
/// ```
/// use ghostload::{Date, Weekday};
/// let d: Date = "2024-02-28".parse()?;
/// assert_eq!(d.plus_days(1).to_string(), "2024-02-29"); // leap day
/// assert_eq!(d.plus_days(2).to_string(), "2024-03-01");
/// assert_eq!(d.weekday(), Weekday::Wednesday);
/// # Ok::<(), ghostload::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Days since 1970-01-01 (negative before).
    days: i64,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    /// Saturday or Sunday.
    #[must_use]
    pub fn is_weekend(self) -> bool {
        matches!(self, Weekday::Saturday | Weekday::Sunday)
    }
}

impl Date {
    /// The date `year-month-day`.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `date` when the year is outside
    /// 1..=9999 or the day does not exist in that month.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date, ConfigError> {
        let ym = YearMonth::new(year, month).map_err(|_| {
            ConfigError::out_of_range(
                "date",
                format!("{year:04}-{month:02}-{day:02}"),
                "years 1 ..= 9999, months 1 ..= 12",
            )
        })?;
        if day == 0 || u32::from(day) > ym.days() {
            return Err(ConfigError::out_of_range(
                "date",
                format!("{year:04}-{month:02}-{day:02}"),
                "days 1 ..= 28, 29, 30 or 31, as the month has",
            ));
        }
        Ok(Date {
            days: days_from_civil(i64::from(year), u32::from(month), u32::from(day)),
        })
    }

    /// The first day of `month`.
    #[must_use]
    pub fn first_of(month: YearMonth) -> Date {
        Date {
            days: days_from_civil(i64::from(month.year()), u32::from(month.month()), 1),
        }
    }

    /// The date from its day number (days since 1970-01-01).
    #[must_use]
    pub fn from_days_since_epoch(days: i64) -> Date {
        Date { days }
    }

    /// Days since 1970-01-01.
    #[must_use]
    pub fn days_since_epoch(self) -> i64 {
        self.days
    }

    /// The date `n` days later (earlier when negative).
    #[must_use]
    pub fn plus_days(self, n: i64) -> Date {
        Date {
            days: self.days.saturating_add(n),
        }
    }

    /// `(year, month, day)`.
    #[must_use]
    pub fn ymd(self) -> (i32, u8, u8) {
        let (y, m, d) = civil_from_days(self.days);
        (y as i32, m as u8, d as u8)
    }

    /// The calendar year.
    #[must_use]
    pub fn year(self) -> i32 {
        self.ymd().0
    }

    /// The month number, 1..=12.
    #[must_use]
    pub fn month(self) -> u8 {
        self.ymd().1
    }

    /// The day of the month, 1..=31.
    #[must_use]
    pub fn day(self) -> u8 {
        self.ymd().2
    }

    /// The month this date falls in.
    #[must_use]
    pub fn year_month(self) -> YearMonth {
        let (y, m, _) = self.ymd();
        // A `Date` is only built from valid parts or by day arithmetic from
        // one; outside 1..=9999 the default month stands in (never reached
        // by the generator, whose axes end by 9999-12).
        YearMonth::new(y, m).unwrap_or_default()
    }

    /// The day of the week.
    #[must_use]
    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday.
        match (self.days + 3).rem_euclid(7) {
            0 => Weekday::Monday,
            1 => Weekday::Tuesday,
            2 => Weekday::Wednesday,
            3 => Weekday::Thursday,
            4 => Weekday::Friday,
            5 => Weekday::Saturday,
            _ => Weekday::Sunday,
        }
    }

    /// Day of the year, 1..=366.
    #[must_use]
    pub fn ordinal(self) -> u32 {
        (self.days - days_from_civil(i64::from(self.year()), 1, 1) + 1) as u32
    }

    /// Appends `YYYY-MM-DD` to `out`.
    pub(crate) fn push_iso(self, out: &mut Vec<u8>) {
        let (y, m, d) = self.ymd();
        push_digits(out, y.max(0) as u32, 4);
        out.push(b'-');
        push_digits(out, u32::from(m), 2);
        out.push(b'-');
        push_digits(out, u32::from(d), 2);
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl FromStr for Date {
    type Err = ConfigError;

    /// Parses `YYYY-MM-DD`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || ConfigError::Invalid {
            field: "date",
            value: s.to_owned(),
            reason: "expected a date written YYYY-MM-DD, e.g. 2024-06-12",
        };
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(invalid());
        }
        let num = |r: std::ops::Range<usize>| s.get(r).and_then(|p| p.parse::<u32>().ok()).ok_or_else(invalid);
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        Date::new(y as i32, m as u8, d as u8)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Appends `n` zero-padded to `width` digits.
fn push_digits(out: &mut Vec<u8>, n: u32, width: usize) {
    let mut buf = [b'0'; 10];
    let mut n = n;
    let mut i = buf.len();
    while n > 0 {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let start = (buf.len() - width).min(i);
    out.extend_from_slice(&buf[start..]);
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant,
/// "chrono-Compatible Low-Level Date Algorithms", `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`] (same source, `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The zone timestamps are written in: a fixed offset from UTC, optionally
/// with the IANA name of a zone that has kept that offset (no daylight
/// saving) since 1980. Default: `Asia/Manila`, UTC+08:00.
///
/// Zones with daylight saving time are not supported: their days are not
/// all 24 hours long, and the interval grid assumes they are.
///
/// ```
/// use ghostload::TimeZone;
/// let z: TimeZone = "Asia/Manila".parse()?;
/// assert_eq!(z.offset_seconds(), 8 * 3600);
/// assert_eq!(z.to_string(), "Asia/Manila");
/// let z: TimeZone = "+05:30".parse()?;
/// assert_eq!(z.offset_string(), "+05:30");
/// assert!("Europe/London".parse::<TimeZone>().is_err()); // daylight saving
/// # Ok::<(), ghostload::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZone {
    offset_minutes: i16,
    name: Option<&'static str>,
}

/// IANA zones without daylight saving since 1980 (tz database 2024a), with
/// their offsets in minutes. The Philippines last observed DST in 1978.
const NAMED_ZONES: [(&str, i16); 16] = [
    ("UTC", 0),
    ("Etc/UTC", 0),
    ("Asia/Manila", 480),
    ("Asia/Singapore", 480),
    ("Asia/Kuala_Lumpur", 480),
    ("Asia/Shanghai", 480),
    ("Asia/Hong_Kong", 480),
    ("Asia/Taipei", 480),
    ("Asia/Jakarta", 420),
    ("Asia/Bangkok", 420),
    ("Asia/Ho_Chi_Minh", 420),
    ("Asia/Kolkata", 330),
    ("Asia/Dhaka", 360),
    ("Asia/Tokyo", 540),
    ("Asia/Seoul", 540),
    ("Africa/Nairobi", 180),
];

impl TimeZone {
    /// Asia/Manila, UTC+08:00 (Philippine Standard Time).
    pub const MANILA: TimeZone = TimeZone {
        offset_minutes: 480,
        name: Some("Asia/Manila"),
    };

    /// UTC.
    pub const UTC: TimeZone = TimeZone {
        offset_minutes: 0,
        name: Some("UTC"),
    };

    /// A fixed offset from UTC, in minutes (−14 h ..= +14 h).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `timezone` outside −840 ..= 840.
    pub fn from_offset_minutes(minutes: i32) -> Result<TimeZone, ConfigError> {
        if !(-840..=840).contains(&minutes) {
            return Err(ConfigError::out_of_range(
                "timezone",
                minutes,
                "offsets -14:00 ..= +14:00",
            ));
        }
        Ok(TimeZone {
            offset_minutes: minutes as i16,
            name: None,
        })
    }

    /// Offset from UTC in seconds (local = UTC + offset).
    #[must_use]
    pub fn offset_seconds(self) -> i64 {
        i64::from(self.offset_minutes) * 60
    }

    /// The IANA name, when the zone was given by one.
    #[must_use]
    pub fn name(self) -> Option<&'static str> {
        self.name
    }

    /// The offset written `±HH:MM`, as in ISO 8601 timestamps.
    #[must_use]
    pub fn offset_string(self) -> String {
        let mut out = Vec::with_capacity(6);
        self.push_offset(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Appends `±HH:MM` to `out`.
    pub(crate) fn push_offset(self, out: &mut Vec<u8>) {
        let m = i32::from(self.offset_minutes);
        out.push(if m < 0 { b'-' } else { b'+' });
        let m = m.unsigned_abs();
        push_digits(out, m / 60, 2);
        out.push(b':');
        push_digits(out, m % 60, 2);
    }
}

impl Default for TimeZone {
    /// [`TimeZone::MANILA`].
    fn default() -> Self {
        TimeZone::MANILA
    }
}

impl fmt::Display for TimeZone {
    /// The IANA name if any, else the offset (`+08:00`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name {
            Some(n) => f.write_str(n),
            None => f.write_str(&self.offset_string()),
        }
    }
}

impl FromStr for TimeZone {
    type Err = ConfigError;

    /// Parses one of the supported IANA names (`Asia/Manila`, `UTC`, ...) or
    /// an offset `±HH:MM`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(&(name, minutes)) = NAMED_ZONES.iter().find(|(n, _)| *n == s) {
            return Ok(TimeZone {
                offset_minutes: minutes,
                name: Some(name),
            });
        }
        let b = s.as_bytes();
        let invalid = || ConfigError::Invalid {
            field: "timezone",
            value: s.to_owned(),
            reason: "expected an offset ±HH:MM or a zone without daylight saving: UTC, Asia/Manila, Asia/Singapore, \
                     Asia/Kuala_Lumpur, Asia/Shanghai, Asia/Hong_Kong, Asia/Taipei, Asia/Jakarta, Asia/Bangkok, \
                     Asia/Ho_Chi_Minh, Asia/Kolkata, Asia/Dhaka, Asia/Tokyo, Asia/Seoul, Africa/Nairobi",
        };
        if b.len() != 6 || !(b[0] == b'+' || b[0] == b'-') || b[3] != b':' {
            return Err(invalid());
        }
        let h: i32 = s[1..3].parse().map_err(|_| invalid())?;
        let m: i32 = s[4..6].parse().map_err(|_| invalid())?;
        if m >= 60 {
            return Err(invalid());
        }
        let sign = if b[0] == b'-' { -1 } else { 1 };
        TimeZone::from_offset_minutes(sign * (h * 60 + m))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for TimeZone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for TimeZone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The Philippine regular holidays of `year` (Republic Act 9492 as amended;
/// the list Proclamation No. 368 (2023) gives for 2024): New Year's Day
/// (1 Jan), Maundy Thursday and Good Friday (from Easter), Araw ng Kagitingan
/// (9 Apr), Labor Day (1 May), Independence Day (12 Jun), National Heroes
/// Day (last Monday of August), Bonifacio Day (30 Nov), Christmas (25 Dec)
/// and Rizal Day (30 Dec).
///
/// Eid'l Fitr and Eid'l Adha are regular holidays too, but their dates are
/// proclaimed each year from the lunar calendar; they are not included (add
/// them to [`GeneratorConfig::holidays`](crate::GeneratorConfig::holidays)).
///
/// ```
/// use ghostload::{philippine_regular_holidays, Date};
/// let h = philippine_regular_holidays(2024);
/// assert!(h.contains(&"2024-03-28".parse::<Date>()?)); // Maundy Thursday
/// assert!(h.contains(&"2024-08-26".parse::<Date>()?)); // National Heroes Day
/// assert_eq!(h.len(), 10);
/// # Ok::<(), ghostload::ConfigError>(())
/// ```
#[must_use]
pub fn philippine_regular_holidays(year: i32) -> Vec<Date> {
    let d = |m: u32, day: u32| Date {
        days: days_from_civil(i64::from(year), m, day),
    };
    let easter = easter_sunday(year);
    let aug31 = d(8, 31);
    // Back from 31 August to a Monday.
    let heroes = aug31.plus_days(-((aug31.days + 3).rem_euclid(7)));
    let mut days = vec![
        d(1, 1),
        easter.plus_days(-3),
        easter.plus_days(-2),
        d(4, 9),
        d(5, 1),
        d(6, 12),
        heroes,
        d(11, 30),
        d(12, 25),
        d(12, 30),
    ];
    days.sort_unstable();
    days
}

/// Western Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
fn easter_sunday(year: i32) -> Date {
    let y = i64::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date {
        days: days_from_civil(y, month as u32, day as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trips_over_four_centuries() {
        for z in -800_000..800_000i64 {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn leap_days_exist_only_in_leap_years() {
        assert!(Date::new(2024, 2, 29).is_ok());
        assert!(Date::new(2000, 2, 29).is_ok());
        assert_eq!(Date::new(2100, 2, 29).unwrap_err().field(), "date");
        assert_eq!(Date::new(2023, 2, 29).unwrap_err().field(), "date");
        assert_eq!(Date::new(2024, 4, 31).unwrap_err().field(), "date");
    }

    #[test]
    fn weekdays_follow_known_dates() {
        assert_eq!("2024-01-01".parse::<Date>().unwrap().weekday(), Weekday::Monday);
        assert_eq!("2026-11-26".parse::<Date>().unwrap().weekday(), Weekday::Thursday);
        assert_eq!("1969-12-31".parse::<Date>().unwrap().weekday(), Weekday::Wednesday);
        assert!("2024-06-15".parse::<Date>().unwrap().weekday().is_weekend());
    }

    #[test]
    fn easter_matches_published_dates() {
        for (y, m, d) in [(2024, 3, 31), (2025, 4, 20), (2026, 4, 5), (2019, 4, 21), (2000, 4, 23)] {
            assert_eq!(easter_sunday(y).ymd(), (y, m, d));
        }
    }

    #[test]
    fn heroes_day_is_the_last_monday_of_august() {
        for y in 2000..2100 {
            let h = philippine_regular_holidays(y);
            let heroes = h.iter().find(|d| d.month() == 8).unwrap();
            assert_eq!(heroes.weekday(), Weekday::Monday);
            assert!(heroes.day() > 24, "{heroes}");
        }
    }

    #[test]
    fn zones_parse_and_print() {
        let z: TimeZone = "-03:30".parse().unwrap();
        assert_eq!(z.offset_seconds(), -(3 * 3600 + 1800));
        assert_eq!(z.to_string(), "-03:30");
        for bad in ["+8", "08:00", "+08:60", "+15:00", "Asia/Nowhere", ""] {
            assert_eq!(bad.parse::<TimeZone>().unwrap_err().field(), "timezone", "{bad}");
        }
        assert_eq!(TimeZone::default(), TimeZone::MANILA);
    }

    #[test]
    fn dates_parse_strictly() {
        for bad in [
            "2024-1-01",
            "2024/01/01",
            "2024-13-01",
            "20240101",
            "2024-02-30",
            "x024-01-01",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        let mut out = Vec::new();
        Date::new(987, 3, 4).unwrap().push_iso(&mut out);
        assert_eq!(out, b"0987-03-04");
    }
}
