//! Error types: what went wrong, named precisely enough to fix it.

use std::path::{Path, PathBuf};

use crate::checks::ValidationReport;

/// A configuration or component parameter that cannot be used.
///
/// Every variant names the offending field (as its dotted path in the TOML
/// configuration, e.g. `bounds.lat_min`), the value that was given and what
/// would have been allowed, so a user can fix the input without reading code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A number outside its allowed range.
    #[error("`{field}` = {value} is out of range; allowed: {allowed}")]
    OutOfRange {
        /// Dotted path of the field, e.g. `anomaly_rate`.
        field: &'static str,
        /// The value that was given, formatted.
        value: String,
        /// The allowed range, in words, e.g. `0.0 ..= 1.0`.
        allowed: &'static str,
    },
    /// Two fields that must be ordered (`min < max`) are not.
    #[error("`{min_field}` ({min}) must be less than `{max_field}` ({max})")]
    Unordered {
        /// Field that must hold the smaller value.
        min_field: &'static str,
        /// Its value.
        min: f64,
        /// Field that must hold the larger value.
        max_field: &'static str,
        /// Its value.
        max: f64,
    },
    /// The customer-class probabilities do not sum to one.
    #[error(
        "`class_mix` probabilities must sum to 1 (± 1e-9); residential {residential} + commercial {commercial} + industrial {industrial} = {sum}"
    )]
    ClassMixSum {
        /// Residential share.
        residential: f64,
        /// Commercial share.
        commercial: f64,
        /// Industrial share.
        industrial: f64,
        /// Their sum.
        sum: f64,
    },
    /// Fewer meters than transformers: some transformer would serve nobody.
    #[error(
        "`num_meters` ({num_meters}) must be at least `num_transformers` ({num_transformers}): every transformer needs one meter"
    )]
    TooFewMeters {
        /// Requested meters.
        num_meters: usize,
        /// Requested transformers.
        num_transformers: usize,
    },
    /// No standard transformer rating lies inside the configured capacity range.
    #[error(
        "no standard transformer rating lies in `capacity.min_kva` ..= `capacity.max_kva` ({min} ..= {max} kVA); standard ratings are 10, 15, 25, 37.5, 50, 75, 100, 167, 250, 333, 500 kVA"
    )]
    NoStandardRating {
        /// Lower end of the range (kVA).
        min: f64,
        /// Upper end of the range (kVA).
        max: f64,
    },
    /// A text field that is malformed (an empty name, a bad month string...).
    #[error("`{field}` = {value:?} is invalid: {reason}")]
    Invalid {
        /// Dotted path of the field.
        field: &'static str,
        /// The value that was given.
        value: String,
        /// Why it cannot be used.
        reason: &'static str,
    },
}

impl ConfigError {
    /// Builds [`ConfigError::OutOfRange`] from any displayable value: for
    /// your own components' constructors, so their errors read like the
    /// built-in ones.
    ///
    /// ```
    /// use ghostload::ConfigError;
    /// let e = ConfigError::out_of_range("my_injector.share", 1.5, "0.0 ..= 1.0");
    /// assert_eq!(e.to_string(), "`my_injector.share` = 1.5 is out of range; allowed: 0.0 ..= 1.0");
    /// ```
    #[must_use]
    pub fn out_of_range(field: &'static str, value: impl std::fmt::Display, allowed: &'static str) -> Self {
        ConfigError::OutOfRange {
            field,
            value: value.to_string(),
            allowed,
        }
    }

    /// The dotted path of the field this error is about.
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            ConfigError::OutOfRange { field, .. } | ConfigError::Invalid { field, .. } => field,
            ConfigError::Unordered { min_field, .. } => min_field,
            ConfigError::ClassMixSum { .. } => "class_mix",
            ConfigError::TooFewMeters { .. } => "num_meters",
            ConfigError::NoStandardRating { .. } => "capacity",
        }
    }
}

/// The range check every component constructor and the configuration use.
/// `Err(`[`ConfigError::OutOfRange`]`)` unless `value` is be a finite number in `lo ..= hi`.
pub(crate) fn check_range(
    field: &'static str,
    value: f64,
    lo: f64,
    hi: f64,
    allowed: &'static str,
) -> Result<(), ConfigError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::out_of_range(field, value, allowed))
    }
}

/// Anything that can stop [`Pipeline::generate`](crate::Pipeline::generate).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration or a component parameter is invalid.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// The generated dataset failed one of its integrity checks. This points
    /// at a faulty custom component (e.g. a spatial strategy that places
    /// points outside the bounds); the report says which check failed.
    #[error("generated dataset failed validation: {}", .0.failures().collect::<Vec<_>>().join("; "))]
    Validation(Box<ValidationReport>),
    /// An in-memory dataset would not fit in the memory available.
    #[error(
        "an in-memory dataset needs about {} MiB but only {} MiB are available; generate it in batches (Pipeline::batches) or with the CLI, which streams to disk",
        .needed / (1 << 20), .available / (1 << 20)
    )]
    InsufficientMemory {
        /// Bytes the dataset would need.
        needed: u64,
        /// Bytes available.
        available: u64,
    },
    /// A range of meter indices that the pipeline does not have, given to
    /// [`Pipeline::generate_batch`](crate::Pipeline::generate_batch),
    /// [`Pipeline::batches`](crate::Pipeline::batches) or
    /// [`Pipeline::range_validator`](crate::Pipeline::range_validator).
    #[error("meter range {start}..{end} is not inside 0..{num_meters} (`num_meters` = {num_meters})")]
    MeterRange {
        /// First index asked for.
        start: usize,
        /// One past the last index asked for.
        end: usize,
        /// Meters the pipeline generates.
        num_meters: usize,
    },
    /// Writing or reading a dataset directory failed ([`crate::io`]): the
    /// same [`IoError`] the writers return, so a function returning
    /// [`crate::Result`] can `?` a writer.
    #[error(transparent)]
    Io(Box<IoError>),
    /// A custom component returned something the pipeline cannot use.
    #[error("component `{component}` misbehaved: {reason}")]
    Component {
        /// Which component (e.g. `anomaly injector low_consumption`).
        component: String,
        /// What was wrong.
        reason: String,
    },
}

/// Shorthand for `Result<T, ghostload::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

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
    /// The run was cancelled (e.g. Ctrl-C) before the output directory was swapped.
    #[error("interrupted: `{}` left unchanged", path.display())]
    Interrupted {
        /// The output directory, unchanged.
        path: PathBuf,
    },
    /// Replacing an existing output directory failed after it was moved aside,
    /// and moving it back failed too: the old dataset waits at `aside`, and
    /// the next run (or [`Staging::recover`](crate::io::Staging::recover), or `validate_dir`) moves it back.
    #[error(
        "could not move the new dataset into `{}` ({source}), nor the old one back from `{}` ({restore}): \
         the next run or `ghostload validate` restores it",
        path.display(),
        aside.display()
    )]
    Stranded {
        /// The output directory, now missing.
        path: PathBuf,
        /// Where the old, complete dataset is.
        aside: PathBuf,
        /// Why the new dataset could not be moved in.
        source: std::io::Error,
        /// Why the old one could not be moved back.
        restore: std::io::Error,
    },
    /// Generation failed (a misbehaving component); nothing was moved into place.
    #[error("generation failed: {0}")]
    Generation(Box<Error>),
    /// No file writer is compiled in (none of the `csv`, `geojson` and
    /// `json` features is enabled), so there is nothing to write.
    #[error("no file writer is compiled in: enable the `csv`, `geojson` or `json` feature of ghostload")]
    NoWriters,
    /// A file of a dataset directory could not be parsed.
    #[error("could not read `{}`: {reason}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// Encoding, writing or reading a Parquet file failed (the `parquet` feature).
    #[error("parquet{}: {reason}", path.as_ref().map(|p| format!(" `{}`", p.display())).unwrap_or_default())]
    Parquet {
        /// The file, when the writer or reader knows it.
        path: Option<PathBuf>,
        /// What went wrong (the Parquet library's message, or which check failed).
        reason: String,
    },
    /// Arrow rejected the columns of a table (feature `arrow`): a bug in
    /// ghostload, reported rather than hidden.
    #[error("arrow table `{table}`: {reason}")]
    Arrow {
        /// The table ([`ArrowTable::name`](crate::io::ArrowTable::name)).
        table: &'static str,
        /// Arrow's message.
        reason: String,
    },
    /// A block of readings handed to a writer is inconsistent (wrong lengths,
    /// a missing range out of bounds, timestamps not strictly increasing...);
    /// nothing of it was written.
    #[error("invalid readings block: {reason}")]
    InvalidReadings {
        /// Which check failed, with the offending numbers.
        reason: String,
    },
    /// A weather file ([`read_weather_csv`](crate::io::read_weather_csv))
    /// cannot be used: the line (1-based, the header is line 1) and the
    /// field (a column name, or `row` for the line as a whole) say where.
    #[error("weather file, line {line}, field `{field}`: {reason}")]
    Weather {
        /// Line of the file, 1-based (the header is line 1).
        line: u64,
        /// The column at fault (`date`, `barangay`, `temperature_c`,
        /// `typhoon_outage`, a header name) or `row`.
        field: String,
        /// What is wrong, with the value.
        reason: String,
    },
    /// An input table ([`read_consumption`](crate::io::read_consumption))
    /// cannot be used: the file, the line (1-based, the header is line 1) and
    /// the column (a header name, or `row`/`header` for the line as a whole) say where.
    ///
    /// For a Parquet file `line` is the row, 1-based (the first row is row
    /// 1), and `0` for the file as a whole (its schema, or a file that is
    /// not Parquet: column `file`). The message says `row N` (`schema` for
    /// 0) when the file name ends in `.parquet`, `line N` otherwise.
    #[error("`{}`, {}, column `{column}`: {reason}", path.display(), InputPlace(path, *line))]
    Input {
        /// The file.
        path: PathBuf,
        /// Line of the file, 1-based (the header is line 1); for a Parquet
        /// file the row, 1-based, or `0` for the file as a whole.
        line: u64,
        /// The column at fault, or `row` / `header` (Parquet: `file`).
        column: String,
        /// What is wrong, with the value.
        reason: String,
    },
    /// A [`WriteOptions`](crate::io::WriteOptions) setting that this dataset
    /// cannot be written with (e.g. the SGCC layout of a dataset that is not daily).
    #[error("`{option}` = {value} cannot be used: {reason}")]
    UnsupportedOption {
        /// The setting, as the CLI flag names it without dashes (`layout`, `readings_format`).
        option: &'static str,
        /// Its value.
        value: String,
        /// Why not, and what would work.
        reason: String,
    },
}

/// Where in an input table an [`IoError::Input`] is: `line N`, or, in a
/// file named `*.parquet` (which has rows, not lines), `row N` and `schema`
/// for row 0.
struct InputPlace<'a>(&'a Path, u64);

impl std::fmt::Display for InputPlace<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parquet = self.0.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        match (parquet, self.1) {
            (true, 0) => f.write_str("schema"),
            (true, row) => write!(f, "row {row}"),
            (false, line) => write!(f, "line {line}"),
        }
    }
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

/// An [`IoError`] as an [`Error`]: a generation or validation failure
/// carried by the I/O error comes back as itself, anything else as [`Error::Io`].
impl From<IoError> for Error {
    fn from(e: IoError) -> Self {
        match e {
            IoError::Generation(inner) => *inner,
            IoError::Validation(report) => Error::Validation(report),
            other => Error::Io(Box::new(other)),
        }
    }
}

/// An [`Error`] as an [`IoError`]: the inverse of `From<IoError> for Error`,
/// so that converting back and forth loses nothing.
impl From<Error> for IoError {
    fn from(e: Error) -> Self {
        match e {
            Error::Io(inner) => *inner,
            Error::Validation(report) => IoError::Validation(report),
            other => IoError::Generation(Box::new(other)),
        }
    }
}
