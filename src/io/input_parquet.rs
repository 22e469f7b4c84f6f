//! Long-form consumption tables as Parquet: read by
//! [`read_consumption`](super::read_consumption) and injected into by
//! [`inject_file`](super::inject_file) when the input is a Parquet file (a
//! `.parquet` name, any case, or the `PAR1` magic).
//!
//! | Column | Arrow types read | |
//! |---|---|---|
//! | `meter_id` | `Utf8`, `LargeUtf8`, `Utf8View`, `Dictionary(*, Utf8 / LargeUtf8)` | a meter's rows consecutive; null or empty: an error |
//! | `timestamp` | `Timestamp` (any unit; UTC instants in the column's zone, or, without one, read as UTC), `Date32`, or strings as in CSV long form | null: an error |
//! | `kwh` (or `consumption_kwh`) | `Float64`, `Float32` | null: missing; NaN, ±inf or negative: an error |
//!
//! Other columns are allowed: `inject` carries them through unchanged. The
//! rules are the CSV long form's (the axis is found by the same
//! [`AxisScan`], a timestamp placed by the same [`period_of`], the errors
//! have the same text), except that errors name the row (1-based, the
//! first row is row 1; `0` for the schema) where CSV's name the line.
//!
//! Everything is read record batch by record batch ([`BATCH_ROWS`] rows):
//! memory is a batch, one meter's series and the set of ids seen (`inject`'s
//! second pass: also the batches holding the current meter's rows, until
//! they are written).

use std::collections::{HashSet, VecDeque};
use std::fs::File;
use std::hash::BuildHasherDefault;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float32Type, Float64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_array::{
    Array, ArrayRef, Float32Array, Float64Array, LargeStringArray, RecordBatch, StringArray, StringViewArray,
};
use arrow_schema::{DataType, SchemaRef, TimeUnit};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use super::IoError;
use super::csv::{ANOMALY_LABELS_CSV, EVENTS_CSV};
use super::input::{
    AxisScan, ConsumptionReader, EMPTY_ID, EventFiles, IdHasher, InjectSummary, InputLayout, MeterRow, SECOND_READING,
    Stamp, Tally, input_err, not_a_period, not_a_stamp, not_consecutive, parse_stamp, period_of,
};
use super::staging::Staging;
use crate::calendar::{Date, TimeZone};
use crate::inject::InjectPlan;
use crate::time::TimeAxis;

/// Rows per record batch read.
const BATCH_ROWS: usize = 65_536;

/// Largest row group written: an input's row groups are kept, but larger
/// ones are split so that the writer never buffers more than this many rows.
const MAX_GROUP_ROWS: usize = 1 << 20;

/// zstd level of the written table. Our `meter_readings` writer uses zstd's
/// fast level -1, which parquet-rs's writer cannot express; 1 is the nearest.
const ZSTD_LEVEL: i32 = 1;

/// Seconds from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, the instants
/// an axis can hold (outside them dates would be meaningless).
const SECONDS: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;

/// Whether `path` is read as Parquet: its name ends in `.parquet` (any
/// case) or it starts with the Parquet magic `PAR1`.
pub(crate) fn is_parquet(path: &Path) -> bool {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
        return true;
    }
    let mut magic = [0u8; 4];
    File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"PAR1"
}

/// How the `timestamp` column is read.
#[derive(Debug, Clone, Copy)]
enum Time {
    /// A `Timestamp`: its unit, the units in a second, and its zone's offset in minutes.
    Instant {
        unit: TimeUnit,
        per_second: i64,
        offset: i32,
    },
    /// A `Date32`.
    Date,
    /// Strings, parsed as CSV long form's.
    Text,
}

/// The columns a pass over the file reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// `meter_id` and `timestamp`: the axis.
    Axis,
    /// The three columns: checking, counting, reading meters.
    Readings,
    /// Every column: writing the table back.
    All,
}

/// A long-form Parquet file's schema: where the three columns are, and how to read them.
#[derive(Debug, Clone)]
struct Columns {
    path: PathBuf,
    /// The file's Arrow schema (`inject` writes it back).
    schema: SchemaRef,
    /// Root indices of `meter_id`, `timestamp` and `kwh` (or `consumption_kwh`).
    roots: [usize; 3],
    time: Time,
    /// Rows of each row group, in file order.
    row_groups: Vec<u64>,
}

impl Columns {
    /// Opens `path` and checks its schema (and that `layout`, when given, is long form).
    fn open(path: &Path, layout: Option<InputLayout>) -> Result<Columns, IoError> {
        if let Some(l) = layout.filter(|l| *l != InputLayout::Long) {
            return Err(input_err(
                path,
                0,
                "file",
                format!("a Parquet file is read as long form (`meter_id`, `timestamp`, `kwh`), not as the {l} layout"),
            ));
        }
        let builder = builder(path)?;
        let schema = Arc::clone(builder.schema());
        let find = |name: &str| schema.fields().iter().position(|f| f.name() == name);
        let need = |name: &str| {
            find(name).ok_or_else(|| input_err(path, 0, name, format!("the long layout needs a `{name}` column")))
        };
        let id = need("meter_id")?;
        let ts = need("timestamp")?;
        let kwh = find("kwh")
            .or_else(|| find("consumption_kwh"))
            .ok_or_else(|| input_err(path, 0, "kwh", "the long layout needs a `kwh` column".into()))?;
        let wrong = |i: usize, expected: &str| {
            let field = schema.field(i);
            input_err(
                path,
                0,
                field.name(),
                format!("type {}, expected {expected}", field.data_type()),
            )
        };
        let is_string = |t: &DataType| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
        match schema.field(id).data_type() {
            t if is_string(t) => {}
            DataType::Dictionary(_, v) if is_string(v) => {}
            _ => return Err(wrong(id, "strings (Utf8, LargeUtf8, Utf8View or a dictionary of them)")),
        }
        let time = match schema.field(ts).data_type() {
            DataType::Timestamp(unit, tz) => {
                let offset = match tz {
                    None => 0,
                    Some(tz) => zone_minutes(tz)
                        .map_err(|e| input_err(path, 0, schema.field(ts).name(), format!("time zone `{tz}`: {e}")))?,
                };
                let per_second = match unit {
                    TimeUnit::Second => 1,
                    TimeUnit::Millisecond => 1_000,
                    TimeUnit::Microsecond => 1_000_000,
                    TimeUnit::Nanosecond => 1_000_000_000,
                };
                Time::Instant {
                    unit: *unit,
                    per_second,
                    offset,
                }
            }
            DataType::Date32 => Time::Date,
            t if is_string(t) => Time::Text,
            _ => return Err(wrong(ts, "Timestamp, Date32 or strings")),
        };
        if !matches!(schema.field(kwh).data_type(), DataType::Float64 | DataType::Float32) {
            return Err(wrong(kwh, "Float64 or Float32"));
        }
        let row_groups = builder
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows().max(0) as u64)
            .collect();
        Ok(Columns {
            path: path.to_path_buf(),
            schema,
            roots: [id, ts, kwh],
            time,
            row_groups,
        })
    }

    /// The column names of the three columns (for errors).
    fn names(&self) -> [String; 3] {
        self.roots.map(|i| self.schema.field(i).name().clone())
    }

    /// A reader of the file's batches with the columns `pass` needs, and
    /// the positions of `meter_id`, `timestamp` and `kwh` in a batch (`kwh`:
    /// past the batch's columns when not read).
    fn reader(&self, pass: Pass) -> Result<(ParquetRecordBatchReader, [usize; 3]), IoError> {
        let mut builder = builder(&self.path)?.with_batch_size(BATCH_ROWS);
        let roots: &[usize] = match pass {
            Pass::All => &[],
            Pass::Axis => &self.roots[..2],
            Pass::Readings => &self.roots,
        };
        let positions = if roots.is_empty() {
            self.roots
        } else {
            let mask = ProjectionMask::roots(builder.parquet_schema(), roots.iter().copied());
            builder = builder.with_projection(mask);
            // A projection keeps the file's column order.
            self.roots.map(|i| match roots.contains(&i) {
                true => roots.iter().filter(|&&j| j < i).count(),
                false => usize::MAX,
            })
        };
        let reader = builder
            .build()
            .map_err(|e| input_err(&self.path, 0, "file", format!("cannot read: {e}")))?;
        Ok((reader, positions))
    }

    /// The file's axis, and whether its periods are times of day: one pass
    /// over `meter_id` and `timestamp`, as CSV long form's `long_axis`.
    fn axis(&self) -> Result<(TimeAxis, bool), IoError> {
        let (reader, positions) = self.reader(Pass::Axis)?;
        let mut scan = AxisScan::default();
        let mut first = 1;
        for batch in reader {
            let batch = batch.map_err(|e| input_err(&self.path, first, "file", format!("cannot decode: {e}")))?;
            let b = Decoded::new(&batch, first, positions, self.time);
            let mut run = 0;
            for r in 0..b.rows {
                while b.ids[run].0 <= r {
                    run += 1;
                }
                let row = first + r as u64;
                let id = b.ids[run].1.as_deref().unwrap_or_default();
                let stamp = b.stamps[r].ok_or_else(|| input_err(&self.path, row, "timestamp", b.bad_stamp(r)))?;
                scan.add(id.as_bytes(), stamp).map_err(|reason| {
                    input_err(&self.path, row, "timestamp", format!("`{}` {reason}", b.stamp_text(r)))
                })?;
            }
            first += b.rows as u64;
        }
        scan.finish(&self.path, 1)
    }
}

fn builder(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>, IoError> {
    let file = File::open(path).map_err(|e| IoError::io("open", path, e))?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| input_err(path, 0, "file", format!("not a Parquet file ({e})")))
}

/// The offset in minutes of an Arrow time zone: a zone [`TimeZone`] knows
/// (`Asia/Manila`, `UTC`, …), `±HH:MM`, and Arrow's other spellings of an
/// offset, `Z`, `±HHMM` and `±HH`.
fn zone_minutes(tz: &str) -> Result<i32, String> {
    let tz = tz.trim();
    let parsed = if tz.eq_ignore_ascii_case("z") {
        Ok(TimeZone::UTC)
    } else {
        tz.parse::<TimeZone>()
    };
    parsed
        .or_else(|e| {
            let digits = tz.get(1..).is_some_and(|d| d.bytes().all(|c| c.is_ascii_digit()));
            match (tz.as_bytes().first(), tz.len(), digits) {
                (Some(b'+' | b'-'), 5, true) => format!("{}:{}", &tz[..3], &tz[3..]).parse(),
                (Some(b'+' | b'-'), 3, true) => format!("{tz}:00").parse(),
                _ => Err(e),
            }
        })
        .map(|z| (z.offset_seconds() / 60) as i32)
        .map_err(|e| e.to_string())
}

/// A string column of any of the layouts Arrow has.
enum Strings<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> Strings<'a> {
    fn of(a: &'a dyn Array) -> Option<Self> {
        a.as_string_opt::<i32>()
            .map(Strings::Utf8)
            .or_else(|| a.as_string_opt::<i64>().map(Strings::Large))
            .or_else(|| a.as_string_view_opt().map(Strings::View))
    }

    fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Strings::Utf8(a) => (!a.is_null(i)).then(|| a.value(i)),
            Strings::Large(a) => (!a.is_null(i)).then(|| a.value(i)),
            Strings::View(a) => (!a.is_null(i)).then(|| a.value(i)),
        }
    }
}

/// The `kwh` column of a batch.
enum Kwh {
    F64(Float64Array),
    F32(Float32Array),
    /// Not read (the axis pass), or of another type (refused when the file was opened).
    None,
}

impl Kwh {
    /// The reading of row `i`, `None` when null.
    fn get(&self, i: usize) -> Option<f64> {
        match self {
            Kwh::F64(a) => (!a.is_null(i)).then(|| a.value(i)),
            Kwh::F32(a) => (!a.is_null(i)).then(|| f64::from(a.value(i))),
            Kwh::None => None,
        }
    }
}

/// A record batch's three columns, read for a walk over its rows. Nothing
/// is refused here: a row's problems are found in row order by the walk.
struct Decoded {
    /// The row number in the file of its first row (1-based).
    first_row: u64,
    rows: usize,
    /// Runs of rows with one meter id: each run's end (exclusive) and its
    /// id, trimmed (`None`: null). They cover every row.
    ids: Vec<(usize, Option<String>)>,
    /// Each row's timestamp, `None` when it cannot be read ([`bad_stamp`](Self::bad_stamp) says why).
    stamps: Vec<Option<Stamp>>,
    kwh: Kwh,
    /// The `timestamp` column as read (for the errors' text).
    ts: ArrayRef,
    time: Time,
}

impl Decoded {
    /// `positions`: of `meter_id`, `timestamp` and `kwh` in `batch` (`kwh`
    /// past its columns when not read).
    fn new(batch: &RecordBatch, first_row: u64, positions: [usize; 3], time: Time) -> Decoded {
        let rows = batch.num_rows();
        let ids = id_runs(batch.column(positions[0]).as_ref());
        let ts = Arc::clone(batch.column(positions[1]));
        let stamps = (0..rows).map(|r| stamp(ts.as_ref(), r, time)).collect();
        let kwh = match batch.columns().get(positions[2]) {
            Some(a) => match (a.as_primitive_opt::<Float64Type>(), a.as_primitive_opt::<Float32Type>()) {
                (Some(a), _) => Kwh::F64(a.clone()),
                (_, Some(a)) => Kwh::F32(a.clone()),
                _ => Kwh::None,
            },
            None => Kwh::None,
        };
        Decoded {
            first_row,
            rows,
            ids,
            stamps,
            kwh,
            ts,
            time,
        }
    }

    /// Why row `r`'s timestamp cannot be read.
    fn bad_stamp(&self, r: usize) -> String {
        if self.ts.is_null(r) {
            return "missing timestamp".into();
        }
        match self.time {
            Time::Text => not_a_stamp(&self.stamp_text(r)),
            Time::Instant { unit, per_second, .. } => match instants(self.ts.as_ref(), unit) {
                Some(v) if v[r] % per_second != 0 => {
                    format!("{} {unit:?}s since 1970 is not a whole second", v[r])
                }
                _ => format!("`{}` is outside the years 1 ..= 9999", self.stamp_text(r)),
            },
            Time::Date => format!("`{}` is outside the years 1 ..= 9999", self.stamp_text(r)),
        }
    }

    /// Row `r`'s timestamp as text: the string read, or the date or time
    /// (local, with its offset) written as CSV long form would have it.
    fn stamp_text(&self, r: usize) -> String {
        match (self.time, self.stamps[r]) {
            (Time::Text, _) => Strings::of(self.ts.as_ref())
                .and_then(|s| s.get(r))
                .unwrap_or_default()
                .to_owned(),
            (_, Some(Stamp::Day(d))) => d.to_string(),
            (_, Some(Stamp::Month(m))) => m.to_string(),
            (_, Some(Stamp::Instant(utc, offset))) => {
                let local = utc + i64::from(offset) * 60;
                let secs = local.rem_euclid(86_400);
                let (sign, o) = (if offset < 0 { '-' } else { '+' }, offset.unsigned_abs());
                format!(
                    "{}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
                    Date::from_days_since_epoch(local.div_euclid(86_400)),
                    secs / 3600,
                    secs / 60 % 60,
                    secs % 60,
                    o / 60,
                    o % 60
                )
            }
            (Time::Instant { unit, .. }, None) => instants(self.ts.as_ref(), unit)
                .map(|v| format!("{} {unit:?}s since 1970", v[r]))
                .unwrap_or_default(),
            (Time::Date, None) => self
                .ts
                .as_primitive_opt::<Date32Type>()
                .map(|a| format!("{} days since 1970", a.value(r)))
                .unwrap_or_default(),
        }
    }
}

/// The runs of equal (trimmed) ids of a `meter_id` column.
fn id_runs(a: &dyn Array) -> Vec<(usize, Option<String>)> {
    let mut runs: Vec<(usize, Option<String>)> = Vec::new();
    let mut push = |i: usize, id: Option<&str>| {
        let id = id.map(str::trim);
        match runs.last_mut() {
            Some((end, last)) if last.as_deref() == id => *end = i + 1,
            _ => runs.push((i + 1, id.map(str::to_owned))),
        }
    };
    if let Some(d) = a.as_any_dictionary_opt() {
        let values = Strings::of(d.values().as_ref());
        for (i, k) in d.normalized_keys().into_iter().enumerate() {
            let id = if a.is_null(i) {
                None
            } else {
                values.as_ref().and_then(|v| v.get(k))
            };
            push(i, id);
        }
    } else {
        let values = Strings::of(a);
        for i in 0..a.len() {
            push(i, values.as_ref().and_then(|v| v.get(i)));
        }
    }
    runs
}

/// The values of a `Timestamp` column of `unit`.
fn instants(a: &dyn Array, unit: TimeUnit) -> Option<&[i64]> {
    Some(match unit {
        TimeUnit::Second => a.as_primitive_opt::<TimestampSecondType>()?.values(),
        TimeUnit::Millisecond => a.as_primitive_opt::<TimestampMillisecondType>()?.values(),
        TimeUnit::Microsecond => a.as_primitive_opt::<TimestampMicrosecondType>()?.values(),
        TimeUnit::Nanosecond => a.as_primitive_opt::<TimestampNanosecondType>()?.values(),
    })
}

/// Row `r`'s timestamp, when it can be read: not null, whole seconds, in
/// the years 1 ..= 9999 (or a string CSV long form would read).
fn stamp(a: &dyn Array, r: usize, time: Time) -> Option<Stamp> {
    if a.is_null(r) {
        return None;
    }
    match time {
        Time::Instant {
            unit,
            per_second,
            offset,
        } => {
            let v = instants(a, unit)?[r];
            (v % per_second == 0)
                .then(|| v / per_second)
                .filter(|s| SECONDS.contains(s))
                .map(|s| Stamp::Instant(s, offset))
        }
        Time::Date => {
            let days = i64::from(a.as_primitive_opt::<Date32Type>()?.value(r));
            SECONDS
                .contains(&(days * 86_400))
                .then(|| Stamp::Day(Date::from_days_since_epoch(days)))
        }
        Time::Text => parse_stamp(Strings::of(a)?.get(r)?),
    }
}

/// One meter of the file: its first row, id, values on the axis (`NaN`:
/// missing) and the period of each of its rows, in file order.
struct Meter {
    first_row: u64,
    id: String,
    values: Vec<f64>,
    periods: Vec<u32>,
}

/// A batch `inject` has read and not written yet, with the readings to change.
struct Pending {
    first_row: u64,
    batch: RecordBatch,
    /// `(row in the batch, new kWh)`.
    changes: Vec<(usize, f64)>,
}

/// The meters of a long-form Parquet file, read batch by batch and checked
/// row by row in file order as CSV long form's `next_row` checks them.
struct Walk {
    path: PathBuf,
    /// The names of `meter_id`, `timestamp` and `kwh` (for errors).
    names: [String; 3],
    time: Time,
    positions: [usize; 3],
    axis: TimeAxis,
    /// In a mutex only to be `Sync` (it is never locked: reads go through
    /// `get_mut`): a [`ConsumptionReader`] is shared across threads by its
    /// wide layouts' first pass, and the Parquet reader is `Send` only.
    reader: Mutex<ParquetRecordBatchReader>,
    /// The row number of the next batch's first row (1-based).
    next_row: u64,
    batch: Option<Decoded>,
    /// The next row of `batch`, and its id run.
    at: usize,
    run: usize,
    finished: bool,
    /// The ids of the meters read (to refuse a meter whose rows are not consecutive).
    seen: HashSet<String, BuildHasherDefault<IdHasher>>,
    /// Whether to refuse repeated ids (off in `inject`'s second pass over a checked file).
    track_ids: bool,
    /// The periods the current meter has a reading at.
    taken: Vec<bool>,
    /// `inject`'s second pass: the batches read and not written yet.
    queue: Option<VecDeque<Pending>>,
}

impl std::fmt::Debug for Walk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Walk")
            .field("path", &self.path)
            .field("axis", &self.axis)
            .field("next_row", &self.next_row)
            .finish_non_exhaustive()
    }
}

impl Walk {
    /// A walk over the file of `columns` on `axis`, reading every column
    /// and keeping the batches for writing when `all` (`inject`'s second pass).
    fn new(columns: &Columns, axis: TimeAxis, all: bool) -> Result<Walk, IoError> {
        let (reader, positions) = columns.reader(if all { Pass::All } else { Pass::Readings })?;
        Ok(Walk {
            path: columns.path.clone(),
            names: columns.names(),
            time: columns.time,
            positions,
            axis,
            reader: Mutex::new(reader),
            next_row: 1,
            batch: None,
            at: 0,
            run: 0,
            finished: false,
            seen: HashSet::default(),
            track_ids: !all,
            taken: vec![false; axis.len()],
            queue: all.then(VecDeque::new),
        })
    }

    /// Reads the next batch; `false` at the end of the file.
    fn read_batch(&mut self) -> Result<bool, IoError> {
        if self.finished {
            return Ok(false);
        }
        let reader = self.reader.get_mut().unwrap_or_else(PoisonError::into_inner);
        let batch = match reader.next() {
            None => {
                self.finished = true;
                return Ok(false);
            }
            Some(Err(e)) => {
                return Err(input_err(
                    &self.path,
                    self.next_row,
                    "file",
                    format!("cannot decode: {e}"),
                ));
            }
            Some(Ok(batch)) => batch,
        };
        let decoded = Decoded::new(&batch, self.next_row, self.positions, self.time);
        self.next_row += batch.num_rows() as u64;
        if let Some(queue) = &mut self.queue {
            queue.push_back(Pending {
                first_row: decoded.first_row,
                batch,
                changes: Vec::new(),
            });
        }
        self.batch = Some(decoded);
        (self.at, self.run) = (0, 0);
        Ok(true)
    }

    /// The next meter, checked, or `None` at the end of the file.
    fn next_meter(&mut self) -> Result<Option<Meter>, IoError> {
        let mut meter: Option<Meter> = None;
        loop {
            if self.batch.as_ref().is_none_or(|b| self.at >= b.rows) {
                if self.read_batch()? {
                    continue;
                }
                break;
            }
            let Some(b) = self.batch.as_ref() else { break };
            let r = self.at;
            let row = b.first_row + r as u64;
            let err = |c: usize, reason: String| input_err(&self.path, row, &self.names[c], reason);
            while b.ids[self.run].0 <= r {
                self.run += 1;
            }
            let id = b.ids[self.run]
                .1
                .as_deref()
                .filter(|id| !id.is_empty())
                .ok_or_else(|| err(0, EMPTY_ID.into()))?;
            match &meter {
                // This row starts the next meter.
                Some(m) if m.id != id => {
                    if self.track_ids && self.seen.contains(id) {
                        return Err(err(0, not_consecutive(id)));
                    }
                    break;
                }
                Some(_) => {}
                None => {
                    if self.track_ids && self.seen.contains(id) {
                        return Err(err(0, not_consecutive(id)));
                    }
                    meter = Some(Meter {
                        first_row: row,
                        id: id.to_owned(),
                        values: vec![f64::NAN; self.axis.len()],
                        periods: Vec::new(),
                    });
                }
            }
            let stamp = b.stamps[r].ok_or_else(|| err(1, b.bad_stamp(r)))?;
            let p = period_of(&self.axis, stamp).ok_or_else(|| err(1, not_a_period(&b.stamp_text(r))))?;
            let v = match b.kwh.get(r) {
                None => f64::NAN,
                Some(v) if !v.is_finite() => return Err(err(2, format!("`{v}` is not a finite number"))),
                Some(v) if v < 0.0 => return Err(err(2, format!("{v} is negative"))),
                Some(v) => v,
            };
            if std::mem::replace(&mut self.taken[p], true) {
                return Err(err(1, SECOND_READING.into()));
            }
            if let Some(m) = meter.as_mut() {
                m.values[p] = v;
                m.periods.push(p as u32);
            }
            self.at += 1;
        }
        if let Some(m) = &meter {
            for &p in &m.periods {
                self.taken[p as usize] = false;
            }
            if self.track_ids {
                self.seen.insert(m.id.clone());
            }
        }
        Ok(meter)
    }

    /// Sets the reading of row `row` (of the file, 1-based) to `kwh` in the
    /// batch waiting to be written.
    fn change(&mut self, row: u64, kwh: f64) {
        let Some(queue) = &mut self.queue else { return };
        if let Some(p) = queue
            .iter_mut()
            .rev()
            .find(|p| p.first_row <= row && row < p.first_row + p.batch.num_rows() as u64)
        {
            p.changes.push(((row - p.first_row) as usize, kwh));
        }
    }

    /// The oldest batch waiting to be written if all its rows come before `row`.
    fn done_before(&mut self, row: u64) -> Option<Pending> {
        let queue = self.queue.as_mut()?;
        let front = queue.front()?;
        (front.first_row + front.batch.num_rows() as u64 <= row)
            .then(|| queue.pop_front())
            .flatten()
    }
}

/// The meters of a long-form Parquet file as [`MeterRow`]s: what a
/// [`ConsumptionReader`] made by `read_consumption` for such a file yields.
#[derive(Debug)]
pub(crate) struct ParquetMeters {
    walk: Walk,
    done: bool,
}

impl Iterator for ParquetMeters {
    type Item = Result<MeterRow, IoError>;

    /// The next meter (`line`: its first row); nothing after an error.
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.walk.next_meter().transpose();
        if matches!(r, None | Some(Err(_))) {
            self.done = true;
        }
        r.map(|m| m.map(|m| MeterRow::long(m.first_row, m.id, m.values)))
    }
}

/// [`read_consumption`](super::read_consumption) of a Parquet file: checks
/// the schema, finds the axis (one pass over `meter_id` and `timestamp`),
/// and returns a reader of its meters.
pub(crate) fn consumption_reader(path: &Path, layout: Option<InputLayout>) -> Result<ConsumptionReader, IoError> {
    let columns = Columns::open(path, layout)?;
    let (axis, times) = columns.axis()?;
    let walk = Walk::new(&columns, axis, false)?;
    let names = columns.schema.fields().iter().map(|f| f.name().clone()).collect();
    ConsumptionReader::from_parquet(path, axis, names, times, Box::new(ParquetMeters { walk, done: false }))
}

/// `inject_file` of a long-form Parquet file: the same two passes as CSV
/// long form's (the first checks the file and counts the eligible meters,
/// nothing being written when it is bad; the second injects), writing into
/// a [`Staging`] directory that replaces `output_dir` on success: the table
/// under the input's name with the input's schema (only changed `kwh`
/// values differ, at full precision: a float column is not rounded;
/// missing readings stay null; the input's row groups are kept, split
/// beyond [`MAX_GROUP_ROWS`] rows), `anomaly_labels.csv` and `events.csv`.
/// Meters of `labelled` (read from `labels_file`) are left alone.
pub(crate) fn inject_parquet(
    input: &Path,
    layout: Option<InputLayout>,
    plan: &InjectPlan,
    labelled: &HashSet<String>,
    labels_file: Option<&Path>,
    output_dir: &Path,
) -> Result<InjectSummary, IoError> {
    // Pass 1: check everything and count.
    let columns = Columns::open(input, layout)?;
    let (axis, times) = columns.axis()?;
    let mut walk = Walk::new(&columns, axis, false)?;
    let mut tally = Tally::default();
    while let Some(m) = walk.next_meter()? {
        let present = m.values.iter().any(|v| !v.is_nan());
        tally.push(labelled.contains(&m.id).then_some(m.id), present);
    }
    drop(walk); // and its id set
    let plan = plan.clone().with_decimals(None);
    let run = plan.run(tally.eligible_count);

    // Pass 2: inject and write.
    let staging = Staging::new(output_dir)?;
    let name = input
        .file_name()
        .map_or_else(|| PathBuf::from("consumption.parquet"), PathBuf::from);
    let create = |n: &Path| -> Result<(PathBuf, BufWriter<File>), IoError> {
        let p = staging.path().join(n);
        let file = File::create(&p).map_err(|e| IoError::io("create", &p, e))?;
        Ok((p, BufWriter::with_capacity(1 << 20, file)))
    };
    let (table_path, table_file) = create(&name)?;
    let mut table = TableWriter::new(&columns, table_path, table_file)?;
    let mut events = EventFiles::new(staging.path())?;

    let mut walk = Walk::new(&columns, axis, true)?;
    let mut position = 0u64;
    let mut row_index = 0usize;
    while let Some(m) = walk.next_meter()? {
        let this = tally.is_eligible(row_index);
        if this && run.selects(position) {
            let mut values = m.values.clone();
            let event = run
                .inject_meter(row_index, position, &mut values, &axis, None)
                .map_err(|e| IoError::Generation(Box::new(e)))?;
            if let Some(e) = event {
                for (k, &p) in m.periods.iter().enumerate() {
                    let (before, after) = (m.values[p as usize], values[p as usize]);
                    if !before.is_nan() && after.to_bits() != before.to_bits() {
                        walk.change(m.first_row + k as u64, after);
                    }
                }
                events.record(&m.id, &e, &axis, times)?;
            }
        }
        position += u64::from(this);
        row_index += 1;
        // The rows up to this meter's last are final.
        let end = m.first_row + m.periods.len() as u64;
        while let Some(p) = walk.done_before(end) {
            table.write(p)?;
        }
    }
    while let Some(p) = walk.done_before(u64::MAX) {
        table.write(p)?;
    }
    table.finish()?;
    let counts = events.finish()?;
    let target = staging.commit()?;
    let files = [name.as_path(), Path::new(ANOMALY_LABELS_CSV), Path::new(EVENTS_CSV)]
        .iter()
        .map(|n| target.join(n))
        .collect();
    Ok(tally.summary(InputLayout::Long, labels_file.map(Path::to_path_buf), counts, files))
}

/// Writes the injected table with the input's schema, ending a row group
/// where the input's end (and every [`MAX_GROUP_ROWS`] rows).
struct TableWriter {
    path: PathBuf,
    writer: ArrowWriter<BufWriter<File>>,
    /// The rows after which the input's row groups end, increasing.
    group_ends: Vec<u64>,
    next_end: usize,
    written: u64,
    /// `kwh`'s position in a batch.
    kwh: usize,
}

impl TableWriter {
    fn new(columns: &Columns, path: PathBuf, out: BufWriter<File>) -> Result<TableWriter, IoError> {
        let zstd = ZstdLevel::try_new(ZSTD_LEVEL).map_err(|e| parquet_err(&path, e))?;
        let mut props = WriterProperties::builder()
            .set_created_by(concat!("ghostload version ", env!("CARGO_PKG_VERSION")).to_owned())
            .set_compression(Compression::ZSTD(zstd))
            .set_max_row_group_row_count(Some(MAX_GROUP_ROWS));
        if matches!(columns.time, Time::Instant { .. } | Time::Date) {
            // Steady steps: delta-encoded, as our writer stores them.
            let ts = ColumnPath::from(columns.schema.field(columns.roots[1]).name().as_str());
            props = props
                .set_column_dictionary_enabled(ts.clone(), false)
                .set_column_encoding(ts, Encoding::DELTA_BINARY_PACKED);
        }
        let props = props.build();
        let writer =
            ArrowWriter::try_new(out, Arc::clone(&columns.schema), Some(props)).map_err(|e| parquet_err(&path, e))?;
        let mut group_ends = Vec::with_capacity(columns.row_groups.len());
        let mut end = 0;
        for &rows in &columns.row_groups {
            // Empty row groups end nowhere new.
            if rows > 0 {
                end += rows;
                group_ends.push(end);
            }
        }
        Ok(TableWriter {
            path,
            writer,
            group_ends,
            next_end: 0,
            written: 0,
            kwh: columns.roots[2],
        })
    }

    /// Writes a batch, its changed readings set.
    fn write(&mut self, pending: Pending) -> Result<(), IoError> {
        let mut batch = if pending.changes.is_empty() {
            pending.batch
        } else {
            with_kwh(&pending.batch, self.kwh, &pending.changes).map_err(|e| IoError::Parquet {
                path: Some(self.path.clone()),
                reason: e,
            })?
        };
        while batch.num_rows() > 0 {
            let room = self
                .group_ends
                .get(self.next_end)
                .map_or(u64::MAX, |e| e - self.written);
            let n = (batch.num_rows() as u64).min(room) as usize;
            self.writer
                .write(&batch.slice(0, n))
                .map_err(|e| parquet_err(&self.path, e))?;
            self.written += n as u64;
            if self.group_ends.get(self.next_end) == Some(&self.written) {
                self.writer.flush().map_err(|e| parquet_err(&self.path, e))?;
                self.next_end += 1;
            }
            batch = batch.slice(n, batch.num_rows() - n);
        }
        Ok(())
    }

    /// Writes the footer and syncs the file.
    fn finish(self) -> Result<(), IoError> {
        let out = self.writer.into_inner().map_err(|e| parquet_err(&self.path, e))?;
        out.into_inner()
            .map_err(|e| IoError::io("write", &self.path, e.into_error()))?
            .sync_all()
            .map_err(|e| IoError::io("sync", &self.path, e))
    }
}

fn parquet_err(path: &Path, e: parquet::errors::ParquetError) -> IoError {
    IoError::Parquet {
        path: Some(path.to_path_buf()),
        reason: e.to_string(),
    }
}

/// `batch` with the `kwh` column (at `col`) changed at `changes`; a
/// `Float32` column gets the nearest `f32`. Everything else, nulls
/// included, is the batch's own.
fn with_kwh(batch: &RecordBatch, col: usize, changes: &[(usize, f64)]) -> Result<RecordBatch, String> {
    let array = batch.column(col);
    let kwh: ArrayRef = if let Some(a) = array.as_primitive_opt::<Float64Type>() {
        let mut values = a.values().to_vec();
        for &(i, v) in changes {
            values[i] = v;
        }
        Arc::new(Float64Array::new(values.into(), a.nulls().cloned()))
    } else if let Some(a) = array.as_primitive_opt::<Float32Type>() {
        let mut values = a.values().to_vec();
        for &(i, v) in changes {
            values[i] = v as f32;
        }
        Arc::new(Float32Array::new(values.into(), a.nulls().cloned()))
    } else {
        return Err(format!("kwh is {}, not Float64 or Float32", array.data_type()));
    };
    let mut arrays = batch.columns().to_vec();
    arrays[col] = kwh;
    RecordBatch::try_new(batch.schema(), arrays).map_err(|e| e.to_string())
}
