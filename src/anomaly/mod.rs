//! Anomalies: the [`AnomalyInjector`] trait, the built-in injectors, the
//! mix that assigns them to meters, and the exact selection of anomalous meters.
//!
//! Built-in anomalies (keys of [`GeneratorConfig::anomaly_mix`](crate::GeneratorConfig::anomaly_mix)):
//!
//! | type | injector | theft | source |
//! |---|---|---|---|
//! | `constant_factor` | [`ConstantFactor`] | yes | Jokar et al. 2016, h1 |
//! | `zero_readings` | [`ZeroReadings`] | yes | Jokar et al. 2016, h2 |
//! | `random_factor` | [`RandomFactor`] | yes | Jokar et al. 2016, h3 |
//! | `random_mean_factor` | [`RandomMeanFactor`] | yes | Jokar et al. 2016, h4 |
//! | `flat_mean` | [`FlatMean`] | yes (time-of-use only) | Jokar et al. 2016, h5 |
//! | `reversed_order` | [`ReversedOrder`] | yes (time-of-use only) | Jokar et al. 2016, h6 |
//! | `low_consumption` | [`GradualDecline`] | yes | design |
//! | `high_consumption` | [`Spike`] | no | design |
//! | `meter_drift` | [`MeterDrift`] | no | design |
//! | `seasonal_shift` | [`SeasonalShift`] | no | design |
//! | `erratic_pattern` | [`ErraticPattern`] | no | design |
//! | `meter_bypass` | [`MeterBypass`] | yes | utility practice |
//! | `stuck_meter` | [`StuckMeter`] | no | utility practice |
//! | `tampered_meter` | [`TamperedMeter`] | yes | utility practice |
//!
//! Benign look-alikes (keys of [`GeneratorConfig::benign_mix`](crate::GeneratorConfig::benign_mix)),
//! never labelled as anomalies: `vacancy` ([`Vacancy`]), `new_connection`
//! ([`NewConnection`]), `solar_install` ([`SolarInstall`]), `outage` ([`Outage`]).
//!
//! Jokar, Arianpoo & Leung, "Electricity Theft Detection in AMI Using
//! Customers' Consumption Patterns", IEEE Transactions on Smart Grid 7(1),
//! 216–226, 2016. `docs/anomalies.md` shows every type with a plot.

mod bypass;
mod constant_factor;
mod decline;
mod drift;
mod erratic;
mod flat_mean;
mod mix;
mod new_connection;
mod onset;
mod outage;
mod params;
mod random_factor;
mod random_mean_factor;
mod reversed_order;
mod seasonal_shift;
mod selection;
mod solar;
mod spike;
mod stuck;
mod tampered;
mod vacancy;
mod zero_readings;

pub use bypass::MeterBypass;
pub use constant_factor::ConstantFactor;
pub use decline::GradualDecline;
pub use drift::MeterDrift;
pub use erratic::ErraticPattern;
pub use flat_mean::FlatMean;
pub use mix::{DEFAULT_ANOMALY_MIX, DEFAULT_BENIGN_MIX, builtin};
pub(crate) use mix::{cumulative, default_anomaly_mix, default_benign_mix, entry_of, largest_remainder};
pub use new_connection::NewConnection;
pub use onset::{DEFAULT_MIN_NORMAL_PERIODS, OnsetWindow};
pub use outage::Outage;
pub use random_factor::RandomFactor;
pub use random_mean_factor::RandomMeanFactor;
pub use reversed_order::ReversedOrder;
pub use seasonal_shift::SeasonalShift;
pub(crate) use selection::AnomalySelection;
pub use solar::SolarInstall;
pub use spike::Spike;
pub use stuck::StuckMeter;
pub use tampered::TamperedMeter;
pub use vacancy::Vacancy;
pub use zero_readings::ZeroReadings;

use std::fmt::Debug;

use crate::consumption::MeterProfile;
use crate::error::{ConfigError, Error, Result};
use crate::model::{AnomalyType, CustomerClass, Meter};
use crate::rng::{Purpose, StreamRng, Streams};
use crate::time::{Resolution, TimeAxis, YearMonth};

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
    /// The onset policy: built from
    /// [`GeneratorConfig::min_normal_periods`](crate::GeneratorConfig::min_normal_periods)
    /// by the pipeline. Built-in injectors draw their onset from it; yours may too.
    pub onset: OnsetWindow,
}

impl<'a> InjectionContext<'a> {
    /// A context (for testing injectors outside a pipeline), with the default [`OnsetWindow`].
    #[must_use]
    pub fn new(meter: &'a Meter, profile: &'a MeterProfile, axis: &'a TimeAxis) -> Self {
        InjectionContext {
            meter,
            profile,
            axis,
            onset: OnsetWindow::default(),
        }
    }

    /// The same context with another onset policy.
    #[must_use]
    pub fn with_onset(mut self, onset: OnsetWindow) -> Self {
        self.onset = onset;
        self
    }
}

/// Runs `injector` once on `series`, outside a pipeline: for trying an
/// injector, plotting it, or testing your own. What the injector returns is
/// checked exactly as [`Pipeline::generate`](crate::Pipeline::generate)
/// checks it.
///
/// The series is treated as a residential meter's monthly series starting
/// at 2024-01 with its mean as baseline; the onset policy keeps
/// `min_normal_periods` normal periods; the random stream is
/// `(seed, AnomalyInjection, 0)`. Severity is not computed (the pipeline
/// does that): compare the sums before and after.
///
/// # Errors
/// [`ConfigError::OutOfRange`] naming `num_months` unless `1 <= series.len() <= 1200`,
/// `min_normal_periods` unless it is at most 1200, or `series` unless every
/// value is finite and `>= 0`; the injector's own error; and
/// [`Error::Component`] when the injector leaves a
/// value that is not finite and `>= 0`, or returns an onset or end outside the series.
///
/// ```
/// use ghostload::anomaly::{preview, ConstantFactor};
/// let mut series = vec![100.0; 12];
/// let injection = preview(&ConstantFactor::default(), &mut series, 3, 42)?;
/// assert!(injection.onset >= 3);
/// assert!(series[injection.onset] < 100.0);
/// # Ok::<(), ghostload::Error>(())
/// ```
pub fn preview<I: AnomalyInjector + ?Sized>(
    injector: &I,
    series: &mut [f64],
    min_normal_periods: usize,
    seed: u64,
) -> Result<Injection> {
    let axis = TimeAxis::new(YearMonth::default(), series.len(), Resolution::Monthly)?;
    if min_normal_periods > TimeAxis::MAX_PERIODS {
        return Err(ConfigError::out_of_range("min_normal_periods", min_normal_periods, "0 ..= 1200").into());
    }
    if let Some(bad) = series.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(ConfigError::out_of_range("series", bad, "finite values >= 0").into());
    }
    let baseline = params::mean(series);
    let meter = Meter {
        baseline_kwh: baseline,
        ..Meter::blank()
    };
    let profile = MeterProfile {
        class: CustomerClass::Residential,
        baseline_kwh: baseline,
        monthly_growth: 0.0,
    };
    let ctx = InjectionContext::new(&meter, &profile, &axis).with_onset(OnsetWindow::new(min_normal_periods));
    let mut rng = Streams::new(seed).stream(Purpose::AnomalyInjection, 0);
    inject_checked(injector, series, &ctx, &mut rng)
}

/// Runs `injector` on the meter of `ctx` and checks what it returns: the
/// series still finite and `>= 0`, the onset (and end) inside the series.
///
/// # Errors
/// The injector's own error, or [`Error::Component`]
/// naming the injector's anomaly type, the meter and what was wrong.
pub(crate) fn inject_checked<I: AnomalyInjector + ?Sized>(
    injector: &I,
    series: &mut [f64],
    ctx: &InjectionContext<'_>,
    rng: &mut StreamRng,
) -> Result<Injection> {
    let injection = injector.inject(series, ctx, rng)?;
    let meter = ctx.meter.id;
    let misbehaved = |reason: String| Error::Component {
        component: format!("anomaly injector {}", injection.anomaly_type),
        reason: format!("meter {meter}: {reason}"),
    };
    if let Some((t, v)) = series.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v >= 0.0)) {
        return Err(misbehaved(format!("period {t} holds {v}, not a finite value >= 0")));
    }
    let len = series.len();
    let end_ok = injection.end.is_none_or(|e| injection.onset <= e && e < len);
    if injection.onset >= len || !end_ok {
        return Err(misbehaved(format!(
            "onset {} / end {:?} outside the series of {len} periods",
            injection.onset, injection.end
        )));
    }
    Ok(injection)
}

/// What an injector did to a series.
///
/// The pipeline adds the severity (measured from the series before and
/// after injection, so a label always agrees with its series) and the risk band.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

impl Injection {
    /// An anomaly from `onset` to the end of the series.
    ///
    /// ```
    /// use ghostload::{AnomalyType, Injection};
    /// let i = Injection::from_onset(AnomalyType::LOW_CONSUMPTION, 3, true);
    /// assert_eq!((i.onset, i.end, i.is_theft), (3, None, true));
    /// ```
    #[must_use]
    pub fn from_onset(anomaly_type: AnomalyType, onset: usize, is_theft: bool) -> Self {
        Injection {
            anomaly_type,
            onset,
            end: None,
            is_theft,
        }
    }

    /// An anomaly over periods `onset ..= end`.
    #[must_use]
    pub fn window(anomaly_type: AnomalyType, onset: usize, end: usize, is_theft: bool) -> Self {
        Injection {
            anomaly_type,
            onset,
            end: Some(end),
            is_theft,
        }
    }
}

/// Modifies the series of an anomalous meter and says what it did.
///
/// Called once for each selected meter, with the meter's normal series (kWh
/// per period) and the meter's own random stream (`AnomalyInjection` for an
/// anomaly, `BenignInjection` for a benign look-alike: the same trait serves
/// both mixes). Draw the onset from [`InjectionContext::onset`] to honour the
/// configured `min_normal_periods`, as the built-in injectors do. The series must stay finite
/// and non-negative; [`Pipeline::generate`](crate::Pipeline::generate) returns
/// [`Error::Component`] otherwise, or when the
/// returned onset or end lies outside the series.
///
/// # Example: a meter that stops recording halfway
/// ```
/// use ghostload::{AnomalyInjector, AnomalyType, Error, GeneratorConfig, Injection, InjectionContext, Pipeline};
/// use ghostload::rng::StreamRng;
///
/// #[derive(Debug)]
/// struct StopsHalfway;
///
/// impl AnomalyInjector for StopsHalfway {
///     fn inject(&self, series: &mut [f64], _ctx: &InjectionContext<'_>, _rng: &mut StreamRng) -> Result<Injection, Error> {
///         let onset = series.len() / 2;
///         series[onset..].fill(0.0);
///         Ok(Injection::from_onset(AnomalyType::new("stopped_meter")?, onset, true))
///     }
/// }
///
/// let data = Pipeline::builder().config(GeneratorConfig::default()).without_builtin_anomalies().add_anomaly(StopsHalfway, 1.0).build()?.generate()?;
/// let label = &data.labels()[0];
/// assert_eq!(label.onset, 6);
/// assert!(data.series(label.meter_id).unwrap()[6..].iter().all(|&v| v == 0.0));
/// assert!(label.severity > 0.0);
/// # Ok::<(), ghostload::Error>(())
/// ```
pub trait AnomalyInjector: Debug + Send + Sync {
    /// Modifies `series` in place and describes the change.
    ///
    /// # Errors
    /// Whatever stops the injector from applying itself to this series
    /// (the built-in injectors validate their parameters in `new` and never
    /// fail). The pipeline stops and returns the error as it is.
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection>;
}

macro_rules! forward_injector {
    ($($ptr:ty),*) => {$(
        impl<T: AnomalyInjector + ?Sized> AnomalyInjector for $ptr {
            fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
                (**self).inject(series, ctx, rng)
            }
        }
    )*};
}
forward_injector!(&T, Box<T>, std::sync::Arc<T>);
