//! Writing a [`Dataset`] to disk as the files the original tool's users
//! consume, and reading such a directory back to check it.
//!
//! | File | Feature | Writer |
//! |---|---|---|
//! | `transformers.csv` | `csv` | [`write_transformers_csv`] |
//! | `meter_consumption.csv` | `csv` | [`write_meter_consumption_csv`] |
//! | `anomaly_labels.csv` | `csv` | [`write_anomaly_labels_csv`] |
//! | `events.csv` | `csv` | [`write_events_csv`] |
//! | `transformers.geojson` | `geojson` | [`write_transformers_geojson`] |
//! | `generation_report.json` / `.txt` | `json` | [`write_report_json`], [`write_report_txt`] |
//! | `manifest.json` (written last: every other file's size and SHA-256; checked by [`verify_manifest`], [`validate_shard_set`]) | `json` | [`write_manifest_json`] |
//! | `meter_readings/part-KKKKK-of-NNNNN.parquet` (interval resolutions, the default format with `parquet`) | `parquet` | [`ReadingsParquetWriter`] |
//! | `meter_readings.csv` (interval resolutions) | `csv` | [`write_meter_readings_csv`] |
//! | `meter_readings_sgcc.csv` (daily, [`ReadingsLayout::Sgcc`]) | `csv` | [`write_meter_readings_sgcc_csv`] |
//! | `weather.csv` (interval resolutions) | `csv` | [`write_weather_csv`] (read back: [`read_weather_csv`]) |
//! | `transformer_readings.csv` (or `transformer_readings/part-KKKKK-of-NNNNN.parquet` at interval resolutions with Parquet) | `csv` | [`write_transformer_readings_csv`] |
//! | `feeder_readings.csv` (whole datasets) | `csv` | [`write_feeder_readings_csv`] |
//! | `energy_balance.csv` | `csv` | [`write_energy_balance_csv`] |
//! | `meter_consumption_true.csv` | `csv` | [`write_meter_consumption_true_csv`] |
//! | `meter_readings_true.csv` or `meter_readings_true/part-KKKKK-of-NNNNN.parquet` (interval resolutions: what the anomalous meters drew per interval) | `csv` | the dataset writers |
//!
//! The four energy-balance files are written unless
//! [`BalanceConfig::enabled`](crate::BalanceConfig::enabled) is off; a
//! shard writes the transformers whose first meter it holds, and no
//! `feeder_readings.csv` (a feeder's transformers are spread over shards).
//!
//! At interval resolutions (see [`Resolution`](crate::Resolution)) the
//! monthly files are written as always (a meter's monthly value is the sum
//! of its readings), labels' and events' `onset`/`end` become timestamps on
//! the series axis, and the readings and weather files are added.
//!
//! [`write_dataset`] writes every enabled file of an in-memory dataset into a
//! [`Staging`] directory and, only once all are complete, replaces the whole
//! output directory with it in one step (keeping the files of the old one
//! that it does not write): a failed run leaves the output directory as it was.
//! [`stream_dataset`] does the same straight from a [`Pipeline`],
//! batch by batch, in bounded memory, optionally for one [`Shard`] only. Both
//! go through the same writer and produce the same bytes.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ghostload::{GeneratorConfig, Pipeline};
//! use ghostload::io::{WriteOptions, write_dataset};
//! let dataset = Pipeline::builder()
//!     .config(GeneratorConfig { num_meters: 200, num_transformers: 10, ..Default::default() })
//!     .build()?
//!     .generate()?;
//! let dir = std::env::temp_dir().join(format!("ghostload-doc-{}", std::process::id()));
//! let written = write_dataset(&dataset, &dir, &WriteOptions::default())?;
//! # #[cfg(feature = "csv")]
//! assert!(written.files.iter().any(|f| f == "meter_consumption.csv"));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use self::sink::Sink;
use crate::batch::MeterBatch;
use crate::dataset::Dataset;
use crate::pipeline::Pipeline;
use crate::shard::Shard;

#[cfg(feature = "arrow")]
#[cfg_attr(docsrs, doc(cfg(feature = "arrow")))]
mod arrow;
#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
mod balance;
#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
mod csv;
mod digest;
// Without a writer feature only the benchmarks' `write_fixed` is used.
#[cfg(feature = "csv")]
mod balance_check;
#[cfg_attr(not(any(feature = "csv", feature = "geojson", feature = "json")), allow(dead_code))]
pub(crate) mod fmt;
#[cfg(feature = "geojson")]
#[cfg_attr(docsrs, doc(cfg(feature = "geojson")))]
mod geojson;
#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
mod input;
// Long-form Parquet input of `read_consumption` and `inject_file` (which are `csv`'s).
#[cfg(all(feature = "csv", feature = "parquet"))]
mod input_parquet;
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
mod manifest;
#[cfg(feature = "parquet")]
#[cfg_attr(docsrs, doc(cfg(feature = "parquet")))]
mod parquet;
#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
mod read;
mod readings;
#[cfg(feature = "csv")]
mod readings_check;
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
mod report;
mod sink;
mod staging;
#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
mod weather;

#[cfg(feature = "arrow")]
pub use self::arrow::{ArrowTable, ArrowTables, ConsumptionBuilder};
#[cfg(feature = "csv")]
pub use self::balance::{
    BALANCE_DECIMALS, ENERGY_BALANCE_COLUMNS, ENERGY_BALANCE_CSV, FEEDER_READINGS_CSV, METER_CONSUMPTION_TRUE_CSV,
    METER_READINGS_TRUE_CSV, TRANSFORMER_READINGS_CSV, write_energy_balance_csv, write_feeder_readings_csv,
    write_meter_consumption_true_csv, write_transformer_readings_csv,
};
#[cfg(feature = "csv")]
pub use self::csv::{
    ANOMALY_LABELS_CSV, CONSUMPTION_PREFIX, EVENT_COLUMNS, EVENTS_CSV, LABEL_COLUMNS, METER_COLUMNS,
    METER_CONSUMPTION_CSV, TRANSFORMER_COLUMNS, TRANSFORMERS_CSV, write_anomaly_labels_csv, write_events_csv,
    write_meter_consumption_csv, write_transformers_csv,
};
pub use self::fmt::{COORD_DECIMALS, KVA_DECIMALS, KWH_DECIMALS, SEVERITY_DECIMALS};
#[cfg(feature = "geojson")]
pub use self::geojson::{TRANSFORMERS_GEOJSON, transformers_feature_collection, write_transformers_geojson};
#[cfg(feature = "csv")]
pub use self::input::{
    ConsumptionReader, InjectSummary, InputLayout, MeterRow, inject_file, inject_file_with_labels, read_consumption,
    read_labelled_ids,
};
#[cfg(feature = "json")]
pub use self::manifest::{
    MANIFEST_CHECK, MANIFEST_JSON, MANIFEST_VERSION, Manifest, ManifestFile, ManifestShard, config_sha256,
    read_manifest, validate_shard_set, verify_manifest, weather_sha256, write_manifest_json,
};
#[cfg(feature = "parquet")]
pub use self::parquet::{
    DEFAULT_ROW_GROUP_ROWS, DEFAULT_ZSTD_LEVEL, MAX_ROW_GROUP_ROWS, METER_READINGS_DIR, ParquetOptions,
    READINGS_COLUMNS, ReadingsBlock, ReadingsParquetReader, ReadingsParquetWriter, ReadingsTable, part_name,
    read_readings_parquet, readings_schema,
};
#[cfg(feature = "csv")]
pub use self::read::{DatasetDir, Table, read_dataset_dir, validate_dir, validate_tables};
#[cfg(feature = "csv")]
pub use self::readings::{
    METER_READINGS_CSV, METER_READINGS_SGCC_CSV, READING_COLUMNS, SGCC_COLUMNS, write_meter_readings_csv,
    write_meter_readings_sgcc_csv,
};
pub use self::readings::{ReadingsFormat, ReadingsLayout};
#[cfg(feature = "json")]
pub use self::report::{
    BalanceReport, GenerationReport, IntervalReport, OverloadedTransformer, REPORT_JSON, REPORT_TXT, ShardInfo,
    WeatherSummary, write_report_json, write_report_txt,
};
pub use self::staging::Staging;
#[cfg(feature = "csv")]
pub use self::weather::{WEATHER_COLUMNS, WEATHER_CSV, read_weather_csv, write_weather_csv};
pub use crate::error::IoError;

/// The directory of the `meter_readings` Parquet parts (`METER_READINGS_DIR` of the `parquet` feature).
#[cfg_attr(not(feature = "csv"), allow(dead_code))]
pub(crate) const METER_READINGS_DIR_NAME: &str = "meter_readings";

/// File name of the run log the CLI writes beside the data.
pub const LOG_FILE: &str = "synthetic_data_generation.log";

/// How [`write_dataset`] and [`stream_dataset`] run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WriteOptions {
    /// When set to `true` (e.g. by a Ctrl-C handler), writing stops before the
    /// next file or batch and the output directory is left unchanged.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Meters generated per batch when streaming (default 32 768; any value is
    /// used as `1 ..=` [`MAX_BATCH_SIZE`], and never more than
    /// [`MAX_BATCH_CELLS`] values): bounds the memory of
    /// [`stream_dataset`] whatever the dataset's size. The files do not depend on it.
    pub batch_size: usize,
    /// Write only this shard's meters (streaming only; default: the whole dataset).
    pub shard: Shard,
    /// `fsync` every file before the output directory is swapped (default `false`).
    /// The staging directory already makes a run all-or-nothing for every
    /// failure of the process (an error, a full disk, Ctrl-C, a kill); syncing
    /// adds durability across a power loss or an operating-system crash, at
    /// the cost of waiting for the disk.
    pub sync: bool,
    /// The file format of the interval readings (default Parquet with the
    /// `parquet` feature, else CSV). Ignored at monthly resolution.
    pub readings_format: ReadingsFormat,
    /// The layout of the interval readings (default [`ReadingsLayout::Long`],
    /// `meter_readings.csv`; [`ReadingsLayout::Sgcc`] needs daily resolution).
    pub layout: ReadingsLayout,
    /// A counter of the meters written so far, for a progress display (default
    /// none): [`stream_files`] adds each batch's meters once its rows are
    /// written, [`write_files`] all of them at once. It only ever grows, by
    /// at most the dataset's (or the shard's) meters; the files do not depend on it.
    pub progress: Option<Arc<AtomicU64>>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            cancel: None,
            batch_size: DEFAULT_BATCH_SIZE,
            shard: Shard::whole(),
            sync: false,
            readings_format: ReadingsFormat::default(),
            layout: ReadingsLayout::Long,
            progress: None,
        }
    }
}

/// Default meters per streamed batch.
pub const DEFAULT_BATCH_SIZE: usize = 32_768;

/// Most consumption values one streamed batch holds (8 MiB of `f64`): with
/// long series the batch has fewer meters than asked for. Two batches are in
/// flight at a time (one generated while the other is written).
pub const MAX_BATCH_CELLS: usize = 1 << 20;

/// Most interval readings one streamed batch holds, 16 777 216 (128 MiB of
/// `f64`): at interval resolutions a batch has at most
/// `max(1, MAX_BATCH_READINGS / intervals per meter)` meters, whatever
/// [`WriteOptions::batch_size`] says (e.g. 1 910 meters of a leap year of
/// hourly readings, 477 of quarter hours).
pub const MAX_BATCH_READINGS: usize = 1 << 24;

/// Most meters a streamed batch holds, 1 048 576 (= [`MAX_BATCH_CELLS`]:
/// a batch of one-month series); the CLI refuses a larger `--batch-size`.
pub const MAX_BATCH_SIZE: usize = MAX_BATCH_CELLS;

impl WriteOptions {
    /// Options that stop writing once `flag` becomes `true`.
    #[must_use]
    pub fn with_cancel_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// Stream `batch_size` meters at a time, clamped to `1 ..=`
    /// [`MAX_BATCH_SIZE`] (and to [`MAX_BATCH_CELLS`] values when streaming):
    /// `0` means 1, `usize::MAX` means [`MAX_BATCH_SIZE`].
    ///
    /// ```
    /// use ghostload::io::{MAX_BATCH_SIZE, WriteOptions};
    /// assert_eq!(WriteOptions::default().with_batch_size(0).batch_size, 1);
    /// assert_eq!(WriteOptions::default().with_batch_size(usize::MAX).batch_size, MAX_BATCH_SIZE);
    /// ```
    #[must_use]
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.clamp(1, MAX_BATCH_SIZE);
        self
    }

    /// Write only `shard`: its meter rows (with headers) and the complete
    /// transformer files. Concatenating the row files of shards `1/N … N/N`
    /// (each without its header but the first) gives the single-machine files.
    ///
    /// ```
    /// use ghostload::Shard;
    /// use ghostload::io::WriteOptions;
    /// let options = WriteOptions::default().with_shard(Shard::new(2, 8)?);
    /// assert_eq!(options.shard.to_string(), "2/8");
    /// # Ok::<(), ghostload::ConfigError>(())
    /// ```
    #[must_use]
    pub fn with_shard(mut self, shard: Shard) -> Self {
        self.shard = shard;
        self
    }

    /// Sync every file to disk before moving it into place (see [`sync`](Self::sync)).
    #[must_use]
    pub fn with_sync(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }

    /// Writes the interval readings in `format` (see [`readings_format`](Self::readings_format)).
    #[must_use]
    pub fn with_readings_format(mut self, format: ReadingsFormat) -> Self {
        self.readings_format = format;
        self
    }

    /// Lays the interval readings out as `layout` (see [`layout`](Self::layout)).
    ///
    /// ```
    /// use ghostload::io::{ReadingsLayout, WriteOptions};
    /// let options = WriteOptions::default().with_layout(ReadingsLayout::Sgcc);
    /// assert_eq!(options.layout.to_string(), "sgcc");
    /// ```
    #[must_use]
    pub fn with_layout(mut self, layout: ReadingsLayout) -> Self {
        self.layout = layout;
        self
    }

    /// Counts the meters written into `counter` (see [`progress`](Self::progress)):
    /// another thread may read it while the dataset is being written.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use ghostload::io::{WriteOptions, stream_dataset};
    /// use ghostload::{GeneratorConfig, Pipeline};
    /// let pipeline = Pipeline::builder()
    ///     .config(GeneratorConfig { num_meters: 300, num_transformers: 10, ..Default::default() })
    ///     .build()?;
    /// let written = Arc::new(AtomicU64::new(0));
    /// let options = WriteOptions::default().with_batch_size(100).with_progress(Arc::clone(&written));
    /// let dir = std::env::temp_dir().join(format!("ghostload-progress-doc-{}", std::process::id()));
    /// stream_dataset(&pipeline, &dir, &options)?;
    /// assert_eq!(written.load(Ordering::Relaxed), 300);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_progress(mut self, counter: Arc<AtomicU64>) -> Self {
        self.progress = Some(counter);
        self
    }

    /// Adds `meters` to the progress counter, if any.
    fn add_progress(&self, meters: usize) {
        if let Some(counter) = &self.progress {
            counter.fetch_add(meters as u64, Ordering::Relaxed);
        }
    }

    /// `Err(`[`IoError::UnsupportedOption`]`)` when these options cannot
    /// write a series on `axis`: the SGCC layout needs daily resolution.
    pub(crate) fn check_for(&self, axis: &crate::time::TimeAxis) -> Result<(), IoError> {
        #[cfg(feature = "csv")]
        if axis.resolution().is_interval() || self.layout != ReadingsLayout::Long {
            readings::check_layout(self.layout, axis)?;
        }
        #[cfg(not(feature = "csv"))]
        let _ = axis;
        Ok(())
    }

    fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|f| f.load(Ordering::SeqCst))
    }

    pub(crate) fn check_cancel(&self, dir: &Path) -> Result<(), IoError> {
        if self.cancelled() {
            Err(IoError::Interrupted {
                path: dir.to_path_buf(),
            })
        } else {
            Ok(())
        }
    }
}

/// What [`write_dataset`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct WrittenFiles {
    /// The output directory.
    pub dir: PathBuf,
    /// The names of the files written into it, in writing order.
    pub files: Vec<String>,
    /// Total bytes written.
    pub bytes: u64,
    /// Meters written (all of them, or the shard's).
    pub meters: usize,
    /// Anomalous meters among them.
    pub anomalous_meters: usize,
}

impl WrittenFiles {
    #[cfg_attr(not(any(feature = "csv", feature = "geojson", feature = "json")), allow(dead_code))]
    fn add(&mut self, name: &str, bytes: u64) {
        self.files.push(name.to_owned());
        self.bytes += bytes;
    }
}

/// The file names [`write_files`] writes with the enabled features, in
/// order, at monthly resolution with the default configuration. At interval
/// resolutions `weather.csv` (after the transformer files) and the readings
/// file ([`METER_READINGS_CSV`] or [`METER_READINGS_SGCC_CSV`], after
/// `events.csv`) are written too (with the `csv` feature), and with the
/// Parquet format the transformer readings are the `transformer_readings`
/// directory. Without the balance ([`BalanceConfig::enabled`](crate::BalanceConfig::enabled) off)
/// the four balance files are not written; a shard writes no `feeder_readings.csv`.
#[must_use]
#[allow(clippy::vec_init_then_push)] // the pushes depend on features
pub fn file_names() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut names = Vec::new();
    #[cfg(feature = "csv")]
    names.extend([
        TRANSFORMERS_CSV,
        METER_CONSUMPTION_CSV,
        ANOMALY_LABELS_CSV,
        EVENTS_CSV,
        TRANSFORMER_READINGS_CSV,
        ENERGY_BALANCE_CSV,
        METER_CONSUMPTION_TRUE_CSV,
        FEEDER_READINGS_CSV,
    ]);
    #[cfg(feature = "geojson")]
    names.push(TRANSFORMERS_GEOJSON);
    #[cfg(feature = "json")]
    names.extend([REPORT_JSON, REPORT_TXT, MANIFEST_JSON]);
    names
}

/// `Err(`[`IoError::NoWriters`]`)` when no writer feature is compiled in:
/// "success" with no files would hide a misconfigured build.
fn require_writers() -> Result<(), IoError> {
    if file_names().is_empty() {
        Err(IoError::NoWriters)
    } else {
        Ok(())
    }
}

/// Creates `dir/name`, writes it with `write` (recording its digest in
/// `digests` for the manifest), and syncs it to disk when `sync`.
#[cfg_attr(not(any(feature = "csv", feature = "geojson", feature = "json")), allow(dead_code))]
fn write_file(
    dir: &Path,
    sync: bool,
    name: &str,
    digests: &digest::Digests,
    write: impl FnOnce(&mut BufWriter<digest::TapWriter<&File>>) -> std::io::Result<()>,
) -> Result<u64, IoError> {
    let path = dir.join(name);
    let file = File::create(&path).map_err(|e| IoError::io("create", &path, e))?;
    let tapped = digest::TapWriter {
        inner: &file,
        tap: digest::Tap::new(digests, name),
    };
    let mut out = BufWriter::with_capacity(256 * 1024, tapped);
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(|e| IoError::io("write", &path, e))?;
    let tapped = out
        .into_inner()
        .map_err(|e| IoError::io("write", &path, e.into_error()))?;
    tapped.tap.finish();
    if sync {
        file.sync_all().map_err(|e| IoError::io("sync", &path, e))?;
    }
    let len = file.metadata().map_err(|e| IoError::io("stat", &path, e))?.len();
    tracing::debug!(file = name, bytes = len, "wrote {}", path.display());
    Ok(len)
}

/// Writes every enabled file of `dataset` into the existing directory `dir`,
/// in place (not atomically: use [`write_dataset`] for that).
///
/// # Errors
/// [`IoError::Validation`] if the dataset fails a check (the reports are not
/// written); [`IoError::Interrupted`] when the cancel flag is set;
/// [`IoError::Io`] for file-system errors.
pub fn write_files(dataset: &Dataset, dir: &Path, options: &WriteOptions) -> Result<WrittenFiles, IoError> {
    require_writers()?;
    let expected = crate::validate::Expected::whole(dataset.config());
    let source = sink::Source {
        config: dataset.config(),
        axis: dataset.axis(),
        series: dataset.series_axis(),
        weather: dataset.weather(),
        network: dataset.network(),
    };
    let mut sink = Sink::open(dir, source, expected, options)?;
    sink.add(&dataset.part())?;
    options.add_progress(dataset.meters().len());
    let feeders = match dataset.energy_balance() {
        Some(b) => {
            sink.add_balance(&b.transformers)?;
            &b.feeders[..]
        }
        None => &[],
    };
    sink.finish(dataset.warnings(), None, feeders)
}

/// Generates the pipeline's dataset (or the options' shard of it) batch by
/// batch and writes it into the existing directory `dir`, in place. Memory
/// stays bounded by the batch size whatever the number of meters.
///
/// # Errors
/// [`IoError::Generation`] when a component fails; otherwise as [`write_files`].
pub fn stream_files(pipeline: &Pipeline, dir: &Path, options: &WriteOptions) -> Result<WrittenFiles, IoError> {
    require_writers()?;
    let network = pipeline.network();
    let config = pipeline.config();
    let range = options.shard.range(config.num_meters);
    let shard = (options.shard != Shard::whole()).then_some(options.shard);
    let expected = pipeline.expected(range.clone());
    let source = sink::Source {
        config,
        axis: pipeline.axis(),
        series: pipeline.series_axis(),
        weather: pipeline.weather(),
        network,
    };
    let mut sink = Sink::open(dir, source, expected, options)?;
    let formatter = sink.formatter();
    // Batch k + 1 is generated and rendered (in parallel) while batch k is
    // written and checked: the sequential part overlaps the parallel one.
    // Two batches alternate, so their buffers are allocated (and faulted in
    // by the kernel) once, not once per batch.
    let mut balance = config
        .balance
        .enabled
        .then(|| pipeline.balance_stream(range.clone()))
        .transpose()?;
    let balance_text = sink.balance_text();
    let series = pipeline.series_axis();
    // Generates a batch, renders its rows and balances the transformers it
    // completes: the parallel half of each step.
    let mut produce = |range: std::ops::Range<usize>, spare: Option<MeterBatch>| -> Result<Produced, IoError> {
        let mut batch = match spare {
            Some(mut batch) => {
                pipeline.generate_batch_into(range, &mut batch).map_err(IoError::from)?;
                batch
            }
            None => pipeline.generate_batch(range).map_err(IoError::from)?,
        };
        let rendered = sink::render(&formatter, &batch.part());
        let transformers = balance
            .as_mut()
            .map(|stream| stream.take(&mut batch))
            .unwrap_or_default();
        #[cfg(feature = "csv")]
        let text = balance_text.map(|csv| balance::render(series, &transformers, csv));
        #[cfg(not(feature = "csv"))]
        let text = balance_text.map(|_| sink::BalanceText);
        Ok((batch, rendered, (transformers, text)))
    };
    // Long series shrink the batch so that it never holds more than
    // MAX_BATCH_CELLS monthly values nor MAX_BATCH_READINGS readings,
    // whatever batch size was asked for.
    let intervals = series.intervals().max(1);
    let size = options
        .batch_size
        .min(MAX_BATCH_CELLS / pipeline.axis().len().max(1))
        .min(MAX_BATCH_READINGS / intervals)
        .max(1);
    // Writes a batch and its transformers, and hands the batch back for reuse.
    let consume = |sink: &mut Sink<'_>, pending: Option<Produced>| -> Result<Option<MeterBatch>, IoError> {
        let Some((batch, rendered, (transformers, text))) = pending else {
            return Ok(None);
        };
        sink.consume(&batch.part(), rendered)?;
        sink.add_rendered_balance(&transformers, text.as_ref())?;
        options.add_progress(batch.meters().len());
        Ok(Some(batch))
    };
    let mut pending = None;
    let mut spare = None;
    for start in range.clone().step_by(size) {
        let next_range = start..(start + size).min(range.end);
        let previous = pending.take();
        let reuse = spare.take();
        let (next, done) = pipeline.install(|| join(|| produce(next_range, reuse), || consume(&mut sink, previous)));
        spare = done?;
        pending = Some(next?);
    }
    consume(&mut sink, pending)?;
    let feeders = match balance {
        Some(mut stream) => {
            // A shard completes its last transformer with the meters after it.
            let tail = stream.tail();
            if !tail.is_empty() {
                let batch = pipeline.generate_batch(tail)?;
                sink.add_tail(&batch.part());
                sink.add_balance(&stream.add(&batch))?;
            }
            stream.finish()
        }
        None => Vec::new(),
    };
    // On the pipeline's pool: the manifest hashes files in parallel.
    pipeline.install(|| sink.finish(pipeline.warnings(), shard, &feeders))
}

/// A generated batch, its rendered rows and the transformers it completed.
type Produced = (
    MeterBatch,
    sink::Rendered,
    (Vec<crate::balance::TransformerBalance>, Option<sink::BalanceText>),
);

/// Runs both closures, in parallel with the `parallel` feature.
pub(crate) fn join<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    #[cfg(feature = "parallel")]
    return rayon::join(a, b);
    #[cfg(not(feature = "parallel"))]
    return (a(), b());
}

/// [`stream_files`] into a [`Staging`] directory that replaces `dir` as a
/// whole, in one step, only when every file is complete and validation passed
/// (files of `dir` that it does not write are kept): on any error or
/// interruption `dir` is left exactly as it was.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ghostload::io::{WriteOptions, stream_dataset};
/// use ghostload::{GeneratorConfig, Pipeline, Shard};
/// let pipeline = Pipeline::builder()
///     .config(GeneratorConfig { num_meters: 500, num_transformers: 20, ..Default::default() })
///     .build()?;
/// let dir = std::env::temp_dir().join(format!("ghostload-stream-doc-{}", std::process::id()));
/// let options = WriteOptions::default().with_batch_size(100).with_shard(Shard::new(1, 2)?);
/// let written = stream_dataset(&pipeline, &dir, &options)?;
/// # #[cfg(feature = "csv")]
/// assert!(written.files.iter().any(|f| f == "events.csv"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// See [`stream_files`], [`Staging::new`] and [`Staging::commit`].
pub fn stream_dataset(pipeline: &Pipeline, dir: &Path, options: &WriteOptions) -> Result<WrittenFiles, IoError> {
    // Checked before the staging directory exists, so that nothing is created.
    options.check_for(pipeline.series_axis())?;
    let staging = staging_for(dir, options)?;
    let mut written = stream_files(pipeline, staging.path(), options).map_err(|e| at_target(e, staging.target()))?;
    written.dir = staging.commit()?;
    Ok(written)
}

/// Writes every enabled file of `dataset` into `dir` atomically: into a
/// [`Staging`] directory beside it first, which replaces `dir` as a whole, in
/// one step, only when every file is complete (files of `dir` that it does
/// not write are kept). On any error `dir` is left exactly as it was.
///
/// # Errors
/// See [`write_files`], [`Staging::new`] and [`Staging::commit`].
pub fn write_dataset(dataset: &Dataset, dir: &Path, options: &WriteOptions) -> Result<WrittenFiles, IoError> {
    options.check_for(dataset.series_axis())?;
    let staging = staging_for(dir, options)?;
    let mut written = write_files(dataset, staging.path(), options).map_err(|e| at_target(e, staging.target()))?;
    written.dir = staging.commit()?;
    Ok(written)
}

/// The [`Staging`] directory for `dir`, cancelled by the options' flag.
fn staging_for(dir: &Path, options: &WriteOptions) -> Result<Staging, IoError> {
    // Checked before the staging directory exists, so that nothing is created.
    require_writers()?;
    let staging = Staging::new(dir)?;
    Ok(match &options.cancel {
        Some(flag) => staging.with_cancel_flag(Arc::clone(flag)),
        None => staging,
    })
}

/// An interruption names the output directory, left unchanged, rather than
/// the staging directory the writers were in.
fn at_target(e: IoError, target: &Path) -> IoError {
    match e {
        IoError::Interrupted { .. } => IoError::Interrupted {
            path: target.to_path_buf(),
        },
        other => other,
    }
}

#[cfg(all(test, not(any(feature = "csv", feature = "geojson", feature = "json"))))]
mod no_writer_tests {
    use super::*;

    #[test]
    fn without_a_writer_feature_nothing_is_written_and_the_error_says_why() {
        let pipeline = crate::Pipeline::builder()
            .config(crate::GeneratorConfig {
                num_meters: 40,
                num_transformers: 4,
                ..Default::default()
            })
            .build()
            .unwrap();
        let dataset = pipeline.generate().unwrap();
        let dir = std::env::temp_dir().join(format!("ghostload-no-writers-{}", std::process::id()));
        let err = write_dataset(&dataset, &dir, &WriteOptions::default()).unwrap_err();
        assert!(matches!(err, IoError::NoWriters), "{err}");
        assert!(err.to_string().contains("`csv`"), "{err}");
        let err = stream_dataset(&pipeline, &dir, &WriteOptions::default()).unwrap_err();
        assert!(matches!(err, IoError::NoWriters), "{err}");
        assert!(!dir.exists(), "nothing may be created");
        let parent = std::env::temp_dir();
        let leftovers = std::fs::read_dir(&parent)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("ghostload-no-writers"))
            .count();
        assert_eq!(leftovers, 0, "no staging directory either");
    }
}
