//! Checks of an interval dataset's readings table (`meter_readings.csv`)
//! against its monthly table and its events, streamed row by row: the table
//! can hold tens of gigabytes, and nothing of it is kept but one meter's
//! monthly sums.
//!
//! The checks consume rows `(meter_id, timestamp, kWh or missing)` through
//! [`ReadingsScan::row`], in file order; [`scan_csv`] feeds it from
//! `meter_readings.csv`, and a reader of Parquet parts can feed the same.
//! The monthly values come from `meter_consumption.csv`, read in step (both
//! tables list the meters in the same order).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use super::IoError;
use super::csv::CONSUMPTION_PREFIX;
use super::read::Table;
use crate::calendar::Date;
use crate::checks::{Check, check};
use crate::model::AnomalyType;
use crate::time::TimeAxis;

/// File name of the long-form readings table: `meter_id,timestamp,kwh`.
pub(crate) const READINGS_CSV: &str = "meter_readings.csv";

/// Largest difference, kWh, between a month's value as written (2 decimals)
/// and the sum of its readings: the rounding of the monthly file, and a
/// hair for the parsing of decimals.
const MONTHLY_TOLERANCE_KWH: f64 = crate::validate::MONTHLY_SUM_TOLERANCE_KWH + 1e-9;

/// Largest distance, kWh, of a reading from a whole multiple of the register resolution.
const REGISTER_TOLERANCE_KWH: f64 = 1e-9;

/// A reading's value as read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kwh {
    /// The reading, kWh.
    Value(f64),
    /// Missing: an empty cell (CSV) or a null (Parquet).
    Missing,
    /// Not a number.
    Unparsable,
}

impl Kwh {
    /// The value of a CSV cell.
    fn parse(cell: &[u8]) -> Kwh {
        if cell.is_empty() {
            return Kwh::Missing;
        }
        match std::str::from_utf8(cell).ok().and_then(|s| s.parse::<f64>().ok()) {
            Some(v) => Kwh::Value(v),
            None => Kwh::Unparsable,
        }
    }
}

/// An ISO 8601 local time with its offset, `YYYY-MM-DDTHH:MM:SS±HH:MM` (or
/// `Z`), as `(UTC seconds since 1970, offset seconds)`.
pub(crate) fn parse_timestamp(s: &[u8]) -> Option<(i64, i64)> {
    if s.len() < 20 || s[4] != b'-' || s[7] != b'-' || s[10] != b'T' || s[13] != b':' || s[16] != b':' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        s[from..to]
            .iter()
            .try_fold(0i64, |n, &b| b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0')))
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset = match &s[19..] {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (num(20, 22)?, num(23, 25)?);
            if m > 59 {
                return None;
            }
            let magnitude = h * 3600 + m * 60;
            if *sign == b'-' { -magnitude } else { magnitude }
        }
        _ => return None,
    };
    let date = Date::new(
        i32::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let local = date.days_since_epoch() * 86_400 + hour * 3600 + minute * 60 + second;
    Some((local - offset, offset))
}

/// The period of `axis` an event's `onset` or `end` names, as written at
/// interval resolutions: the start of the period as an ISO 8601 timestamp
/// (as in `meter_readings.csv`), the date alone on a daily axis, or the
/// 0-based period index.
pub(crate) fn parse_period(s: &str, axis: &TimeAxis) -> Option<usize> {
    if let Ok(i) = s.parse::<usize>() {
        return (i < axis.len()).then_some(i);
    }
    // A daily series' labels and events name the day alone (`2024-01-01`).
    if let (Ok(date), Some(1)) = (s.parse::<Date>(), axis.intervals_per_day()) {
        let day = date.days_since_epoch() - axis.date(0).days_since_epoch();
        return usize::try_from(day).ok().filter(|&d| d < axis.len());
    }
    let (utc, _) = parse_timestamp(s.as_bytes())?;
    let step = axis.resolution().interval_seconds()?;
    let since = utc - axis.timestamp(0);
    if since < 0 || since % step != 0 {
        return None;
    }
    usize::try_from(since / step).ok().filter(|&i| i < axis.len())
}

/// Orders meter ids as written: shorter first (`MTR_999999` before
/// `MTR_1000000`), then byte by byte.
fn id_order(a: &[u8], b: &[u8]) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// `meter_consumption.csv` read meter by meter, in step with the readings.
pub(crate) struct MonthlyRows {
    reader: ::csv::Reader<File>,
    path: PathBuf,
    id: Option<usize>,
    months: Vec<usize>,
    record: ::csv::ByteRecord,
}

impl MonthlyRows {
    /// Opens `path`; `Ok(None)` when it lacks a `meter_id` column or consumption columns.
    pub(crate) fn open(path: &Path) -> Result<Self, IoError> {
        let parse = |e: ::csv::Error| IoError::Parse {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let mut reader = ::csv::ReaderBuilder::new().from_path(path).map_err(parse)?;
        let headers = reader.headers().map_err(parse)?.clone();
        let columns: Vec<&str> = headers.iter().map(|c| c.trim_start_matches('\u{feff}')).collect();
        Ok(MonthlyRows {
            reader,
            path: path.to_path_buf(),
            id: columns.iter().position(|c| *c == "meter_id"),
            months: columns
                .iter()
                .enumerate()
                .filter(|(_, c)| c.starts_with(CONSUMPTION_PREFIX))
                .map(|(i, _)| i)
                .collect(),
            record: ::csv::ByteRecord::new(),
        })
    }

    /// The next meter: its id into `id`, its monthly values into `values`
    /// (`None` for a cell that is not a number); `false` at the end.
    fn next(&mut self, id: &mut Vec<u8>, values: &mut Vec<Option<f64>>) -> Result<bool, IoError> {
        let more = self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(|e| IoError::Parse {
                path: self.path.clone(),
                reason: e.to_string(),
            })?;
        if !more {
            return Ok(false);
        }
        id.clear();
        id.extend_from_slice(self.id.and_then(|i| self.record.get(i)).unwrap_or_default());
        values.clear();
        values.extend(self.months.iter().map(|&i| {
            let cell = self.record.get(i).unwrap_or_default();
            std::str::from_utf8(cell).ok().and_then(|s| s.parse::<f64>().ok())
        }));
        Ok(true)
    }
}

/// One month of the current meter.
#[derive(Debug, Clone, Copy, Default)]
struct Month {
    sum: f64,
    present: usize,
    missing: usize,
    /// A duplicate, out-of-order or unparsable row fell in it.
    broken: bool,
}

/// What the readings checks count.
#[derive(Debug, Clone, Default)]
struct Counts {
    rows: usize,
    meters: usize,
    unparsable: usize,
    non_finite_or_negative: usize,
    off_register: usize,
    off_axis: usize,
    wrong_offset: usize,
    duplicates: usize,
    gaps: usize,
    gap_readings: usize,
    wrong_count: usize,
    unknown_meters: usize,
    meters_without_readings: usize,
    months_checked: usize,
    months_with_missing: usize,
    months_incomplete: usize,
    months_unknown: usize,
    months_differing: usize,
    largest_difference: f64,
    empty: usize,
    empty_uncovered: usize,
    present_in_missing_event: usize,
}

/// The readings checks, fed row by row ([`row`](Self::row)) in file order.
pub(crate) struct ReadingsScan<'a> {
    file: &'a str,
    axis: TimeAxis,
    start: i64,
    step: i64,
    units_per_kwh: f64,
    /// First period of each month, and the series' length last.
    month_starts: Vec<usize>,
    monthly: Option<MonthlyRows>,
    /// Per meter: the periods of its `missing_data` events, sorted.
    missing_events: HashMap<&'a str, Vec<(usize, usize)>>,
    unparsable_events: usize,
    /// The current meter: its id, the monthly row's values (when the
    /// monthly table has it), its next expected period, its months.
    meter: Option<Vec<u8>>,
    monthly_id: Vec<u8>,
    monthly_values: Vec<Option<f64>>,
    monthly_matched: bool,
    monthly_done: bool,
    next: usize,
    rows_of_meter: usize,
    months: Vec<Month>,
    month: usize,
    /// The current meter's `missing_data` periods, and the first one not yet passed.
    events: Vec<(usize, usize)>,
    event: usize,
    counts: Counts,
}

impl<'a> ReadingsScan<'a> {
    /// A scan of readings named `file` on `axis` (an interval axis), with
    /// the monthly table `monthly` (read in step, `None` when absent) and the
    /// events table `events` (its `missing_data` rows).
    pub(crate) fn new(
        file: &'a str,
        axis: TimeAxis,
        register_resolution_kwh: f64,
        monthly: Option<MonthlyRows>,
        events: Option<&'a Table>,
    ) -> Self {
        let mut missing_events: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
        let mut unparsable_events = 0;
        if let Some(t) = events {
            let col = |name: &str| t.columns.iter().position(|c| c == name);
            if let (Some(id), Some(kind), Some(onset), Some(end)) =
                (col("meter_id"), col("event_type"), col("onset"), col("end"))
            {
                let field = |r: &'a Vec<String>, i: usize| r.get(i).map_or("", String::as_str);
                for r in &t.rows {
                    if field(r, kind) != AnomalyType::MISSING_DATA.as_str() {
                        continue;
                    }
                    let first = parse_period(field(r, onset), &axis);
                    let last = match field(r, end) {
                        "" => Some(axis.len() - 1),
                        e => parse_period(e, &axis),
                    };
                    match first.zip(last).filter(|(a, b)| a <= b) {
                        Some(run) => missing_events.entry(field(r, id)).or_default().push(run),
                        None => unparsable_events += 1,
                    }
                }
            }
        }
        for runs in missing_events.values_mut() {
            runs.sort_unstable();
        }
        let mut month_starts: Vec<usize> = (0..axis.months()).map(|m| axis.month_range(m).start).collect();
        month_starts.push(axis.len());
        ReadingsScan {
            file,
            start: axis.timestamp(0),
            step: axis.resolution().interval_seconds().unwrap_or(86_400),
            units_per_kwh: (1.0 / register_resolution_kwh).round(),
            month_starts,
            monthly_done: monthly.is_none(),
            monthly,
            missing_events,
            unparsable_events,
            meter: None,
            monthly_id: Vec::new(),
            monthly_values: Vec::new(),
            monthly_matched: false,
            next: 0,
            rows_of_meter: 0,
            months: vec![Month::default(); axis.months()],
            month: 0,
            events: Vec::new(),
            event: 0,
            counts: Counts::default(),
            axis,
        }
    }

    /// Adds the next row: meter `meter`, timestamp `timestamp` as written
    /// (`None` when it is not one: see [`parse_timestamp`]), value `kwh`.
    ///
    /// # Errors
    /// Reading the monthly table in step failed.
    pub(crate) fn row(&mut self, meter: &[u8], timestamp: Option<(i64, i64)>, kwh: Kwh) -> Result<(), IoError> {
        if self.meter.as_deref() != Some(meter) {
            self.end_meter();
            self.start_meter(meter)?;
        }
        let c = &mut self.counts;
        c.rows += 1;
        self.rows_of_meter += 1;
        let Some((utc, offset)) = timestamp else {
            c.unparsable += 1;
            return Ok(());
        };
        if offset != self.axis.zone().offset_seconds() {
            c.wrong_offset += 1;
        }
        let since = utc - self.start;
        let index = (since >= 0 && since % self.step == 0)
            .then(|| usize::try_from(since / self.step).ok())
            .flatten()
            .filter(|&i| i < self.axis.len());
        let Some(index) = index else {
            c.off_axis += 1;
            return Ok(());
        };
        if index < self.next {
            // Repeated, or back in time: the month cannot be summed.
            c.duplicates += 1;
            let m = self.month_starts.partition_point(|&s| s <= index) - 1;
            self.months[m].broken = true;
            return Ok(());
        }
        if index > self.next {
            c.gaps += 1;
            c.gap_readings += index - self.next;
        }
        self.next = index + 1;
        while self.month_starts[self.month + 1] <= index {
            self.month += 1;
        }
        let runs = &self.events;
        while self.event < runs.len() && runs[self.event].1 < index {
            self.event += 1;
        }
        let covered = runs.get(self.event).is_some_and(|r| r.0 <= index);
        let month = &mut self.months[self.month];
        match kwh {
            Kwh::Missing => {
                c.empty += 1;
                month.missing += 1;
                c.empty_uncovered += usize::from(!covered);
            }
            Kwh::Value(v) => {
                c.present_in_missing_event += usize::from(covered);
                if !(v.is_finite() && v >= 0.0) {
                    c.non_finite_or_negative += 1;
                    month.broken = true;
                } else {
                    let whole = (v * self.units_per_kwh).round() / self.units_per_kwh;
                    c.off_register += usize::from((v - whole).abs() > REGISTER_TOLERANCE_KWH);
                    month.sum += v;
                    month.present += 1;
                }
            }
            Kwh::Unparsable => {
                c.unparsable += 1;
                month.broken = true;
            }
        }
        Ok(())
    }

    /// Starts meter `meter`: finds its row in the monthly table.
    fn start_meter(&mut self, meter: &[u8]) -> Result<(), IoError> {
        self.counts.meters += 1;
        self.meter = Some(meter.to_vec());
        self.next = 0;
        self.rows_of_meter = 0;
        self.month = 0;
        self.months.fill(Month::default());
        self.event = 0;
        self.events.clear();
        if let Some(runs) = std::str::from_utf8(meter)
            .ok()
            .and_then(|id| self.missing_events.get(id))
        {
            self.events.extend_from_slice(runs);
        }
        // The monthly table lists the same meters in the same order: skip
        // its meters that have no readings, up to this one.
        loop {
            if !self.monthly_matched && !self.monthly_id.is_empty() {
                match id_order(&self.monthly_id, meter) {
                    Ordering::Equal => {
                        self.monthly_matched = true;
                        return Ok(());
                    }
                    // This meter is not in the monthly table (or out of order).
                    Ordering::Greater => break,
                    Ordering::Less => self.counts.meters_without_readings += 1,
                }
            }
            match &mut self.monthly {
                Some(rows) if !self.monthly_done => {
                    self.monthly_matched = false;
                    if !rows.next(&mut self.monthly_id, &mut self.monthly_values)? {
                        self.monthly_done = true;
                        self.monthly_id.clear();
                    }
                }
                _ => break,
            }
        }
        self.counts.unknown_meters += 1;
        Ok(())
    }

    /// Ends the current meter: its count of rows and its months' sums.
    fn end_meter(&mut self) {
        if self.meter.is_none() {
            return;
        }
        let c = &mut self.counts;
        if self.next < self.axis.len() {
            c.gaps += 1;
            c.gap_readings += self.axis.len() - self.next;
        }
        if self.rows_of_meter != self.axis.len() {
            c.wrong_count += 1;
        }
        // A matched meter's row was consumed: the next meter needs the next row.
        let values = if self.monthly_matched {
            self.monthly_matched = false;
            let values = std::mem::take(&mut self.monthly_values);
            self.monthly_id.clear();
            Some(values)
        } else {
            None
        };
        for (m, month) in self.months.iter().enumerate() {
            let len = self.month_starts[m + 1] - self.month_starts[m];
            let value = values.as_ref().and_then(|v| v.get(m).copied().flatten());
            if month.missing > 0 {
                c.months_with_missing += 1;
            } else if month.broken || month.present != len {
                c.months_incomplete += 1;
            } else if let Some(value) = value {
                c.months_checked += 1;
                let difference = (month.sum - value).abs();
                if difference.is_nan() || difference > MONTHLY_TOLERANCE_KWH {
                    c.months_differing += 1;
                }
                c.largest_difference = c.largest_difference.max(difference);
            } else {
                c.months_unknown += 1;
            }
        }
        self.meter = None;
    }

    /// The three checks, once every row was fed.
    ///
    /// # Errors
    /// Reading the rest of the monthly table failed.
    pub(crate) fn finish(mut self, meters_expected: Option<usize>) -> Result<Vec<Check>, IoError> {
        self.end_meter();
        // Monthly meters after the last one with readings.
        if !self.monthly_id.is_empty() && !self.monthly_matched {
            self.counts.meters_without_readings += 1;
        }
        if let Some(rows) = self.monthly.as_mut().filter(|_| !self.monthly_done) {
            while rows.next(&mut self.monthly_id, &mut self.monthly_values)? {
                self.counts.meters_without_readings += 1;
            }
        }
        let c = &self.counts;
        let len = self.axis.len();
        let meters_ok = meters_expected.is_none_or(|n| n == c.meters);
        let structure = c.unparsable
            + c.non_finite_or_negative
            + c.off_register
            + c.off_axis
            + c.wrong_offset
            + c.duplicates
            + c.gaps
            + c.wrong_count
            + c.unknown_meters
            + c.meters_without_readings;
        let present = check(
            "readings_present",
            structure == 0 && meters_ok && c.meters > 0,
            format!(
                "{}: {} rows of {} meters{} ({len} {} periods each from {}); {} duplicated or out-of-order timestamps, {} gaps ({} readings absent), {} meters with the wrong number of rows, {} meters not in the monthly table or out of order, {} monthly meters without readings; {} timestamps off the series, {} not at offset {}, {} unparsable rows, {} negative or non-finite readings, {} not a whole multiple of {} kWh",
                self.file,
                c.rows,
                c.meters,
                meters_expected.map(|n| format!(" (expected {n})")).unwrap_or_default(),
                self.axis.resolution(),
                self.axis.timestamp_string(0),
                c.duplicates,
                c.gaps,
                c.gap_readings,
                c.wrong_count,
                c.unknown_meters,
                c.meters_without_readings,
                c.off_axis,
                c.wrong_offset,
                self.axis.zone().offset_string(),
                c.unparsable,
                c.non_finite_or_negative,
                c.off_register,
                1.0 / self.units_per_kwh,
            ),
        );
        let totals = check(
            "monthly_totals_equal_readings",
            c.months_differing == 0,
            format!(
                "{} meter-months without missing readings checked against meter_consumption.csv, {} differ from the sum of their readings by more than 0.005 kWh (largest difference {:.4} kWh); not checked: {} with missing readings, {} with absent, repeated or unparsable rows, {} without a monthly value",
                c.months_checked,
                c.months_differing,
                c.largest_difference,
                c.months_with_missing,
                c.months_incomplete,
                c.months_unknown
            ),
        );
        let missing = check(
            "missing_readings_match_events",
            c.empty_uncovered + c.present_in_missing_event + self.unparsable_events == 0,
            format!(
                "{} empty readings: {} not covered by a missing_data event of their meter in events.csv; {} readings present inside a missing_data event; {} missing_data events with an unreadable onset or end",
                c.empty, c.empty_uncovered, c.present_in_missing_event, self.unparsable_events
            ),
        );
        Ok(vec![present, totals, missing])
    }
}

/// Feeds `scan` the readings of `meter_readings_sgcc.csv` (the SGCC layout:
/// `CONS_NO,FLAG`, then one `YYYY/M/D` column per day), row by row, each day
/// column as the reading of that local midnight on `axis`. A header that is
/// not a date of the axis makes that column's readings unparsable rows.
///
/// # Errors
/// The file cannot be read as CSV, or it has no `CONS_NO` column.
pub(crate) fn scan_sgcc(path: &Path, axis: &TimeAxis, scan: &mut ReadingsScan<'_>) -> Result<(), IoError> {
    let parse = |reason: String| parse_error(path, reason);
    let (mut reader, headers) = open_table(path)?;
    let id = column(&headers, "CONS_NO")
        .ok_or_else(|| parse("no `CONS_NO` column (expected CONS_NO,FLAG,<one column per day>)".to_owned()))?;
    let offset = axis.zone().offset_seconds();
    let first = axis.date(0).days_since_epoch();
    // Each day column's timestamp: its date's local midnight, as UTC seconds.
    let days: Vec<(usize, Option<(i64, i64)>)> = headers
        .iter()
        .enumerate()
        .filter(|(i, c)| *i != id && *c != b"FLAG")
        .map(|(i, c)| {
            let day = std::str::from_utf8(c)
                .ok()
                .and_then(sgcc_date)
                .map(|d| d.days_since_epoch());
            let timestamp = day
                .filter(|d| (first..first + axis.days() as i64).contains(d))
                .map(|d| (d * 86_400 - offset, offset));
            (i, timestamp)
        })
        .collect();
    let mut record = ::csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(|e| parse(e.to_string()))? {
        let meter = record.get(id).unwrap_or_default().to_vec();
        for &(i, timestamp) in &days {
            let value = record.get(i).map_or(Kwh::Unparsable, Kwh::parse);
            scan.row(&meter, timestamp, value)?;
        }
    }
    Ok(())
}

/// A readings table opened for a row-by-row scan: the reader and its header.
pub(crate) fn open_table(path: &Path) -> Result<(::csv::Reader<File>, ::csv::ByteRecord), IoError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_path(path)
        .map_err(|e| parse_error(path, e.to_string()))?;
    let headers = reader
        .byte_headers()
        .map_err(|e| parse_error(path, e.to_string()))?
        .clone();
    Ok((reader, headers))
}

/// The position of column `name` (a UTF-8 byte-order mark before it ignored).
pub(crate) fn column(headers: &::csv::ByteRecord, name: &str) -> Option<usize> {
    headers
        .iter()
        .position(|c| c.strip_prefix("\u{feff}".as_bytes()).unwrap_or(c) == name.as_bytes())
}

/// A parse error naming `path`.
pub(crate) fn parse_error(path: &Path, reason: String) -> IoError {
    IoError::Parse {
        path: path.to_path_buf(),
        reason,
    }
}

/// A date written `YYYY/M/D` (the SGCC header), e.g. `2024/2/29`.
fn sgcc_date(s: &str) -> Option<Date> {
    let mut parts = s.split('/');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let d: u8 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Date::new(y, m, d).ok()
}

/// Feeds `meter_readings.csv` at `path` to `scan`, row by row.
///
/// # Errors
/// [`IoError::Parse`] when the file is not well-formed CSV or lacks a
/// `meter_id`, `timestamp` or `kwh` column; errors of the scan.
pub(crate) fn scan_csv(path: &Path, scan: &mut ReadingsScan<'_>) -> Result<(), IoError> {
    let parse = |reason: String| parse_error(path, reason);
    let (mut reader, headers) = open_table(path)?;
    let col = |name: &str| {
        column(&headers, name).ok_or_else(|| parse(format!("no `{name}` column (expected meter_id,timestamp,kwh)")))
    };
    let (id, ts, kwh) = (col("meter_id")?, col("timestamp")?, col("kwh")?);
    let mut record = ::csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(|e| parse(e.to_string()))? {
        let field = |i: usize| record.get(i);
        let value = field(kwh).map_or(Kwh::Unparsable, Kwh::parse);
        scan.row(
            field(id).unwrap_or_default(),
            field(ts).and_then(parse_timestamp),
            value,
        )?;
    }
    Ok(())
}

/// Feeds `scan` every row of the Parquet parts in `dir` (every
/// `*.parquet` file, in name order: `part-00001-of-…` first), batch by batch.
///
/// # Errors
/// The directory or a part cannot be read.
#[cfg(feature = "parquet")]
pub(crate) fn scan_parquet(dir: &Path, scan: &mut ReadingsScan<'_>) -> Result<(), IoError> {
    let mut parts: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| IoError::io("list", dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    parts.sort();
    let mut id = Vec::new();
    let mut last: Option<u32> = None;
    for path in parts {
        let reader = super::parquet::ReadingsParquetReader::open(&path)?;
        // The zone is written once per file; an unknown one counts as a wrong offset.
        let offset = reader
            .timezone()
            .parse::<crate::calendar::TimeZone>()
            .map_or(i64::MIN, |z| z.offset_seconds());
        for table in reader {
            let table = table?;
            for ((&meter, &utc), &kwh) in table.meter.iter().zip(&table.timestamp).zip(&table.kwh) {
                if last != Some(meter) {
                    id.clear();
                    id.extend_from_slice(crate::ids::MeterId::from_index(meter).to_string().as_bytes());
                    last = Some(meter);
                }
                let value = kwh.map_or(Kwh::Missing, Kwh::Value);
                scan.row(&id, Some((utc, offset)), value)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Resolution, YearMonth};

    #[test]
    fn timestamps_parse_to_utc_seconds() {
        assert_eq!(parse_timestamp(b"1970-01-01T08:00:00+08:00"), Some((0, 28_800)));
        assert_eq!(parse_timestamp(b"1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(parse_timestamp(b"2024-02-29T13:00:00-05:30"), {
            let day = Date::new(2024, 2, 29).unwrap().days_since_epoch();
            Some((day * 86_400 + 13 * 3600 + 19_800, -19_800))
        });
        for bad in [
            &b"2023-02-29T00:00:00+08:00"[..],
            b"2024-01-01 00:00:00+08:00",
            b"2024-01-01T24:00:00+08:00",
            b"2024-01-01T00:00:00",
            b"2024-01-01T00:00:00+0800",
            b"",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn periods_parse_as_timestamps_or_indices() {
        let axis = TimeAxis::new(YearMonth::new(2024, 2).unwrap(), 1, Resolution::Hourly).unwrap();
        assert_eq!(parse_period("2024-02-01T00:00:00+08:00", &axis), Some(0));
        assert_eq!(parse_period("2024-02-29T23:00:00+08:00", &axis), Some(695));
        assert_eq!(parse_period("2024-02-01T00:00:00Z", &axis), Some(8));
        assert_eq!(parse_period("2024-03-01T00:00:00+08:00", &axis), None);
        assert_eq!(parse_period("2024-02-01T00:30:00+08:00", &axis), None);
        assert_eq!(parse_period("17", &axis), Some(17));
        assert_eq!(parse_period("696", &axis), None);
        // A date names a period of a daily axis only.
        assert_eq!(parse_period("2024-02-05", &axis), None);
        let daily = TimeAxis::new(YearMonth::new(2024, 2).unwrap(), 1, Resolution::Daily).unwrap();
        assert_eq!(parse_period("2024-02-05", &daily), Some(4));
        assert_eq!(parse_period("2024-02-29", &daily), Some(28));
        assert_eq!(parse_period("2024-03-01", &daily), None);
        assert_eq!(parse_period("2024-01-31", &daily), None);
    }

    #[test]
    fn meter_ids_order_by_length_then_bytes() {
        assert_eq!(id_order(b"MTR_999999", b"MTR_1000000"), Ordering::Less);
        assert_eq!(id_order(b"MTR_000002", b"MTR_000010"), Ordering::Less);
        assert_eq!(id_order(b"MTR_000002", b"MTR_000002"), Ordering::Equal);
    }
}
