//! Anomalies: the [`AnomalyInjector`] trait, the default [`GradualDecline`],
//! and the exact selection of anomalous meters.

mod decline;
mod selection;

pub use decline::GradualDecline;
pub use selection::AnomalySelection;

use std::fmt::Debug;

use crate::consumption::MeterProfile;
use crate::model::{AnomalyType, Meter};
use crate::rng::StreamRng;
use crate::time::TimeAxis;

/// What an injector is told about the meter it modifies.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct InjectionContext<'a> {
    /// The meter.
    pub meter: &'a Meter,
    /// Its consumption parameters.
    pub profile: &'a MeterProfile,
    /// The periods of its series.
    pub axis: &'a TimeAxis,
}

impl<'a> InjectionContext<'a> {
    /// A context (for testing injectors outside a pipeline).
    #[must_use]
    pub fn new(meter: &'a Meter, profile: &'a MeterProfile, axis: &'a TimeAxis) -> Self {
        InjectionContext { meter, profile, axis }
    }
}

/// What an injector did to a series.
///
/// The pipeline adds the severity (measured from the series before and
/// after injection, so a label always agrees with its series) and the risk band.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    /// The anomaly's type.
    pub anomaly_type: AnomalyType,
    /// First modified period (0-based, `< series.len()`).
    pub onset: usize,
    /// Last modified period, when the anomaly stops before the series does
    /// (`onset <= end < series.len()`).
    pub end: Option<usize>,
    /// Whether this is theft (rather than a fault or a benign event).
    pub is_theft: bool,
}

/// Modifies the series of an anomalous meter and says what it did.
///
/// Called once for each selected meter, with the meter's normal series (kWh
/// per period) and the meter's own random stream. The series must stay finite
/// and non-negative; [`Pipeline::generate`](crate::Pipeline::generate) returns
/// [`Error::Component`](crate::Error::Component) otherwise, or when the
/// returned onset or end lies outside the series.
///
/// # Example: a meter that stops recording halfway
/// ```
/// use ghostload::{AnomalyInjector, AnomalyType, GeneratorConfig, Injection, InjectionContext, Pipeline, RiskBand};
/// use ghostload::rng::StreamRng;
///
/// #[derive(Debug)]
/// struct StopsHalfway;
///
/// impl AnomalyInjector for StopsHalfway {
///     fn inject(&self, series: &mut [f64], _ctx: &InjectionContext<'_>, _rng: &mut StreamRng) -> Injection {
///         let onset = series.len() / 2;
///         series[onset..].fill(0.0);
///         Injection { anomaly_type: AnomalyType::new("stopped_meter").unwrap(), onset, end: None, is_theft: true }
///     }
/// }
///
/// let data = Pipeline::builder().config(GeneratorConfig::default()).anomaly(StopsHalfway).build()?.generate()?;
/// let label = &data.labels()[0];
/// assert_eq!(label.onset, 6);
/// assert!(data.series(label.meter_id).unwrap()[6..].iter().all(|&v| v == 0.0));
/// assert!(label.severity > 0.0);
/// # Ok::<(), ghostload::Error>(())
/// ```
pub trait AnomalyInjector: Debug + Send + Sync {
    /// Modifies `series` in place and describes the change.
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Injection;
}

macro_rules! forward_injector {
    ($($ptr:ty),*) => {$(
        impl<T: AnomalyInjector + ?Sized> AnomalyInjector for $ptr {
            fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Injection {
                (**self).inject(series, ctx, rng)
            }
        }
    )*};
}
forward_injector!(&T, Box<T>, std::sync::Arc<T>);
