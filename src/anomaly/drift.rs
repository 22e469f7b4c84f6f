//! Slow multiplicative meter drift.

use super::days::{for_each_month_position, month_position};
use super::params::{check_interval, uniform};
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::ConfigError;
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// A meter whose accuracy drifts: from the onset on, each period registers a
/// constant fraction `r` less than the one before.
///
/// ```text
/// r ~ U[rate_min, rate_max), drawn once per meter
/// x'[t] = x[t] · (1 − r)^(t − onset + 1)   for t ≥ onset;   x'[t] = x[t] before
/// ```
///
/// Parameters: `rate_min` 0.01, `rate_max` 0.05 per period (each −0.5 ..=
/// 0.5, min ≤ max; a negative rate over-registers). The default range is a
/// judgement call: after a year at 3 % per month a meter registers about
/// 70 % of true consumption. Onset: [`OnsetWindow`](super::OnsetWindow).
/// Changes total energy. Type `meter_drift`, **not theft** (a fault: ageing
/// electromechanical meters commonly run slow).
///
/// Source: the ghostload design's `drift` anomaly.
///
/// **At interval resolutions** the rate stays a rate per month of calendar
/// time and the drift is smooth: interval `t` is multiplied by
/// `(1 − r)^(months from the onset to the end of t)` (fractional months:
/// `m + k / n` for the `k`-th of the `n` intervals of month `m`), so after
/// a year the meter registers what it registers after twelve monthly periods.
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, MeterDrift};
/// let mut series = vec![100.0; 12];
/// let inj = preview(&MeterDrift::new(0.02, 0.02)?, &mut series, 3, 7)?;
/// let t = inj.onset;
/// assert!((series[t] - 98.0).abs() < 1e-9);
/// assert!(series[t..].windows(2).all(|w| (w[1] / w[0] - 0.98).abs() < 1e-9));
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterDrift {
    rate_min: f64,
    rate_max: f64,
}

impl Default for MeterDrift {
    /// 1 % to 5 % less per period.
    fn default() -> Self {
        MeterDrift {
            rate_min: 0.01,
            rate_max: 0.05,
        }
    }
}

impl MeterDrift {
    /// A drift rate drawn in `[rate_min, rate_max)` (each −0.5 ..= 0.5).
    ///
    /// # Errors
    /// [`ConfigError`] naming `meter_drift.rate_min` or `meter_drift.rate_max`.
    pub fn new(rate_min: f64, rate_max: f64) -> Result<Self, ConfigError> {
        check_interval(
            ("meter_drift.rate_min", rate_min),
            ("meter_drift.rate_max", rate_max),
            -0.5,
            0.5,
            "-0.5 ..= 0.5",
        )?;
        Ok(MeterDrift { rate_min, rate_max })
    }

    /// Lowest rate per period.
    #[must_use]
    pub fn rate_min(&self) -> f64 {
        self.rate_min
    }

    /// Highest rate per period.
    #[must_use]
    pub fn rate_max(&self) -> f64 {
        self.rate_max
    }
}

impl AnomalyInjector for MeterDrift {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let onset = ctx.draw_onset(series.len(), rng);
        let keep = 1.0 - uniform(rng, self.rate_min, self.rate_max);
        if ctx.intervals_per_day().is_none() {
            let mut factor = 1.0;
            for v in series.iter_mut().skip(onset) {
                factor *= keep;
                *v *= factor;
            }
        } else {
            let start = month_position(ctx.axis, onset);
            for_each_month_position(ctx.axis, onset, series.len(), |t, m| {
                series[t] *= keep.powf(m - start);
            });
        }
        Ok(Injection::from_onset(AnomalyType::METER_DRIFT, onset, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::days::testkit::{INTERVALS, axis, run};

    #[test]
    fn drift_compounds_per_calendar_month() {
        for resolution in INTERVALS {
            let a = axis(resolution, 12);
            let mut y = vec![1.0; a.len()];
            let inj = run(&MeterDrift::new(0.03, 0.03).unwrap(), &a, &mut y, 0, 1);
            let from = inj.onset;
            // Smooth and decreasing; (1 − r) per month of calendar time.
            assert!(y[from..].windows(2).all(|w| w[1] < w[0]));
            let m = a.month_index(from);
            let range = a.month_range(m);
            let start = m as f64 + (from - range.start) as f64 / range.len() as f64;
            for k in m..12 {
                let last = a.month_range(k).end - 1;
                let expected = 0.97f64.powf(k as f64 + 1.0 - start);
                assert!(
                    (y[last] - expected).abs() < 1e-9,
                    "{resolution}: month {k}: {}",
                    y[last]
                );
            }
        }
    }
}
