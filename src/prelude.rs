//! The names needed to configure a pipeline or implement a component,
//! in one import: `use ghostload::prelude::*;`.
//!
//! ```
//! use ghostload::prelude::*;
//!
//! /// Scales the whole series down by a fixed share: a minimal custom injector.
//! #[derive(Debug)]
//! struct Shave(f64);
//!
//! impl AnomalyInjector for Shave {
//!     fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
//!         let onset = ctx.onset.onset(series.len(), rng);
//!         series[onset..].iter_mut().for_each(|v| *v *= 1.0 - self.0);
//!         Ok(Injection::from_onset(AnomalyType::new("shave")?, onset, true))
//!     }
//! }
//!
//! let data = Pipeline::builder().add_anomaly(Shave(0.3), 1.0).build()?.generate()?;
//! assert!(data.labels().iter().any(|l| l.anomaly_type.as_str() == "shave"));
//! # Ok::<(), Error>(())
//! ```
//!
//! `Result` here is [`crate::Result`], whose error type defaults to
//! [`crate::Error`]; `Result<T, E>` with another error type still works.

pub use crate::anomaly::{AnomalyInjector, Injection, InjectionContext, OnsetWindow};
pub use crate::config::GeneratorConfig;
pub use crate::consumption::{ConsumptionModel, MeterProfile};
pub use crate::dataset::Dataset;
pub use crate::error::{ConfigError, Error, Result};
pub use crate::geo::{GeoBounds, GeoPoint};
pub use crate::ids::{BarangayId, MeterId, TransformerId};
pub use crate::model::{AnomalyType, CustomerClass};
pub use crate::pipeline::{Pipeline, PipelineBuilder};
pub use crate::rng::StreamRng;
pub use crate::spatial::{Site, SpatialStrategy};
pub use crate::time::TimeAxis;
pub use rand::Rng;
