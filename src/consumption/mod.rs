//! Consumption series: the [`ConsumptionModel`] trait and its default, [`SeasonalConsumption`].

mod profile;
mod seasonal;
mod settings;
pub(crate) mod shape;

pub use profile::{ClassProfile, HOURS_PER_MONTH};
pub use seasonal::SeasonalConsumption;
pub use settings::ConsumptionConfig;
pub use shape::{ClassShape, LoadShapeConfig};

use std::fmt::Debug;

use crate::model::CustomerClass;
use crate::rng::StreamRng;
use crate::time::TimeAxis;

/// The lasting consumption parameters of one meter, drawn once.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterProfile {
    /// The meter's class.
    pub class: CustomerClass,
    /// Its baseline consumption, kWh per month (≥ 0).
    pub baseline_kwh: f64,
    /// Its linear growth, fraction of baseline per month.
    pub monthly_growth: f64,
}

/// Produces meter consumption series.
///
/// [`profile`](Self::profile) draws a meter's lasting parameters from its
/// own stream; [`fill_series`](Self::fill_series) writes one value per period
/// (kWh per period) from another. Both get a fresh per-meter stream, so a
/// model is deterministic for a fixed seed and meters are independent.
///
/// # Example: a flat model
/// ```
/// use ghostload::{ConsumptionModel, CustomerClass, GeneratorConfig, MeterProfile, Pipeline, TimeAxis};
/// use ghostload::rng::StreamRng;
///
/// #[derive(Debug)]
/// struct Flat(f64);
///
/// impl ConsumptionModel for Flat {
///     fn profile(&self, class: CustomerClass, _rng: &mut StreamRng) -> MeterProfile {
///         MeterProfile { class, baseline_kwh: self.0, monthly_growth: 0.0 }
///     }
///     fn fill_series(&self, p: &MeterProfile, _axis: &TimeAxis, _rng: &mut StreamRng, out: &mut [f64]) -> usize {
///         out.fill(p.baseline_kwh);
///         0 // no value clipped
///     }
/// }
///
/// let config = GeneratorConfig { anomaly_rate: 0.0, benign_rate: 0.0, ..Default::default() };
/// let data = Pipeline::builder().config(config).consumption(Flat(150.0)).build()?.generate()?;
/// assert!(data.consumption().as_slice().iter().all(|&v| v == 150.0));
/// # Ok::<(), ghostload::Error>(())
/// ```
pub trait ConsumptionModel: Debug + Send + Sync {
    /// Draws the lasting parameters of a meter of class `class`.
    fn profile(&self, class: CustomerClass, rng: &mut StreamRng) -> MeterProfile;

    /// Writes the series of a meter with `profile` into `out`
    /// (`out.len() == axis.len()`), every value finite and ≥ 0, and returns
    /// how many values had to be clipped at zero. The pipeline then caps
    /// every value above [`GeneratorConfig::max_kwh`](crate::GeneratorConfig::max_kwh)
    /// itself (and counts those), so a model need not know the ceiling.
    fn fill_series(&self, profile: &MeterProfile, axis: &TimeAxis, rng: &mut StreamRng, out: &mut [f64]) -> usize;
}

macro_rules! forward_consumption {
    ($($ptr:ty),*) => {$(
        impl<T: ConsumptionModel + ?Sized> ConsumptionModel for $ptr {
            fn profile(&self, class: CustomerClass, rng: &mut StreamRng) -> MeterProfile {
                (**self).profile(class, rng)
            }
            fn fill_series(&self, profile: &MeterProfile, axis: &TimeAxis, rng: &mut StreamRng, out: &mut [f64]) -> usize {
                (**self).fill_series(profile, axis, rng, out)
            }
        }
    )*};
}
forward_consumption!(&T, Box<T>, std::sync::Arc<T>);
