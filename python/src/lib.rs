//! `ghostload._native`: the Rust half of the `ghostload` Python package.
//!
//! The pure-Python half (`python/python/ghostload/`) gives the documented
//! API (`ghostload.generate`, `Dataset`, `iter_batches`, `ConfigError`);
//! this module resolves configurations exactly as the CLI does, runs the
//! pipeline with the GIL released, and hands tables over as Arrow through
//! the PyCapsule interface (no copy of any buffer).

mod config;
mod injector;
mod table;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use arrow_array::RecordBatch;
use ghostload::io::{ArrowTable, ArrowTables, ReadingsFormat, ReadingsLayout, Staging, WriteOptions};
use ghostload::{Error, GeneratorConfig, Pipeline, Shard};
use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::config::BadConfig;
use crate::injector::PyInjector;
use crate::table::Table;

/// The library's error as a Python exception: a configuration error as
/// `ghostload.ConfigError`, anything else as `ghostload.GenerationError`.
fn library_err(py: Python<'_>, e: Error) -> PyErr {
    match e {
        Error::Config(c) => BadConfig::from_library(&c).into_py_err(py),
        other => generation_err(py, other.to_string()),
    }
}

fn generation_err(py: Python<'_>, message: String) -> PyErr {
    match py
        .import("ghostload")
        .and_then(|m| m.getattr("GenerationError"))
        .and_then(|c| c.call1((message.as_str(),)))
    {
        Ok(instance) => PyErr::from_value(instance),
        Err(_) => PyRuntimeError::new_err(message),
    }
}

/// Runs the signal handlers (Ctrl-C raises `KeyboardInterrupt`) from a
/// thread that released the GIL.
fn interrupted() -> PyResult<()> {
    Python::attach(|py| py.check_signals())
}

/// The effective configuration as canonical JSON: `preset`, then the TOML
/// file `path`, then each JSON object of `layers`, validated.
#[pyfunction]
#[pyo3(signature = (preset = None, path = None, layers = Vec::new()))]
fn resolve_config(
    py: Python<'_>,
    preset: Option<&str>,
    path: Option<PathBuf>,
    layers: Vec<String>,
) -> PyResult<String> {
    let config = config::resolve(preset, path.as_deref(), &layers).map_err(|e| e.into_py_err(py))?;
    serde_json::to_string(&config).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// Builds the pipeline of a resolved configuration and Python injectors.
fn pipeline(
    py: Python<'_>,
    config_json: &str,
    threads: usize,
    anomalies: Vec<(Bound<'_, PyAny>, f64)>,
    benign: Vec<(Bound<'_, PyAny>, f64)>,
    builtin: (bool, bool),
) -> PyResult<Pipeline> {
    let config: GeneratorConfig =
        serde_json::from_str(config_json).map_err(|e| PyValueError::new_err(format!("configuration: {e}")))?;
    let mut builder = Pipeline::builder().config(config).threads(threads);
    if !builtin.0 {
        builder = builder.without_builtin_anomalies();
    }
    if !builtin.1 {
        builder = builder.without_builtin_benign();
    }
    for (object, weight) in anomalies {
        builder = builder.add_anomaly(PyInjector::new(object)?, weight);
    }
    for (object, weight) in benign {
        builder = builder.add_benign(PyInjector::new(object)?, weight);
    }
    builder.build().map_err(|e| library_err(py, e))
}

/// Meter ranges of `batch_size` over `range`.
fn chunks(range: Range<usize>, batch_size: usize) -> impl Iterator<Item = Range<usize>> {
    let step = batch_size.max(1);
    (range.start..range.end)
        .step_by(step)
        .map(move |s| s..(s + step).min(range.end))
}

/// A generated dataset: its tables (Arrow), its checks, and the pipeline
/// that made it (to write the files).
#[pyclass(frozen, module = "ghostload._native", name = "Dataset")]
#[derive(Debug)]
struct NativeDataset {
    pipeline: Arc<Pipeline>,
    tables: BTreeMap<&'static str, Py<Table>>,
    long: std::sync::OnceLock<Py<Table>>,
    converter: ArrowTables,
    checks: Vec<(String, bool, String)>,
    warnings: Vec<String>,
}

/// Generates a whole dataset in memory.
#[pyfunction]
#[pyo3(signature = (config_json, threads = 0, batch_size = 16_384, anomalies = Vec::new(), benign = Vec::new(), builtin_anomalies = true, builtin_benign = true, tables = None))]
#[allow(clippy::too_many_arguments)]
fn generate(
    py: Python<'_>,
    config_json: &str,
    threads: usize,
    batch_size: usize,
    anomalies: Vec<(Bound<'_, PyAny>, f64)>,
    benign: Vec<(Bound<'_, PyAny>, f64)>,
    builtin_anomalies: bool,
    builtin_benign: bool,
    tables: Option<Vec<String>>,
) -> PyResult<NativeDataset> {
    let pipeline = pipeline(
        py,
        config_json,
        threads,
        anomalies,
        benign,
        (builtin_anomalies, builtin_benign),
    )?;
    let converter = ArrowTables::new(&pipeline);
    let interval = pipeline.series_axis().resolution().is_interval();
    let balanced = pipeline.config().balance.enabled;
    let wanted = wanted_tables(tables.as_deref(), interval, balanced)?;
    // The wide table is built in place, as one record batch; the others batch by batch.
    let wide = wanted.contains(&ArrowTable::Consumption);
    let per_meter: Vec<ArrowTable> = wanted
        .iter()
        .copied()
        .filter(|t| t.is_per_meter() && *t != ArrowTable::ConsumptionLong && *t != ArrowTable::Consumption)
        .collect();
    let n = pipeline.config().num_meters;
    let balanced = wanted.contains(&ArrowTable::EnergyBalance);
    let run = py.detach(|| -> Result<_, Failure> {
        let mut chunks_of: Vec<Vec<RecordBatch>> = per_meter.iter().map(|_| Vec::new()).collect();
        let mut balance_chunks = Vec::new();
        let mut validator = pipeline.validator();
        let mut matrix = wide.then(|| converter.consumption_builder(0..n));
        let mut balance = if balanced {
            Some(pipeline.balance_stream(0..n).map_err(Failure::Library)?)
        } else {
            None
        };
        // One batch, refilled: its buffers are allocated once.
        let mut batch: Option<ghostload::MeterBatch> = None;
        for range in chunks(0..n, batch_size) {
            interrupted().map_err(Failure::Python)?;
            let batch = match batch.as_mut() {
                Some(b) => {
                    pipeline.generate_batch_into(range, b).map_err(Failure::Library)?;
                    b
                }
                None => batch.insert(pipeline.generate_batch(range).map_err(Failure::Library)?),
            };
            validator.add(batch);
            if let Some(stream) = balance.as_mut() {
                let done = stream.add(batch);
                if !done.is_empty() {
                    balance_chunks.push(converter.energy_balance(&done).map_err(Failure::Io)?);
                }
            }
            if let Some(matrix) = matrix.as_mut() {
                matrix.add(batch).map_err(Failure::Io)?;
            }
            for (out, table) in chunks_of
                .iter_mut()
                .zip(converter.batches(&per_meter, batch).map_err(Failure::Io)?)
            {
                out.push(table);
            }
        }
        let report = validator.finish();
        let matrix = matrix.map(|m| m.finish()).transpose().map_err(Failure::Io)?;
        Ok((chunks_of, balance_chunks, matrix, report))
    });
    let (chunks_of, balance_chunks, matrix, report) = run.map_err(|f| f.into_py(py))?;
    if !report.passed() {
        let failures: Vec<String> = report.failures().map(|f| f.to_string()).collect();
        return Err(generation_err(
            py,
            format!("generated dataset failed validation: {}", failures.join("; ")),
        ));
    }
    let mut tables = BTreeMap::new();
    for (table, batches) in per_meter.iter().zip(chunks_of) {
        let t = Table::new(table.name(), converter.schema(*table), batches);
        tables.insert(table.name(), Py::new(py, t)?);
    }
    if let Some(matrix) = matrix {
        let t = Table::new(ArrowTable::Consumption.name(), matrix.schema(), vec![matrix]);
        tables.insert(ArrowTable::Consumption.name(), Py::new(py, t)?);
    }
    if wanted.contains(&ArrowTable::Transformers) {
        let transformers = Table::new(
            ArrowTable::Transformers.name(),
            converter.schema(ArrowTable::Transformers),
            vec![converter.transformers().clone()],
        );
        tables.insert(ArrowTable::Transformers.name(), Py::new(py, transformers)?);
    }
    if balanced {
        let t = Table::new(
            ArrowTable::EnergyBalance.name(),
            converter.schema(ArrowTable::EnergyBalance),
            balance_chunks,
        );
        tables.insert(ArrowTable::EnergyBalance.name(), Py::new(py, t)?);
    }
    let checks = report
        .checks
        .iter()
        .map(|c| (c.name.to_string(), c.passed, c.detail.clone()))
        .collect();
    let warnings = pipeline.warnings().iter().map(ToString::to_string).collect();
    Ok(NativeDataset {
        pipeline: Arc::new(pipeline),
        tables,
        long: std::sync::OnceLock::new(),
        converter,
        checks,
        warnings,
    })
}

/// The tables to build: those named (the long consumption table is built
/// on first use from the wide one, so naming it builds the wide one), or
/// every table the dataset has.
fn wanted_tables(names: Option<&[String]>, interval: bool, balanced: bool) -> PyResult<Vec<ArrowTable>> {
    let available = |t: &ArrowTable| match t {
        ArrowTable::Readings => interval,
        ArrowTable::EnergyBalance => balanced,
        _ => true,
    };
    let Some(names) = names else {
        return Ok(ArrowTable::ALL.into_iter().filter(available).collect());
    };
    let mut out = Vec::new();
    for name in names {
        let t: ArrowTable = name
            .parse()
            .map_err(|e: ghostload::io::IoError| PyValueError::new_err(format!("tables: {e}")))?;
        if !available(&t) {
            return Err(PyValueError::new_err(format!(
                "tables: `{name}` is not in this dataset ({})",
                if t == ArrowTable::Readings {
                    "a monthly dataset has no interval readings"
                } else {
                    "the energy balance is off: `balance.enabled = false`"
                }
            )));
        }
        let t = if t == ArrowTable::ConsumptionLong {
            ArrowTable::Consumption
        } else {
            t
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// What stops a run on the worker side, turned into a Python error once the GIL is back.
enum Failure {
    Library(Error),
    Io(ghostload::io::IoError),
    Python(PyErr),
}

impl Failure {
    fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Failure::Library(e) => library_err(py, e),
            Failure::Io(e) => generation_err(py, e.to_string()),
            Failure::Python(e) => e,
        }
    }
}

#[pymethods]
impl NativeDataset {
    /// The table `name` (`transformers`, `meters`, `consumption`,
    /// `consumption_long`, `readings`, `labels`, `events`, `energy_balance`).
    fn table(&self, py: Python<'_>, name: &str) -> PyResult<Py<Table>> {
        if name == ArrowTable::ConsumptionLong.name() {
            return self.consumption_long(py);
        }
        if let Some(t) = self.tables.get(name) {
            return Ok(t.clone_ref(py));
        }
        let why = match name.parse::<ArrowTable>() {
            Err(_) => "no such table",
            Ok(ArrowTable::Readings) if !self.pipeline.series_axis().resolution().is_interval() => {
                "a monthly dataset has no interval readings (generate with resolution daily, hourly or 15min)"
            }
            Ok(ArrowTable::EnergyBalance) if !self.pipeline.config().balance.enabled => {
                "the energy balance is off (`balance.enabled = false`)"
            }
            Ok(_) => "not built: generate(tables=...) left it out",
        };
        let allowed = self.table_names();
        Err(PyKeyError::new_err(format!(
            "table `{name}`: {why}; this dataset has: {}",
            allowed.join(", ")
        )))
    }

    /// The names of the tables this dataset has.
    fn table_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.tables.keys().copied().collect();
        if self.tables.contains_key(ArrowTable::Consumption.name()) {
            names.push(ArrowTable::ConsumptionLong.name());
        }
        names.sort_unstable();
        names
    }

    /// The effective configuration, as JSON.
    fn config_json(&self) -> PyResult<String> {
        serde_json::to_string(self.pipeline.config()).map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }

    /// Every integrity check: `(name, passed, detail)`.
    fn checks(&self) -> Vec<(String, bool, String)> {
        self.checks.clone()
    }

    /// What the pipeline adjusted.
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// Writes the CLI's files into `dir` (atomically: the directory is
    /// replaced only when every file is written). Returns the file names.
    #[pyo3(signature = (dir, readings_format = "parquet", layout = "long", batch_size = 32_768))]
    fn write(
        &self,
        py: Python<'_>,
        dir: PathBuf,
        readings_format: &str,
        layout: &str,
        batch_size: usize,
    ) -> PyResult<Vec<String>> {
        let format = match readings_format {
            "parquet" => ReadingsFormat::Parquet,
            "csv" => ReadingsFormat::Csv,
            other => {
                return Err(PyValueError::new_err(format!(
                    "readings_format = {other:?}; allowed: \"parquet\", \"csv\""
                )));
            }
        };
        let layout = match layout {
            "long" => ReadingsLayout::Long,
            "sgcc" => ReadingsLayout::Sgcc,
            other => {
                return Err(PyValueError::new_err(format!(
                    "layout = {other:?}; allowed: \"long\", \"sgcc\""
                )));
            }
        };
        let cancel = Arc::new(AtomicBool::new(false));
        let options = WriteOptions::default()
            .with_cancel_flag(Arc::clone(&cancel))
            .with_batch_size(batch_size)
            .with_layout(layout)
            .with_readings_format(format);
        let pipeline = Arc::clone(&self.pipeline);
        let result = py.detach(|| {
            std::thread::scope(|scope| {
                let worker = scope.spawn(|| -> Result<Vec<String>, ghostload::io::IoError> {
                    let staging = Staging::new(&dir)?.with_cancel_flag(Arc::clone(&cancel));
                    let written = ghostload::io::stream_files(&pipeline, staging.path(), &options)?;
                    staging.commit()?;
                    Ok(written.files)
                });
                // Ctrl-C raises the flag; the writer stops before its next
                // batch and removes its staging directory.
                let mut signal = Ok(());
                while !worker.is_finished() {
                    if signal.is_ok() {
                        signal = interrupted();
                        if signal.is_err() {
                            cancel.store(true, Ordering::SeqCst);
                        }
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                let written = worker
                    .join()
                    .map_err(|_| PyRuntimeError::new_err("the writer thread panicked"))?;
                signal?;
                Ok::<_, PyErr>(written)
            })
        })?;
        result.map_err(|e| generation_err(py, e.to_string()))
    }
}

impl NativeDataset {
    /// The long consumption table, built on first use from the wide one.
    fn consumption_long(&self, py: Python<'_>) -> PyResult<Py<Table>> {
        if let Some(t) = self.long.get() {
            return Ok(t.clone_ref(py));
        }
        let wide = self
            .tables
            .get(ArrowTable::Consumption.name())
            .ok_or_else(|| PyRuntimeError::new_err("no consumption table"))?
            .get()
            .data
            .clone();
        let converter = &self.converter;
        let batches = py
            .detach(|| {
                wide.batches
                    .iter()
                    .map(|b| converter.unpivot(b))
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| generation_err(py, e.to_string()))?;
        let table = Py::new(
            py,
            Table::new(
                ArrowTable::ConsumptionLong.name(),
                converter.schema(ArrowTable::ConsumptionLong),
                batches,
            ),
        )?;
        Ok(self.long.get_or_init(|| table).clone_ref(py))
    }
}

/// Record batches of one table for one shard, generated on demand.
#[pyclass(module = "ghostload._native", name = "BatchIterator")]
#[derive(Debug)]
struct BatchIterator {
    pipeline: Arc<Pipeline>,
    converter: ArrowTables,
    table: ArrowTable,
    ranges: std::vec::IntoIter<Range<usize>>,
}

/// Record batches of `table` for shard `index`/`count` (1-based, as the
/// CLI's `--shard K/N`), `batch_size` meters at a time.
#[pyfunction]
#[pyo3(signature = (config_json, table, index, count, batch_size = 65_536, threads = 0, anomalies = Vec::new(), benign = Vec::new(), builtin_anomalies = true, builtin_benign = true))]
#[allow(clippy::too_many_arguments)]
fn iter_batches(
    py: Python<'_>,
    config_json: &str,
    table: &str,
    index: usize,
    count: usize,
    batch_size: usize,
    threads: usize,
    anomalies: Vec<(Bound<'_, PyAny>, f64)>,
    benign: Vec<(Bound<'_, PyAny>, f64)>,
    builtin_anomalies: bool,
    builtin_benign: bool,
) -> PyResult<BatchIterator> {
    let table: ArrowTable = table
        .parse()
        .map_err(|e: ghostload::io::IoError| PyValueError::new_err(e.to_string()))?;
    if !table.is_per_meter() {
        return Err(PyValueError::new_err(format!(
            "table = {:?}: iter_batches yields the tables with rows per meter; allowed: meters, consumption, \
             consumption_long, readings, labels, events (use generate() for {0})",
            table.name()
        )));
    }
    let shard = Shard::new(index, count).map_err(|e| BadConfig::from_library(&e).into_py_err(py))?;
    let pipeline = pipeline(
        py,
        config_json,
        threads,
        anomalies,
        benign,
        (builtin_anomalies, builtin_benign),
    )?;
    if table == ArrowTable::Readings && !pipeline.series_axis().resolution().is_interval() {
        return Err(PyValueError::new_err(
            "table = \"readings\": a monthly dataset has no interval readings; allowed: consumption, consumption_long, \
             or a daily, hourly or 15min resolution",
        ));
    }
    let range = shard.range(pipeline.config().num_meters);
    let ranges: Vec<_> = chunks(range, batch_size).collect();
    Ok(BatchIterator {
        converter: ArrowTables::new(&pipeline),
        pipeline: Arc::new(pipeline),
        table,
        ranges: ranges.into_iter(),
    })
}

#[pymethods]
impl BatchIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Table>> {
        let Some(range) = self.ranges.next() else {
            return Ok(None);
        };
        py.check_signals()?;
        let (pipeline, converter, table) = (&self.pipeline, &self.converter, self.table);
        let batch = py
            .detach(|| {
                let batch = pipeline.generate_batch(range).map_err(Failure::Library)?;
                converter.batch(table, &batch).map_err(Failure::Io)
            })
            .map_err(|f| f.into_py(py))?;
        Ok(Some(Table::new(table.name(), batch.schema(), vec![batch])))
    }
}

/// The `ghostload._native` module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(resolve_config, m)?)?;
    m.add_function(wrap_pyfunction!(generate, m)?)?;
    m.add_function(wrap_pyfunction!(iter_batches, m)?)?;
    m.add_class::<NativeDataset>()?;
    m.add_class::<BatchIterator>()?;
    m.add_class::<Table>()?;
    Ok(())
}
