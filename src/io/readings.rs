//! The interval readings files: `meter_readings.csv` (long form, one row per
//! meter and interval) and `meter_readings_sgcc.csv` (the SGCC benchmark's
//! wide layout, one row per customer and one column per day).
//!
//! Rows are rendered in parallel, chunk of meters by chunk of meters, and
//! written in meter order; the timestamp text of the axis is computed once
//! and copied into every meter's rows.
//!
//! # The seam for other formats
//! A readings file is written through a [`ReadingsSink`], opened by
//! [`open_readings`] from [`WriteOptions::readings_format`](super::WriteOptions::readings_format)
//! and [`WriteOptions::layout`](super::WriteOptions::layout). The CSV
//! writers are here; a Parquet writer (`src/io/parquet.rs`,
//! `ReadingsParquetWriter`) implements the same trait and gets its own arm
//! in [`open_readings`] (and its own [`ReadingsFormat`] variant).

// Without the `csv` feature only the two option enums are used.
#![cfg_attr(not(feature = "csv"), allow(dead_code))]

use std::fmt;

/// The file format of the interval readings ([`WriteOptions::readings_format`](super::WriteOptions::readings_format)).
///
/// The default is Parquet when the `parquet` feature is on, CSV otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReadingsFormat {
    /// `meter_readings.csv` (or, with [`ReadingsLayout::Sgcc`], `meter_readings_sgcc.csv`).
    Csv,
    /// `meter_readings/part-KKKKK-of-NNNNN.parquet`, one part per shard
    /// (`part-00001-of-00001.parquet` for a whole dataset), so that the
    /// `meter_readings` directories of all shards read as one table (see
    /// [`ReadingsParquetWriter`](crate::io::ReadingsParquetWriter) for the schema).
    /// The SGCC layout is always CSV.
    #[cfg(feature = "parquet")]
    #[cfg_attr(docsrs, doc(cfg(feature = "parquet")))]
    Parquet,
}

impl Default for ReadingsFormat {
    /// [`Parquet`](ReadingsFormat::Parquet) with the `parquet` feature, else [`Csv`](ReadingsFormat::Csv).
    fn default() -> Self {
        #[cfg(feature = "parquet")]
        return ReadingsFormat::Parquet;
        #[cfg(not(feature = "parquet"))]
        ReadingsFormat::Csv
    }
}

impl ReadingsFormat {
    /// The name on the command line (`--readings-format`): `csv` or `parquet`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ReadingsFormat::Csv => "csv",
            #[cfg(feature = "parquet")]
            ReadingsFormat::Parquet => "parquet",
        }
    }
}

impl fmt::Display for ReadingsFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the interval readings are laid out ([`WriteOptions::layout`](super::WriteOptions::layout)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ReadingsLayout {
    /// Long form, `meter_readings.csv`: `meter_id,timestamp,kwh`, one row
    /// per meter and interval, meter-major then time. Any interval resolution.
    #[default]
    Long,
    /// The wide layout of the SGCC benchmark's `data.csv`,
    /// `meter_readings_sgcc.csv`: `CONS_NO,FLAG,<one column per day>`, one
    /// row per meter. Daily resolution only; always a CSV file.
    Sgcc,
}

impl ReadingsLayout {
    /// The name on the command line (`--layout`): `long` or `sgcc`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ReadingsLayout::Long => "long",
            ReadingsLayout::Sgcc => "sgcc",
        }
    }
}

impl fmt::Display for ReadingsLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "csv")]
pub use self::csv_text::{
    METER_READINGS_CSV, METER_READINGS_SGCC_CSV, READING_COLUMNS, SGCC_COLUMNS, write_meter_readings_csv,
    write_meter_readings_sgcc_csv,
};
#[cfg(feature = "csv")]
pub(crate) use self::csv_text::{ReadingsSink, check_layout, open_readings, reading_decimals};

#[cfg(all(feature = "csv", feature = "parquet"))]
mod parquet_sink {
    use std::path::{Path, PathBuf};

    use super::csv_text::ReadingsSink;
    use crate::batch::Part;
    use crate::io::IoError;
    use crate::io::digest::Digests;
    use crate::io::parquet::{
        METER_READINGS_DIR, ParquetOptions, PartFile, ReadingsBlock, ReadingsParquetWriter, at_path as at, create_part,
    };
    use crate::shard::Shard;
    use crate::time::TimeAxis;

    /// This shard's part of the `meter_readings` Parquet table.
    #[derive(Debug)]
    pub(crate) struct ParquetReadings {
        path: PathBuf,
        writer: ReadingsParquetWriter<PartFile>,
        timestamps: Vec<i64>,
        missing: Vec<(u32, std::ops::Range<u32>)>,
        sync: bool,
    }

    impl ParquetReadings {
        /// Creates `dir/meter_readings/part-KKKKK-of-NNNNN.parquet`.
        pub(crate) fn create(
            dir: &Path,
            axis: &TimeAxis,
            sync: bool,
            shard: Shard,
            digests: &Digests,
        ) -> Result<Self, IoError> {
            let (path, file) = create_part(dir, METER_READINGS_DIR, shard, digests)?;
            let options = ParquetOptions::default().with_timezone(axis.zone().to_string());
            let writer = ReadingsParquetWriter::new(file, options)?;
            Ok(ParquetReadings {
                path,
                writer,
                timestamps: (0..axis.len()).map(|i| axis.timestamp(i)).collect(),
                missing: Vec::new(),
                sync,
            })
        }
    }

    impl ReadingsSink for ParquetReadings {
        fn name(&self) -> &'static str {
            METER_READINGS_DIR
        }

        fn add(&mut self, part: &Part<'_>) -> Result<(), IoError> {
            let first = part.first;
            self.missing.clear();
            self.missing.extend(part.missing.iter().map(|r| {
                let meter = (r.meter_id.index() as usize - first) as u32;
                (meter, r.start as u32..(r.start + r.len) as u32)
            }));
            let block = ReadingsBlock {
                first_meter: first as u32,
                meters: part.meters.len(),
                timestamps: &self.timestamps,
                values: part.readings,
                missing: &self.missing,
            };
            self.writer.write_block(&block).map_err(|e| at(e, &self.path))
        }

        fn finish(self: Box<Self>) -> Result<u64, IoError> {
            crate::io::parquet::finish_part(self.writer, &self.path, self.sync)
        }
    }
}

#[cfg(feature = "csv")]
mod csv_text {
    use std::io::{self, Write};
    use std::path::Path;

    #[cfg_attr(not(feature = "parquet"), allow(unused_imports))]
    use super::{ReadingsFormat, ReadingsLayout};
    use crate::batch::Part;
    use crate::dataset::Dataset;
    use crate::io::IoError;
    use crate::io::fmt::{fixed_digits, write_fixed, write_padded};
    use crate::io::sink::Appender;
    use crate::time::{Resolution, TimeAxis};

    /// File name of the long-form readings table.
    pub const METER_READINGS_CSV: &str = "meter_readings.csv";
    /// File name of the readings in the SGCC layout.
    pub const METER_READINGS_SGCC_CSV: &str = "meter_readings_sgcc.csv";
    /// Columns of `meter_readings.csv`, in order.
    pub const READING_COLUMNS: [&str; 3] = ["meter_id", "timestamp", "kwh"];
    /// The two fixed columns of `meter_readings_sgcc.csv` (one column per day follows).
    pub const SGCC_COLUMNS: [&str; 2] = ["CONS_NO", "FLAG"];

    /// Readings per rendered chunk (about 3 MB of long-form text): the unit
    /// of parallel formatting.
    const READINGS_PER_CHUNK: usize = 1 << 16;
    /// Chunks rendered at once: bounds the text held in memory (two sets of
    /// 16 chunks, about 90 MB).
    const SLAB_CHUNKS: usize = 16;

    /// Decimals of a reading: 3 for a 0.001 kWh register, 2 for 0.01 kWh.
    pub(crate) fn reading_decimals(register_resolution_kwh: f64) -> usize {
        if register_resolution_kwh >= 0.005 { 2 } else { 3 }
    }

    /// Formats the rows of one readings layout for any run of meters.
    #[derive(Debug, Clone)]
    pub(crate) struct ReadingsText {
        layout: ReadingsLayout,
        decimals: usize,
        intervals: usize,
        /// Long form: `,<timestamp>,` of every interval, one
        /// [`STAMP_SLOT`]-byte slot each (padded), so that a row copies a
        /// fixed-size block.
        stamps: Vec<u8>,
        /// Long form: the length of each interval's `,<timestamp>,`.
        stamp_lens: Vec<u8>,
    }

    /// Bytes reserved per interval for `,<timestamp>,` (27 are used).
    const STAMP_SLOT: usize = 32;
    /// Bytes copied for a meter id (`MTR_` and up to 10 digits are 14).
    const ID_SLOT: usize = 16;
    /// Bytes copied for a reading's text (the fast path writes at most 15).
    const VALUE_SLOT: usize = 16;

    impl ReadingsText {
        /// The formatter of `layout` for readings on `axis` (an interval axis).
        pub(crate) fn new(axis: &TimeAxis, layout: ReadingsLayout, decimals: usize) -> ReadingsText {
            let intervals = if axis.resolution().is_interval() { axis.len() } else { 0 };
            let (mut stamps, mut stamp_lens) = (Vec::new(), Vec::new());
            if layout == ReadingsLayout::Long {
                stamps.reserve(intervals * STAMP_SLOT);
                stamp_lens.reserve(intervals);
                let mut piece = Vec::with_capacity(STAMP_SLOT);
                for i in 0..intervals {
                    piece.clear();
                    piece.push(b',');
                    axis.push_timestamp(i, &mut piece);
                    piece.push(b',');
                    // Always 27 bytes: four-digit years, `±HH:MM` offsets.
                    piece.truncate(STAMP_SLOT);
                    stamp_lens.push(piece.len() as u8);
                    piece.resize(STAMP_SLOT, 0);
                    stamps.extend_from_slice(&piece);
                }
            }
            ReadingsText {
                layout,
                decimals,
                intervals,
                stamps,
                stamp_lens,
            }
        }

        /// The header line of the file.
        pub(crate) fn header(&self, axis: &TimeAxis, buf: &mut Vec<u8>) {
            match self.layout {
                ReadingsLayout::Long => buf.extend_from_slice(READING_COLUMNS.join(",").as_bytes()),
                ReadingsLayout::Sgcc => {
                    buf.extend_from_slice(SGCC_COLUMNS.join(",").as_bytes());
                    for d in 0..self.intervals {
                        // `2014/1/1`, as the SGCC file writes its dates.
                        let (y, m, day) = axis.date(d).ymd();
                        buf.extend_from_slice(format!(",{y}/{m}/{day}").as_bytes());
                    }
                }
            }
            buf.push(b'\n');
        }

        /// `,<timestamp>,` of interval `i`.
        #[inline]
        fn stamp(&self, i: usize) -> &[u8] {
            &self.stamps[i * STAMP_SLOT..i * STAMP_SLOT + usize::from(self.stamp_lens[i])]
        }

        /// Bytes a chunk of `meters` meters takes, roughly.
        fn estimate(&self, meters: usize) -> usize {
            let per_reading = match self.layout {
                ReadingsLayout::Long => 12 + 27 + self.decimals + 6,
                ReadingsLayout::Sgcc => self.decimals + 6,
            };
            meters * (self.intervals * per_reading + 32)
        }

        /// The rows of every meter of `part`, in meter order.
        pub(crate) fn rows(&self, part: &Part<'_>, buf: &mut Vec<u8>) {
            let n = self.intervals;
            if n == 0 {
                return;
            }
            let mut runs = part.missing;
            let mut labels = part.labels;
            let mut id = Vec::with_capacity(16);
            for (k, m) in part.meters.iter().enumerate() {
                id.clear();
                write_padded(&mut id, "MTR_", m.id.number(), 6);
                let values = &part.readings[k * n..(k + 1) * n];
                // Runs are sorted by meter, then time.
                let skip = runs.iter().take_while(|r| r.meter_id < m.id).count();
                runs = &runs[skip..];
                let count = runs.iter().take_while(|r| r.meter_id == m.id).count();
                let (mine, rest) = runs.split_at(count);
                runs = rest;
                match self.layout {
                    ReadingsLayout::Long => {
                        let mut t = 0;
                        for r in mine {
                            let start = r.start.clamp(t, n);
                            let end = r.start.saturating_add(r.len).clamp(start, n);
                            self.present(buf, &id, values, t..start);
                            for i in start..end {
                                buf.extend_from_slice(&id);
                                buf.extend_from_slice(self.stamp(i));
                                buf.push(b'\n');
                            }
                            t = end;
                        }
                        self.present(buf, &id, values, t..n);
                    }
                    ReadingsLayout::Sgcc => {
                        let skip = labels.iter().take_while(|l| l.meter_id < m.id).count();
                        labels = &labels[skip..];
                        let flagged = labels.first().is_some_and(|l| l.meter_id == m.id);
                        buf.extend_from_slice(&id);
                        buf.extend_from_slice(if flagged { b",1" } else { b",0" });
                        let mut t = 0;
                        for r in mine {
                            let start = r.start.clamp(t, n);
                            let end = r.start.saturating_add(r.len).clamp(start, n);
                            self.wide(buf, values, t..start);
                            buf.extend(std::iter::repeat_n(b',', end - start));
                            t = end;
                        }
                        self.wide(buf, values, t..n);
                        buf.push(b'\n');
                    }
                }
            }
        }

        /// Long-form rows of the present readings `range`: written into a
        /// zeroed stretch of `buf` sized for the longest rows, then cut to
        /// length. Each piece is copied as a fixed-size block (then the
        /// position advances by its real length, the next piece overwriting
        /// the rest), which compiles to a few vector moves instead of a
        /// `memcpy` call per piece.
        #[inline]
        fn present(&self, buf: &mut Vec<u8>, id: &[u8], values: &[f64], range: std::ops::Range<usize>) {
            if id.len() > ID_SLOT {
                return self.present_slow(buf, id, values, range);
            }
            let mut id_block = [0u8; ID_SLOT];
            id_block[..id.len()].copy_from_slice(id);
            let row_max = ID_SLOT + STAMP_SLOT + VALUE_SLOT + 1;
            let mut pos = buf.len();
            buf.resize(pos + range.len() * row_max, 0);
            // The number is written right-aligned ending at 32; the slack
            // after it lets a fixed block be copied from its start.
            let mut digits = [0u8; 32 + VALUE_SLOT];
            for i in range.clone() {
                buf[pos..pos + ID_SLOT].copy_from_slice(&id_block);
                pos += id.len();
                let slot = i * STAMP_SLOT;
                buf[pos..pos + STAMP_SLOT].copy_from_slice(&self.stamps[slot..slot + STAMP_SLOT]);
                pos += usize::from(self.stamp_lens[i]);
                let fast = <&mut [u8; 32]>::try_from(&mut digits[..32])
                    .ok()
                    .and_then(|head| fixed_digits(values[i], self.decimals, head));
                match fast {
                    Some(start) if start >= 32 - VALUE_SLOT => {
                        buf[pos..pos + VALUE_SLOT].copy_from_slice(&digits[start..start + VALUE_SLOT]);
                        pos += 32 - start;
                        buf[pos] = b'\n';
                        pos += 1;
                    }
                    _ => {
                        // The rare slow path (a huge value): append, then make room again.
                        buf.truncate(pos);
                        write_fixed(buf, values[i], self.decimals);
                        buf.push(b'\n');
                        pos = buf.len();
                        buf.resize(pos + (range.end - i - 1) * row_max, 0);
                    }
                }
            }
            buf.truncate(pos);
        }

        /// [`present`](Self::present) piece by piece, for ids longer than [`ID_SLOT`].
        #[cold]
        fn present_slow(&self, buf: &mut Vec<u8>, id: &[u8], values: &[f64], range: std::ops::Range<usize>) {
            for i in range {
                buf.extend_from_slice(id);
                buf.extend_from_slice(self.stamp(i));
                write_fixed(buf, values[i], self.decimals);
                buf.push(b'\n');
            }
        }

        /// SGCC cells (`,value`) of the present readings `range`.
        #[inline]
        fn wide(&self, buf: &mut Vec<u8>, values: &[f64], range: std::ops::Range<usize>) {
            for &v in &values[range] {
                buf.push(b',');
                write_fixed(buf, v, self.decimals);
            }
        }

        /// Meters per chunk for this layout.
        fn chunk_meters(&self) -> usize {
            (READINGS_PER_CHUNK / self.intervals.max(1)).max(1)
        }

        /// Renders `part` chunk by chunk (in parallel with the `parallel`
        /// feature) into the first buffers of `pool` (reused: fresh buffers
        /// of this size would cost more in page faults than the formatting);
        /// returns how many it filled.
        fn render(&self, part: &Part<'_>, pool: &mut Vec<Vec<u8>>) -> usize {
            let len = part.meters.len();
            let per_chunk = self.chunk_meters();
            let starts: Vec<usize> = (0..len).step_by(per_chunk).collect();
            if pool.len() < starts.len() {
                pool.resize_with(starts.len(), Vec::new);
            }
            let one = |(text, &start): (&mut Vec<u8>, &usize)| {
                let chunk = part.slice(start..(start + per_chunk).min(len));
                text.clear();
                text.reserve(self.estimate(chunk.meters.len()));
                self.rows(&chunk, text);
            };
            #[cfg(feature = "parallel")]
            {
                use rayon::prelude::*;
                pool[..starts.len()].par_iter_mut().zip(starts.par_iter()).for_each(one);
            }
            #[cfg(not(feature = "parallel"))]
            pool.iter_mut().zip(starts.iter()).for_each(one);
            starts.len()
        }

        /// Renders `part` slab by slab and hands each slab's chunks, in
        /// order, to `write`, rendering the next slab while the previous
        /// one is written.
        pub(crate) fn render_to(
            &self,
            part: &Part<'_>,
            buffers: &mut Buffers,
            mut write: impl FnMut(&[u8]) -> Result<(), IoError> + Send,
        ) -> Result<(), IoError> {
            let len = part.meters.len();
            let per_slab = self.chunk_meters() * SLAB_CHUNKS;
            let Buffers { rendering, writing } = buffers;
            let mut ready = 0;
            for start in (0..len).step_by(per_slab) {
                let slab = part.slice(start..(start + per_slab).min(len));
                let done = &writing[..ready];
                let (count, written) = crate::io::join(
                    || self.render(&slab, rendering),
                    || done.iter().try_for_each(|t| write(t)),
                );
                written?;
                std::mem::swap(rendering, writing);
                ready = count;
            }
            writing[..ready].iter().try_for_each(|t| write(t))
        }

        /// Renders `part` slab by slab and hands each chunk, in order, to
        /// `write` (no overlap: for writers that are not `Send`).
        fn render_each(&self, part: &Part<'_>, mut write: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
            let len = part.meters.len();
            let per_slab = self.chunk_meters() * SLAB_CHUNKS;
            let mut pool = Vec::new();
            for start in (0..len).step_by(per_slab) {
                let slab = part.slice(start..(start + per_slab).min(len));
                let count = self.render(&slab, &mut pool);
                for text in &pool[..count] {
                    write(text)?;
                }
            }
            Ok(())
        }
    }

    /// The reusable text buffers of a readings writer: one set being
    /// rendered while the other is written.
    #[derive(Debug, Default)]
    pub(crate) struct Buffers {
        rendering: Vec<Vec<u8>>,
        writing: Vec<Vec<u8>>,
    }

    /// Where the interval readings of each run of meters go: one
    /// implementation per file format. Every run arrives in meter order,
    /// and the file must depend only on the meters' data, not on how they
    /// were split into runs (the streaming and in-memory writers compare bytes).
    pub(crate) trait ReadingsSink: std::fmt::Debug + Send {
        /// The file's name in the output directory.
        fn name(&self) -> &'static str;
        /// Appends the readings of the meters of `part`.
        fn add(&mut self, part: &Part<'_>) -> Result<(), IoError>;
        /// Completes the file; returns its size in bytes.
        fn finish(self: Box<Self>) -> Result<u64, IoError>;
    }

    /// A CSV readings file, long or SGCC.
    #[derive(Debug)]
    struct CsvReadings {
        name: &'static str,
        text: ReadingsText,
        out: Appender,
        buffers: Buffers,
    }

    impl ReadingsSink for CsvReadings {
        fn name(&self) -> &'static str {
            self.name
        }

        fn add(&mut self, part: &Part<'_>) -> Result<(), IoError> {
            let CsvReadings { text, out, buffers, .. } = self;
            text.render_to(part, buffers, |bytes| out.write(bytes))
        }

        fn finish(self: Box<Self>) -> Result<u64, IoError> {
            self.out.close()
        }
    }

    /// Opens the readings file of the options' format and layout in `dir`
    /// for a dataset on `axis` (an interval axis; the options were checked).
    ///
    /// This is the seam for other formats: a Parquet writer gets its arm here.
    pub(crate) fn open_readings(
        dir: &Path,
        options: &crate::io::WriteOptions,
        axis: &TimeAxis,
        decimals: usize,
        digests: &crate::io::digest::Digests,
    ) -> Result<Box<dyn ReadingsSink>, IoError> {
        let (format, layout, sync, shard) = (options.readings_format, options.layout, options.sync, options.shard);
        // The SGCC layout is always CSV.
        #[cfg(feature = "parquet")]
        if format == ReadingsFormat::Parquet && layout == ReadingsLayout::Long {
            return Ok(Box::new(super::parquet_sink::ParquetReadings::create(
                dir, axis, sync, shard, digests,
            )?));
        }
        let _ = (format, shard);
        let name = match layout {
            ReadingsLayout::Long => METER_READINGS_CSV,
            ReadingsLayout::Sgcc => METER_READINGS_SGCC_CSV,
        };
        let text = ReadingsText::new(axis, layout, decimals);
        let mut out = Appender::create(dir, name, sync, digests)?;
        let mut header = Vec::new();
        text.header(axis, &mut header);
        out.write(&header)?;
        Ok(Box::new(CsvReadings {
            name,
            text,
            out,
            buffers: Buffers::default(),
        }))
    }

    /// `Err` unless `layout` can be written for a series on `axis`.
    pub(crate) fn check_layout(layout: ReadingsLayout, axis: &TimeAxis) -> Result<(), IoError> {
        if layout == ReadingsLayout::Sgcc && axis.resolution() != Resolution::Daily {
            return Err(IoError::UnsupportedOption {
                option: "layout",
                value: layout.to_string(),
                reason: format!(
                    "the SGCC layout has one column per day and needs `resolution` = daily (this dataset is {})",
                    axis.resolution()
                ),
            });
        }
        Ok(())
    }

    fn write_layout<W: Write>(dataset: &Dataset, layout: ReadingsLayout, mut out: W) -> io::Result<()> {
        let axis = dataset.series_axis();
        check_layout(layout, axis).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let text = ReadingsText::new(axis, layout, reading_decimals(dataset.config().register_resolution_kwh));
        let mut header = Vec::new();
        text.header(axis, &mut header);
        out.write_all(&header)?;
        text.render_each(&dataset.part(), |bytes| out.write_all(bytes))?;
        out.flush()
    }

    /// Writes `meter_readings.csv`: `meter_id, timestamp, kwh`, one row per
    /// meter and interval of [`Dataset::series_axis`], meter-major then time.
    /// `timestamp` is the interval's start in local time with its offset
    /// (`2024-01-01T13:00:00+08:00`; local midnight for a daily reading);
    /// `kwh` has 3 decimals for a 0.001 kWh register, 2 for 0.01 kWh, and is
    /// empty for a missing reading ([`Dataset::missing`]). Only the header
    /// at monthly resolution.
    ///
    /// # Errors
    /// Any error of `out`.
    pub fn write_meter_readings_csv<W: Write>(dataset: &Dataset, out: W) -> io::Result<()> {
        write_layout(dataset, ReadingsLayout::Long, out)
    }

    /// Writes `meter_readings_sgcc.csv`, the SGCC benchmark's layout:
    /// `CONS_NO, FLAG` (1 for a labelled meter, else 0), then one column
    /// per day headed `YYYY/M/D`, in time order; one row per meter, blank
    /// cells for missing readings.
    ///
    /// # Errors
    /// [`io::ErrorKind::InvalidInput`] when the dataset is not daily; any error of `out`.
    pub fn write_meter_readings_sgcc_csv<W: Write>(dataset: &Dataset, out: W) -> io::Result<()> {
        write_layout(dataset, ReadingsLayout::Sgcc, out)
    }
}
