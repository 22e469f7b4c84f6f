//! [`Sink`]: the one path every dataset takes to disk, whole or in batches.
//!
//! Files of the network (`transformers.csv`, `transformers.geojson`) are
//! written when the sink opens; rows of meters are appended as they arrive;
//! the reports are written when it finishes, after validation of everything
//! that went through. Because the in-memory writer and the streaming writer
//! both feed this sink, they produce the same bytes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{IoError, WriteOptions, WrittenFiles};
use crate::batch::Part;
use crate::config::GeneratorConfig;
use crate::dataset::Warning;
use crate::network::Network;
use crate::report::SummaryBuilder;
use crate::shard::Shard;
use crate::time::TimeAxis;
use crate::validate::{Expected, Validator};

/// Meters formatted per parallel task; a slab of this many tasks is
/// formatted before it is written, which bounds the text held in memory.
#[cfg(feature = "csv")]
const SLAB_CHUNKS: usize = 16;

/// A file being appended to, with its path for error messages.
#[derive(Debug)]
struct Appender {
    path: PathBuf,
    out: BufWriter<File>,
}

impl Appender {
    fn create(dir: &Path, name: &str) -> Result<Self, IoError> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|e| IoError::io("create", &path, e))?;
        Ok(Appender {
            path,
            out: BufWriter::with_capacity(1 << 20, file),
        })
    }

    fn write(&mut self, text: &str) -> Result<(), IoError> {
        self.out
            .write_all(text.as_bytes())
            .map_err(|e| IoError::io("write", &self.path, e))
    }

    /// Flushes, syncs to disk and returns the file's size.
    fn close(self) -> Result<u64, IoError> {
        let path = self.path;
        let file = self
            .out
            .into_inner()
            .map_err(|e| IoError::io("write", &path, e.into_error()))?;
        file.sync_all().map_err(|e| IoError::io("sync", &path, e))?;
        Ok(file.metadata().map_err(|e| IoError::io("stat", &path, e))?.len())
    }
}

/// The three per-meter files.
#[cfg(feature = "csv")]
#[derive(Debug)]
struct RowFiles {
    format: super::csv::RowFormat,
    consumption: Appender,
    labels: Appender,
    events: Appender,
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
}

impl<'a> Sink<'a> {
    /// Writes the network's files into `dir` and opens the per-meter files.
    pub(crate) fn open(
        dir: &'a Path,
        config: &'a GeneratorConfig,
        axis: &'a TimeAxis,
        network: &'a Network,
        expected: Expected,
        options: &'a WriteOptions,
    ) -> Result<Self, IoError> {
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
                super::write_file(dir, super::TRANSFORMERS_CSV, |w| {
                    super::csv::transformers_csv(network, w)
                })?,
            );
        }
        #[cfg(feature = "geojson")]
        {
            options.check_cancel(dir)?;
            written.add(
                super::TRANSFORMERS_GEOJSON,
                super::write_file(dir, super::TRANSFORMERS_GEOJSON, |w| {
                    super::geojson::network_geojson(network, w)
                })?,
            );
        }
        #[cfg(feature = "csv")]
        let rows = {
            let format = super::csv::RowFormat::new(network, axis);
            let mut header = String::new();
            let mut consumption = Appender::create(dir, super::METER_CONSUMPTION_CSV)?;
            format.meter_header(&mut header);
            consumption.write(&header)?;
            let mut labels = Appender::create(dir, super::ANOMALY_LABELS_CSV)?;
            header.clear();
            super::csv::label_header(&mut header);
            labels.write(&header)?;
            let mut events = Appender::create(dir, super::EVENTS_CSV)?;
            header.clear();
            super::csv::event_header(&mut header);
            events.write(&header)?;
            RowFiles {
                format,
                consumption,
                labels,
                events,
            }
        };
        Ok(Sink {
            dir,
            config,
            options,
            #[cfg(feature = "csv")]
            rows,
            validator: Validator::new(config, axis, network, expected),
            summary: SummaryBuilder::new(network, axis.len()),
            written,
        })
    }

    /// Appends the next run of meters (in meter order).
    pub(crate) fn add(&mut self, part: &Part<'_>) -> Result<(), IoError> {
        self.options.check_cancel(self.dir)?;
        #[cfg(feature = "csv")]
        self.write_rows(part)?;
        self.validator.add(part);
        self.summary.add_part(part);
        self.written.meters += part.meters.len();
        self.written.anomalous_meters += part.labels.len();
        Ok(())
    }

    #[cfg(feature = "csv")]
    fn write_rows(&mut self, part: &Part<'_>) -> Result<(), IoError> {
        use super::csv::ROWS_PER_CHUNK;
        let n = part.meters.len();
        let starts: Vec<usize> = (0..n).step_by(ROWS_PER_CHUNK).collect();
        let format = &self.rows.format;
        let render = |&start: &usize| {
            let chunk = part.slice(start..(start + ROWS_PER_CHUNK).min(n));
            let mut text = String::with_capacity(chunk.meters.len() * (64 + 10 * part.periods));
            format.meter_rows(&chunk, &mut text);
            text
        };
        for slab in starts.chunks(SLAB_CHUNKS) {
            #[cfg(feature = "parallel")]
            let texts: Vec<String> = {
                use rayon::prelude::*;
                slab.par_iter().map(render).collect()
            };
            #[cfg(not(feature = "parallel"))]
            let texts: Vec<String> = slab.iter().map(render).collect();
            for text in &texts {
                self.rows.consumption.write(text)?;
            }
        }
        let mut text = String::new();
        format.label_rows(part.labels, &mut text);
        self.rows.labels.write(&text)?;
        text.clear();
        format.event_rows(part.events, &mut text);
        self.rows.events.write(&text)
    }

    /// Closes the per-meter files, validates everything received and, if it
    /// passed, writes the reports. Returns what was written.
    pub(crate) fn finish(self, warnings: &[Warning], shard: Option<Shard>) -> Result<WrittenFiles, IoError> {
        let mut written = self.written;
        #[cfg(feature = "csv")]
        {
            written.add(super::METER_CONSUMPTION_CSV, self.rows.consumption.close()?);
            written.add(super::ANOMALY_LABELS_CSV, self.rows.labels.close()?);
            written.add(super::EVENTS_CSV, self.rows.events.close()?);
        }
        let validation = self.validator.finish();
        if !validation.passed() {
            return Err(IoError::Validation(Box::new(validation)));
        }
        self.options.check_cancel(self.dir)?;
        #[cfg(feature = "json")]
        {
            let report = super::GenerationReport::from_parts(
                self.config.clone(),
                self.summary.finish(),
                validation,
                warnings,
                &super::file_names(),
                shard,
            );
            let json = super::write_file(self.dir, super::REPORT_JSON, |w| super::write_report_json(&report, w))?;
            written.add(super::REPORT_JSON, json);
            let txt = super::write_file(self.dir, super::REPORT_TXT, |w| super::write_report_txt(&report, w))?;
            written.add(super::REPORT_TXT, txt);
        }
        #[cfg(not(feature = "json"))]
        let _ = (warnings, shard, self.config, self.summary);
        Ok(written)
    }
}
