//! The energy-balance files: `transformer_readings`, `feeder_readings.csv`,
//! `energy_balance.csv`, and `meter_consumption_true.csv` (what the
//! anomalous meters drew).

use std::io::{self, Write};
use std::path::Path;

use super::IoError;
use super::csv::CONSUMPTION_PREFIX;
use super::fmt::{KWH_DECIMALS, write_fixed, write_padded, write_u64};
use super::sink::Appender;
use crate::balance::{BalanceRow, FeederBalance, TransformerBalance};
use crate::batch::TruthView;
use crate::dataset::Dataset;
use crate::time::TimeAxis;

/// File name of the transformer meters' readings (CSV).
pub const TRANSFORMER_READINGS_CSV: &str = "transformer_readings.csv";
/// File name of the feeder-head meters' readings.
pub const FEEDER_READINGS_CSV: &str = "feeder_readings.csv";
/// File name of the energy balance per transformer and month.
pub const ENERGY_BALANCE_CSV: &str = "energy_balance.csv";
/// File name of what the anomalous meters drew, per month.
pub const METER_CONSUMPTION_TRUE_CSV: &str = "meter_consumption_true.csv";
/// File name of what the anomalous meters drew, per interval (interval
/// resolutions, CSV readings format; with Parquet, the directory
/// `meter_readings_true/`).
pub const METER_READINGS_TRUE_CSV: &str = "meter_readings_true.csv";
/// Decimals of the energy-balance files' kWh values (the transformer and
/// feeder meters register whole watt-hours).
pub const BALANCE_DECIMALS: usize = 3;
/// Columns of `energy_balance.csv`, in order.
pub const ENERGY_BALANCE_COLUMNS: [&str; 15] = {
    // The ids and the month, the kWh columns (named once, by `BalanceRow`), the counts.
    let kwh = BalanceRow::FILE_COLUMNS;
    let mut columns = [""; 15];
    columns[0] = "transformer_id";
    columns[1] = "feeder_id";
    columns[2] = "month";
    let mut i = 0;
    while i < kwh.len() {
        columns[3 + i] = kwh[i];
        i += 1;
    }
    columns[13] = "theft_meters";
    columns[14] = "anomalous_meters";
    columns
};

fn push_tx(buf: &mut Vec<u8>, t: &TransformerBalance) {
    write_padded(buf, "TX_", t.transformer_id.number(), 4);
}

fn push_feeder(buf: &mut Vec<u8>, number: u64) {
    write_padded(buf, "FDR_", number, 2);
}

/// `,monthly_consumption_YYYYMM` for every month of `axis`, then the line end.
fn push_month_columns(buf: &mut Vec<u8>, axis: &TimeAxis) {
    for m in 0..axis.months() {
        buf.push(b',');
        buf.extend_from_slice(CONSUMPTION_PREFIX.as_bytes());
        write_u64(buf, u64::from(axis.monthly().month(m).compact()));
    }
    buf.push(b'\n');
}

/// How readings are laid out: wide (one column per month) at monthly
/// resolution, long (`id, timestamp, kwh`) at interval resolutions.
fn push_readings(buf: &mut Vec<u8>, axis: &TimeAxis, id: &[u8], values: impl Iterator<Item = f64>) {
    if axis.resolution().is_interval() {
        for (i, v) in values.enumerate() {
            buf.extend_from_slice(id);
            buf.push(b',');
            axis.push_timestamp(i, buf);
            buf.push(b',');
            write_fixed(buf, v, BALANCE_DECIMALS);
            buf.push(b'\n');
        }
    } else {
        buf.extend_from_slice(id);
        for v in values {
            buf.push(b',');
            write_fixed(buf, v, BALANCE_DECIMALS);
        }
        buf.push(b'\n');
    }
}

/// The header of a readings file whose id column is `id` (`transformer_id`
/// with its `feeder_id` at monthly resolution, or `feeder_id`).
fn readings_header(buf: &mut Vec<u8>, axis: &TimeAxis, id: &str) {
    if axis.resolution().is_interval() {
        buf.extend_from_slice(format!("{id},timestamp,kwh\n").as_bytes());
    } else {
        buf.extend_from_slice(id.as_bytes());
        if id == "transformer_id" {
            buf.extend_from_slice(b",feeder_id");
        }
        push_month_columns(buf, axis);
    }
}

fn transformer_readings_rows(buf: &mut Vec<u8>, axis: &TimeAxis, transformers: &[TransformerBalance]) {
    let mut id = Vec::with_capacity(16);
    for t in transformers {
        id.clear();
        push_tx(&mut id, t);
        if !axis.resolution().is_interval() {
            id.push(b',');
            push_feeder(&mut id, t.feeder_id.number());
        }
        push_readings(buf, axis, &id, t.rows.iter().map(|r| r.reading_kwh));
    }
}

fn feeder_readings_rows(buf: &mut Vec<u8>, axis: &TimeAxis, feeders: &[FeederBalance]) {
    let mut id = Vec::with_capacity(16);
    for f in feeders {
        id.clear();
        push_feeder(&mut id, f.feeder_id.number());
        push_readings(buf, axis, &id, f.rows.iter().map(|r| r.reading_kwh));
    }
}

fn energy_balance_header(buf: &mut Vec<u8>) {
    buf.extend_from_slice(ENERGY_BALANCE_COLUMNS.join(",").as_bytes());
    buf.push(b'\n');
}

fn energy_balance_rows(buf: &mut Vec<u8>, axis: &TimeAxis, transformers: &[TransformerBalance]) {
    let months: Vec<String> = (0..axis.months())
        .map(|m| {
            let month = axis.monthly().month(m);
            format!(",{:04}-{:02}", month.year(), month.month())
        })
        .collect();
    let mut id = Vec::with_capacity(16);
    for t in transformers {
        // At monthly resolution the rows are the months already.
        let monthly;
        let rows: &[BalanceRow] = if axis.resolution().is_interval() {
            monthly = t.monthly(axis);
            &monthly
        } else {
            &t.rows
        };
        id.clear();
        push_tx(&mut id, t);
        id.push(b',');
        push_feeder(&mut id, t.feeder_id.number());
        let mut counts = Vec::with_capacity(16);
        counts.push(b',');
        write_u64(&mut counts, t.theft_meters as u64);
        counts.push(b',');
        write_u64(&mut counts, t.anomalous_meters as u64);
        counts.push(b'\n');
        for (row, month) in rows.iter().zip(&months) {
            buf.extend_from_slice(&id);
            buf.extend_from_slice(month.as_bytes());
            for v in row.file_values() {
                buf.push(b',');
                write_fixed(buf, v, BALANCE_DECIMALS);
            }
            buf.extend_from_slice(&counts);
        }
    }
}

fn truth_header(buf: &mut Vec<u8>, axis: &TimeAxis) {
    buf.extend_from_slice(b"meter_id");
    push_month_columns(buf, axis);
}

/// One row per anomalous meter: what it drew per month (interval readings summed per month).
fn truth_rows(buf: &mut Vec<u8>, axis: &TimeAxis, truth: TruthView<'_>) {
    for (id, values) in truth.iter() {
        write_padded(buf, "MTR_", id.number(), 6);
        for m in 0..axis.months() {
            let total: f64 = values[axis.month_range(m)].iter().sum();
            buf.push(b',');
            write_fixed(buf, total, KWH_DECIMALS);
        }
        buf.push(b'\n');
    }
}

/// Writes `transformer_readings.csv`: at monthly resolution `transformer_id,
/// feeder_id` and one `monthly_consumption_YYYYMM` column per month, at
/// interval resolutions `transformer_id, timestamp, kwh` rows; the
/// transformer meters' readings, kWh, 3 decimals. Nothing but the header
/// when the balance is off.
///
/// # Errors
/// Any error of `out`.
pub fn write_transformer_readings_csv<W: Write>(dataset: &Dataset, mut out: W) -> io::Result<()> {
    let axis = dataset.series_axis();
    let mut buf = Vec::new();
    readings_header(&mut buf, axis, "transformer_id");
    if let Some(b) = dataset.energy_balance() {
        for t in b.transformers.chunks(64) {
            transformer_readings_rows(&mut buf, axis, t);
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    out.flush()
}

/// Writes `feeder_readings.csv`: as [`write_transformer_readings_csv`], for
/// the feeder-head meters (`feeder_id` and the readings).
///
/// # Errors
/// Any error of `out`.
pub fn write_feeder_readings_csv<W: Write>(dataset: &Dataset, mut out: W) -> io::Result<()> {
    let axis = dataset.series_axis();
    let mut buf = Vec::new();
    readings_header(&mut buf, axis, "feeder_id");
    if let Some(b) = dataset.energy_balance() {
        feeder_readings_rows(&mut buf, axis, &b.feeders);
    }
    out.write_all(&buf)?;
    out.flush()
}

/// Writes `energy_balance.csv`: one row per transformer and month (see
/// [`ENERGY_BALANCE_COLUMNS`]); `month` is `YYYY-MM`, energies kWh with 3 decimals.
///
/// # Errors
/// Any error of `out`.
pub fn write_energy_balance_csv<W: Write>(dataset: &Dataset, mut out: W) -> io::Result<()> {
    let mut buf = Vec::new();
    energy_balance_header(&mut buf);
    if let Some(b) = dataset.energy_balance() {
        energy_balance_rows(&mut buf, dataset.series_axis(), &b.transformers);
    }
    out.write_all(&buf)?;
    out.flush()
}

/// Writes `meter_consumption_true.csv`: `meter_id` and one
/// `monthly_consumption_YYYYMM` column per month (kWh, 2 decimals): what each
/// anomalous meter drew, to pair with its billed row of `meter_consumption.csv`.
///
/// # Errors
/// Any error of `out`.
pub fn write_meter_consumption_true_csv<W: Write>(dataset: &Dataset, mut out: W) -> io::Result<()> {
    let mut buf = Vec::new();
    truth_header(&mut buf, dataset.series_axis());
    truth_rows(&mut buf, dataset.series_axis(), dataset.truth.view());
    out.write_all(&buf)?;
    out.flush()
}

/// Where long readings go: CSV text or Parquet parts.
#[derive(Debug)]
enum TransformerReadings {
    Csv(Appender),
    #[cfg(feature = "parquet")]
    Parquet(Box<parquet_long::LongParquet>),
}

/// The balance files of a dataset being written, fed transformer by transformer.
#[derive(Debug)]
pub(crate) struct BalanceFiles {
    axis: TimeAxis,
    readings: TransformerReadings,
    balance: Appender,
    truth: Appender,
    /// What the anomalous meters drew per interval (interval resolutions only).
    true_readings: Option<TransformerReadings>,
    buf: Vec<u8>,
}

impl BalanceFiles {
    /// Opens the files in `dir`: the transformer readings as Parquet parts
    /// when `parquet` is asked for at an interval resolution.
    pub(crate) fn open(
        dir: &Path,
        axis: &TimeAxis,
        parquet: bool,
        sync: bool,
        shard: crate::shard::Shard,
        digests: &crate::io::digest::Digests,
    ) -> Result<Self, IoError> {
        let mut buf = Vec::new();
        #[cfg(feature = "parquet")]
        let readings = if parquet && axis.resolution().is_interval() {
            TransformerReadings::Parquet(Box::new(parquet_long::LongParquet::create(
                dir, axis, sync, shard, digests,
            )?))
        } else {
            TransformerReadings::Csv(Appender::create(dir, TRANSFORMER_READINGS_CSV, sync, digests)?)
        };
        #[cfg(not(feature = "parquet"))]
        let readings = {
            let _ = (parquet, shard);
            TransformerReadings::Csv(Appender::create(dir, TRANSFORMER_READINGS_CSV, sync, digests)?)
        };
        let mut readings = readings;
        #[allow(irrefutable_let_patterns)] // without `parquet`, CSV is the only variant
        if let TransformerReadings::Csv(a) = &mut readings {
            readings_header(&mut buf, axis, "transformer_id");
            a.write(&buf)?;
        }
        let mut balance = Appender::create(dir, ENERGY_BALANCE_CSV, sync, digests)?;
        buf.clear();
        energy_balance_header(&mut buf);
        balance.write(&buf)?;
        let mut truth = Appender::create(dir, METER_CONSUMPTION_TRUE_CSV, sync, digests)?;
        buf.clear();
        truth_header(&mut buf, axis);
        truth.write(&buf)?;
        let true_readings = if !axis.resolution().is_interval() {
            None
        } else if parquet {
            #[cfg(feature = "parquet")]
            let out = TransformerReadings::Parquet(Box::new(parquet_long::LongParquet::create_true(
                dir, axis, sync, shard, digests,
            )?));
            #[cfg(not(feature = "parquet"))]
            let out = {
                // Unreachable: without `parquet` the readings format is CSV.
                let mut a = Appender::create(dir, METER_READINGS_TRUE_CSV, sync, digests)?;
                buf.clear();
                readings_header(&mut buf, axis, "meter_id");
                a.write(&buf)?;
                TransformerReadings::Csv(a)
            };
            Some(out)
        } else {
            let mut a = Appender::create(dir, METER_READINGS_TRUE_CSV, sync, digests)?;
            buf.clear();
            readings_header(&mut buf, axis, "meter_id");
            a.write(&buf)?;
            Some(TransformerReadings::Csv(a))
        };
        Ok(BalanceFiles {
            axis: *axis,
            readings,
            balance,
            truth,
            true_readings,
            buf,
        })
    }

    /// The name of the transformer readings file or directory.
    pub(crate) fn readings_name(&self) -> &'static str {
        match self.readings {
            TransformerReadings::Csv(_) => TRANSFORMER_READINGS_CSV,
            #[cfg(feature = "parquet")]
            TransformerReadings::Parquet(_) => parquet_long::TRANSFORMER_READINGS_DIR,
        }
    }

    /// Appends what the anomalous meters of a run drew.
    pub(crate) fn add_truth(&mut self, truth: TruthView<'_>) -> Result<(), IoError> {
        self.buf.clear();
        truth_rows(&mut self.buf, &self.axis, truth);
        self.truth.write(&self.buf)?;
        match &mut self.true_readings {
            None => Ok(()),
            Some(TransformerReadings::Csv(a)) => {
                self.buf.clear();
                let mut id = Vec::with_capacity(16);
                for (meter, values) in truth.iter() {
                    id.clear();
                    write_padded(&mut id, "MTR_", meter.number(), 6);
                    push_readings(&mut self.buf, &self.axis, &id, values.iter().copied());
                }
                a.write(&self.buf)
            }
            #[cfg(feature = "parquet")]
            Some(TransformerReadings::Parquet(p)) => {
                for (meter, values) in truth.iter() {
                    p.add_rows(meter.index(), 1, values)?;
                }
                Ok(())
            }
        }
    }

    /// Whether the transformer readings are CSV text (rendered with the rows).
    pub(crate) fn csv_readings(&self) -> bool {
        matches!(self.readings, TransformerReadings::Csv(_))
    }

    /// Appends finished transformers (in id order) and their rendered rows.
    pub(crate) fn add(&mut self, transformers: &[TransformerBalance], text: &BalanceText) -> Result<(), IoError> {
        match &mut self.readings {
            TransformerReadings::Csv(a) => a.write(&text.readings)?,
            #[cfg(feature = "parquet")]
            TransformerReadings::Parquet(p) => p.add(transformers)?,
        }
        #[cfg(not(feature = "parquet"))]
        let _ = transformers;
        self.balance.write(&text.balance)
    }

    /// Closes the files; returns `(name, bytes)` of each.
    pub(crate) fn finish(self) -> Result<Vec<(&'static str, u64)>, IoError> {
        let name = self.readings_name();
        let readings = match self.readings {
            TransformerReadings::Csv(a) => a.close()?,
            #[cfg(feature = "parquet")]
            TransformerReadings::Parquet(p) => p.finish()?,
        };
        let mut files = vec![
            (name, readings),
            (ENERGY_BALANCE_CSV, self.balance.close()?),
            (METER_CONSUMPTION_TRUE_CSV, self.truth.close()?),
        ];
        match self.true_readings {
            None => {}
            Some(TransformerReadings::Csv(a)) => files.push((METER_READINGS_TRUE_CSV, a.close()?)),
            #[cfg(feature = "parquet")]
            Some(TransformerReadings::Parquet(p)) => files.push((parquet_long::METER_READINGS_TRUE_DIR, p.finish()?)),
        }
        Ok(files)
    }
}

/// The rows of finished transformers in `energy_balance.csv` and (as CSV)
/// the transformer readings, rendered ahead of writing.
#[derive(Debug, Default)]
pub(crate) struct BalanceText {
    readings: Vec<u8>,
    balance: Vec<u8>,
}

/// Renders the rows of `transformers` (in parallel chunks with the
/// `parallel` feature); the readings only when `csv_readings`. Pure.
pub(crate) fn render(axis: &TimeAxis, transformers: &[TransformerBalance], csv_readings: bool) -> BalanceText {
    let one = |chunk: &[TransformerBalance]| {
        let mut text = BalanceText::default();
        if csv_readings {
            transformer_readings_rows(&mut text.readings, axis, chunk);
        }
        energy_balance_rows(&mut text.balance, axis, chunk);
        text
    };
    #[cfg(feature = "parallel")]
    let pieces: Vec<BalanceText> = {
        use rayon::prelude::*;
        transformers.par_chunks(16).map(one).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let pieces: Vec<BalanceText> = transformers.chunks(16).map(one).collect();
    let mut text = BalanceText::default();
    for p in pieces {
        text.readings.extend_from_slice(&p.readings);
        text.balance.extend_from_slice(&p.balance);
    }
    text
}

/// Writes the feeder readings of a whole dataset into `dir`: Parquet
/// (`feeder_readings/`) when the transformer readings are Parquet, else
/// `feeder_readings.csv`. Returns the name written and its size.
pub(crate) fn write_feeders(
    dir: &Path,
    sync: bool,
    axis: &TimeAxis,
    feeders: &[FeederBalance],
    csv: bool,
    digests: &crate::io::digest::Digests,
) -> Result<(&'static str, u64), IoError> {
    #[cfg(feature = "parquet")]
    if !csv {
        let bytes = parquet_long::write_feeders(dir, axis, sync, feeders, digests)?;
        return Ok((parquet_long::FEEDER_READINGS_DIR, bytes));
    }
    #[cfg(not(feature = "parquet"))]
    let _ = csv;
    let bytes = super::write_file(dir, sync, FEEDER_READINGS_CSV, digests, |w| {
        let mut buf = Vec::new();
        readings_header(&mut buf, axis, "feeder_id");
        feeder_readings_rows(&mut buf, axis, feeders);
        w.write_all(&buf)
    })?;
    Ok((FEEDER_READINGS_CSV, bytes))
}

#[cfg(feature = "parquet")]
pub(crate) mod parquet_long {
    //! `transformer_readings/part-KKKKK-of-NNNNN.parquet` and
    //! `feeder_readings/part-00001-of-00001.parquet`: long-form readings
    //! through the meter readings' own Parquet writer, with `transformer_id`
    //! or `feeder_id` as the id column.

    use std::fs::File;
    use std::path::{Path, PathBuf};

    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int32Type, TimestampMillisecondType};
    use arrow_schema::{DataType, TimeUnit};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use crate::balance::{FeederBalance, TransformerBalance};
    use crate::ids::{FeederId, TransformerId};
    use crate::io::IoError;
    use crate::io::digest::Digests;
    use crate::io::parquet::{Ids, ParquetOptions, ReadingsBlock, ReadingsParquetWriter, at_path as at};
    use crate::time::TimeAxis;

    /// The directory of the transformer readings' Parquet parts.
    pub(crate) const TRANSFORMER_READINGS_DIR: &str = "transformer_readings";

    /// The directory of the feeder readings' Parquet part (whole datasets only).
    pub(crate) const FEEDER_READINGS_DIR: &str = "feeder_readings";

    /// The directory of the anomalous meters' true readings' Parquet parts.
    pub(crate) const METER_READINGS_TRUE_DIR: &str = "meter_readings_true";

    const TRANSFORMERS: Ids = Ids {
        column: "transformer_id",
        name: |i| TransformerId::from_index(i).to_string(),
    };

    const FEEDERS: Ids = Ids {
        column: "feeder_id",
        name: |i| FeederId::from_index(i).to_string(),
    };

    #[derive(Debug)]
    pub(crate) struct LongParquet {
        path: PathBuf,
        writer: ReadingsParquetWriter<crate::io::parquet::PartFile>,
        timestamps: Vec<i64>,
        values: Vec<f64>,
        sync: bool,
    }

    impl LongParquet {
        pub(crate) fn create(
            dir: &Path,
            axis: &TimeAxis,
            sync: bool,
            shard: crate::shard::Shard,
            digests: &Digests,
        ) -> Result<Self, IoError> {
            Self::create_in(
                dir,
                TRANSFORMER_READINGS_DIR,
                TRANSFORMERS,
                axis,
                (sync, shard),
                digests,
            )
        }

        /// The parts of the anomalous meters' true readings.
        pub(crate) fn create_true(
            dir: &Path,
            axis: &TimeAxis,
            sync: bool,
            shard: crate::shard::Shard,
            digests: &Digests,
        ) -> Result<Self, IoError> {
            Self::create_in(dir, METER_READINGS_TRUE_DIR, Ids::METERS, axis, (sync, shard), digests)
        }

        /// Appends `count` consecutive entities from index `first`, `values` row-major.
        pub(crate) fn add_rows(&mut self, first: u32, count: usize, values: &[f64]) -> Result<(), IoError> {
            let block = ReadingsBlock {
                first_meter: first,
                meters: count,
                timestamps: &self.timestamps,
                values,
                missing: &[],
            };
            self.writer.write_block(&block).map_err(|e| at(e, &self.path))
        }

        fn create_in(
            dir: &Path,
            name: &str,
            ids: Ids,
            axis: &TimeAxis,
            (sync, shard): (bool, crate::shard::Shard),
            digests: &Digests,
        ) -> Result<Self, IoError> {
            let (path, file) = crate::io::parquet::create_part(dir, name, shard, digests)?;
            let options = ParquetOptions::default().with_timezone(axis.zone().to_string());
            let writer = ReadingsParquetWriter::with_ids(file, options, ids).map_err(|e| at(e, &path))?;
            Ok(LongParquet {
                path,
                writer,
                timestamps: (0..axis.len()).map(|i| axis.timestamp(i)).collect(),
                values: Vec::new(),
                sync,
            })
        }

        /// Appends transformers (in increasing id order): one block per run of consecutive ids.
        pub(crate) fn add(&mut self, transformers: &[TransformerBalance]) -> Result<(), IoError> {
            let mut rest = transformers;
            while let Some(first) = rest.first() {
                let start = first.transformer_id.index();
                let run = rest
                    .iter()
                    .zip(start..)
                    .take_while(|(t, i)| t.transformer_id.index() == *i)
                    .count();
                let (block, tail) = rest.split_at(run);
                rest = tail;
                let mut values = std::mem::take(&mut self.values);
                values.clear();
                values.extend(block.iter().flat_map(|t| t.rows.iter().map(|r| r.reading_kwh)));
                let written = self.add_rows(start, block.len(), &values);
                self.values = values;
                written?;
            }
            Ok(())
        }

        pub(crate) fn finish(self) -> Result<u64, IoError> {
            crate::io::parquet::finish_part(self.writer, &self.path, self.sync)
        }
    }

    /// Feeds `row(transformer_id, local time as seconds since 1970, kWh)`
    /// every row of the parts in `dir` (every `*.parquet` file, in name order).
    ///
    /// # Errors
    /// A part cannot be read, or is not a transformer readings part.
    fn err(path: &Path, e: impl std::fmt::Display) -> IoError {
        IoError::Parquet {
            path: Some(path.to_path_buf()),
            reason: e.to_string(),
        }
    }

    /// Writes every feeder's readings (a whole dataset's) as one part.
    pub(crate) fn write_feeders(
        dir: &Path,
        axis: &TimeAxis,
        sync: bool,
        feeders: &[FeederBalance],
        digests: &Digests,
    ) -> Result<u64, IoError> {
        let mut part = LongParquet::create_in(
            dir,
            FEEDER_READINGS_DIR,
            FEEDERS,
            axis,
            (sync, crate::shard::Shard::whole()),
            digests,
        )?;
        let values: Vec<f64> = feeders
            .iter()
            .flat_map(|f| f.rows.iter().map(|r| r.reading_kwh))
            .collect();
        part.add_rows(0, feeders.len(), &values)?;
        part.finish()
    }

    /// Calls `row(id, local seconds, kwh)` for every row of the parts in
    /// `dir` (in file order), whose id column is `id_column`.
    pub(crate) fn read_parts(dir: &Path, id_column: &str, mut row: impl FnMut(&str, i64, f64)) -> Result<(), IoError> {
        let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| IoError::io("list", dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .collect();
        parts.sort();
        for path in parts {
            let file = File::open(&path).map_err(|e| IoError::io("open", &path, e))?;
            let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| err(&path, e))?;
            let parse = |reason: String| IoError::Parse {
                path: path.clone(),
                reason,
            };
            let schema = builder.schema();
            let col = |name: &str| {
                schema
                    .index_of(name)
                    .map_err(|_| parse(format!("no `{name}` column (expected {id_column},timestamp,kwh)")))
            };
            let (id, ts, kwh) = (col(id_column)?, col("timestamp")?, col("kwh")?);
            let offset = match schema.field(ts).data_type() {
                DataType::Timestamp(TimeUnit::Millisecond, Some(zone)) => zone
                    .parse::<crate::calendar::TimeZone>()
                    .map_err(|e| parse(format!("timestamp zone {zone:?}: {e}")))?
                    .offset_seconds(),
                other => return Err(parse(format!("timestamp is {other}, not milliseconds in a zone"))),
            };
            for batch in builder.build().map_err(|e| err(&path, e))? {
                let batch = batch.map_err(|e| err(&path, e))?;
                // Dictionary-encoded strings (as written), or plain strings.
                let column = batch.column(id);
                let (keys, ids) = match column.as_dictionary_opt::<Int32Type>() {
                    Some(d) => (Some(d.keys()), d.values().as_string_opt::<i32>()),
                    None => (None, column.as_string_opt::<i32>()),
                };
                let ids = ids.ok_or_else(|| parse(format!("{id_column} is not a string")))?;
                let stamps = batch
                    .column(ts)
                    .as_primitive_opt::<TimestampMillisecondType>()
                    .ok_or_else(|| parse("timestamp is not milliseconds".to_owned()))?;
                let values = batch
                    .column(kwh)
                    .as_primitive_opt::<Float64Type>()
                    .ok_or_else(|| parse("kwh is not Float64".to_owned()))?;
                for i in 0..batch.num_rows() {
                    let k = keys.map_or(i, |k| k.value(i) as usize);
                    row(ids.value(k), stamps.value(i).div_euclid(1000) + offset, values.value(i));
                }
            }
        }
        Ok(())
    }
}
