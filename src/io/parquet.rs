//! Long-form interval readings as Parquet (`meter_readings` parts): one row
//! per meter and interval, written fast and in bounded memory.
//!
//! | Column | Arrow type | Parquet | Encoding |
//! |---|---|---|---|
//! | `meter_id` | `Dictionary(Int32, Utf8)`, non-null | required `BYTE_ARRAY` (`STRING`) | dictionary of the row group's meters, RLE runs |
//! | `timestamp` | `Timestamp(Millisecond, tz)`, non-null | required `INT64` `TIMESTAMP(MILLIS, UTC)` | `DELTA_BINARY_PACKED` |
//! | `kwh` | `Float64`, nullable | optional `DOUBLE` | dictionary (bit-packed indices), zstd |
//!
//! `timestamp` is the UTC instant of the interval start. Parquet has no
//! logical type for seconds: an Arrow `Timestamp(Second)` column is stored as
//! a bare `INT64`, which DuckDB and pyarrow then read as integers and polars
//! as milliseconds. Milliseconds are stored instead (the seconds × 1000), so
//! every reader sees a time-zone-aware timestamp; the zone string (e.g.
//! `+08:00` or `Asia/Manila`) is kept in the embedded Arrow schema.
//!
//! The three columns are encoded by this module rather than by parquet-rs's
//! column writers, which spend ~30 ns a row on them (hashing every `kwh` and
//! every `meter_id` string); parquet-rs still writes the page headers, the
//! footer and the Arrow schema. Row groups are encoded in parallel with the
//! `parallel` feature; the bytes depend only on the rows and the
//! [`ParquetOptions`], never on the thread count or on how the rows were
//! split into [`ReadingsBlock`]s.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ghostload::io::{ParquetOptions, ReadingsBlock, ReadingsParquetWriter};
//! let timestamps = [1_704_038_400, 1_704_042_000, 1_704_045_600];
//! let values = [0.347, 1.205, 0.2, 0.5, 0.6, 0.7];
//! let block = ReadingsBlock {
//!     first_meter: 0,
//!     meters: 2,
//!     timestamps: &timestamps,
//!     values: &values,
//!     missing: &[(1, 0..2)], // the second meter's first two intervals are null
//! };
//! let mut writer = ReadingsParquetWriter::new(Vec::new(), ParquetOptions::default())?;
//! writer.write_block(&block)?;
//! let bytes = writer.finish()?;
//! assert_eq!(&bytes[..4], b"PAR1");
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, TimestampMillisecondType};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::basic::{Compression, Encoding, PageType, ZstdLevel};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::data_type::ByteArray;
use parquet::errors::ParquetError;
use parquet::file::metadata::ColumnChunkMetaData;
use parquet::file::properties::WriterProperties;
use parquet::file::statistics::Statistics;
use parquet::file::writer::{SerializedFileWriter, SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

use crate::error::IoError;
use crate::ids::MeterId;

/// The directory of a dataset that holds the `meter_readings` Parquet parts.
pub const METER_READINGS_DIR: &str = super::METER_READINGS_DIR_NAME;

/// The name of shard `index`'s part of `count` (1-based):
/// `part-00002-of-00016.parquet`. Five digits at least; more when `count` needs them.
///
/// ```
/// assert_eq!(ghostload::io::part_name(2, 16), "part-00002-of-00016.parquet");
/// assert_eq!(ghostload::io::part_name(1, 1), "part-00001-of-00001.parquet");
/// ```
#[must_use]
pub fn part_name(index: usize, count: usize) -> String {
    format!("part-{index:05}-of-{count:05}.parquet")
}

/// The column names of the `meter_readings` table, in order.
pub const READINGS_COLUMNS: [&str; 3] = ["meter_id", "timestamp", "kwh"];

/// Default zstd level of the `kwh` pages: `-1`, zstd's first fast level.
/// Encoding one streamed batch of hourly readings ten times (167 M rows),
/// it took 16 % less user CPU than level 1 for a file 4.6 % larger
/// (`docs/performance.md`, "Interval data").
pub const DEFAULT_ZSTD_LEVEL: i32 = -1;

/// Default rows per row group (524 288; see [`ParquetOptions::row_group_rows`]):
/// ~1 700 row groups for 100 000 meters × 8 784 hours, enough for any
/// reader's threads, with a footer under 1 MB and a file within 0.5 % of the
/// size that larger groups give (smaller groups make larger files: each
/// repeats its `kwh` dictionary).
pub const DEFAULT_ROW_GROUP_ROWS: usize = 1 << 19;

/// Largest accepted [`ParquetOptions::row_group_rows`] (16 777 216).
pub const MAX_ROW_GROUP_ROWS: usize = 1 << 24;

/// Rows per data page: pages are split at multiples of this within a row group.
/// Each `kwh` page packs its dictionary indices with just the bits its
/// largest index needs; the dictionary is in order of first appearance, so
/// early pages need fewer bits: 16 384-row pages make the column ~10 % smaller
/// than one page per row group.
const PAGE_ROWS: usize = 1 << 14;

/// Row groups encoded per parallel wave (bounds the encoded bytes held in memory).
const WAVE: usize = 8;

/// `kwh` values interned through the direct table: `round(kwh × 1000)` below this.
const TABLE_SLOTS: usize = 1 << 16;

/// Values per bit-packed run of dictionary indices (63 groups of 8: one-byte run headers).
const PACKED_RUN: usize = 504;

/// A borrowed block of readings of consecutive meters that share one
/// timestamp axis: the rows `(meter, timestamps[t], values[m × T + t])`,
/// meter after meter. Any resolution: the axis is just strictly increasing
/// UTC seconds.
#[derive(Debug, Clone, Copy)]
pub struct ReadingsBlock<'a> {
    /// 0-based index of the block's first meter ([`MeterId::from_index`]).
    pub first_meter: u32,
    /// Number of meters in the block.
    pub meters: usize,
    /// The `T` interval starts, UTC seconds since the Unix epoch, strictly
    /// increasing; within ±9.2 × 10¹⁵ (they are stored as milliseconds).
    pub timestamps: &'a [i64],
    /// `meters × T` values in kWh, meter after meter (row-major).
    pub values: &'a [f64],
    /// `(meter offset within the block, interval index range)` of the null
    /// (missing) readings: sorted by meter then start, non-overlapping,
    /// inside `0..meters` and `0..T`. The values under them are ignored.
    pub missing: &'a [(u32, Range<u32>)],
}

impl ReadingsBlock<'_> {
    /// Rows in the block (`meters × T`).
    #[must_use]
    pub fn rows(&self) -> usize {
        self.meters.saturating_mul(self.timestamps.len())
    }

    /// `Err(`[`IoError::InvalidReadings`]`)` unless the block is consistent.
    ///
    /// # Errors
    /// When a length, a range, a meter index or the time axis is wrong.
    pub fn check(&self) -> Result<(), IoError> {
        let bad = |reason: String| Err(IoError::InvalidReadings { reason });
        let t = self.timestamps.len();
        if self.meters.checked_mul(t) != Some(self.values.len()) {
            return bad(format!(
                "values.len() = {} but meters × timestamps = {} × {t}",
                self.values.len(),
                self.meters
            ));
        }
        if u64::from(self.first_meter) + self.meters as u64 > u64::from(u32::MAX) + 1 {
            return bad(format!(
                "meters {} + {} exceed the meter index range (u32)",
                self.first_meter, self.meters
            ));
        }
        if t > u32::MAX as usize {
            return bad(format!("{t} timestamps exceed u32::MAX"));
        }
        const LIMIT: i64 = i64::MAX / 1000;
        for (i, w) in self.timestamps.windows(2).enumerate() {
            if w[1] <= w[0] {
                return bad(format!(
                    "timestamps not strictly increasing: [{i}] = {} then [{}] = {}",
                    w[0],
                    i + 1,
                    w[1]
                ));
            }
        }
        if let (Some(&lo), Some(&hi)) = (self.timestamps.first(), self.timestamps.last()) {
            if lo < -LIMIT || hi > LIMIT {
                return bad(format!("timestamps {lo} ..= {hi} overflow as milliseconds"));
            }
        }
        let mut previous: Option<(u32, u32)> = None;
        for (meter, range) in self.missing {
            if *meter as usize >= self.meters || range.start > range.end || range.end as usize > t {
                return bad(format!(
                    "missing range ({meter}, {range:?}) is outside {} meters × {t} intervals",
                    self.meters
                ));
            }
            if let Some((m, end)) = previous {
                if *meter < m || (*meter == m && range.start < end) {
                    return bad(format!(
                        "missing range ({meter}, {range:?}) is out of order or overlaps the one before (meter {m}, ending at {end})"
                    ));
                }
            }
            previous = Some((*meter, range.end));
        }
        Ok(())
    }
}

/// How [`ReadingsParquetWriter`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParquetOptions {
    /// Time zone of the `timestamp` column: an IANA name (`Asia/Manila`) or a
    /// fixed offset (`+08:00`, the default). Values are UTC instants either way.
    pub timezone: String,
    /// Rows per row group, the unit readers parallelise on (default
    /// [`DEFAULT_ROW_GROUP_ROWS`]): every row group but the last has exactly
    /// this many rows. Always `1 ..=` [`MAX_ROW_GROUP_ROWS`].
    pub row_group_rows: usize,
    /// zstd level of the `kwh` pages: `1 ..= 22`, or zstd's fast levels
    /// `-7 ..= -1`; `0` leaves them uncompressed. Default `-1`
    /// ([`DEFAULT_ZSTD_LEVEL`]). `meter_id` and `timestamp` are a few bytes
    /// per row group and never compressed. Readers need nothing to read any
    /// level: a zstd frame does not depend on the level it was written at.
    pub zstd_level: i32,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions {
            timezone: "+08:00".to_owned(),
            row_group_rows: DEFAULT_ROW_GROUP_ROWS,
            zstd_level: DEFAULT_ZSTD_LEVEL,
        }
    }
}

impl ParquetOptions {
    /// The time zone stored with `timestamp`.
    #[must_use]
    pub fn with_timezone(mut self, timezone: impl Into<String>) -> Self {
        self.timezone = timezone.into();
        self
    }

    /// Rows per row group, clamped to `1 ..=` [`MAX_ROW_GROUP_ROWS`].
    ///
    /// ```
    /// use ghostload::io::{MAX_ROW_GROUP_ROWS, ParquetOptions};
    /// assert_eq!(ParquetOptions::default().with_row_group_rows(0).row_group_rows, 1);
    /// assert_eq!(ParquetOptions::default().with_row_group_rows(usize::MAX).row_group_rows, MAX_ROW_GROUP_ROWS);
    /// ```
    #[must_use]
    pub fn with_row_group_rows(mut self, rows: usize) -> Self {
        self.row_group_rows = rows.clamp(1, MAX_ROW_GROUP_ROWS);
        self
    }

    /// zstd level of the `kwh` pages, clamped to `-7 ..= 22` (`0`: uncompressed).
    #[must_use]
    pub fn with_zstd_level(mut self, level: i32) -> Self {
        self.zstd_level = level.clamp(-7, 22);
        self
    }
}

/// The Arrow schema of the `meter_readings` table with time zone `timezone`.
#[must_use]
pub fn readings_schema(timezone: &str) -> SchemaRef {
    long_schema(timezone, READINGS_COLUMNS[0])
}

/// The ids of a long table's first column: its name and how an index is written.
#[derive(Clone, Copy)]
pub(crate) struct Ids {
    pub(crate) column: &'static str,
    pub(crate) name: fn(u32) -> String,
}

impl Ids {
    /// Meters: `meter_id`, `MTR_000001`.
    pub(crate) const METERS: Ids = Ids {
        column: "meter_id",
        name: |i| MeterId::from_index(i).to_string(),
    };
}

/// The schema of a long table of readings whose id column is `id`.
fn long_schema(timezone: &str, id: &str) -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(
            id,
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            false,
        ),
        Field::new(
            READINGS_COLUMNS[1],
            DataType::Timestamp(TimeUnit::Millisecond, Some(timezone.into())),
            false,
        ),
        Field::new(READINGS_COLUMNS[2], DataType::Float64, true),
    ]))
}

/// The file a Parquet part of a dataset is written through: buffered, and
/// hashed for `manifest.json` as the encoder's bytes go out.
pub(crate) type PartFile = std::io::BufWriter<crate::io::digest::TapWriter<std::fs::File>>;

/// Creates the part of `shard` in the table directory `dir/table` (and the
/// directory): returns its path and the file to write it through.
pub(crate) fn create_part(
    dir: &std::path::Path,
    table: &str,
    shard: crate::shard::Shard,
    digests: &crate::io::digest::Digests,
) -> Result<(std::path::PathBuf, PartFile), IoError> {
    let parts = dir.join(table);
    std::fs::create_dir_all(&parts).map_err(|e| IoError::io("create", &parts, e))?;
    let name = part_name(shard.index(), shard.count());
    let path = parts.join(&name);
    let file = std::fs::File::create(&path).map_err(|e| IoError::io("create", &path, e))?;
    let tapped = crate::io::digest::TapWriter {
        inner: file,
        tap: crate::io::digest::Tap::new(digests, &format!("{table}/{name}")),
    };
    Ok((path, std::io::BufWriter::with_capacity(1 << 20, tapped)))
}

/// Finishes a part file at `path` written through a [`PartFile`] (syncing
/// it when `sync`), records its digest and returns its size.
pub(crate) fn finish_part(
    writer: ReadingsParquetWriter<PartFile>,
    path: &std::path::Path,
    sync: bool,
) -> Result<u64, IoError> {
    let out = writer.finish().map_err(|e| at_path(e, path))?;
    let crate::io::digest::TapWriter { inner: file, tap } = out
        .into_inner()
        .map_err(|e| IoError::io("write", path, e.into_error()))?;
    if sync {
        file.sync_all().map_err(|e| IoError::io("sync", path, e))?;
    }
    let len = file.metadata().map_err(|e| IoError::io("stat", path, e))?.len();
    tap.finish();
    Ok(len)
}

/// Names the file `path` in a Parquet error that does not name one.
pub(crate) fn at_path(e: IoError, path: &std::path::Path) -> IoError {
    match e {
        IoError::Parquet { path: None, reason } => IoError::Parquet {
            path: Some(path.to_path_buf()),
            reason,
        },
        other => other,
    }
}

fn parquet_err(e: ParquetError) -> IoError {
    IoError::Parquet {
        path: None,
        reason: e.to_string(),
    }
}

/// Writes the `meter_readings` table to `W` as Parquet, block by block.
///
/// Rows are a continuous stream (meter after meter, each meter's intervals in
/// order); blocks must come in increasing meter order. Row groups span block
/// and meter boundaries: a partial row group is carried over to the next
/// block, so only [`ParquetOptions::row_group_rows`] decides where they end.
/// Memory: the carried-over rows plus a few encoded row groups.
pub struct ReadingsParquetWriter<W: Write + Send> {
    writer: SerializedFileWriter<W>,
    ids: Ids,
    columns: [ColumnDescPtr; 3],
    options: ParquetOptions,
    carry: Vec<OwnedPiece>,
    carry_rows: usize,
    next_meter: u32,
    started: bool,
    rows: u64,
    row_groups: usize,
}

impl<W: Write + Send> std::fmt::Debug for ReadingsParquetWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadingsParquetWriter")
            .field("options", &self.options)
            .field("rows", &self.rows)
            .field("row_groups", &self.row_groups)
            .field("carry_rows", &self.carry_rows)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Send> ReadingsParquetWriter<W> {
    /// Starts a file on `out` (writes the magic bytes). Wrap a file in a
    /// `BufWriter`: the writer makes many small writes.
    ///
    /// # Errors
    /// [`IoError::Parquet`] when `out` fails.
    pub fn new(out: W, options: ParquetOptions) -> Result<Self, IoError> {
        Self::with_ids(out, options, Ids::METERS)
    }

    /// A writer whose rows belong to other entities than meters (e.g.
    /// transformers): the first column is `ids.column`, its values `ids.name(index)`.
    pub(crate) fn with_ids(out: W, options: ParquetOptions, ids: Ids) -> Result<Self, IoError> {
        let options = ParquetOptions {
            row_group_rows: options.row_group_rows.clamp(1, MAX_ROW_GROUP_ROWS),
            zstd_level: options.zstd_level.clamp(-7, 22),
            ..options
        };
        let props = WriterProperties::builder()
            .set_created_by(concat!("ghostload version ", env!("CARGO_PKG_VERSION")).to_owned())
            .build();
        let schema = long_schema(&options.timezone, ids.column);
        let (writer, _) = ArrowWriter::try_new(out, schema, Some(props))
            .and_then(ArrowWriter::into_serialized_writer)
            .map_err(parquet_err)?;
        let descr = writer.schema_descr();
        let columns = [descr.column(0), descr.column(1), descr.column(2)];
        Ok(ReadingsParquetWriter {
            writer,
            ids,
            columns,
            options,
            carry: Vec::new(),
            carry_rows: 0,
            next_meter: 0,
            started: false,
            rows: 0,
            row_groups: 0,
        })
    }

    /// The options in force (clamped).
    #[must_use]
    pub fn options(&self) -> &ParquetOptions {
        &self.options
    }

    /// Rows accepted so far (written or carried over).
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Row groups written so far.
    #[must_use]
    pub fn row_groups(&self) -> usize {
        self.row_groups
    }

    /// Appends the block's rows. Complete row groups are encoded (in
    /// parallel with the `parallel` feature, on the current rayon pool) and
    /// written; the rest is kept for the next block or [`finish`](Self::finish).
    ///
    /// # Errors
    /// [`IoError::InvalidReadings`] when the block fails [`ReadingsBlock::check`]
    /// or its meters do not follow the previous block's (nothing is written);
    /// [`IoError::Parquet`] when writing fails.
    pub fn write_block(&mut self, block: &ReadingsBlock<'_>) -> Result<(), IoError> {
        block.check()?;
        if self.started && block.meters > 0 && block.first_meter < self.next_meter {
            return Err(IoError::InvalidReadings {
                reason: format!(
                    "block starts at meter index {} but the previous block ended at {}: blocks must come in increasing meter order",
                    block.first_meter, self.next_meter
                ),
            });
        }
        if block.meters > 0 {
            self.started = true;
            // check() made sure this fits (as u64); the last meter is first + meters - 1.
            self.next_meter = (u64::from(block.first_meter) + block.meters as u64).min(u64::from(u32::MAX)) as u32;
        }
        let rows = block.rows();
        if rows == 0 {
            return Ok(());
        }
        self.rows += rows as u64;
        let capacity = self.options.row_group_rows;
        let carry = std::mem::take(&mut self.carry);
        let mut current: Vec<Piece<'_>> = carry.iter().map(OwnedPiece::borrow).collect();
        let mut current_rows = self.carry_rows;
        let mut groups: Vec<Vec<Piece<'_>>> = Vec::new();
        let t = block.timestamps.len();
        let mut missing = block.missing;
        for m in 0..block.meters {
            let n_here = missing.iter().take_while(|(mm, _)| *mm as usize == m).count();
            let (mine, rest) = missing.split_at(n_here);
            missing = rest;
            let meter = block.first_meter + m as u32;
            let values = &block.values[m * t..(m + 1) * t];
            let mut start = 0;
            while start < t {
                let n = (capacity - current_rows).min(t - start);
                current.push(Piece::new(meter, block.timestamps, values, start..start + n, mine));
                current_rows += n;
                start += n;
                if current_rows == capacity {
                    groups.push(std::mem::take(&mut current));
                    current_rows = 0;
                }
            }
        }
        self.write_groups(&groups)?;
        // The carried pieces open the first group: when no group was
        // written they are still at the head of `current`, already owned.
        // Copy only the new pieces, so that many small blocks (one meter
        // each) cost linear, not quadratic, time.
        let kept = if groups.is_empty() { carry.len() } else { 0 };
        let fresh: Vec<OwnedPiece> = current[kept..].iter().map(Piece::to_owned).collect();
        drop(groups);
        drop(current);
        self.carry = if kept > 0 { carry } else { Vec::new() };
        self.carry.extend(fresh);
        self.carry_rows = current_rows;
        Ok(())
    }

    /// Writes the last (partial) row group and the footer, and returns `out`.
    ///
    /// # Errors
    /// [`IoError::Parquet`] when writing fails.
    pub fn finish(mut self) -> Result<W, IoError> {
        let carry = std::mem::take(&mut self.carry);
        if self.carry_rows > 0 {
            let group: Vec<Piece<'_>> = carry.iter().map(OwnedPiece::borrow).collect();
            self.write_groups(&[group])?;
        }
        self.writer.into_inner().map_err(parquet_err)
    }

    fn write_groups(&mut self, groups: &[Vec<Piece<'_>>]) -> Result<(), IoError> {
        let columns = &self.columns;
        let level = self.options.zstd_level;
        let name = self.ids.name;
        for wave in groups.chunks(WAVE) {
            #[cfg(feature = "parallel")]
            let encoded: Vec<Result<EncodedGroup, ParquetError>> = {
                use rayon::prelude::*;
                wave.par_iter().map(|g| encode_group(g, columns, level, name)).collect()
            };
            #[cfg(not(feature = "parallel"))]
            let encoded: Vec<Result<EncodedGroup, ParquetError>> =
                wave.iter().map(|g| encode_group(g, columns, level, name)).collect();
            for group in encoded {
                let group = group.map_err(parquet_err)?;
                let mut rg = self.writer.next_row_group().map_err(parquet_err)?;
                for (bytes, close) in group {
                    rg.append_column(&bytes, close).map_err(parquet_err)?;
                }
                rg.close().map_err(parquet_err)?;
                self.row_groups += 1;
            }
        }
        Ok(())
    }
}

/// Rows `range` of one meter: its timestamps, values and null ranges (relative to `range.start`).
#[derive(Debug, Clone)]
struct Piece<'a> {
    meter: u32,
    timestamps: &'a [i64],
    values: &'a [f64],
    missing: Vec<Range<usize>>,
}

impl<'a> Piece<'a> {
    fn new(meter: u32, axis: &'a [i64], values: &'a [f64], range: Range<usize>, missing: &[(u32, Range<u32>)]) -> Self {
        let missing = missing
            .iter()
            .filter_map(|(_, r)| {
                let s = (r.start as usize).max(range.start);
                let e = (r.end as usize).min(range.end);
                (s < e).then(|| s - range.start..e - range.start)
            })
            .collect();
        Piece {
            meter,
            timestamps: &axis[range.clone()],
            values: &values[range],
            missing,
        }
    }

    fn len(&self) -> usize {
        self.timestamps.len()
    }

    fn to_owned(&self) -> OwnedPiece {
        OwnedPiece {
            meter: self.meter,
            timestamps: self.timestamps.to_vec(),
            values: self.values.to_vec(),
            missing: self.missing.clone(),
        }
    }

    /// The non-null row ranges, relative to the piece.
    fn present(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        let mut at = 0;
        self.missing
            .iter()
            .map(|r| r.start..r.end)
            .chain(std::iter::once(self.len()..self.len()))
            .filter_map(move |r| {
                let out = at..r.start;
                at = r.end;
                (!out.is_empty()).then_some(out)
            })
    }
}

#[derive(Debug)]
struct OwnedPiece {
    meter: u32,
    timestamps: Vec<i64>,
    values: Vec<f64>,
    missing: Vec<Range<usize>>,
}

impl OwnedPiece {
    fn borrow(&self) -> Piece<'_> {
        Piece {
            meter: self.meter,
            timestamps: &self.timestamps,
            values: &self.values,
            missing: self.missing.clone(),
        }
    }
}

type EncodedGroup = Vec<(Bytes, ColumnCloseResult)>;

fn encode_group(
    pieces: &[Piece<'_>],
    columns: &[ColumnDescPtr; 3],
    level: i32,
    name: fn(u32) -> String,
) -> Result<EncodedGroup, ParquetError> {
    let rows: usize = pieces.iter().map(Piece::len).sum();
    Ok(vec![
        encode_ids(pieces, rows, &columns[0], name)?,
        encode_timestamps(pieces, rows, &columns[1])?,
        encode_kwh(pieces, rows, &columns[2], level)?,
    ])
}

/// Page-row boundaries of a chunk of `rows` rows.
fn pages(rows: usize) -> impl Iterator<Item = Range<usize>> {
    (0..rows).step_by(PAGE_ROWS).map(move |s| s..(s + PAGE_ROWS).min(rows))
}

/// Serialises `pages` (dictionary page first, if any) and the column chunk metadata.
fn finish_chunk(
    column: &ColumnDescPtr,
    pages: Vec<CompressedPage>,
    codec: Compression,
    encodings: Vec<Encoding>,
    rows: usize,
    statistics: Statistics,
) -> Result<(Bytes, ColumnCloseResult), ParquetError> {
    let mut sink = TrackedWrite::new(Vec::new());
    let (mut dictionary_offset, mut data_offset, mut uncompressed) = (None, None, 0u64);
    {
        let mut writer = SerializedPageWriter::new(&mut sink);
        for page in pages {
            let is_dictionary = page.page_type() == PageType::DICTIONARY_PAGE;
            let spec = writer.write_page(page)?;
            if is_dictionary {
                dictionary_offset = Some(spec.offset as i64);
            } else if data_offset.is_none() {
                data_offset = Some(spec.offset as i64);
            }
            uncompressed += spec.uncompressed_size as u64;
        }
        writer.close()?;
    }
    let bytes = sink.into_inner()?;
    let metadata = ColumnChunkMetaData::builder(Arc::clone(column))
        .set_compression(codec)
        .set_encodings(encodings)
        .set_total_compressed_size(bytes.len() as i64)
        .set_total_uncompressed_size(uncompressed as i64)
        .set_num_values(rows as i64)
        .set_data_page_offset(data_offset.unwrap_or(0))
        .set_dictionary_page_offset(dictionary_offset)
        .set_statistics(statistics)
        .build()?;
    let close = ColumnCloseResult {
        bytes_written: bytes.len() as u64,
        rows_written: rows as u64,
        metadata,
        bloom_filter: None,
        column_index: None,
        offset_index: None,
    };
    Ok((Bytes::from(bytes), close))
}

fn uncompressed(page: Page) -> CompressedPage {
    let size = page.buffer().len();
    CompressedPage::new(page, size)
}

fn data_page(buf: Vec<u8>, num_values: usize, encoding: Encoding) -> Page {
    Page::DataPage {
        buf: Bytes::from(buf),
        num_values: num_values as u32,
        encoding,
        def_level_encoding: Encoding::RLE,
        rep_level_encoding: Encoding::RLE,
        statistics: None,
    }
}

fn dictionary_page(buf: Vec<u8>, num_values: usize) -> Page {
    Page::DictionaryPage {
        buf: Bytes::from(buf),
        num_values: num_values as u32,
        encoding: Encoding::PLAIN,
        is_sorted: false,
    }
}

/// Bits needed for dictionary indices `0 ..= max`, at least 1.
fn bit_width(max: u64) -> u8 {
    (64 - max.leading_zeros()).max(1) as u8
}

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(out: &mut Vec<u8>, v: i64) {
    uleb(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// An RLE run of `count` copies of `value` (`bytes` wide) in the RLE / bit-packing hybrid.
fn rle_run(out: &mut Vec<u8>, count: usize, value: u32, bytes: usize) {
    uleb(out, (count as u64) << 1);
    out.extend_from_slice(&value.to_le_bytes()[..bytes]);
}

/// The id column (`meter_id`): a dictionary page of the row group's names and RLE runs of their keys.
fn encode_ids(
    pieces: &[Piece<'_>],
    rows: usize,
    column: &ColumnDescPtr,
    name: fn(u32) -> String,
) -> Result<(Bytes, ColumnCloseResult), ParquetError> {
    // Runs (key, rows); meters are increasing, so a meter is a new key iff it differs from the last.
    let mut names: Vec<String> = Vec::new();
    let mut runs: Vec<(u32, usize)> = Vec::new();
    let mut last = None;
    for piece in pieces {
        if last != Some(piece.meter) {
            names.push(name(piece.meter));
            runs.push(((names.len() - 1) as u32, 0));
            last = Some(piece.meter);
        }
        if let Some(run) = runs.last_mut() {
            run.1 += piece.len();
        }
    }
    let mut dict = Vec::with_capacity(names.iter().map(|n| n.len() + 4).sum());
    for name in &names {
        dict.extend_from_slice(&(name.len() as u32).to_le_bytes());
        dict.extend_from_slice(name.as_bytes());
    }
    let width = bit_width(names.len().saturating_sub(1) as u64);
    let value_bytes = usize::from(width).div_ceil(8);
    let mut out = vec![uncompressed(dictionary_page(dict, names.len()))];
    let mut run_iter = runs.iter().copied().peekable();
    let mut left_in_run = run_iter.peek().map_or(0, |r| r.1);
    for page in pages(rows) {
        let mut buf = vec![width];
        let mut need = page.len();
        while need > 0 {
            let Some(&(key, _)) = run_iter.peek() else { break };
            let n = need.min(left_in_run);
            rle_run(&mut buf, n, key, value_bytes);
            need -= n;
            left_in_run -= n;
            if left_in_run == 0 {
                run_iter.next();
                left_in_run = run_iter.peek().map_or(0, |r| r.1);
            }
        }
        out.push(uncompressed(data_page(buf, page.len(), Encoding::RLE_DICTIONARY)));
    }
    let min = names.iter().min().map(|s| ByteArray::from(s.as_bytes().to_vec()));
    let max = names.iter().max().map(|s| ByteArray::from(s.as_bytes().to_vec()));
    let stats = Statistics::byte_array(min, max, None, Some(0), false);
    let encodings = vec![Encoding::PLAIN, Encoding::RLE, Encoding::RLE_DICTIONARY];
    finish_chunk(column, out, Compression::UNCOMPRESSED, encodings, rows, stats)
}

/// `timestamp`: milliseconds, `DELTA_BINARY_PACKED` (constant steps cost ~0 bits).
fn encode_timestamps(
    pieces: &[Piece<'_>],
    rows: usize,
    column: &ColumnDescPtr,
) -> Result<(Bytes, ColumnCloseResult), ParquetError> {
    let mut millis = Vec::with_capacity(rows);
    for piece in pieces {
        millis.extend(piece.timestamps.iter().map(|s| s * 1000));
    }
    let mut out = Vec::new();
    for page in pages(rows) {
        let mut buf = Vec::new();
        delta_binary_packed(&mut buf, &millis[page.clone()]);
        out.push(uncompressed(data_page(buf, page.len(), Encoding::DELTA_BINARY_PACKED)));
    }
    // Each piece's axis is increasing: its extremes are its ends.
    let min = pieces
        .iter()
        .filter_map(|p| p.timestamps.first())
        .min()
        .map(|s| s * 1000);
    let max = pieces
        .iter()
        .filter_map(|p| p.timestamps.last())
        .max()
        .map(|s| s * 1000);
    let stats = Statistics::int64(min, max, None, Some(0), false);
    let encodings = vec![Encoding::RLE, Encoding::DELTA_BINARY_PACKED];
    finish_chunk(column, out, Compression::UNCOMPRESSED, encodings, rows, stats)
}

/// Parquet `DELTA_BINARY_PACKED`: blocks of 128 deltas in 4 miniblocks of 32.
fn delta_binary_packed(out: &mut Vec<u8>, values: &[i64]) {
    uleb(out, 128);
    uleb(out, 4);
    uleb(out, values.len() as u64);
    zigzag(out, values.first().copied().unwrap_or(0));
    if values.len() < 2 {
        return;
    }
    let mut deltas = [0i64; 128];
    for start in (1..values.len()).step_by(128) {
        let n = (values.len() - start).min(128);
        for (i, d) in deltas[..n].iter_mut().enumerate() {
            *d = values[start + i].wrapping_sub(values[start + i - 1]);
        }
        // The usual block, inside one meter's axis: every delta the same.
        // Its header says so (minimum = that delta, widths 0) with no
        // min/max search (64-bit comparisons are slow without SSE4.2).
        let first = deltas[0];
        if deltas[..n].iter().fold(true, |same, &d| same & (d == first)) {
            zigzag(out, first);
            out.extend_from_slice(&[0u8; 4]);
            continue;
        }
        let min = deltas[..n].iter().copied().min().unwrap_or(0);
        zigzag(out, min);
        let mut widths = [0u8; 4];
        for (mb, width) in widths.iter_mut().enumerate() {
            let lo = mb * 32;
            if lo < n {
                let max = deltas[lo..n.min(lo + 32)]
                    .iter()
                    .map(|d| d.wrapping_sub(min) as u64)
                    .max()
                    .unwrap_or(0);
                *width = (64 - max.leading_zeros()) as u8;
            }
        }
        out.extend_from_slice(&widths);
        for (mb, &width) in widths.iter().enumerate() {
            let lo = mb * 32;
            if lo >= n || width == 0 {
                continue;
            }
            let mut acc: u128 = 0;
            let mut bits = 0u32;
            for (i, d) in deltas[lo..lo + 32].iter().enumerate() {
                // Past the last delta: zero padding (the array holds the previous block's).
                let v = if lo + i < n { d.wrapping_sub(min) as u64 } else { 0 };
                acc |= u128::from(v) << bits;
                bits += u32::from(width);
                while bits >= 64 {
                    out.extend_from_slice(&(acc as u64).to_le_bytes());
                    acc >>= 64;
                    bits -= 64;
                }
            }
            // 32 × width bits is a whole number of bytes.
            out.extend_from_slice(&acc.to_le_bytes()[..(bits / 8) as usize]);
        }
    }
}

/// Interns `kwh` values: a direct table on `round(v × 1000)` for the usual
/// quantised energies, a hash map on the bits for anything else.
struct Interner {
    table: Vec<u32>,
    dict: Vec<f64>,
    other: HashMap<u64, u32>,
}

impl Interner {
    fn new() -> Self {
        Interner {
            table: vec![0; TABLE_SLOTS],
            dict: Vec::new(),
            other: HashMap::new(),
        }
    }

    #[inline]
    fn intern(&mut self, v: f64) -> u32 {
        // Saturating (NaN → 0); a wrong slot only sends the value to the map.
        let slot = (v * 1000.0 + 0.5) as i64 as usize;
        if slot < TABLE_SLOTS {
            let entry = self.table[slot];
            if entry == 0 {
                let index = self.dict.len() as u32;
                self.dict.push(v);
                self.table[slot] = index + 1;
                return index;
            }
            if self.dict[(entry - 1) as usize].to_bits() == v.to_bits() {
                return entry - 1;
            }
        }
        self.intern_other(v)
    }

    #[cold]
    fn intern_other(&mut self, v: f64) -> u32 {
        let dict = &mut self.dict;
        *self.other.entry(v.to_bits()).or_insert_with(|| {
            dict.push(v);
            (dict.len() - 1) as u32
        })
    }
}

/// Bit-packs `indices` (RLE / bit-packing hybrid, bit-packed runs of [`PACKED_RUN`] values).
fn bit_pack(out: &mut Vec<u8>, indices: &[u32], width: u8) {
    let width = u32::from(width);
    for run in indices.chunks(PACKED_RUN) {
        let groups = run.len().div_ceil(8);
        uleb(out, ((groups as u64) << 1) | 1);
        let end = out.len() + groups * width as usize;
        let mut acc: u64 = 0;
        let mut bits = 0u32;
        for &v in run {
            acc |= u64::from(v) << bits;
            bits += width;
            if bits >= 32 {
                out.extend_from_slice(&(acc as u32).to_le_bytes());
                acc >>= 32;
                bits -= 32;
            }
        }
        out.extend_from_slice(&acc.to_le_bytes()[..bits.div_ceil(8) as usize]);
        out.resize(end, 0);
    }
}

/// `kwh`: definition levels from the null ranges; values dictionary-encoded
/// (bit-packed indices), or PLAIN when that would be smaller; zstd pages.
fn encode_kwh(
    pieces: &[Piece<'_>],
    rows: usize,
    column: &ColumnDescPtr,
    level: i32,
) -> Result<(Bytes, ColumnCloseResult), ParquetError> {
    // Non-null row runs, relative to the row group.
    let mut present: Vec<Range<usize>> = Vec::new();
    let mut at = 0;
    for piece in pieces {
        for r in piece.present() {
            let r = at + r.start..at + r.end;
            match present.last_mut() {
                Some(last) if last.end == r.start => last.end = r.end,
                _ => present.push(r),
            }
        }
        at += piece.len();
    }
    let non_null: usize = present.iter().map(|r| r.len()).sum();
    let mut interner = Interner::new();
    let mut indices = Vec::with_capacity(non_null);
    for piece in pieces {
        for r in piece.present() {
            indices.extend(piece.values[r].iter().map(|&v| interner.intern(v)));
        }
    }
    let dict = interner.dict;
    let width = bit_width(dict.len().saturating_sub(1) as u64);
    let use_dictionary = dict.len() * 8 + non_null * usize::from(width) / 8 < non_null * 8;
    let (codec, mut compressor) = if level != 0 {
        // The level is not stored in the file; the metadata type takes 1 ..= 22 only.
        let zstd_level = ZstdLevel::try_new(level.max(1))?;
        let compressor = zstd::bulk::Compressor::new(level).map_err(|e| ParquetError::General(format!("zstd: {e}")))?;
        (Compression::ZSTD(zstd_level), Some(compressor))
    } else {
        (Compression::UNCOMPRESSED, None)
    };
    let mut compress = |page: Page| -> Result<CompressedPage, ParquetError> {
        let Some(compressor) = compressor.as_mut() else {
            return Ok(uncompressed(page));
        };
        let size = page.buffer().len();
        let data = compressor
            .compress(page.buffer())
            .map_err(|e| ParquetError::General(format!("zstd: {e}")))?;
        let page = match page {
            Page::DataPage {
                num_values,
                encoding,
                def_level_encoding,
                rep_level_encoding,
                statistics,
                ..
            } => Page::DataPage {
                buf: Bytes::from(data),
                num_values,
                encoding,
                def_level_encoding,
                rep_level_encoding,
                statistics,
            },
            Page::DictionaryPage {
                num_values,
                encoding,
                is_sorted,
                ..
            } => Page::DictionaryPage {
                buf: Bytes::from(data),
                num_values,
                encoding,
                is_sorted,
            },
            other => other,
        };
        Ok(CompressedPage::new(page, size))
    };
    let mut out = Vec::new();
    if use_dictionary {
        let mut buf = Vec::with_capacity(dict.len() * 8);
        for v in &dict {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        out.push(compress(dictionary_page(buf, dict.len()))?);
    }
    let mut run = 0; // index into `present`
    let mut done = 0; // non-null values already paged
    for page in pages(rows) {
        let mut levels = Vec::new();
        let mut row = page.start;
        let mut count = 0;
        while row < page.end {
            // Skip runs that end before this row.
            while run < present.len() && present[run].end <= row {
                run += 1;
            }
            let (value, end) = match present.get(run) {
                Some(r) if r.start <= row => (1, r.end.min(page.end)),
                Some(r) => (0, r.start.min(page.end)),
                None => (0, page.end),
            };
            rle_run(&mut levels, end - row, value, 1);
            if value == 1 {
                count += end - row;
            }
            row = end;
        }
        let mut buf = Vec::with_capacity(4 + levels.len() + count * 2 + 16);
        buf.extend_from_slice(&(levels.len() as u32).to_le_bytes());
        buf.extend_from_slice(&levels);
        let these = &indices[done..done + count];
        done += count;
        let encoding = if use_dictionary {
            // The highest set bit of any index is the highest of their OR
            // (a vectorised OR rather than an unsigned max, which needs SSE4.1).
            let width = bit_width(u64::from(these.iter().fold(0u32, |acc, &i| acc | i)));
            buf.push(width);
            bit_pack(&mut buf, these, width);
            Encoding::RLE_DICTIONARY
        } else {
            for &i in these {
                buf.extend_from_slice(&dict[i as usize].to_le_bytes());
            }
            Encoding::PLAIN
        };
        out.push(compress(data_page(buf, page.len(), encoding))?);
    }
    // Every dictionary entry occurs: the statistics are over the dictionary. NaN is left out;
    // a zero minimum is written as -0.0 and a zero maximum as +0.0 (the format's rule).
    let finite = dict.iter().copied().filter(|v| !v.is_nan());
    let min = finite.clone().reduce(f64::min).map(|v| if v == 0.0 { -0.0 } else { v });
    let max = finite.reduce(f64::max).map(|v| if v == 0.0 { 0.0 } else { v });
    let stats = Statistics::double(min, max, None, Some((rows - non_null) as u64), false);
    let encodings = if use_dictionary {
        vec![Encoding::PLAIN, Encoding::RLE, Encoding::RLE_DICTIONARY]
    } else {
        vec![Encoding::PLAIN, Encoding::RLE]
    };
    finish_chunk(column, out, codec, encodings, rows, stats)
}

/// Rows of the `meter_readings` table, column by column.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ReadingsTable {
    /// 0-based meter index of each row (parsed from `MTR_000042`).
    pub meter: Vec<u32>,
    /// Interval start of each row, UTC seconds.
    pub timestamp: Vec<i64>,
    /// kWh of each row; `None` where the reading is missing.
    pub kwh: Vec<Option<f64>>,
}

impl ReadingsTable {
    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.meter.len()
    }

    /// `true` when there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.meter.is_empty()
    }

    fn append(&mut self, other: ReadingsTable) {
        self.meter.extend(other.meter);
        self.timestamp.extend(other.timestamp);
        self.kwh.extend(other.kwh);
    }
}

/// Reads a `meter_readings` Parquet file record batch by record batch,
/// checking the schema first: an iterator of [`ReadingsTable`]s.
pub struct ReadingsParquetReader {
    path: PathBuf,
    timezone: String,
    rows: u64,
    row_group_rows: Vec<u64>,
    inner: ParquetRecordBatchReader,
}

impl std::fmt::Debug for ReadingsParquetReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadingsParquetReader")
            .field("path", &self.path)
            .field("timezone", &self.timezone)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl ReadingsParquetReader {
    /// Opens `path` and checks its schema (column names, types, nullability).
    ///
    /// # Errors
    /// [`IoError::Io`] when the file cannot be opened; [`IoError::Parquet`]
    /// when it is not Parquet; [`IoError::Parse`] when the schema differs.
    pub fn open(path: &Path) -> Result<Self, IoError> {
        let file = File::open(path).map_err(|e| IoError::io("open", path, e))?;
        let with_path = |e: ParquetError| IoError::Parquet {
            path: Some(path.to_path_buf()),
            reason: e.to_string(),
        };
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(with_path)?;
        let schema = builder.schema();
        let timezone = match schema.fields().get(1).map(|f| f.data_type()) {
            Some(DataType::Timestamp(TimeUnit::Millisecond, Some(tz))) => tz.to_string(),
            _ => String::new(),
        };
        let expected = readings_schema(&timezone);
        if schema.fields() != expected.fields() {
            return Err(IoError::Parse {
                path: path.to_path_buf(),
                reason: format!(
                    "schema is {:?}, expected {:?} (any time zone)",
                    schema.fields(),
                    expected.fields()
                ),
            });
        }
        let metadata = builder.metadata();
        let rows = metadata.file_metadata().num_rows().max(0) as u64;
        let row_group_rows = metadata
            .row_groups()
            .iter()
            .map(|g| g.num_rows().max(0) as u64)
            .collect();
        let inner = builder.with_batch_size(65_536).build().map_err(with_path)?;
        Ok(ReadingsParquetReader {
            path: path.to_path_buf(),
            timezone,
            rows,
            row_group_rows,
            inner,
        })
    }

    /// The time zone of the `timestamp` column.
    #[must_use]
    pub fn timezone(&self) -> &str {
        &self.timezone
    }

    /// Rows in the file (from its footer).
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Rows of each row group, in file order.
    #[must_use]
    pub fn row_group_rows(&self) -> &[u64] {
        &self.row_group_rows
    }

    fn convert(&self, batch: &RecordBatch) -> Result<ReadingsTable, IoError> {
        let parse = |reason: String| IoError::Parse {
            path: self.path.clone(),
            reason,
        };
        let meter_ids = batch
            .column(0)
            .as_dictionary_opt::<Int32Type>()
            .ok_or_else(|| parse("meter_id is not a dictionary".to_owned()))?;
        let names = meter_ids
            .values()
            .as_string_opt::<i32>()
            .ok_or_else(|| parse("meter_id values are not strings".to_owned()))?;
        let indices: Vec<u32> = names
            .iter()
            .map(|name| {
                let name = name.unwrap_or_default();
                name.strip_prefix("MTR_")
                    .and_then(|n| n.parse::<u64>().ok())
                    .filter(|&n| (1..=u64::from(u32::MAX) + 1).contains(&n))
                    .map(|n| (n - 1) as u32)
                    .ok_or_else(|| parse(format!("bad meter_id {name:?}")))
            })
            .collect::<Result<_, _>>()?;
        let meter = meter_ids
            .keys()
            .values()
            .iter()
            .map(|&k| {
                indices
                    .get(k as usize)
                    .copied()
                    .ok_or_else(|| parse(format!("bad key {k}")))
            })
            .collect::<Result<_, _>>()?;
        let timestamp = batch
            .column(1)
            .as_primitive_opt::<TimestampMillisecondType>()
            .ok_or_else(|| parse("timestamp is not milliseconds".to_owned()))?
            .values()
            .iter()
            .map(|&ms| {
                if ms % 1000 == 0 {
                    Ok(ms / 1000)
                } else {
                    Err(parse(format!("timestamp {ms} ms is not a whole second")))
                }
            })
            .collect::<Result<_, _>>()?;
        let kwh = batch
            .column(2)
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| parse("kwh is not Float64".to_owned()))?
            .iter()
            .collect();
        Ok(ReadingsTable { meter, timestamp, kwh })
    }
}

impl Iterator for ReadingsParquetReader {
    type Item = Result<ReadingsTable, IoError>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = self.inner.next()?;
        Some(match batch {
            Ok(batch) => self.convert(&batch),
            Err(e) => Err(IoError::Parquet {
                path: Some(self.path.clone()),
                reason: e.to_string(),
            }),
        })
    }
}

/// Reads a whole `meter_readings` Parquet file into memory (see
/// [`ReadingsParquetReader`] to stream it instead).
///
/// # Errors
/// As [`ReadingsParquetReader::open`], and for any batch that fails to decode.
pub fn read_readings_parquet(path: &Path) -> Result<ReadingsTable, IoError> {
    let mut table = ReadingsTable::default();
    for batch in ReadingsParquetReader::open(path)? {
        table.append(batch?);
    }
    Ok(table)
}

#[cfg(test)]
mod tests;
