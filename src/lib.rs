//! # ghostload
//!
//! Deterministic synthetic datasets for detecting electricity theft and other
//! non-technical losses on distribution grids: barangays, distribution
//! transformers, customer meters with monthly consumption series, and exact
//! labels of the anomalies injected into them.
//!
//! ```
//! use ghostload::{GeneratorConfig, Pipeline, RiskBand};
//!
//! let dataset = Pipeline::builder()
//!     .config(GeneratorConfig::default()) // 50 transformers, 2 000 meters, 12 months, seed 42
//!     .build()?                           // validates everything once
//!     .generate()?;                       // typed, in-memory, validated
//!
//! assert_eq!(dataset.meters().len(), 2000);
//! assert_eq!(dataset.labels().len(), 150); // exactly round(0.075 × 2000)
//! let label = &dataset.labels()[0];
//! let series = dataset.series(label.meter_id).unwrap();
//! assert_eq!(series.len(), 12);
//! assert_eq!(label.risk_band, RiskBand::from_severity(label.severity)); // High, Medium or Low
//!
//! // 14 anomaly types mixed by weight; 2 % of normal meters get a benign look-alike
//! // (vacancy, new connection, solar, outage) that is an event but not a label.
//! assert_eq!(dataset.events().len(), 150 + 37);
//! assert!(dataset.events().iter().all(|e| e.is_anomaly == dataset.label(e.meter_id).is_some()));
//!
//! // Same configuration, same dataset: nothing depends on the clock or the machine.
//! let again = Pipeline::builder().build()?.generate()?;
//! assert_eq!(dataset, again);
//! # Ok::<(), ghostload::Error>(())
//! ```
//!
//! ## What is in the box
//! - **Configuration**: [`GeneratorConfig`] (every parameter, its unit,
//!   default and range), validated once into typed [`ConfigError`]s that
//!   name the field, the value and the allowed range.
//! - **Composition**: [`Pipeline::builder`] takes the configuration and,
//!   optionally, your own components; [`Pipeline::generate`] returns a [`Dataset`].
//! - **Components**, each a small trait with a default implementation:
//!   - [`SpatialStrategy`]: where barangays and transformers are
//!     ([`GaussianClusters`], [`UniformSpatial`]);
//!   - [`ConsumptionModel`]: the series of each meter ([`SeasonalConsumption`]);
//!   - [`AnomalyInjector`]: what theft does to a series: fourteen built-in
//!     types (Jokar et al.'s attacks h1–h6, the design's [`GradualDecline`]
//!     and four more, three cases utilities report) mixed by the weights of
//!     [`GeneratorConfig::anomaly_mix`] with exact per-type counts, plus
//!     benign look-alikes that are listed as [`Event`]s but never labelled
//!     (see [`anomaly`] and `docs/anomalies.md`).
//! - **Data**: [`Transformer`], [`Meter`], [`AnomalyLabel`], [`Event`], a contiguous
//!   [`ConsumptionMatrix`], typed ids ([`TransformerId`] displays `TX_0001`,
//!   [`MeterId`] `MTR_000001`), [`CustomerClass`] and [`RiskBand`].
//! - **Interval data**: [`Resolution`] daily, hourly or 15-minute readings
//!   that sum exactly to the monthly series, shaped by class, calendar and
//!   [`Weather`] ([`Dataset::readings`]).
//! - **Energy balance** (the ghost load): each transformer's and feeder's
//!   meter reading, decomposed into what its customers drew and were billed,
//!   technical losses, street lights and meter error ([`Dataset::energy_balance`],
//!   [`EnergyBalance`]; what an anomalous meter drew: [`Dataset::true_series`]).
//! - **Files**: [`io::write_dataset`] writes the CSV, GeoJSON and report
//!   files atomically (staged beside the target, swapped with it in one step when complete).
//! - **Scale**: [`Pipeline::batches`] and [`io::stream_dataset`] generate and
//!   write any number of meters in bounded memory, in parallel, optionally one
//!   [`Shard`] of many; the bytes are the same as the in-memory path's.
//! - **Checks and statistics**: [`Dataset::validate`] runs the design's
//!   integrity checks ([`ValidationReport`]); [`Dataset::summary`] computes
//!   the report's statistics ([`Summary`]).
//!
//! ## Where things are
//! Everything above is at the crate root. Four modules hold the rest:
//! [`anomaly`] (the built-in injectors, their mix, [`anomaly::preview`]),
//! [`io`] (the writers and the directory reader), [`report`] (the parts of
//! [`Summary`]) and [`rng`] ([`rng::StreamRng`], the stream components draw
//! from). [`prelude`] gathers what implementing a component needs. The
//! public API is recorded in `tests/public-api.txt` and checked by a test, so
//! every change to it is a visible decision.
//!
//! ## Errors
//! One [`Error`] for the library; [`io::IoError`] for the file writers and
//! the reader. Each converts into the other (`?` works both ways), and
//! configuration problems are [`ConfigError`]s naming the field, the value
//! and the allowed range.
//!
//! ## Determinism
//! Every random draw comes from a stream keyed by `(seed, purpose, entity)`
//! (see [`rng`]), using the named, value-stable PCG-64 MCG algorithm. Meter
//! *i* never depends on meter *i − 1*, so generation runs in parallel with
//! identical results, and changing one parameter leaves unrelated parts of the
//! dataset unchanged (a new anomaly rate keeps every transformer).
//!
//! ## Feature flags
//! - `parallel` (default): generate meters on all cores with rayon.
//! - `serde`: `Serialize`/`Deserialize` for every public data type and for
//!   [`GeneratorConfig`].
//! - `csv` (default): the CSV writers and the dataset-directory reader ([`io`]).
//! - `geojson` (default): the `transformers.geojson` writer.
//! - `json` (default, implies `serde`): `generation_report.json` and `.txt`,
//!   and `manifest.json` (every file's size and SHA-256; `io::verify_manifest`,
//!   `io::validate_shard_set`).
//! - `arrow`: every table as Arrow record batches ([`io::ArrowTables`]), for
//!   in-memory analysis; the Python package hands them to pyarrow, polars and
//!   DuckDB without a copy.
//! - `parquet` (implies `arrow`): the interval readings as Parquet parts.
//! - `cli`: the `ghostload` command-line tool (clap, toml, tracing-subscriber,
//!   indicatif); library users never compile these.
//!
//! The model, its formulas and their sources are documented in `docs/model.md`.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod allocation;
pub mod anomaly;
mod balance;
mod batch;
mod calendar;
mod capacity;
mod cells;
mod checks;
mod config;
mod consumption;
mod dataset;
mod decimal;
mod error;
mod feeder;
pub mod fit;
mod geo;
mod ids;
pub mod inject;
mod interval;
pub mod io;
mod mem;
mod model;
mod network;
mod normal;
mod pipeline;
pub mod prelude;
pub mod report;
pub mod rng;
mod shard;
mod spatial;
mod time;
mod validate;
mod weather;

/// Not part of the API: internals the crate's own benchmarks measure
/// (`benches/formatting.rs`). They may change or go in any release.
#[doc(hidden)]
pub mod __bench {
    pub use crate::io::fmt::write_fixed;
}

/// The `rand` version this crate uses, for implementing components with
/// `rand::Rng` methods on a [`rng::StreamRng`].
pub use rand;

pub use crate::allocation::Allocation;
pub use crate::anomaly::{AnomalyInjector, GradualDecline, Injection, InjectionContext, OnsetWindow};
pub use crate::balance::{
    BalanceConfig, BalanceRow, BalanceSummary, DOE_EFFICIENCY_PCT, EnergyBalance, FeederBalance, FeederRow,
    LOAD_LOSS_RATIO, TransformerBalance, transformer_losses_w,
};
pub use crate::batch::ClipStats;
pub use crate::batch::MeterBatch;
pub use crate::calendar::{Date, TimeZone, Weekday, philippine_regular_holidays};
pub use crate::capacity::{CapacityConfig, STANDARD_RATINGS_KVA};
pub use crate::checks::{Check, ValidationReport};
pub use crate::config::{ClassMix, DEFAULT_BARANGAYS, GeneratorConfig, Preset};
pub use crate::consumption::{
    ClassProfile, ClassShape, ConsumptionConfig, ConsumptionModel, HOURS_PER_MONTH, LoadShapeConfig, MeterProfile,
    SeasonalConsumption,
};
pub use crate::dataset::{ConsumptionMatrix, Dataset, Warning};
pub use crate::error::{ConfigError, Error, Result};
pub use crate::geo::{GeoBounds, GeoPoint};
pub use crate::ids::{BarangayId, FeederId, MeterId, TransformerId};
pub use crate::model::{
    AnomalyLabel, AnomalyType, Barangay, CustomerClass, Event, Meter, MissingRun, RiskBand, SeverityWindow, Transformer,
};
pub use crate::network::Network;
pub use crate::pipeline::{BalanceStream, Pipeline, PipelineBuilder, StreamValidator};
pub use crate::report::Summary;
pub use crate::shard::Shard;
pub use crate::spatial::{GaussianClusters, Site, SpatialStrategy, UniformSpatial};
pub use crate::time::{Resolution, TimeAxis, YearMonth};
pub use crate::weather::{MANILA_NORMALS_C, MAX_WEATHER_CELLS, Weather, WeatherConfig};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "csv", feature = "geojson", feature = "json"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
