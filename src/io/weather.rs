//! `weather.csv`: the daily weather of every barangay, written beside interval
//! data and read back (or read from your own measurements) by
//! [`read_weather_csv`].

use std::io::{self, Read, Write};

use super::IoError;
use super::csv::push_field;
use super::fmt::write_fixed;
use crate::calendar::Date;
use crate::time::TimeAxis;
use crate::weather::{MAX_WEATHER_CELLS, Weather};

/// File name of the weather table.
pub const WEATHER_CSV: &str = "weather.csv";
/// Columns of `weather.csv`, in order.
pub const WEATHER_COLUMNS: [&str; 4] = ["date", "barangay", "temperature_c", "typhoon_outage"];

/// Decimals of a temperature in `weather.csv`.
const TEMPERATURE_DECIMALS: usize = 1;

/// Writes `weather.csv`: `date (YYYY-MM-DD), barangay (its name),
/// temperature_c (daily mean, °C, 1 decimal), typhoon_outage (1 on a
/// typhoon outage day, else 0)`; one row per barangay per day, by date,
/// then barangay in configuration order. `barangays` names the weather's
/// barangays, in order.
///
/// # Errors
/// [`io::ErrorKind::InvalidInput`] when `barangays` does not name exactly
/// the weather's barangays; any error of `out`.
pub fn write_weather_csv<W: Write>(weather: &Weather, barangays: &[String], mut out: W) -> io::Result<()> {
    if barangays.len() != weather.barangays() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} barangay names for a weather table of {} barangays",
                barangays.len(),
                weather.barangays()
            ),
        ));
    }
    let names: Vec<Vec<u8>> = barangays
        .iter()
        .map(|n| {
            let mut s = Vec::new();
            push_field(&mut s, n);
            s
        })
        .collect();
    let mut buf = Vec::with_capacity(1 << 16);
    buf.extend_from_slice(WEATHER_COLUMNS.join(",").as_bytes());
    buf.push(b'\n');
    let mut date = Vec::with_capacity(10);
    for d in 0..weather.days() {
        date.clear();
        weather.first_day().plus_days(d as i64).push_iso(&mut date);
        for (b, name) in names.iter().enumerate() {
            buf.extend_from_slice(&date);
            buf.push(b',');
            buf.extend_from_slice(name);
            buf.push(b',');
            write_fixed(&mut buf, f64::from(weather.temperatures(b)[d]), TEMPERATURE_DECIMALS);
            buf.extend_from_slice(if weather.outages(b)[d] { b",1\n" } else { b",0\n" });
            if buf.len() >= 1 << 16 {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
    }
    out.write_all(&buf)?;
    out.flush()
}

/// Lowest temperature a weather file may give, °C.
const MIN_C: f64 = -50.0;
/// Highest temperature a weather file may give, °C.
const MAX_C: f64 = 60.0;

/// The columns of a weather file, by position.
#[derive(Debug, Default)]
struct Columns {
    date: Option<usize>,
    barangay: Option<usize>,
    temperature: Option<usize>,
    outage: Option<usize>,
}

fn weather_error(line: u64, field: &str, reason: impl Into<String>) -> IoError {
    IoError::Weather {
        line,
        field: field.to_owned(),
        reason: reason.into(),
    }
}

impl Columns {
    fn of(header: &csv::StringRecord) -> Result<Columns, IoError> {
        let mut c = Columns::default();
        for (i, name) in header.iter().enumerate() {
            let slot = match name.trim() {
                "date" => &mut c.date,
                "barangay" => &mut c.barangay,
                "temperature_c" => &mut c.temperature,
                "typhoon_outage" => &mut c.outage,
                other => {
                    return Err(weather_error(
                        1,
                        other,
                        "unknown column; expected date, barangay (optional), temperature_c, typhoon_outage (optional)",
                    ));
                }
            };
            if slot.replace(i).is_some() {
                return Err(weather_error(1, name.trim(), "column given twice"));
            }
        }
        for (slot, name) in [(c.date, "date"), (c.temperature, "temperature_c")] {
            if slot.is_none() {
                return Err(weather_error(1, name, "required column missing from the header"));
            }
        }
        Ok(c)
    }
}

/// Reads a daily weather table for the barangays `barangays` (names, in
/// configuration order) over the days of `axis`, for
/// [`PipelineBuilder::weather`](crate::PipelineBuilder::weather).
///
/// The file is CSV with a header naming its columns, in any order:
/// - `date`, `YYYY-MM-DD` (required);
/// - `temperature_c`, the day's mean temperature in °C, −50 ..= 60 (required);
/// - `barangay`, a name from `barangays` (optional): a row without one
///   (the column absent or the cell empty) applies to every barangay that has
///   no row of its own for that day;
/// - `typhoon_outage`, `1` on a day a typhoon cut the barangay's power,
///   `0` (or empty) otherwise (optional: absent means no outages).
///
/// Every day of the axis must be covered for every barangay; rows of days
/// outside the axis are ignored. `weather.csv` as written next to interval
/// data is such a file.
///
/// ```
/// use ghostload::io::read_weather_csv;
/// use ghostload::{Resolution, TimeAxis, YearMonth};
/// let axis = TimeAxis::new(YearMonth::new(2024, 2)?, 1, Resolution::Daily)?;
/// let mut text = String::from("date,temperature_c\n");
/// for day in 1..=29 {
///     text.push_str(&format!("2024-02-{day:02},27.5\n"));
/// }
/// let weather = read_weather_csv(text.as_bytes(), &["Poblacion".to_owned()], &axis)?;
/// assert_eq!(weather.days(), 29);
/// assert_eq!(weather.temperatures(0)[28], 27.5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`IoError::Weather`] naming the line (the header is line 1) and the
/// field: an unknown or repeated column, a missing required column, a
/// malformed date, an unknown barangay, a temperature that is not a number
/// or out of range, an outage flag other than 0/1, a second row for the same
/// date and barangay, or the first date and barangay left uncovered.
pub fn read_weather_csv(reader: impl Read, barangays: &[String], axis: &TimeAxis) -> Result<Weather, IoError> {
    let days = axis.days();
    let count = barangays.len();
    let cells = count
        .checked_mul(days)
        .filter(|&c| c <= MAX_WEATHER_CELLS)
        .ok_or_else(|| {
            weather_error(
                1,
                "row",
                format!("{count} barangays × {days} days is more than {MAX_WEATHER_CELLS} barangay-days"),
            )
        })?;
    let first = axis.date(0).days_since_epoch();
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let header = csv
        .headers()
        .map_err(|e| weather_error(1, "row", format!("unreadable header: {e}")))?
        .clone();
    let columns = Columns::of(&header)?;
    let (date_col, temp_col) = (columns.date.unwrap_or(0), columns.temperature.unwrap_or(0));
    // NaN marks a cell no row has set yet (every accepted temperature is finite).
    let mut own = vec![f32::NAN; cells];
    let mut all = vec![f32::NAN; days];
    let mut own_outage = vec![false; cells];
    let mut all_outage = vec![false; days];
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                return Err(weather_error(line, "row", e.to_string()));
            }
        }
        let line = record.position().map_or(0, csv::Position::line);
        let text = &record[date_col];
        let date: Date = text.parse().map_err(|_| {
            weather_error(
                line,
                "date",
                format!("{text:?} is not a date written YYYY-MM-DD, e.g. 2024-06-12"),
            )
        })?;
        let barangay = match columns.barangay.map(|i| &record[i]).filter(|s| !s.is_empty()) {
            None => None,
            Some(name) => Some(barangays.iter().position(|b| b == name).ok_or_else(|| {
                weather_error(
                    line,
                    "barangay",
                    format!(
                        "{name:?} is not one of the configured barangays ({})",
                        barangays.join(", ")
                    ),
                )
            })?),
        };
        let text = &record[temp_col];
        let temperature = text
            .parse::<f64>()
            .ok()
            .filter(|t| (MIN_C..=MAX_C).contains(t))
            .ok_or_else(|| {
                weather_error(
                    line,
                    "temperature_c",
                    format!("{text:?} is not a temperature in {MIN_C} ..= {MAX_C} °C"),
                )
            })?;
        let outage = match columns.outage.map(|i| &record[i]) {
            None | Some("" | "0") => false,
            Some("1") => true,
            Some(other) => {
                return Err(weather_error(
                    line,
                    "typhoon_outage",
                    format!("{other:?} is not 0 or 1"),
                ));
            }
        };
        let d = date.days_since_epoch() - first;
        let Some(d) = usize::try_from(d).ok().filter(|&d| d < days) else {
            continue;
        };
        let (slot, flag) = match barangay {
            Some(b) => (&mut own[b * days + d], &mut own_outage[b * days + d]),
            None => (&mut all[d], &mut all_outage[d]),
        };
        if !slot.is_nan() {
            let whom = barangay.map_or("all barangays (no barangay given)", |b| barangays[b].as_str());
            return Err(weather_error(
                line,
                if barangay.is_some() { "barangay" } else { "date" },
                format!("second row for {date} and {whom}"),
            ));
        }
        *slot = temperature as f32;
        *flag = outage;
    }
    // Fill each barangay's gaps from the rows for all barangays; report the
    // first day (then barangay) still uncovered.
    let mut missing: Option<(usize, usize)> = None;
    for b in 0..count {
        for d in 0..days {
            let i = b * days + d;
            if own[i].is_nan() {
                if all[d].is_nan() {
                    if missing.is_none_or(|(md, _)| d < md) {
                        missing = Some((d, b));
                    }
                    break;
                }
                own[i] = all[d];
                own_outage[i] = all_outage[d];
            }
        }
    }
    if let Some((d, b)) = missing {
        return Err(weather_error(
            csv.position().line(),
            "date",
            format!(
                "no row for {} and barangay {:?}: every day of the series ({} ..= {}) needs a temperature for every barangay",
                axis.date(d),
                barangays[b],
                axis.date(0),
                axis.date(days - 1)
            ),
        ));
    }
    Weather::from_days(axis.date(0), days, count, own, own_outage)
        .map_err(|e| weather_error(csv.position().line(), "row", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Resolution, YearMonth};

    fn axis() -> TimeAxis {
        TimeAxis::new(YearMonth::new(2024, 2).unwrap(), 1, Resolution::Daily).unwrap()
    }

    fn names() -> Vec<String> {
        vec!["A".to_owned(), "B, Upper".to_owned()]
    }

    #[test]
    fn rows_for_all_barangays_fill_the_gaps_and_round_trip() {
        let mut text = String::from("temperature_c,barangay,date,typhoon_outage\n");
        for day in 1..=29 {
            text.push_str(&format!("27.{},,2024-02-{day:02},0\n", day % 10));
        }
        text.push_str("30.5,\"B, Upper\",2024-02-10,1\n");
        text.push_str("12.0,,2024-03-01,0\n"); // outside the axis: ignored
        let w = read_weather_csv(text.as_bytes(), &names(), &axis()).unwrap();
        assert_eq!(w.temperatures(0)[9], 27.0);
        assert_eq!(w.temperatures(1)[9], 30.5);
        assert!(w.outages(1)[9] && !w.outages(0)[9]);
        let mut out = Vec::new();
        write_weather_csv(&w, &names(), &mut out).unwrap();
        let again = read_weather_csv(&out[..], &names(), &axis()).unwrap();
        assert_eq!(again, w);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with(
                "date,barangay,temperature_c,typhoon_outage\n2024-02-01,A,27.1,0\n2024-02-01,\"B, Upper\",27.1,0\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn errors_name_line_and_field() {
        let check = |text: &str, line: u64, field: &str| {
            let e = read_weather_csv(text.as_bytes(), &names(), &axis()).unwrap_err();
            match &e {
                IoError::Weather { line: l, field: f, .. } => {
                    assert_eq!((*l, f.as_str()), (line, field), "{e}");
                }
                other => panic!("{other}"),
            }
            assert!(e.to_string().contains(&format!("line {line}")), "{e}");
        };
        check("date,temperature_c,wind\n", 1, "wind");
        check("date,barangay\n", 1, "temperature_c");
        check("date,temperature_c\n2024-02-01,27\n2024/02/02,27\n", 3, "date");
        check("date,temperature_c,barangay\n2024-02-01,27,C\n", 2, "barangay");
        check("date,temperature_c\n2024-02-01,warm\n", 2, "temperature_c");
        check("date,temperature_c\n2024-02-01,61\n", 2, "temperature_c");
        check("date,temperature_c\n2024-02-01,27\n2024-02-01,28\n", 3, "date");
        check(
            "date,temperature_c,typhoon_outage\n2024-02-01,27,yes\n",
            2,
            "typhoon_outage",
        );
        let e = read_weather_csv("date,temperature_c\n2024-02-01,27\n".as_bytes(), &names(), &axis()).unwrap_err();
        assert!(
            e.to_string().contains("2024-02-02") && e.to_string().contains("\"A\""),
            "{e}"
        );
    }
}
