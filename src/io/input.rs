//! Reading consumption tables you bring ([`read_consumption`]) and injecting
//! anomalies into them file to file ([`inject_file`], `ghostload inject`).
//!
//! Layouts ([`InputLayout`]): ours (`meter_consumption.csv`), the original
//! Python tool's (`meter_consumption.csv` with `kva` / `monthly_*` columns),
//! SGCC's daily `data.csv` (`CONS_NO, FLAG, YYYY/M/D…`) and long form
//! (`meter_id, timestamp, kwh`, one row per reading, a meter's rows
//! consecutive), as CSV or, with the `parquet` feature, as a Parquet file
//! (`super::input_parquet`). Reading streams: one meter in memory at a time,
//! plus what refuses duplicate ids (the set of ids, or for [`inject_file`]'s
//! fast path an index of their hashes).

use std::collections::HashSet;
use std::fs::File;
use std::hash::BuildHasherDefault;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::IoError;
use super::csv::{ANOMALY_LABELS_CSV, EVENT_COLUMNS, EVENTS_CSV, LABEL_COLUMNS, push_field};
use super::fmt::{SEVERITY_DECIMALS, write_fixed};
use super::staging::Staging;
use crate::calendar::Date;
use crate::inject::{InjectPlan, InjectedEvent};
use crate::model::CustomerClass;
use crate::time::{Resolution, TimeAxis, YearMonth};

mod lines;
mod long;
mod wide;

/// The layout of a consumption table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InputLayout {
    /// Our `meter_consumption.csv`: `meter_id, …, monthly_consumption_YYYYMM…`.
    Ours,
    /// The original Python tool's `meter_consumption.csv` (`kva`, `monthly_*` columns).
    Original,
    /// SGCC's daily `data.csv`: `CONS_NO, FLAG, YYYY/M/D…` (`FLAG = 1`: labelled).
    Sgcc,
    /// Long form: `meter_id, timestamp, kwh`, one row per reading
    /// (`timestamp` `YYYY-MM`/`YYYYMM` monthly, `YYYY-MM-DD` daily, or
    /// `YYYY-MM-DDTHH:MM:SS±HH:MM` at daily, hourly or 15-minute intervals).
    /// As CSV, or with the `parquet` feature as a Parquet file (a `.parquet`
    /// name or the `PAR1` magic): `meter_id` strings, `timestamp` a
    /// `Timestamp` (any unit, with or without a time zone), a `Date32` or
    /// strings as in CSV, `kwh` (or `consumption_kwh`) `Float64`/`Float32`,
    /// nulls missing; other columns are carried through by `inject`.
    Long,
}

impl InputLayout {
    /// The name the CLI uses: `ours`, `original`, `sgcc`, `long`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            InputLayout::Ours => "ours",
            InputLayout::Original => "original",
            InputLayout::Sgcc => "sgcc",
            InputLayout::Long => "long",
        }
    }

    /// The layout called `name` (see [`as_str`](Self::as_str)).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        [
            InputLayout::Ours,
            InputLayout::Original,
            InputLayout::Sgcc,
            InputLayout::Long,
        ]
        .into_iter()
        .find(|l| l.as_str() == name)
    }

    /// The layout a header belongs to, if any.
    #[must_use]
    pub fn detect(columns: &[String]) -> Option<Self> {
        let has = |n: &str| columns.iter().any(|c| c == n);
        if has("CONS_NO") {
            Some(InputLayout::Sgcc)
        } else if has("meter_id") && has("timestamp") {
            Some(InputLayout::Long)
        } else if has("meter_id") && columns.iter().any(|c| c.starts_with("monthly_")) {
            if has("kva") || !columns.iter().any(|c| c.starts_with(super::csv::CONSUMPTION_PREFIX)) {
                Some(InputLayout::Original)
            } else {
                Some(InputLayout::Ours)
            }
        } else {
            None
        }
    }
}

impl std::fmt::Display for InputLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One meter of a consumption table.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MeterRow {
    /// Its first line in the file (1-based, the header is line 1); in a
    /// Parquet file, its first row (1-based, the first row is row 1).
    pub line: u64,
    /// Its id (`meter_id`, `CONS_NO`).
    pub id: String,
    /// Its customer class, when the table has a `customer_class` column naming one.
    pub class: Option<CustomerClass>,
    /// Whether it is already labelled (SGCC's `FLAG`), when the table says.
    pub flag: Option<bool>,
    /// One value per period of the reader's axis, kWh; `NaN` = missing.
    pub values: Vec<f64>,
    /// The exact bytes of its line(s), line ends included.
    raw: Vec<u8>,
    /// Its records, with the period of each (long form) or `None` (one wide record).
    records: Vec<(csv::ByteRecord, Option<usize>)>,
}

/// A streaming reader of a consumption table: an iterator of [`MeterRow`]s
/// on [`axis`](Self::axis). Made by [`read_consumption`].
#[derive(Debug)]
pub struct ConsumptionReader {
    path: PathBuf,
    layout: InputLayout,
    axis: TimeAxis,
    columns: Vec<String>,
    reader: csv::Reader<BufReader<File>>,
    raw: BufReader<File>,
    header_raw: Vec<u8>,
    position: u64,
    /// Wide layouts: `(column, period)` of every value column.
    value_columns: Vec<(usize, usize)>,
    id_col: usize,
    class_col: Option<usize>,
    flag_col: Option<usize>,
    kwh_col: usize,
    ts_col: usize,
    seen: HashSet<String, BuildHasherDefault<IdHasher>>,
    /// Whether to refuse duplicate ids (off in `inject_file`'s second pass).
    track_ids: bool,
    /// Whether rows keep their exact bytes (off in `inject_file`'s first pass).
    keep_raw: bool,
    pending: Option<(csv::ByteRecord, u64, Vec<u8>)>,
    decimals: usize,
    /// Whether the periods are written as times (`YYYY-MM-DDTHH:MM:SS±HH:MM`).
    times: bool,
    /// The longest record so far (to size the next one).
    record_bytes: usize,
    done: bool,
    /// A long-form Parquet file's meters: when set, rows come from it and
    /// the CSV fields above are unused.
    #[cfg(feature = "parquet")]
    parquet: Option<Box<super::input_parquet::ParquetMeters>>,
}

/// Opens `path` as a consumption table in `layout` (detected from the
/// header when `None`). Long form is read once up front to find its periods.
///
/// With the `parquet` feature a Parquet file (a `.parquet` name, any case, or
/// one starting with `PAR1`) is read as long form ([`InputLayout::Long`]),
/// record batch by record batch; its errors name the row (1-based, the first
/// row is row 1; `0` for the file's schema) where a CSV's name the line.
///
/// # Errors
/// [`IoError::Io`] when the file cannot be read; [`IoError::Input`] naming
/// the file, line (Parquet: row) and column for an unknown layout, a header
/// (Parquet: a schema) that does not fit the layout, or an unparseable period
/// name or timestamp.
pub fn read_consumption(path: &Path, layout: Option<InputLayout>) -> Result<ConsumptionReader, IoError> {
    #[cfg(feature = "parquet")]
    if super::input_parquet::is_parquet(path) {
        return super::input_parquet::consumption_reader(path, layout);
    }
    let open = || -> Result<File, IoError> { File::open(path).map_err(|e| IoError::io("open", path, e)) };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(BufReader::new(open()?));
    let parse_err = |line: u64, e: csv::Error| input_err(path, line, "row", e.to_string());
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| parse_err(1, e))?
        .iter()
        .map(|c| c.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    let header_end = reader.position().byte();
    let detected = InputLayout::detect(&columns);
    let layout = match (layout, detected) {
        (Some(l), _) => l,
        (None, Some(l)) => l,
        (None, None) => {
            return Err(input_err(
                path,
                1,
                "header",
                format!(
                    "unknown layout (columns {}…): expected ours/original (`meter_id`, `monthly_…`), sgcc (`CONS_NO`, `FLAG`, `YYYY/M/D`…) or long (`meter_id`, `timestamp`, `kwh`)",
                    columns.iter().take(4).cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    };
    let find = |name: &str| columns.iter().position(|c| c == name);
    let need = |name: &str| {
        find(name).ok_or_else(|| input_err(path, 1, name, format!("the {layout} layout needs a `{name}` column")))
    };
    let mut value_columns = Vec::new();
    let id_col;
    let (mut class_col, mut flag_col, mut kwh_col, mut ts_col) = (None, None, 0, 0);
    let mut times = false;
    let axis = match layout {
        InputLayout::Ours | InputLayout::Original => {
            id_col = need("meter_id")?;
            class_col = find("customer_class");
            let cols: Vec<(usize, &str)> = columns
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    c.strip_prefix(super::csv::CONSUMPTION_PREFIX)
                        .or_else(|| c.strip_prefix("monthly_"))
                        .map(|r| (i, r))
                })
                .collect();
            if cols.is_empty() {
                return Err(input_err(path, 1, "header", "no `monthly_…` consumption column".into()));
            }
            let months: Option<Vec<YearMonth>> = cols
                .iter()
                .map(|(_, r)| {
                    let r = r.replace(['-', '_'], "");
                    let n: u32 = r.parse().ok()?;
                    YearMonth::new((n / 100) as i32, (n % 100) as u8)
                        .ok()
                        .filter(|_| r.len() == 6)
                })
                .collect();
            match months {
                Some(months) => {
                    let start = *months.iter().min().expect("non-empty");
                    let end = *months.iter().max().expect("non-empty");
                    let index = |m: YearMonth| month_diff(start, m);
                    let mut taken = vec![false; index(end) + 1];
                    for (&(c, _), &m) in cols.iter().zip(&months) {
                        let p = index(m);
                        if std::mem::replace(&mut taken[p], true) {
                            return Err(input_err(path, 1, &columns[c], "a second column for this month".into()));
                        }
                        value_columns.push((c, p));
                    }
                    axis_of(path, start, index(end) + 1, Resolution::Monthly)?
                }
                // Not named by month: consecutive months from 2024-01, in column order.
                None => {
                    value_columns = cols.iter().enumerate().map(|(p, &(c, _))| (c, p)).collect();
                    axis_of(path, YearMonth::default(), cols.len(), Resolution::Monthly)?
                }
            }
        }
        InputLayout::Sgcc => {
            id_col = need("CONS_NO")?;
            flag_col = find("FLAG");
            let mut dates = Vec::new();
            for (i, c) in columns.iter().enumerate() {
                if i == id_col || Some(i) == flag_col {
                    continue;
                }
                let d =
                    parse_date(c, '/').ok_or_else(|| input_err(path, 1, c, "not a day column (`YYYY/M/D`)".into()))?;
                dates.push((i, d));
            }
            if dates.is_empty() {
                return Err(input_err(path, 1, "header", "no `YYYY/M/D` day column".into()));
            }
            let first = dates.iter().map(|d| d.1).min().expect("non-empty");
            let last = dates.iter().map(|d| d.1).max().expect("non-empty");
            let start = first.year_month();
            let months = month_diff(start, last.year_month()) + 1;
            let origin = Date::first_of(start).days_since_epoch();
            let axis = axis_of(path, start, months, Resolution::Daily)?;
            let mut taken = vec![false; axis.len()];
            for (c, d) in dates {
                let p = (d.days_since_epoch() - origin) as usize;
                if std::mem::replace(&mut taken[p], true) {
                    return Err(input_err(path, 1, &columns[c], "a second column for this day".into()));
                }
                value_columns.push((c, p));
            }
            axis
        }
        InputLayout::Long => {
            id_col = need("meter_id")?;
            ts_col = need("timestamp")?;
            kwh_col = find("kwh")
                .or_else(|| find("consumption_kwh"))
                .ok_or_else(|| input_err(path, 1, "kwh", "the long layout needs a `kwh` column".into()))?;
            let (axis, instants) = long_axis(path, id_col, ts_col)?;
            times = instants;
            axis
        }
    };
    let mut raw = BufReader::new(open()?);
    let mut header_raw = vec![0; header_end as usize];
    raw.read_exact(&mut header_raw)
        .map_err(|e| IoError::io("read", path, e))?;
    Ok(ConsumptionReader {
        path: path.to_path_buf(),
        layout,
        axis,
        columns,
        reader,
        raw,
        header_raw,
        position: header_end,
        value_columns,
        id_col,
        class_col,
        flag_col,
        kwh_col,
        ts_col,
        seen: HashSet::default(),
        track_ids: true,
        keep_raw: true,
        pending: None,
        decimals: 0,
        times,
        record_bytes: 0,
        done: false,
        #[cfg(feature = "parquet")]
        parquet: None,
    })
}

#[cfg(feature = "parquet")]
impl ConsumptionReader {
    /// A reader of the long-form Parquet file `path` whose meters `source` yields.
    pub(super) fn from_parquet(
        path: &Path,
        axis: TimeAxis,
        columns: Vec<String>,
        times: bool,
        source: Box<super::input_parquet::ParquetMeters>,
    ) -> Result<ConsumptionReader, IoError> {
        // The CSV fields are never read for a Parquet source; they hold the
        // file open only so that one reader type serves both formats.
        let open = || File::open(path).map_err(|e| IoError::io("open", path, e));
        Ok(ConsumptionReader {
            path: path.to_path_buf(),
            layout: InputLayout::Long,
            axis,
            columns,
            reader: csv::ReaderBuilder::new().from_reader(BufReader::new(open()?)),
            raw: BufReader::new(open()?),
            header_raw: Vec::new(),
            position: 0,
            value_columns: Vec::new(),
            id_col: 0,
            class_col: None,
            flag_col: None,
            kwh_col: 0,
            ts_col: 0,
            seen: HashSet::default(),
            track_ids: true,
            keep_raw: false,
            pending: None,
            decimals: 0,
            times,
            record_bytes: 0,
            done: false,
            parquet: Some(source),
        })
    }
}

impl MeterRow {
    /// A long-form meter (no class, no flag) from its first line (Parquet:
    /// row), id and values; its records are added as they are read.
    pub(super) fn long(line: u64, id: String, values: Vec<f64>) -> MeterRow {
        MeterRow {
            line,
            id,
            class: None,
            flag: None,
            values,
            raw: Vec::new(),
            records: Vec::new(),
        }
    }
}

/// The hasher of meter ids, in the id set of the `csv` path and the
/// Parquet reader and in the fast paths' id index ([`lines`]): SipHash-1-3
/// with fixed keys (`DefaultHasher`; the hashes live only in this process).
/// An FxHash-style hasher tried before gave 546 127 distinct hashes for the
/// ids `MTR_0000001` … `MTR_1000000`, and every collision costs a string
/// comparison (or, in the index, a read of the file).
pub(super) type IdHasher = std::hash::DefaultHasher;

pub(super) fn input_err(path: &Path, line: u64, column: &str, reason: String) -> IoError {
    IoError::Input {
        path: path.to_path_buf(),
        line,
        column: column.to_owned(),
        reason,
    }
}

/// A reading: its value (`NaN` when the cell is empty) and its number of
/// decimals, or why it is refused (not a finite number, negative).
fn parse_reading(cell: &[u8]) -> Result<(f64, usize), String> {
    let text = std::str::from_utf8(cell).unwrap_or("\u{fffd}").trim();
    if text.is_empty() {
        return Ok((f64::NAN, 0));
    }
    let v: f64 = text
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("`{text}` is not a number"))?;
    if v < 0.0 {
        return Err(format!("{text} is negative"));
    }
    let d = text
        .find('.')
        .map_or(0, |dot| text[dot + 1..].bytes().take_while(u8::is_ascii_digit).count());
    Ok((v, d))
}

/// A customer class named by a cell (any case), if any.
fn class_of(cell: &[u8]) -> Option<CustomerClass> {
    let s = std::str::from_utf8(cell).ok()?.trim();
    CustomerClass::ALL
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(s))
}

/// SGCC's `FLAG`: `1` (labelled) or `0`/empty, or why it is refused.
fn parse_flag(cell: &[u8]) -> Result<bool, String> {
    match std::str::from_utf8(cell).unwrap_or("").trim() {
        "1" | "1.0" => Ok(true),
        "0" | "0.0" | "" => Ok(false),
        other => Err(format!("`{other}` is not a flag (0 or 1)")),
    }
}

fn axis_of(path: &Path, start: YearMonth, months: usize, resolution: Resolution) -> Result<TimeAxis, IoError> {
    TimeAxis::new(start, months, resolution).map_err(|e| input_err(path, 1, "header", e.to_string()))
}

fn month_diff(a: YearMonth, b: YearMonth) -> usize {
    ((b.year() - a.year()) * 12 + i32::from(b.month()) - i32::from(a.month())).max(0) as usize
}

/// The value of 1 to 4 ASCII digits.
fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.bytes().fold(0, |n, b| n * 10 + u32::from(b - b'0')))
}

/// `YYYY-MM-DD` read at fixed positions (`None`: another shape, or no such day).
fn fixed_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&s[..4])?, digits(&s[5..7])?, digits(&s[8..])?);
    Date::new(y as i32, m as u8, d as u8).ok()
}

fn parse_date(s: &str, sep: char) -> Option<Date> {
    let mut it = s.trim().split(sep);
    let y = it.next()?.parse().ok()?;
    let m = it.next()?.parse().ok()?;
    let d = it.next()?.parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    Date::new(y, m, d).ok()
}

/// A long-form timestamp: a month (`YYYY-MM`, `YYYYMM`), a day
/// (`YYYY-MM-DD`) or an instant (`YYYY-MM-DDTHH:MM:SS±HH:MM` or `…Z`: UTC
/// seconds and the offset in minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Stamp {
    Month(YearMonth),
    Day(Date),
    Instant(i64, i32),
}

/// `YYYY-MM-DDTHH:MM:SS` (or a space for `T`) followed by `Z` or `±HH:MM`.
fn parse_instant(s: &str) -> Option<(i64, i32)> {
    if !s.is_ascii() || s.len() < 20 {
        return None;
    }
    let (date, rest) = s.split_at(10);
    let day = fixed_date(date).or_else(|| parse_date(date, '-'))?;
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    let (time, zone) = rest.split_at(8);
    let fixed = match time.as_bytes() {
        [_, _, b':', _, _, b':', _, _] => Some((digits(&time[..2]), digits(&time[3..5]), digits(&time[6..]))),
        _ => None,
    };
    let (h, m, sec) = match fixed {
        Some((Some(h), Some(m), Some(sec))) => {
            if h > 23 || m > 59 || sec > 59 {
                return None;
            }
            (i64::from(h), i64::from(m), i64::from(sec))
        }
        _ => {
            let mut t = time.split(':');
            let mut next = |max: i64| t.next()?.parse::<i64>().ok().filter(|v| (0..=max).contains(v));
            (next(23)?, next(59)?, next(59)?)
        }
    };
    let offset = if zone == "Z" {
        0
    } else {
        let sign = match zone.as_bytes()[0] {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let (oh, om) = zone[1..].split_once(':')?;
        let (oh, om): (i32, i32) = (oh.parse().ok()?, om.parse().ok()?);
        if oh > 14 || om > 59 {
            return None;
        }
        sign * (oh * 60 + om)
    };
    let local = day.days_since_epoch() * 86_400 + h * 3600 + m * 60 + sec;
    Some((local - i64::from(offset) * 60, offset))
}

pub(super) fn parse_stamp(s: &str) -> Option<Stamp> {
    // The shapes nearly every file has, read at fixed positions (the
    // general code below splits and allocates; it gives the same stamps).
    match *s.as_bytes() {
        [_, _, _, _, b'-', _, _] => {
            if let (Some(y), Some(m)) = (digits(&s[..4]), digits(&s[5..])) {
                return YearMonth::new(y as i32, m as u8).ok().map(Stamp::Month);
            }
        }
        [_, _, _, _, b'-', _, _, b'-', _, _] => {
            if let Some(d) = fixed_date(s) {
                return Some(Stamp::Day(d));
            }
        }
        _ => {}
    }
    let s = s.trim();
    if s.len() > 10 {
        return parse_instant(s).map(|(utc, offset)| Stamp::Instant(utc, offset));
    }
    if let Some(d) = parse_date(s, '-') {
        return Some(Stamp::Day(d));
    }
    let digits = s.replace('-', "");
    if digits.len() == 6 && (s.len() == 6 || s.len() == 7) {
        let n: u32 = digits.parse().ok()?;
        return YearMonth::new((n / 100) as i32, (n % 100) as u8).ok().map(Stamp::Month);
    }
    None
}

/// Why a long-form timestamp cannot be read (CSV text or Parquet string).
pub(super) fn not_a_stamp(text: &str) -> String {
    format!(
        "`{text}` is not a month (YYYY-MM), a day (YYYY-MM-DD) or a time with its offset (YYYY-MM-DDTHH:MM:SS+HH:MM)"
    )
}

/// Why a long-form timestamp is not on the file's axis.
pub(super) fn not_a_period(text: &str) -> String {
    format!("`{text}` is not a period of the file")
}

/// Why a meter id cannot be used: a second run of its rows.
pub(super) fn not_consecutive(id: &str) -> String {
    format!("duplicate meter id `{id}` (its rows are not consecutive)")
}

/// Why a meter id cannot be used: it is empty.
pub(super) const EMPTY_ID: &str = "empty meter id";

/// Why a long-form reading cannot be used: its meter has one at that time already.
pub(super) const SECOND_READING: &str = "a second reading of this meter at this time";

/// The axis of a long-form file, and whether its timestamps are times of day.
fn long_axis(path: &Path, id_col: usize, ts_col: usize) -> Result<(TimeAxis, bool), IoError> {
    match long::axis_unquoted(path, id_col, ts_col)? {
        Some(found) => Ok(found),
        None => long_axis_csv(path, id_col, ts_col),
    }
}

/// [`long_axis`] through the `csv` reader (a file with quoting).
fn long_axis_csv(path: &Path, id_col: usize, ts_col: usize) -> Result<(TimeAxis, bool), IoError> {
    let file = File::open(path).map_err(|e| IoError::io("open", path, e))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(BufReader::new(file));
    let mut scan = AxisScan::default();
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(input_err(path, line, "row", e.to_string())),
        }
        let line = record.position().map_or(line, csv::Position::line);
        let text = String::from_utf8_lossy(record.get(ts_col).unwrap_or_default()).into_owned();
        let stamp = parse_stamp(&text).ok_or_else(|| input_err(path, line, "timestamp", not_a_stamp(&text)))?;
        scan.add(record.get(id_col).unwrap_or_default(), stamp)
            .map_err(|reason| input_err(path, line, "timestamp", format!("`{text}` {reason}")))?;
    }
    scan.finish(path, 2)
}

/// The axis of a long-form table, found from its readings in file order
/// (the CSV and the Parquet readers share it): the first and last periods,
/// and, for instants, the smallest step between consecutive readings of a meter.
#[derive(Debug, Default)]
pub(super) struct AxisScan {
    min: Option<Stamp>,
    max: Option<Stamp>,
    /// The meter of the previous instant (its buffer reused from meter to meter).
    previous_id: Vec<u8>,
    previous: Option<i64>,
    step: Option<i64>,
}

impl AxisScan {
    /// Adds a reading of meter `id` at `stamp`. `Err` says why the stamp
    /// does not fit the ones before (to follow the stamp's text).
    pub(super) fn add(&mut self, id: &[u8], stamp: Stamp) -> Result<(), &'static str> {
        if let Some(m) = self.min {
            if std::mem::discriminant(&m) != std::mem::discriminant(&stamp) {
                return Err("mixes months, days and times");
            }
            if let (Stamp::Instant(_, a), Stamp::Instant(_, b)) = (m, stamp) {
                if a != b {
                    return Err("has another UTC offset than the first reading");
                }
            }
        }
        if let Stamp::Instant(utc, _) = stamp {
            if let Some(prev) = self.previous {
                let d = (utc - prev).abs();
                if self.previous_id.as_slice() == id && d > 0 {
                    self.step = Some(self.step.map_or(d, |s| s.min(d)));
                }
            }
            if self.previous_id.as_slice() != id {
                self.previous_id.clear();
                self.previous_id.extend_from_slice(id);
            }
            self.previous = Some(utc);
        }
        self.min = Some(self.min.map_or(stamp, |m| m.min(stamp)));
        self.max = Some(self.max.map_or(stamp, |m| m.max(stamp)));
        Ok(())
    }

    /// Takes in the scan of the readings that follow this one's, whose
    /// first reading was [`add`](Self::add)ed here already (the axis read
    /// in pieces).
    pub(super) fn absorb(&mut self, next: AxisScan) {
        self.min = self.min.into_iter().chain(next.min).min();
        self.max = self.max.into_iter().chain(next.max).max();
        self.step = self.step.into_iter().chain(next.step).min();
        if next.previous.is_some() {
            self.previous = next.previous;
            self.previous_id = next.previous_id;
        }
    }

    /// The axis over whole months from the first period to the last, and
    /// whether the periods are times of day. `first_line` is the line (or
    /// row) of the first reading, named by the errors about the file as a whole.
    pub(super) fn finish(self, path: &Path, first_line: u64) -> Result<(TimeAxis, bool), IoError> {
        match (self.min, self.max) {
            (Some(Stamp::Month(a)), Some(Stamp::Month(b))) => {
                Ok((axis_of(path, a, month_diff(a, b) + 1, Resolution::Monthly)?, false))
            }
            (Some(Stamp::Day(a)), Some(Stamp::Day(b))) => Ok((
                axis_of(
                    path,
                    a.year_month(),
                    month_diff(a.year_month(), b.year_month()) + 1,
                    Resolution::Daily,
                )?,
                false,
            )),
            (Some(Stamp::Instant(a, offset)), Some(Stamp::Instant(b, _))) => {
                let resolution = match self.step {
                    Some(86_400) => Resolution::Daily,
                    Some(3_600) => Resolution::Hourly,
                    Some(900) => Resolution::FifteenMinutes,
                    other => {
                        return Err(input_err(
                            path,
                            first_line,
                            "timestamp",
                            match other {
                                None => "cannot tell the interval: no meter has two readings".into(),
                                Some(s) => {
                                    format!("readings {s} s apart: expected a day, an hour or 15 minutes")
                                }
                            },
                        ));
                    }
                };
                let zone = crate::calendar::TimeZone::from_offset_minutes(offset)
                    .map_err(|e| input_err(path, first_line, "timestamp", e.to_string()))?;
                let local = |utc: i64| Date::from_days_since_epoch((utc + i64::from(offset) * 60).div_euclid(86_400));
                let (first, last) = (local(a).year_month(), local(b).year_month());
                Ok((
                    axis_of(path, first, month_diff(first, last) + 1, resolution)?.with_zone(zone),
                    true,
                ))
            }
            _ => Err(input_err(path, first_line, "row", "no readings".into())),
        }
    }
}

/// The period of `axis` that `stamp` names, if any.
pub(super) fn period_of(axis: &TimeAxis, stamp: Stamp) -> Option<usize> {
    let p = match (stamp, axis.resolution()) {
        (Stamp::Month(m), Resolution::Monthly) => (m >= axis.start()).then(|| month_diff(axis.start(), m))?,
        (Stamp::Day(d), Resolution::Daily) => {
            usize::try_from(d.days_since_epoch() - Date::first_of(axis.start()).days_since_epoch()).ok()?
        }
        (Stamp::Instant(utc, _), r) if r.is_interval() => {
            let step = r.interval_seconds()?;
            let d = utc - axis.timestamp(0);
            if d % step != 0 {
                return None;
            }
            usize::try_from(d / step).ok()?
        }
        _ => return None,
    };
    (p < axis.len()).then_some(p)
}

impl ConsumptionReader {
    /// The layout being read.
    #[must_use]
    pub fn layout(&self) -> InputLayout {
        self.layout
    }

    /// The periods of every row's `values`.
    #[must_use]
    pub fn axis(&self) -> &TimeAxis {
        &self.axis
    }

    /// The header's column names.
    #[must_use]
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The most decimals seen in a value so far.
    #[must_use]
    pub fn decimals(&self) -> usize {
        self.decimals
    }

    /// The next record with its line and exact bytes, or `None` at the end.
    fn next_record(&mut self) -> Result<Option<(csv::ByteRecord, u64, Vec<u8>)>, IoError> {
        if let Some(p) = self.pending.take() {
            return Ok(Some(p));
        }
        let mut record = csv::ByteRecord::with_capacity(self.record_bytes, self.columns.len());
        let Some(line) = self.read_into(&mut record)? else {
            return Ok(None);
        };
        self.record_bytes = self.record_bytes.max(record.as_slice().len());
        let end = self.reader.position().byte();
        let mut bytes = Vec::new();
        if self.keep_raw {
            bytes.resize((end - self.position) as usize, 0);
            self.raw
                .read_exact(&mut bytes)
                .map_err(|e| IoError::io("read", &self.path, e))?;
        }
        self.position = end;
        Ok(Some((record, line, bytes)))
    }

    /// Reads the next record into `record` (checking its number of fields)
    /// and returns its line, or `None` at the end. Leaves the raw bytes behind.
    fn read_into(&mut self, record: &mut csv::ByteRecord) -> Result<Option<u64>, IoError> {
        let line = self.reader.position().line();
        match self.reader.read_byte_record(record) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => return Err(input_err(&self.path, line, "row", e.to_string())),
        }
        let line = record.position().map_or(line, csv::Position::line);
        if record.len() != self.columns.len() {
            return Err(input_err(
                &self.path,
                line,
                "row",
                format!("{} fields, the header has {}", record.len(), self.columns.len()),
            ));
        }
        Ok(Some(line))
    }

    fn value(&mut self, record: &csv::ByteRecord, col: usize, line: u64) -> Result<f64, IoError> {
        let (v, d) = self.parse_value(record, col, line)?;
        self.decimals = self.decimals.max(d);
        Ok(v)
    }

    /// The value in column `col` and its number of decimals.
    fn parse_value(&self, record: &csv::ByteRecord, col: usize, line: u64) -> Result<(f64, usize), IoError> {
        parse_reading(&record[col]).map_err(|reason| input_err(&self.path, line, &self.columns[col], reason))
    }

    /// Checks the values of a wide record: whether one is present, and the
    /// most decimals of one.
    fn check_values(&self, record: &csv::ByteRecord, line: u64) -> Result<(bool, usize), IoError> {
        let (mut present, mut decimals) = (false, 0);
        for &(c, _) in &self.value_columns {
            let (v, d) = self.parse_value(record, c, line)?;
            present |= !v.is_nan();
            decimals = decimals.max(d);
        }
        Ok((present, decimals))
    }

    /// SGCC's `FLAG` of a wide record, when the table has one.
    fn flag_of(&self, record: &csv::ByteRecord, line: u64) -> Result<Option<bool>, IoError> {
        let Some(c) = self.flag_col else {
            return Ok(None);
        };
        parse_flag(&record[c])
            .map(Some)
            .map_err(|reason| input_err(&self.path, line, &self.columns[c], reason))
    }

    /// The first pass of [`inject_file`] over a wide table: checks every
    /// row as [`next_row`](Self::next_row) would (in batches, the values on
    /// all cores with `parallel`) and returns, per row, its id when
    /// labelled, or whether it is eligible.
    fn scan_wide(&mut self, mut each: impl FnMut(String, Option<bool>, bool)) -> Result<(), IoError> {
        const BATCH: usize = 4096;
        debug_assert!(!self.keep_raw);
        let mut records: Vec<(csv::ByteRecord, u64)> = Vec::with_capacity(BATCH);
        loop {
            let mut n = 0;
            // A bad record ends the batch; the rows before it are checked
            // first, so that errors are reported in file order.
            let mut bad_record = None;
            while n < BATCH {
                if n == records.len() {
                    records.push((csv::ByteRecord::new(), 0));
                }
                match self.read_into(&mut records[n].0) {
                    Ok(Some(line)) => records[n].1 = line,
                    Ok(None) => break,
                    Err(e) => {
                        bad_record = Some(e);
                        break;
                    }
                }
                n += 1;
            }
            if n == 0 {
                return bad_record.map_or(Ok(()), Err);
            }
            let batch = &records[..n];
            #[cfg(feature = "parallel")]
            let checks: Vec<Result<(bool, usize), IoError>> = {
                use rayon::prelude::*;
                let this = &*self;
                batch.par_iter().map(|(r, l)| this.check_values(r, *l)).collect()
            };
            #[cfg(not(feature = "parallel"))]
            let checks: Vec<Result<(bool, usize), IoError>> =
                batch.iter().map(|(r, l)| self.check_values(r, *l)).collect();
            for ((record, line), check) in batch.iter().zip(checks) {
                let id = self.id(record, *line)?;
                let (present, d) = check?;
                self.decimals = self.decimals.max(d);
                let flag = self.flag_of(record, *line)?;
                each(id, flag, present);
            }
            if let Some(e) = bad_record {
                return Err(e);
            }
        }
    }

    fn id(&mut self, record: &csv::ByteRecord, line: u64) -> Result<String, IoError> {
        let id = String::from_utf8_lossy(&record[self.id_col]).trim().to_owned();
        if id.is_empty() {
            return Err(input_err(&self.path, line, &self.columns[self.id_col], EMPTY_ID.into()));
        }
        if self.track_ids && !self.seen.insert(id.clone()) {
            return Err(input_err(
                &self.path,
                line,
                &self.columns[self.id_col],
                format!("duplicate meter id `{id}`"),
            ));
        }
        Ok(id)
    }

    /// The exact bytes of the next row of a wide layout, unparsed (for a
    /// meter that gets no event, in a second pass over a checked file).
    fn next_raw(&mut self) -> Result<Option<Vec<u8>>, IoError> {
        debug_assert_ne!(self.layout, InputLayout::Long);
        Ok(self.next_record()?.map(|(_, _, raw)| raw))
    }

    fn next_row(&mut self) -> Result<Option<MeterRow>, IoError> {
        let Some((record, line, raw)) = self.next_record()? else {
            return Ok(None);
        };
        let id = self.id(&record, line)?;
        let mut values = vec![f64::NAN; self.axis.len()];
        if self.layout == InputLayout::Long {
            let mut row = MeterRow::long(line, id, values);
            // Which periods have a reading already (a scan of the records
            // before was quadratic: 70 s for 2 000 hourly meters).
            let mut taken = vec![false; self.axis.len()];
            let mut next = Some((record, line, raw));
            while let Some((record, line, raw)) = next {
                let this = String::from_utf8_lossy(&record[self.id_col]).trim().to_owned();
                if this != row.id {
                    if self.track_ids && !self.seen.insert(this.clone()) {
                        return Err(input_err(
                            &self.path,
                            line,
                            &self.columns[self.id_col],
                            not_consecutive(&this),
                        ));
                    }
                    if self.track_ids {
                        self.seen.remove(&this);
                    }
                    self.pending = Some((record, line, raw));
                    break;
                }
                let p = self.period(&record, line)?;
                let v = self.value(&record, self.kwh_col, line)?;
                if std::mem::replace(&mut taken[p], true) {
                    return Err(input_err(&self.path, line, "timestamp", SECOND_READING.into()));
                }
                row.values[p] = v;
                row.raw.extend_from_slice(&raw);
                row.records.push((record, Some(p)));
                next = self.next_record()?;
            }
            return Ok(Some(row));
        }
        for i in 0..self.value_columns.len() {
            let (c, p) = self.value_columns[i];
            values[p] = self.value(&record, c, line)?;
        }
        let class = self.class_col.and_then(|c| class_of(&record[c]));
        let flag = self.flag_of(&record, line)?;
        Ok(Some(MeterRow {
            line,
            id,
            class,
            flag,
            values,
            raw,
            records: vec![(record, None)],
        }))
    }

    fn period(&self, record: &csv::ByteRecord, line: u64) -> Result<usize, IoError> {
        let text = String::from_utf8_lossy(&record[self.ts_col]).into_owned();
        parse_stamp(&text)
            .and_then(|stamp| period_of(&self.axis, stamp))
            .ok_or_else(|| input_err(&self.path, line, "timestamp", not_a_period(&text)))
    }
}

impl ConsumptionReader {
    /// A cell that passed the first pass of `inject` and fails the second:
    /// the file changed in between.
    fn changed(&self, column: &str, reason: String) -> IoError {
        input_err(
            &self.path,
            0,
            column,
            format!("{reason} (the file changed while being read)"),
        )
    }
}

impl Iterator for ConsumptionReader {
    type Item = Result<MeterRow, IoError>;

    fn next(&mut self) -> Option<Self::Item> {
        #[cfg(feature = "parquet")]
        if let Some(source) = &mut self.parquet {
            return source.next();
        }
        if self.done {
            return None;
        }
        let r = self.next_row().transpose();
        if matches!(r, None | Some(Err(_))) {
            self.done = true;
        }
        r
    }
}

/// What [`inject_file`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InjectSummary {
    /// The input's layout.
    pub layout: InputLayout,
    /// Meters read.
    pub meters: u64,
    /// Meters that could get an event (not labelled, some reading present).
    pub eligible: u64,
    /// Labelled anomalies injected.
    pub anomalies: u64,
    /// Benign look-alikes injected.
    pub benign: u64,
    /// Ids of the meters left alone because the input labels them.
    pub skipped_labelled: Vec<String>,
    /// The labels table read for already labelled meters, if any.
    pub labels_file: Option<PathBuf>,
    /// Meters left alone because they hold no reading.
    pub skipped_empty: u64,
    /// The files written, in the output directory.
    pub files: Vec<PathBuf>,
}

/// Injects anomalies into the table `input` (layout detected when `None`)
/// and writes, into `output_dir` (replaced as a whole, only on success),
/// the table in its own layout under its own file name with the injected
/// series, `anomaly_labels.csv` and `events.csv` (`onset`/`end` as periods
/// of the input: `YYYYMM` monthly, `YYYY-MM-DD` daily, and, for long form
/// with times, the period's start time with its offset as `generate` writes it).
///
/// Two passes over the input: the first checks it (nothing is written when
/// it is bad) and counts the eligible meters, the second injects and
/// writes. Rows of meters without an event are copied byte for byte; in a
/// rewritten row only the changed readings are formatted again (with as many
/// decimals as the file's values have), its line ends are kept, and SGCC's
/// `FLAG` of a labelled meter becomes 1.
///
/// A wide table with no `"` in it takes a fast path: the first pass checks
/// blocks of 8 MiB cut at line ends, in pieces on all cores (`parallel`),
/// and keeps per meter the end of its row, whether it is eligible and a
/// 64-bit hash of its id (about 25 bytes per meter; a matching hash is
/// checked against the id read back from the file); the second pass copies
/// unchanged rows by byte range and parses only the rows it rewrites. Other
/// tables (quoted cells, long form) are read through the `csv` reader, in
/// batches of 4 096 rows, keeping the set of ids. Both write the same bytes.
///
/// Meters the input already labels are left alone and reported: SGCC's
/// `FLAG = 1`, and, for our and the original tool's layouts, the meters of an
/// `anomaly_labels.csv` next to the input (see [`inject_file_with_labels`]
/// to name another labels file).
///
/// With the `parquet` feature a long-form Parquet file (a `.parquet` name,
/// any case, or the `PAR1` magic; see [`InputLayout::Long`]) is read in
/// record batches and written back as Parquet (zstd) with its own schema:
/// the same columns, types and order, other columns carried through, only
/// the changed `kwh` values differing, at full precision (not rounded; a
/// `Float32` column gets the nearest `f32`), missing readings still null,
/// the input's row groups kept (split beyond 1 048 576 rows). Its already
/// labelled meters are those of a labels file named with
/// [`inject_file_with_labels`] only. `anomaly_labels.csv` and `events.csv`
/// are as for CSV long form.
///
/// # Errors
/// [`IoError::Input`] naming the file, line (Parquet: row, `0` for the
/// schema) and column of bad input;
/// [`IoError::Io`] on a read or write failure; [`IoError::Generation`] when
/// an injector fails.
pub fn inject_file(
    input: &Path,
    layout: Option<InputLayout>,
    plan: &InjectPlan,
    output_dir: &Path,
) -> Result<InjectSummary, IoError> {
    inject_file_with_labels(input, layout, plan, None, output_dir)
}

/// The meters a labels table marks as anomalous: a CSV with a `meter_id`
/// (or `CONS_NO`) column; with an `anomaly_flag` (or `FLAG`, `label`)
/// column, the meters where it is `1` (`0`/`1`, `true`/`false`), otherwise
/// every meter listed.
///
/// # Errors
/// [`IoError::Io`] when the file cannot be read; [`IoError::Input`] naming
/// the file, line and column when it has no id column or a flag is not 0 or 1.
pub fn read_labelled_ids(path: &Path) -> Result<HashSet<String>, IoError> {
    let file = File::open(path).map_err(|e| IoError::io("open", path, e))?;
    let mut reader = csv::ReaderBuilder::new().from_reader(BufReader::new(file));
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| input_err(path, 1, "row", e.to_string()))?
        .iter()
        .map(|c| c.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    let find = |names: &[&str]| names.iter().find_map(|n| columns.iter().position(|c| c == n));
    let id_col = find(&["meter_id", "CONS_NO"])
        .ok_or_else(|| input_err(path, 1, "meter_id", "a labels table needs a `meter_id` column".into()))?;
    let flag_col = find(&["anomaly_flag", "FLAG", "label"]);
    let mut ids = HashSet::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(ids),
            Ok(true) => {}
            Err(e) => return Err(input_err(path, line, "row", e.to_string())),
        }
        let line = record.position().map_or(line, csv::Position::line);
        let field = |c: usize| {
            String::from_utf8_lossy(record.get(c).unwrap_or_default())
                .trim()
                .to_owned()
        };
        let labelled = match flag_col {
            None => true,
            Some(c) => match field(c).to_ascii_lowercase().as_str() {
                "1" | "1.0" | "true" => true,
                "0" | "0.0" | "false" | "" => false,
                other => {
                    return Err(input_err(
                        path,
                        line,
                        &columns[c],
                        format!("`{other}` is not a flag (0 or 1)"),
                    ));
                }
            },
        };
        let id = field(id_col);
        if labelled && !id.is_empty() {
            ids.insert(id);
        }
    }
}

/// [`inject_file`] with the meters already labelled read from `labels`
/// ([`read_labelled_ids`]) instead of an `anomaly_labels.csv` next to the
/// input; `None`: as [`inject_file`].
///
/// # Errors
/// As [`inject_file`], and [`read_labelled_ids`]' errors for `labels`.
pub fn inject_file_with_labels(
    input: &Path,
    layout: Option<InputLayout>,
    plan: &InjectPlan,
    labels: Option<&Path>,
    output_dir: &Path,
) -> Result<InjectSummary, IoError> {
    // Long-form Parquet (src/io/input_parquet.rs): labelled meters from `labels` only.
    #[cfg(feature = "parquet")]
    if super::input_parquet::is_parquet(input) {
        let labelled = labels.map(read_labelled_ids).transpose()?.unwrap_or_default();
        return super::input_parquet::inject_parquet(input, layout, plan, &labelled, labels, output_dir);
    }
    let reader = read_consumption(input, layout)?;
    let beside = input.with_file_name(ANOMALY_LABELS_CSV);
    let labels_file = match labels {
        Some(p) => Some(p.to_path_buf()),
        None => (matches!(reader.layout(), InputLayout::Ours | InputLayout::Original)
            && beside.is_file()
            && input.file_name() != beside.file_name())
        .then_some(beside),
    };
    let labelled = match &labels_file {
        Some(p) => read_labelled_ids(p)?,
        None => HashSet::new(),
    };
    let name = input
        .file_name()
        .map_or_else(|| PathBuf::from("consumption.csv"), PathBuf::from);
    // Without quoting, the table is read by lines (`lines`).
    let long = reader.layout() == InputLayout::Long;
    let scan = if long {
        reader.scan_long_unquoted(&labelled)?
    } else {
        reader.scan_unquoted(&labelled)?
    };
    if let Some(scan) = scan {
        drop(labelled);
        let mut out = InjectOutput::new(output_dir, name)?;
        if long {
            reader.inject_long_unquoted(&scan, plan, &mut out)?;
        } else {
            reader.inject_wide_unquoted(&scan, plan, &mut out)?;
        }
        let (counts, files) = out.finish()?;
        return Ok(scan.tally.summary(reader.layout(), labels_file, counts, files));
    }
    inject_through_csv(reader, labelled, labels_file, plan, name, output_dir)
}

/// [`inject_file_with_labels`] through the `csv` reader: long form, and
/// wide tables with quoting.
fn inject_through_csv(
    mut reader: ConsumptionReader,
    labelled: HashSet<String>,
    labels_file: Option<PathBuf>,
    plan: &InjectPlan,
    name: PathBuf,
    output_dir: &Path,
) -> Result<InjectSummary, IoError> {
    // Pass 1: check everything and count.
    let input = reader.path.clone();
    reader.keep_raw = false;
    let mut tally = Tally::default();
    let mut count = |id: String, flag: Option<bool>, present: bool| {
        let is_labelled = flag == Some(true) || labelled.contains(&id);
        tally.push(is_labelled.then_some(id), present);
    };
    if reader.layout() == InputLayout::Long {
        for row in reader.by_ref() {
            let row = row?;
            let present = row.values.iter().any(|v| !v.is_nan());
            count(row.id, row.flag, present);
        }
    } else {
        reader.scan_wide(&mut count)?;
    }
    let decimals = reader.decimals();
    let layout = reader.layout();
    drop(reader); // and its id set
    drop(labelled);
    let plan = plan.clone().with_decimals(Some(decimals));
    let run = plan.run(tally.eligible_count);

    let mut out = InjectOutput::new(output_dir, name)?;

    let mut reader = read_consumption(&input, Some(layout))?;
    reader.track_ids = false;
    let axis = *reader.axis();
    out.write_table(&reader.header_raw)?;
    let mut position = 0u64;
    let mut record = Vec::new();
    let mut row_index = 0usize;
    loop {
        // Rows without an event are copied unparsed (pass 1 checked them).
        if layout != InputLayout::Long {
            let this = tally.is_eligible(row_index);
            if !this || !run.selects(position) {
                let Some(raw) = reader.next_raw()? else { break };
                out.write_table(&raw)?;
                row_index += 1;
                position += u64::from(this);
                continue;
            }
        }
        let Some(row) = reader.next() else { break };
        let row = row?;
        let eligible_row = tally.is_eligible(row_index);
        let mut event = None;
        let mut values = row.values.clone();
        if eligible_row {
            event = run
                .inject_meter(row_index, position, &mut values, &axis, row.class)
                .map_err(|e| IoError::Generation(Box::new(e)))?;
            position += 1;
        }
        row_index += 1;
        match &event {
            None => out.write_table(&row.raw)?,
            Some(e) => {
                record.clear();
                rewrite(&row, &values, e.is_anomaly, &reader, decimals, &mut record);
                out.write_table(&record)?;
                out.events.record(&row.id, e, &axis, reader.times)?;
            }
        }
    }
    // What follows the last record (the `\n` of its `\r\n`, blank lines).
    let mut rest = Vec::new();
    reader
        .raw
        .read_to_end(&mut rest)
        .map_err(|e| IoError::io("read", &input, e))?;
    out.write_table(&rest)?;
    let (counts, files) = out.finish()?;
    Ok(tally.summary(layout, labels_file, counts, files))
}

/// The row's lines with the changed readings formatted again.
fn rewrite(
    row: &MeterRow,
    values: &[f64],
    labelled: bool,
    reader: &ConsumptionReader,
    decimals: usize,
    out: &mut Vec<u8>,
) {
    let changed = |p: usize| !row.values[p].is_nan() && values[p].to_bits() != row.values[p].to_bits();
    let mut number = Vec::new();
    let (before, after) = line_breaks(&row.raw);
    let line_end = line_end_of(&row.raw);
    out.extend_from_slice(before);
    for (i, (record, period)) in row.records.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(line_end);
        }
        let mut fields: Vec<Option<Vec<u8>>> = vec![None; record.len()];
        match period {
            Some(p) => {
                if changed(*p) {
                    number.clear();
                    write_fixed(&mut number, values[*p], decimals);
                    fields[reader.kwh_col] = Some(number.clone());
                }
            }
            None => {
                for &(c, p) in &reader.value_columns {
                    if changed(p) {
                        number.clear();
                        write_fixed(&mut number, values[p], decimals);
                        fields[c] = Some(number.clone());
                    }
                }
                if let (Some(c), true) = (reader.flag_col, labelled) {
                    fields[c] = Some(b"1".to_vec());
                }
            }
        }
        let cells: Vec<&[u8]> = record.iter().collect();
        push_record(out, &cells, &fields);
    }
    out.extend_from_slice(after);
}

/// The line-end bytes (`\r`, `\n`) at the start and at the end of a row's
/// bytes. A rewritten row keeps them: the `csv` reader leaves the `\n` of a
/// `\r\n` to the next row's bytes, and blank lines before a row are its own.
fn line_breaks(raw: &[u8]) -> (&[u8], &[u8]) {
    let is_break = |b: &u8| matches!(b, b'\r' | b'\n');
    let lead = raw.iter().take_while(|b| is_break(b)).count();
    let trail = raw[lead..].iter().rev().take_while(|b| is_break(b)).count();
    (&raw[..lead], &raw[raw.len() - trail..])
}

/// The line end of a row's bytes: `\r\n` when they hold one (or end with
/// the `\r` of one), `\n` otherwise.
fn line_end_of(raw: &[u8]) -> &'static [u8] {
    let (_, after) = line_breaks(raw);
    if after.first() == Some(&b'\r') || raw.windows(2).any(|w| w == b"\r\n") {
        b"\r\n"
    } else {
        b"\n"
    }
}

/// A CSV record (no line end) of `cells`, each replaced by its `replaced`
/// bytes when given.
fn push_record(out: &mut Vec<u8>, cells: &[&[u8]], replaced: &[Option<Vec<u8>>]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match replaced.get(i).and_then(Option::as_ref) {
            Some(bytes) => out.extend_from_slice(bytes),
            None => push_field(out, &String::from_utf8_lossy(cell)),
        }
    }
}

/// Which meters of a table may get an event: what the first pass of
/// `inject` counts, whatever the format.
#[derive(Debug, Default)]
pub(super) struct Tally {
    /// Whether each meter, in file order, may get an event.
    pub(super) eligible: Vec<bool>,
    pub(super) eligible_count: u64,
    pub(super) skipped_labelled: Vec<String>,
    pub(super) skipped_empty: u64,
}

impl Tally {
    /// Adds the next meter: `labelled` is its id when the input labels it;
    /// `present` whether it holds a reading.
    pub(super) fn push(&mut self, labelled: Option<String>, present: bool) {
        let eligible = if let Some(id) = labelled {
            self.skipped_labelled.push(id);
            false
        } else if !present {
            self.skipped_empty += 1;
            false
        } else {
            self.eligible_count += 1;
            true
        };
        self.eligible.push(eligible);
    }

    /// Whether meter `m` (in file order) may get an event.
    pub(super) fn is_eligible(&self, m: usize) -> bool {
        self.eligible.get(m).copied().unwrap_or(false)
    }

    /// The summary of the injection these counts began.
    pub(super) fn summary(
        self,
        layout: InputLayout,
        labels_file: Option<PathBuf>,
        (anomalies, benign): (u64, u64),
        files: Vec<PathBuf>,
    ) -> InjectSummary {
        InjectSummary {
            layout,
            meters: self.eligible.len() as u64,
            eligible: self.eligible_count,
            anomalies,
            benign,
            skipped_labelled: self.skipped_labelled,
            labels_file,
            skipped_empty: self.skipped_empty,
            files,
        }
    }
}

/// `anomaly_labels.csv` and `events.csv` of an injection, written as the
/// events come.
#[derive(Debug)]
pub(super) struct EventFiles {
    dir: PathBuf,
    labels: BufWriter<File>,
    events: BufWriter<File>,
    scratch: Vec<u8>,
    anomalies: u64,
    benign: u64,
}

impl EventFiles {
    /// Creates both files in `dir` with their headers.
    pub(super) fn new(dir: &Path) -> Result<Self, IoError> {
        let create = |n: &str, columns: &[&str]| -> Result<BufWriter<File>, IoError> {
            let p = dir.join(n);
            let mut w = File::create(&p)
                .map(|f| BufWriter::with_capacity(1 << 20, f))
                .map_err(|e| IoError::io("create", &p, e))?;
            w.write_all(format!("{}\n", columns.join(",")).as_bytes())
                .map_err(|e| IoError::io("write", &p, e))?;
            Ok(w)
        };
        Ok(EventFiles {
            dir: dir.to_path_buf(),
            labels: create(ANOMALY_LABELS_CSV, &LABEL_COLUMNS)?,
            events: create(EVENTS_CSV, &EVENT_COLUMNS)?,
            scratch: Vec::new(),
            anomalies: 0,
            benign: 0,
        })
    }

    /// Records the event of meter `id`: a row of `events.csv` and, for an
    /// anomaly, of `anomaly_labels.csv` (periods as `axis`'s, times when `times`).
    pub(super) fn record(&mut self, id: &str, e: &InjectedEvent, axis: &TimeAxis, times: bool) -> Result<(), IoError> {
        let dir = &self.dir;
        let fail = |n: &str, err| IoError::io("write", &dir.join(n), err);
        if e.is_anomaly {
            self.anomalies += 1;
            self.scratch.clear();
            label_row(&mut self.scratch, id, e, axis, times);
            self.labels
                .write_all(&self.scratch)
                .map_err(|err| fail(ANOMALY_LABELS_CSV, err))?;
        } else {
            self.benign += 1;
        }
        self.scratch.clear();
        event_row(&mut self.scratch, id, e, axis, times);
        self.events
            .write_all(&self.scratch)
            .map_err(|err| fail(EVENTS_CSV, err))
    }

    /// Flushes and syncs both files; returns the anomalies and benign events written.
    pub(super) fn finish(self) -> Result<(u64, u64), IoError> {
        for (w, n) in [(self.labels, ANOMALY_LABELS_CSV), (self.events, EVENTS_CSV)] {
            let fail = |e| IoError::io("write", &self.dir.join(n), e);
            w.into_inner()
                .map_err(|e| fail(e.into_error()))?
                .sync_all()
                .map_err(fail)?;
        }
        Ok((self.anomalies, self.benign))
    }
}

/// The files `inject` writes for a CSV table (the table, and the
/// [`EventFiles`]), in a staging directory that replaces the output
/// directory only when [`finish`](Self::finish) succeeds.
#[derive(Debug)]
struct InjectOutput {
    staging: Staging,
    name: PathBuf,
    table: BufWriter<File>,
    events: EventFiles,
}

impl InjectOutput {
    /// Creates the files, the table named `name`.
    fn new(output_dir: &Path, name: PathBuf) -> Result<Self, IoError> {
        let staging = Staging::new(output_dir)?;
        let p = staging.path().join(&name);
        let table = File::create(&p)
            .map(|f| BufWriter::with_capacity(1 << 20, f))
            .map_err(|e| IoError::io("create", &p, e))?;
        let events = EventFiles::new(staging.path())?;
        Ok(InjectOutput {
            staging,
            name,
            table,
            events,
        })
    }

    fn write_table(&mut self, bytes: &[u8]) -> Result<(), IoError> {
        self.table
            .write_all(bytes)
            .map_err(|e| IoError::io("write", &self.staging.path().join(&self.name), e))
    }

    /// Flushes and syncs the files, then moves the directory into place;
    /// returns the anomalies and benign events written, and the files' final paths.
    fn finish(self) -> Result<((u64, u64), Vec<PathBuf>), IoError> {
        let p = self.staging.path().join(&self.name);
        let fail = |e| IoError::io("write", &p, e);
        self.table
            .into_inner()
            .map_err(|e| fail(e.into_error()))?
            .sync_all()
            .map_err(fail)?;
        let counts = self.events.finish()?;
        let target = self.staging.commit()?;
        let files = [
            self.name.as_path(),
            Path::new(ANOMALY_LABELS_CSV),
            Path::new(EVENTS_CSV),
        ]
        .iter()
        .map(|n| target.join(n))
        .collect();
        Ok((counts, files))
    }
}

fn push_period(buf: &mut Vec<u8>, axis: &TimeAxis, times: bool, p: usize) {
    match axis.resolution() {
        _ if times => axis.push_timestamp(p, buf),
        Resolution::Monthly => buf.extend_from_slice(axis.month(p).compact().to_string().as_bytes()),
        _ => axis.date(axis.day_index(p)).push_iso(buf),
    }
}

fn label_row(buf: &mut Vec<u8>, id: &str, e: &InjectedEvent, axis: &TimeAxis, times: bool) {
    push_field(buf, id);
    buf.extend_from_slice(b",1,");
    buf.extend_from_slice(e.risk_band().as_str().as_bytes());
    buf.push(b',');
    push_field(buf, e.event_type.as_str());
    buf.push(b',');
    push_period(buf, axis, times, e.onset);
    buf.push(b',');
    write_fixed(buf, e.severity, SEVERITY_DECIMALS);
    buf.push(b',');
    if let Some(end) = e.end {
        push_period(buf, axis, times, end);
    }
    buf.extend_from_slice(if e.is_theft { b",1\n" } else { b",0\n" });
}

fn event_row(buf: &mut Vec<u8>, id: &str, e: &InjectedEvent, axis: &TimeAxis, times: bool) {
    push_field(buf, id);
    buf.push(b',');
    push_field(buf, e.event_type.as_str());
    buf.extend_from_slice(if e.is_theft { b",1," } else { b",0," });
    push_period(buf, axis, times, e.onset);
    buf.push(b',');
    if let Some(end) = e.end {
        push_period(buf, axis, times, end);
    }
    buf.push(b',');
    write_fixed(buf, e.severity, SEVERITY_DECIMALS);
    buf.extend_from_slice(if e.is_anomaly { b",1\n" } else { b",0\n" });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed-position readings of months, days and times agree with
    /// the calendar's checks, edge cases included.
    #[test]
    fn stamps_read_at_fixed_positions_are_the_calendars() {
        let month = |y, m| YearMonth::new(y, m).ok().map(Stamp::Month);
        assert_eq!(parse_stamp("2024-01"), month(2024, 1));
        assert_eq!(parse_stamp("2024-12"), month(2024, 12));
        assert_eq!(parse_stamp("2024-13"), None);
        assert_eq!(parse_stamp("2024-00"), None);
        assert_eq!(parse_stamp("202401"), month(2024, 1));
        assert_eq!(parse_stamp(" 2024-02 "), month(2024, 2));
        let day = |y, m, d| Date::new(y, m, d).ok().map(Stamp::Day);
        assert_eq!(parse_stamp("2024-02-29"), day(2024, 2, 29));
        assert_eq!(parse_stamp("2023-02-29"), None);
        assert_eq!(parse_stamp("2024-04-31"), None);
        assert_eq!(parse_stamp("2024-4-5"), day(2024, 4, 5));
        assert_eq!(parse_stamp("2024-0a-05"), None);
        let at = |s: &str| match parse_stamp(s) {
            Some(Stamp::Instant(utc, offset)) => Some((utc, offset)),
            _ => None,
        };
        let midnight = Date::new(2024, 3, 1).unwrap().days_since_epoch() * 86_400;
        assert_eq!(at("2024-03-01T00:00:00Z"), Some((midnight, 0)));
        assert_eq!(at("2024-03-01T08:00:00+08:00"), Some((midnight, 480)));
        assert_eq!(
            at("2024-03-01 23:59:59-05:30"),
            Some((midnight + 86_399 + 5 * 3600 + 1800, -330))
        );
        assert_eq!(at("2024-02-29T12:30:15+00:00"), Some((midnight - 86_400 + 45_015, 0)));
        for bad in [
            "2024-03-01T24:00:00Z",
            "2024-03-01T23:60:00Z",
            "2024-03-01T23:00:60Z",
            "2023-02-29T00:00:00Z",
            "2024-03-01T0a:00:00Z",
            "2024-03-01T00:00:00+15:00",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }
}
