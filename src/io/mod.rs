//! Writing a [`Dataset`] to disk as the files the original tool's users
//! consume, and reading such a directory back to check it.
//!
//! | File | Feature | Writer |
//! |---|---|---|
//! | `transformers.csv` | `csv` | [`write_transformers_csv`] |
//! | `meter_consumption.csv` | `csv` | [`write_meter_consumption_csv`] |
//! | `anomaly_labels.csv` | `csv` | [`write_anomaly_labels_csv`] |
//! | `transformers.geojson` | `geojson` | [`write_transformers_geojson`] |
//! | `generation_report.json` / `.txt` | `json` | [`write_report_json`], [`write_report_txt`] |
//!
//! [`write_dataset`] writes every enabled file into a [`Staging`] directory
//! and moves them into place only once all are complete: a failed run leaves
//! the output directory as it was.
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
use std::sync::atomic::{AtomicBool, Ordering};

use crate::dataset::Dataset;
use crate::validate::ValidationReport;

#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
pub mod csv;
pub mod fmt;
#[cfg(feature = "geojson")]
#[cfg_attr(docsrs, doc(cfg(feature = "geojson")))]
pub mod geojson;
#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
pub mod read;
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub mod report;
pub mod staging;

#[cfg(feature = "csv")]
pub use self::csv::{
    ANOMALY_LABELS_CSV, CONSUMPTION_PREFIX, METER_CONSUMPTION_CSV, TRANSFORMERS_CSV, write_anomaly_labels_csv,
    write_meter_consumption_csv, write_transformers_csv,
};
#[cfg(feature = "geojson")]
pub use self::geojson::{TRANSFORMERS_GEOJSON, transformers_feature_collection, write_transformers_geojson};
#[cfg(feature = "csv")]
pub use self::read::{DatasetDir, Table, read_dataset_dir, validate_dir, validate_tables};
#[cfg(feature = "json")]
pub use self::report::{GenerationReport, REPORT_JSON, REPORT_TXT, write_report_json, write_report_txt};
pub use self::staging::Staging;

/// File name of the run log the CLI writes beside the data.
pub const LOG_FILE: &str = "synthetic_data_generation.log";

/// A failure to write or read a dataset directory, naming the path and the operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IoError {
    /// An operating-system error.
    #[error("could not {op} `{}`: {source}", path.display())]
    Io {
        /// What was being done, e.g. `create`, `write`, `move into place`.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The output path exists and is not a directory.
    #[error("`{}` exists and is not a directory", path.display())]
    NotADirectory {
        /// The output path.
        path: PathBuf,
    },
    /// The output path has no directory name (e.g. `/` or `..`).
    #[error("`{}` cannot be used as an output directory", path.display())]
    InvalidTarget {
        /// The output path.
        path: PathBuf,
    },
    /// The dataset failed validation; nothing was written.
    #[error("dataset failed validation, nothing written: {}", .0.failures().collect::<Vec<_>>().join("; "))]
    Validation(Box<ValidationReport>),
    /// The run was cancelled (e.g. Ctrl-C) before the files were moved into place.
    #[error("interrupted: `{}` left unchanged", path.display())]
    Interrupted {
        /// The output directory, unchanged.
        path: PathBuf,
    },
    /// A file of a dataset directory could not be parsed.
    #[error("could not read `{}`: {reason}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}

impl IoError {
    pub(crate) fn io(op: &'static str, path: &Path, source: std::io::Error) -> IoError {
        IoError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// How [`write_dataset`] runs.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WriteOptions {
    /// When set to `true` (e.g. by a Ctrl-C handler), writing stops before the
    /// next file and the output directory is left unchanged.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl WriteOptions {
    /// Options that stop writing once `flag` becomes `true`.
    #[must_use]
    pub fn with_cancel_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = Some(flag);
        self
    }

    fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|f| f.load(Ordering::SeqCst))
    }
}

/// What [`write_dataset`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct WrittenFiles {
    /// The output directory.
    pub dir: PathBuf,
    /// The names of the files written into it, in writing order.
    pub files: Vec<String>,
    /// Total bytes written.
    pub bytes: u64,
}

/// The file names [`write_files`] writes with the enabled features, in order.
#[must_use]
#[allow(clippy::vec_init_then_push)] // the pushes depend on features
pub fn file_names() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut names = Vec::new();
    #[cfg(feature = "csv")]
    names.extend([TRANSFORMERS_CSV, METER_CONSUMPTION_CSV, ANOMALY_LABELS_CSV]);
    #[cfg(feature = "geojson")]
    names.push(TRANSFORMERS_GEOJSON);
    #[cfg(feature = "json")]
    names.extend([REPORT_JSON, REPORT_TXT]);
    names
}

/// Creates `dir/name`, writes it with `write`, and syncs it to disk.
fn write_file(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut BufWriter<&File>) -> std::io::Result<()>,
) -> Result<u64, IoError> {
    let path = dir.join(name);
    let file = File::create(&path).map_err(|e| IoError::io("create", &path, e))?;
    let mut out = BufWriter::with_capacity(256 * 1024, &file);
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(|e| IoError::io("write", &path, e))?;
    drop(out);
    file.sync_all().map_err(|e| IoError::io("sync", &path, e))?;
    let len = file.metadata().map_err(|e| IoError::io("stat", &path, e))?.len();
    tracing::debug!(file = name, bytes = len, "wrote {}", path.display());
    Ok(len)
}

/// Writes every enabled file of `dataset` into the existing directory `dir`,
/// in place (not atomically: use [`write_dataset`] for that).
///
/// # Errors
/// [`IoError::Validation`] if the dataset fails a check (nothing is written);
/// [`IoError::Interrupted`] when the cancel flag is set; [`IoError::Io`] for
/// file-system errors.
pub fn write_files(dataset: &Dataset, dir: &Path, options: &WriteOptions) -> Result<WrittenFiles, IoError> {
    let validation = dataset.validate();
    if !validation.passed() {
        return Err(IoError::Validation(Box::new(validation)));
    }
    let mut written = WrittenFiles {
        dir: dir.to_path_buf(),
        files: Vec::new(),
        bytes: 0,
    };
    let mut step =
        |name: &'static str, write: &dyn Fn(&mut BufWriter<&File>) -> std::io::Result<()>| -> Result<(), IoError> {
            if options.cancelled() {
                return Err(IoError::Interrupted {
                    path: dir.to_path_buf(),
                });
            }
            written.bytes += write_file(dir, name, write)?;
            written.files.push(name.to_owned());
            Ok(())
        };
    #[cfg(feature = "csv")]
    {
        step(TRANSFORMERS_CSV, &|w| write_transformers_csv(dataset, w))?;
        step(METER_CONSUMPTION_CSV, &|w| write_meter_consumption_csv(dataset, w))?;
        step(ANOMALY_LABELS_CSV, &|w| write_anomaly_labels_csv(dataset, w))?;
    }
    #[cfg(feature = "geojson")]
    step(TRANSFORMERS_GEOJSON, &|w| write_transformers_geojson(dataset, w))?;
    #[cfg(feature = "json")]
    {
        let report = GenerationReport::new(dataset, &file_names());
        step(REPORT_JSON, &|w| write_report_json(&report, w))?;
        step(REPORT_TXT, &|w| write_report_txt(&report, w))?;
    }
    let _ = &mut step;
    if options.cancelled() {
        return Err(IoError::Interrupted {
            path: dir.to_path_buf(),
        });
    }
    Ok(written)
}

/// Writes every enabled file of `dataset` into `dir` atomically: into a
/// [`Staging`] directory beside it first, moved into place only when every
/// file is complete. On any error `dir` is left exactly as it was.
///
/// # Errors
/// See [`write_files`] and [`Staging::new`].
pub fn write_dataset(dataset: &Dataset, dir: &Path, options: &WriteOptions) -> Result<WrittenFiles, IoError> {
    let staging = Staging::new(dir)?;
    let mut written = write_files(dataset, staging.path(), options)?;
    written.dir = staging.commit()?;
    Ok(written)
}
