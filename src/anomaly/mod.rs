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
//! At the interval resolutions (daily, hourly, 15 minutes) the injectors act
//! on the interval readings: onsets fall at local midnight
//! ([`InjectionContext::draw_onset`]), durations count calendar months
//! ([`InjectionContext::draw_window`]), Jokar et al.'s h2 and h4–h6 work per
//! day as in the paper (per week at daily resolution), solar generation
//! follows the daylight hours. Each injector's documentation says how; the
//! monthly behaviour is unchanged.
//!
//! Jokar, Arianpoo & Leung, "Electricity Theft Detection in AMI Using
//! Customers' Consumption Patterns", IEEE Transactions on Smart Grid 7(1),
//! 216–226, 2016. `docs/anomalies.md` shows every type with a plot.

mod bypass;
mod constant_factor;
mod days;
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

use rand::Rng;

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

    /// Periods per day of the series: `None` at monthly resolution, `Some(1)`
    /// daily, `Some(24)` hourly, `Some(96)` at 15 minutes (the axis' value).
    #[must_use]
    pub fn intervals_per_day(&self) -> Option<usize> {
        self.axis.intervals_per_day()
    }

    /// The first period (local midnight) of the day that `period` falls in;
    /// `period` itself at monthly resolution.
    ///
    /// The axis starts at local midnight, so day `d` holds periods
    /// `d · ipd .. (d + 1) · ipd` with `ipd` = [`intervals_per_day`](Self::intervals_per_day).
    #[must_use]
    pub fn align_to_day(&self, period: usize) -> usize {
        match self.intervals_per_day() {
            Some(per_day) if per_day > 1 => period - period % per_day,
            _ => period,
        }
    }

    /// Draws an onset from [`onset`](Self::onset) for a series of `len`
    /// periods, at the start of a day at interval resolutions.
    ///
    /// At monthly resolution this is exactly [`OnsetWindow::onset`] (the same
    /// draw from `rng`). At interval resolutions the drawn period is moved
    /// back to the start of its day, or on to the start of the next day when
    /// that would leave fewer than `min_normal_periods` normal periods. Only
    /// when no day starts between `min_normal_periods` and the end of the
    /// series does the onset differ: the start of the last day when the
    /// series is not longer than `min_normal_periods` (the window's clamp),
    /// the drawn period itself otherwise (a window not counted in whole days).
    /// Each day is equally likely (the days of the pipeline's window, which
    /// counts whole months, are all whole).
    ///
    /// ```
    /// use ghostload::anomaly::OnsetWindow;
    /// use ghostload::{InjectionContext, Resolution, TimeAxis, YearMonth};
    /// # let data = ghostload::Pipeline::builder().config(ghostload::GeneratorConfig { num_meters: 10, num_transformers: 1, ..Default::default() }).build()?.generate()?;
    /// # let meter = &data.meters()[0];
    /// # let profile = ghostload::MeterProfile { class: meter.customer_class, baseline_kwh: 100.0, monthly_growth: 0.0 };
    /// let axis = TimeAxis::new(YearMonth::new(2024, 1)?, 2, Resolution::Hourly)?;
    /// let ctx = InjectionContext::new(meter, &profile, &axis).with_onset(OnsetWindow::new(31 * 24));
    /// let mut rng = rand_pcg::Pcg64Mcg::new(5);
    /// let onset = ctx.draw_onset(axis.len(), &mut rng);
    /// assert_eq!(onset % 24, 0); // local midnight
    /// assert!(onset >= 31 * 24 && onset < axis.len()); // in February
    /// # Ok::<(), ghostload::Error>(())
    /// ```
    pub fn draw_onset<R: Rng + ?Sized>(&self, len: usize, rng: &mut R) -> usize {
        let drawn = self.onset.onset(len, rng);
        let per_day = match self.intervals_per_day() {
            Some(per_day) if per_day > 1 => per_day,
            _ => return drawn,
        };
        let normal = self.onset.min_normal_periods();
        let start = drawn - drawn % per_day;
        if normal >= len {
            // Clamped window: the anomaly covers the last day.
            let last = len.saturating_sub(1);
            return last - last % per_day;
        }
        if start >= normal {
            return start;
        }
        // `start < normal <= drawn < start + per_day`: the next day, if any.
        match start.checked_add(per_day) {
            Some(next) if next < len => next,
            _ => drawn,
        }
    }

    /// Draws an event window for a series of `len` periods whose duration
    /// is `min_months ..= max_months` calendar months, returned as
    /// `(onset, end)` periods with `end < len`.
    ///
    /// At monthly resolution this is exactly [`OnsetWindow::window`] (the
    /// same draws). At interval resolutions the onset comes from
    /// [`draw_onset`](Self::draw_onset), the number of months `d` is drawn
    /// as there, and the window lasts [`months_to_periods`](Self::months_to_periods)`(onset, d)`
    /// periods, whole days, so it ends at the end of a day (or of the series).
    pub fn draw_window<R: Rng + ?Sized>(
        &self,
        len: usize,
        min_months: usize,
        max_months: usize,
        rng: &mut R,
    ) -> (usize, usize) {
        if self.intervals_per_day().is_none() {
            return self.onset.window(len, min_months, max_months, rng);
        }
        let onset = self.draw_onset(len, rng);
        let min_months = min_months.max(1);
        let months = rng.random_range(min_months..=max_months.max(min_months));
        let span = self.months_to_periods(onset, months).max(1);
        let end = onset.saturating_add(span - 1).min(len.saturating_sub(1));
        (onset, end)
    }

    /// How many periods `months` calendar months last from period `from`:
    /// `months` at monthly resolution; at interval resolutions the periods
    /// from the start of `from`'s month to the start of the month `months`
    /// later (whole days: e.g. 31 × 24 for one month from a January hour).
    /// Past the end of the axis a month counts 30.436875 days (the Gregorian mean).
    #[must_use]
    pub fn months_to_periods(&self, from: usize, months: usize) -> usize {
        let Some(per_day) = self.intervals_per_day() else {
            return months;
        };
        if from < self.axis.len() {
            let m = self.axis.month_index(from);
            let months = months.min(TimeAxis::MAX_PERIODS);
            self.axis.month_range(m + months).start - self.axis.month_range(m).start
        } else {
            (months as f64 * days::MEAN_MONTH_DAYS * per_day as f64).round() as usize
        }
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

/// An event's severity: the share of the `expected` energy that went
/// unbilled, `1 − reported / expected` (0 when nothing was expected).
pub(crate) fn unbilled_share(expected: f64, reported: f64) -> f64 {
    if expected > 0.0 { 1.0 - reported / expected } else { 0.0 }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, Streams};

    fn with_ctx<T>(
        resolution: Resolution,
        months: usize,
        normal: usize,
        f: impl FnOnce(&InjectionContext<'_>) -> T,
    ) -> T {
        let axis = TimeAxis::new(YearMonth::new(2024, 1).unwrap(), months, resolution).unwrap();
        let meter = Meter::blank();
        let profile = MeterProfile {
            class: CustomerClass::Residential,
            baseline_kwh: 1.0,
            monthly_growth: 0.0,
        };
        let ctx = InjectionContext::new(&meter, &profile, &axis).with_onset(OnsetWindow::new(normal));
        f(&ctx)
    }

    #[test]
    fn monthly_draws_are_the_onset_windows() {
        with_ctx(Resolution::Monthly, 24, 3, |ctx| {
            for seed in 0..50 {
                let mut a = Streams::new(seed).stream(Purpose::AnomalyInjection, 0);
                let mut b = a.clone();
                assert_eq!(ctx.draw_onset(24, &mut a), ctx.onset.onset(24, &mut b));
                assert_eq!(ctx.draw_window(24, 1, 6, &mut a), ctx.onset.window(24, 1, 6, &mut b));
                assert_eq!(a, b, "the same numbers consumed");
            }
            assert_eq!(ctx.align_to_day(17), 17);
            assert_eq!(ctx.months_to_periods(5, 3), 3);
        });
    }

    #[test]
    fn interval_onsets_fall_at_midnight_after_the_normal_periods() {
        for resolution in [Resolution::Daily, Resolution::Hourly, Resolution::FifteenMinutes] {
            let per_day = resolution.intervals_per_day().unwrap();
            // 3 hours (or days) normal, not a whole number of days at hourly resolution.
            with_ctx(resolution, 2, 3, |ctx| {
                let len = ctx.axis.len();
                let mut rng = Streams::new(1).stream(Purpose::AnomalyInjection, 0);
                for _ in 0..200 {
                    let onset = ctx.draw_onset(len, &mut rng);
                    assert!(
                        onset >= 3 && onset < len && onset % per_day == 0,
                        "{resolution}: {onset}"
                    );
                    let (start, end) = ctx.draw_window(len, 1, 2, &mut rng);
                    assert!(start % per_day == 0 && (end + 1) % per_day == 0 && end < len);
                    assert!(end - start < 60 * per_day);
                }
                assert_eq!(ctx.months_to_periods(0, 1), 31 * per_day);
                assert_eq!(ctx.months_to_periods(31 * per_day + 5, 1), 29 * per_day);
                assert_eq!(ctx.months_to_periods(0, 2), len);
                assert_eq!(
                    ctx.months_to_periods(len, 1),
                    (30.436875 * per_day as f64).round() as usize
                );
            });
            // More normal periods than the series: the last day.
            with_ctx(resolution, 1, 10_000, |ctx| {
                let len = ctx.axis.len();
                let mut rng = Streams::new(1).stream(Purpose::AnomalyInjection, 0);
                assert_eq!(ctx.draw_onset(len, &mut rng), len - per_day);
            });
        }
        with_ctx(Resolution::Hourly, 1, 0, |ctx| {
            assert_eq!(ctx.align_to_day(47), 24);
            assert_eq!(ctx.align_to_day(48), 48);
            // A window in the middle of the only day: the drawn hour itself.
            let ctx = ctx.with_onset(OnsetWindow::new(5));
            let mut rng = Streams::new(2).stream(Purpose::AnomalyInjection, 0);
            let onset = ctx.draw_onset(24, &mut rng);
            assert!((5..24).contains(&onset));
        });
    }
}
