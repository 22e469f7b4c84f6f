//! [`Sink`]: the one path every dataset takes to disk, whole or in batches.
//!
//! Files of the network (`transformers.csv`, `transformers.geojson`) are
//! written when the sink opens; rows of meters are appended as they arrive;
//! the reports are written when it finishes, after validation of everything
//! that went through. Because the in-memory writer and the streaming writer
//! both feed this sink, they produce the same bytes.

// Without the format features most of this module has nothing to write.
#![cfg_attr(not(feature = "csv"), allow(dead_code, unused_mut, unused_variables))]

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

#[cfg(feature = "csv")]
pub(crate) use super::balance::BalanceText;
use super::digest::{Digests, Tap};
use super::{IoError, WriteOptions, WrittenFiles};
use crate::balance::{BalanceTally, FeederBalance, TransformerBalance};
/// Without the `csv` feature there is no balance text.
#[cfg(not(feature = "csv"))]
#[derive(Debug)]
pub(crate) struct BalanceText;
use crate::batch::Part;
use crate::cells::CellScan;
use crate::config::GeneratorConfig;
use crate::dataset::Warning;
use crate::network::Network;
use crate::report::SummaryBuilder;
use crate::shard::Shard;
use crate::time::TimeAxis;
use crate::validate::{Expected, Validator};
use crate::weather::Weather;

/// Chunks rendered at once by [`Sink::add`]: bounds the text held in memory.
const SLAB_CHUNKS: usize = 16;

/// Bytes appended between two background syncs.
const SYNC_EVERY: u64 = 32 << 20;

/// A file being appended to in large pieces (each chunk of rows is one
/// `write`, so no further buffering), with its path for error messages.
///
/// Every [`SYNC_EVERY`] bytes it starts an `fsync` of what was written so far
/// on a background thread, so the disk works while the CPU generates the next
/// rows and the final sync in [`close`](Self::close) has little left to do.
#[derive(Debug)]
pub(crate) struct Appender {
    path: PathBuf,
    file: File,
    /// Whether to sync at all ([`WriteOptions::sync`]).
    sync: bool,
    unsynced: u64,
    syncing: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    /// Hashes the bytes for `manifest.json` as they go out (boxed: the
    /// hash state would make every enum holding an `Appender` large).
    tap: Box<Tap>,
}

impl Appender {
    /// Creates `dir/name`, its digest to be recorded in `digests` when closed.
    pub(crate) fn create(dir: &Path, name: &str, sync: bool, digests: &Digests) -> Result<Self, IoError> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|e| IoError::io("create", &path, e))?;
        Ok(Appender {
            path,
            file,
            sync,
            unsynced: 0,
            syncing: None,
            tap: Box::new(Tap::new(digests, name)),
        })
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), IoError> {
        // Hashed here, while the bytes are in cache, on the writer's side
        // of the pipeline (which overlaps the next batch's generation).
        // Hashing as a task for the other worker, or on a thread of its
        // own, measured no faster (docs/performance.md): the hash costs CPU
        // time, and the two cores are busy either way.
        self.tap.update(bytes);
        let written = self.file.write_all(bytes);
        written.map_err(|e| IoError::io("write", &self.path, e))?;
        self.unsynced += bytes.len() as u64;
        if self.sync && self.unsynced >= SYNC_EVERY {
            self.wait_for_sync()?;
            let file = self.file.try_clone().map_err(|e| IoError::io("sync", &self.path, e))?;
            self.syncing = Some(std::thread::spawn(move || file.sync_data()));
            self.unsynced = 0;
        }
        Ok(())
    }

    fn wait_for_sync(&mut self) -> Result<(), IoError> {
        match self.syncing.take().map(std::thread::JoinHandle::join) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(e))) => Err(IoError::io("sync", &self.path, e)),
            Some(Err(_)) => Err(IoError::io(
                "sync",
                &self.path,
                std::io::Error::other("sync thread panicked"),
            )),
        }
    }

    /// Syncs to disk, records the file's digest and returns its size.
    pub(crate) fn close(mut self) -> Result<u64, IoError> {
        self.wait_for_sync()?;
        let path = &self.path;
        if self.sync {
            self.file.sync_all().map_err(|e| IoError::io("sync", path, e))?;
        }
        let len = self.file.metadata().map_err(|e| IoError::io("stat", path, e))?.len();
        (*self.tap).finish();
        Ok(len)
    }
}

/// The three per-meter files, and the readings file at interval resolutions.
#[cfg(feature = "csv")]
#[derive(Debug)]
struct RowFiles {
    format: super::csv::RowFormat,
    consumption: Appender,
    labels: Appender,
    events: Appender,
    readings: Option<Box<dyn super::readings::ReadingsSink>>,
    /// The energy-balance files (`None` when the balance is off).
    balance: Option<super::balance::BalanceFiles>,
}

/// What the generation report says about interval data, counted as the
/// meters go through.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct IntervalCounts {
    /// Readings written (present or missing).
    pub(crate) readings: u64,
    /// Missing readings.
    pub(crate) missing_readings: u64,
    /// Runs of missing readings.
    pub(crate) missing_runs: u64,
    /// `typhoon_outage` events.
    pub(crate) outage_events: u64,
}

impl IntervalCounts {
    /// Adds the meters of `part`.
    pub(crate) fn add(&mut self, part: &Part<'_>) {
        self.readings += (part.meters.len() * part.intervals()) as u64;
        self.missing_runs += part.missing.len() as u64;
        self.missing_readings += part.missing.iter().map(|r| r.len as u64).sum::<u64>();
        self.outage_events += part
            .events
            .iter()
            .filter(|e| e.event_type == crate::model::AnomalyType::TYPHOON_OUTAGE)
            .count() as u64;
    }
}

/// Receives a dataset part by part and writes its files into a directory.
#[derive(Debug)]
pub(crate) struct Sink<'a> {
    dir: &'a Path,
    config: &'a GeneratorConfig,
    options: &'a WriteOptions,
    #[cfg(feature = "csv")]
    rows: RowFiles,
    validator: Validator<'a>,
    summary: SummaryBuilder,
    written: WrittenFiles,
    /// The series axis.
    series: &'a TimeAxis,
    /// The weather of an interval dataset (for the report).
    weather: Option<&'a Weather>,
    interval: IntervalCounts,
    /// The balance's running totals (`None` when the balance is off).
    tally: Option<BalanceTally>,
    #[cfg_attr(not(feature = "geojson"), allow(dead_code))]
    network: &'a Network,
    /// Whether the map layer waits for the balance (a whole dataset with the balance on).
    #[cfg_attr(not(feature = "geojson"), allow(dead_code))]
    geojson_at_finish: bool,
    /// The digests of the files hashed as they were written (for `manifest.json`).
    digests: Digests,
}

/// What a sink writes a dataset from: its configuration, axes, weather and network.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    pub(crate) config: &'a GeneratorConfig,
    /// The monthly axis.
    pub(crate) axis: &'a TimeAxis,
    /// The series axis (the same as `axis` at monthly resolution).
    pub(crate) series: &'a TimeAxis,
    pub(crate) weather: Option<&'a Weather>,
    pub(crate) network: &'a Network,
}

impl<'a> Sink<'a> {
    /// Writes the network's files into `dir` and opens the per-meter files.
    pub(crate) fn open(
        dir: &'a Path,
        source: Source<'a>,
        expected: Expected,
        options: &'a WriteOptions,
    ) -> Result<Self, IoError> {
        let Source {
            config,
            axis,
            series,
            weather,
            network,
        } = source;
        options.check_for(series)?;
        let interval = series.resolution().is_interval();
        let balance_on = config.balance.enabled;
        let geojson_at_finish = balance_on && options.shard == Shard::whole();
        let digests = Digests::default();
        let mut written = WrittenFiles {
            dir: dir.to_path_buf(),
            files: Vec::new(),
            bytes: 0,
            meters: 0,
            anomalous_meters: 0,
        };
        #[cfg(feature = "csv")]
        {
            options.check_cancel(dir)?;
            written.add(
                super::TRANSFORMERS_CSV,
                super::write_file(dir, options.sync, super::TRANSFORMERS_CSV, &digests, |w| {
                    super::csv::transformers_csv(network, w)
                })?,
            );
        }
        #[cfg(feature = "geojson")]
        if !geojson_at_finish {
            options.check_cancel(dir)?;
            written.add(
                super::TRANSFORMERS_GEOJSON,
                super::write_file(dir, options.sync, super::TRANSFORMERS_GEOJSON, &digests, |w| {
                    super::geojson::network_geojson(network, None, w)
                })?,
            );
        }
        #[cfg(feature = "csv")]
        if let (true, Some(weather)) = (interval, weather) {
            options.check_cancel(dir)?;
            let names: Vec<String> = network.barangays().iter().map(|b| b.name.clone()).collect();
            written.add(
                super::WEATHER_CSV,
                super::write_file(dir, options.sync, super::WEATHER_CSV, &digests, |w| {
                    super::write_weather_csv(weather, &names, w)
                })?,
            );
        }
        #[cfg(feature = "csv")]
        let rows = {
            let format = super::csv::RowFormat::new(network, axis, series);
            let mut header = Vec::new();
            let mut consumption = Appender::create(dir, super::METER_CONSUMPTION_CSV, options.sync, &digests)?;
            format.meter_header(&mut header);
            consumption.write(&header)?;
            let mut labels = Appender::create(dir, super::ANOMALY_LABELS_CSV, options.sync, &digests)?;
            header.clear();
            super::csv::label_header(&mut header);
            labels.write(&header)?;
            let mut events = Appender::create(dir, super::EVENTS_CSV, options.sync, &digests)?;
            header.clear();
            super::csv::event_header(&mut header);
            events.write(&header)?;
            let readings = if interval {
                let sink = super::readings::open_readings(
                    dir,
                    options,
                    series,
                    super::readings::reading_decimals(config.register_resolution_kwh),
                    &digests,
                )?;
                Some(sink)
            } else {
                None
            };
            let balance = if balance_on {
                let parquet = options.readings_format != super::ReadingsFormat::Csv;
                Some(super::balance::BalanceFiles::open(
                    dir,
                    series,
                    parquet,
                    options.sync,
                    options.shard,
                    &digests,
                )?)
            } else {
                None
            };
            RowFiles {
                format,
                consumption,
                labels,
                events,
                readings,
                balance,
            }
        };
        let mut validator = Validator::new(config, axis, network, expected);
        if balance_on {
            validator.expect_balance();
        }
        Ok(Sink {
            dir,
            config,
            options,
            #[cfg(feature = "csv")]
            rows,
            validator,
            summary: SummaryBuilder::new(network, axis.len()),
            written,
            series,
            weather,
            interval: IntervalCounts::default(),
            tally: balance_on.then(BalanceTally::default),
            network,
            geojson_at_finish,
            digests,
        })
    }

    /// Whether the balance's rows are rendered as text ahead of
    /// [`add_rendered_balance`](Self::add_rendered_balance): `None` when
    /// there is no balance file; `Some(csv)`, whether the transformer readings are CSV.
    pub(crate) fn balance_text(&self) -> Option<bool> {
        #[cfg(feature = "csv")]
        return self
            .rows
            .balance
            .as_ref()
            .map(super::balance::BalanceFiles::csv_readings);
        #[cfg(not(feature = "csv"))]
        return None;
    }

    /// Appends finished transformers' balances, in id order.
    pub(crate) fn add_balance(&mut self, transformers: &[TransformerBalance]) -> Result<(), IoError> {
        #[cfg(feature = "csv")]
        let text = match self.balance_text() {
            Some(csv) => Some(super::balance::render(self.series, transformers, csv)),
            None => None,
        };
        #[cfg(not(feature = "csv"))]
        let text = None;
        self.add_rendered_balance(transformers, text.as_ref())
    }

    /// [`add_balance`](Self::add_balance) with the rows already rendered
    /// (by [`super::balance::render`], when [`balance_text`](Self::balance_text) says so).
    pub(crate) fn add_rendered_balance(
        &mut self,
        transformers: &[TransformerBalance],
        text: Option<&BalanceText>,
    ) -> Result<(), IoError> {
        self.validator.add_balance(transformers);
        #[cfg(feature = "csv")]
        if let (Some(files), Some(text)) = (&mut self.rows.balance, text) {
            files.add(transformers, text)?;
        }
        #[cfg(not(feature = "csv"))]
        let _ = text;
        if let Some(tally) = &mut self.tally {
            for t in transformers {
                tally.add(t);
            }
        }
        Ok(())
    }

    /// Adds meters after the range that its last transformer also serves
    /// (a shard's tail): to that transformer's balance check only.
    pub(crate) fn add_tail(&mut self, part: &Part<'_>) {
        self.validator.add_balance_meters(part);
    }

    /// Appends the next run of meters (in meter order), rendering it in
    /// slabs of parallel chunks so that the text held at once stays bounded.
    pub(crate) fn add(&mut self, part: &Part<'_>) -> Result<(), IoError> {
        let step = ROWS_PER_CHUNK * SLAB_CHUNKS;
        let formatter = self.formatter();
        for start in (0..part.meters.len()).step_by(step) {
            let slab = part.slice(start..(start + step).min(part.meters.len()));
            let rendered = render(&formatter, &slab);
            self.consume(&slab, rendered)?;
        }
        // Slices carry no clip counts (they are per batch): add the part's once.
        self.summary.add_clip(part.clip_stats);
        Ok(())
    }

    /// What [`render`] needs to format rows; cheap to clone, so rendering can
    /// run on other threads while the sink consumes the previous run.
    pub(crate) fn formatter(&self) -> Formatter {
        #[cfg(feature = "csv")]
        return Formatter(self.rows.format.clone());
        #[cfg(not(feature = "csv"))]
        return Formatter(());
    }

    /// Appends a rendered run of meters: writes its rows, then feeds its cells
    /// and meters to the checks and the statistics.
    pub(crate) fn consume(&mut self, part: &Part<'_>, rendered: Rendered) -> Result<(), IoError> {
        self.options.check_cancel(self.dir)?;
        for (text, scan) in &rendered.chunks {
            #[cfg(feature = "csv")]
            self.rows.consumption.write(text)?;
            #[cfg(not(feature = "csv"))]
            let _ = text;
            self.validator.add_cells(scan);
            self.summary.add_cells(scan);
        }
        #[cfg(feature = "csv")]
        {
            let format = &self.rows.format;
            let mut text = Vec::new();
            format.label_rows(part.labels, &mut text);
            self.rows.labels.write(&text)?;
            text.clear();
            format.event_rows(part.events, &mut text);
            self.rows.events.write(&text)?;
            if let Some(readings) = &mut self.rows.readings {
                readings.add(part)?;
            }
            if let Some(balance) = &mut self.rows.balance {
                balance.add_truth(part.truth)?;
            }
        }
        if self.series.resolution().is_interval() {
            self.interval.add(part);
        }
        self.validator.add_meters(part);
        self.summary.add_counts(part);
        self.written.meters += part.meters.len();
        self.written.anomalous_meters += part.labels.len();
        Ok(())
    }

    /// Closes the per-meter files, validates everything received and, if it
    /// passed, writes the reports. Returns what was written.
    pub(crate) fn finish(
        self,
        warnings: &[Warning],
        shard: Option<Shard>,
        feeders: &[FeederBalance],
    ) -> Result<WrittenFiles, IoError> {
        let mut written = self.written;
        #[cfg(feature = "csv")]
        {
            written.add(super::METER_CONSUMPTION_CSV, self.rows.consumption.close()?);
            written.add(super::ANOMALY_LABELS_CSV, self.rows.labels.close()?);
            written.add(super::EVENTS_CSV, self.rows.events.close()?);
            if let Some(readings) = self.rows.readings {
                let name = readings.name();
                written.add(name, readings.finish()?);
            }
            if let Some(balance) = self.rows.balance {
                let csv = balance.csv_readings();
                for (name, bytes) in balance.finish()? {
                    written.add(name, bytes);
                }
                if shard.is_none() {
                    let (name, bytes) = super::balance::write_feeders(
                        self.dir,
                        self.options.sync,
                        self.series,
                        feeders,
                        csv,
                        &self.digests,
                    )?;
                    written.add(name, bytes);
                }
            }
        }
        #[cfg(feature = "geojson")]
        if self.geojson_at_finish {
            self.options.check_cancel(self.dir)?;
            let ghosts = self.tally.as_ref().map(|t| &t.ghosts[..]);
            written.add(
                super::TRANSFORMERS_GEOJSON,
                super::write_file(
                    self.dir,
                    self.options.sync,
                    super::TRANSFORMERS_GEOJSON,
                    &self.digests,
                    |w| super::geojson::network_geojson(self.network, ghosts, w),
                )?,
            );
        }
        let validation = self.validator.finish();
        if !validation.passed() {
            return Err(IoError::Validation(Box::new(validation)));
        }
        self.options.check_cancel(self.dir)?;
        #[cfg(feature = "json")]
        {
            // What was written, and the two reports about to be.
            let mut files: Vec<&str> = written.files.iter().map(String::as_str).collect();
            files.extend([super::REPORT_JSON, super::REPORT_TXT]);
            let interval = super::report::interval_report(self.series, self.weather, self.interval);
            let mut report = super::GenerationReport::from_parts(
                self.config.clone(),
                self.summary.finish(),
                validation,
                warnings,
                &files,
                shard,
                interval,
            );
            report.energy_balance = self
                .tally
                .as_ref()
                .map(|t| super::report::BalanceReport::of(&t.summary(feeders), t.ghosts.len(), feeders.len()));
            let json = super::write_file(self.dir, self.options.sync, super::REPORT_JSON, &self.digests, |w| {
                super::write_report_json(&report, w)
            })?;
            written.add(super::REPORT_JSON, json);
            let txt = super::write_file(self.dir, self.options.sync, super::REPORT_TXT, &self.digests, |w| {
                super::write_report_txt(&report, w)
            })?;
            written.add(super::REPORT_TXT, txt);
            // Last, so that it lists every other file; inside the directory
            // being written, so that it is committed with them.
            self.options.check_cancel(self.dir)?;
            let manifest = super::manifest::build(
                self.dir,
                &written.files,
                &self.digests,
                self.config,
                self.weather,
                shard.unwrap_or_default(),
                self.options.shard,
            )?;
            let bytes = super::write_file(
                self.dir,
                self.options.sync,
                super::MANIFEST_JSON,
                &Digests::default(),
                |w| super::write_manifest_json(&manifest, w),
            )?;
            written.add(super::MANIFEST_JSON, bytes);
        }
        #[cfg(not(feature = "json"))]
        let _ = (warnings, feeders, shard, self.config, self.summary, self.weather);
        Ok(written)
    }
}

/// Meters per chunk: the unit of parallel formatting and scanning.
const ROWS_PER_CHUNK: usize = 2048;

/// The row formatter of a sink (nothing without the `csv` feature).
#[derive(Debug, Clone)]
pub(crate) struct Formatter(
    #[cfg(feature = "csv")] super::csv::RowFormat,
    #[cfg(not(feature = "csv"))] (),
);

/// A run of meters formatted as `meter_consumption.csv` rows and scanned,
/// chunk by chunk, in meter order.
#[derive(Debug)]
pub(crate) struct Rendered {
    chunks: Vec<(Vec<u8>, CellScan)>,
}

/// Formats and scans `part` in chunks of [`ROWS_PER_CHUNK`] meters, in parallel
/// with the `parallel` feature. Pure: the result depends only on `part`.
pub(crate) fn render(formatter: &Formatter, part: &Part<'_>) -> Rendered {
    let n = part.meters.len();
    let starts: Vec<usize> = (0..n).step_by(ROWS_PER_CHUNK).collect();
    let one = |&start: &usize| {
        let chunk = part.slice(start..(start + ROWS_PER_CHUNK).min(n));
        #[cfg(feature = "csv")]
        let text = {
            let mut text = Vec::with_capacity(chunk.meters.len() * (64 + 10 * part.periods));
            formatter.0.meter_rows(&chunk, &mut text);
            text
        };
        #[cfg(not(feature = "csv"))]
        let text = {
            let _ = formatter;
            Vec::new()
        };
        (text, CellScan::of(chunk.consumption))
    };
    #[cfg(feature = "parallel")]
    let chunks = {
        use rayon::prelude::*;
        starts.par_iter().map(one).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let chunks = starts.iter().map(one).collect();
    Rendered { chunks }
}
