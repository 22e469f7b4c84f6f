//! Error types: what went wrong, named precisely enough to fix it.

use crate::validate::ValidationReport;

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
