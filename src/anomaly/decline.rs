//! The design's default anomaly: a gradual low-consumption decline.

use super::days::for_each_month_position;
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::ConfigError;
use crate::error::Result;
use crate::error::check_range;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// Under-reporting that starts at a fraction of true consumption and sinks
/// steadily: period `t` (0-based) of a `T`-period series reports
///
/// ```text
/// x'[t] = x[t] · f(t),   f(t) = start − (start − end) · (t + 1) / T
/// ```
///
/// With the design's values (`start` 0.3, `end` 0.1) this is its
/// `0.3 − 0.2 · month / T` for months 1..T: the meter reports 28 % of true
/// consumption in the first month and 10 % in the last. It models a meter
/// being tampered with ever more boldly. Type `low_consumption`, theft.
///
/// **At interval resolutions** the factor follows calendar time, smoothly:
/// `(t + 1) / T` becomes the months elapsed at the end of interval `t` over
/// the months of the series (`m + k / n` for the `k`-th of the `n` intervals
/// of month `m`), so the factor reaches the monthly value at the end of each
/// month and `end` at the last interval, without monthly steps.
///
/// ```
/// use ghostload::GradualDecline;
/// assert!(GradualDecline::new(0.3, 0.1).is_ok());
/// assert!(GradualDecline::new(1.3, 0.1).is_err());
/// assert_eq!(GradualDecline::default(), GradualDecline::new(0.3, 0.1)?);
/// # Ok::<(), ghostload::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradualDecline {
    start: f64,
    end: f64,
}

impl Default for GradualDecline {
    /// [`GradualDecline::DESIGN`].
    fn default() -> Self {
        Self::DESIGN
    }
}

impl GradualDecline {
    /// The design's decline, from 0.3 to 0.1 of true consumption.
    pub const DESIGN: GradualDecline = GradualDecline { start: 0.3, end: 0.1 };

    /// A decline from factor `start` to factor `end` (each 0 ..= 1).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `low_consumption.start` or `low_consumption.end`.
    pub fn new(start: f64, end: f64) -> Result<Self, ConfigError> {
        check_range("low_consumption.start", start, 0.0, 1.0, "0.0 ..= 1.0")?;
        check_range("low_consumption.end", end, 0.0, 1.0, "0.0 ..= 1.0")?;
        Ok(GradualDecline { start, end })
    }

    /// The factor applied in period `t` of a series of `len` periods.
    #[must_use]
    pub fn factor(&self, t: usize, len: usize) -> f64 {
        self.start - (self.start - self.end) * (t + 1) as f64 / len as f64
    }
}

impl AnomalyInjector for GradualDecline {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, _rng: &mut StreamRng) -> Result<Injection> {
        let len = series.len();
        if ctx.intervals_per_day().is_none() {
            for (t, v) in series.iter_mut().enumerate() {
                *v *= self.factor(t, len);
            }
        } else {
            let mut total = 0.0;
            for_each_month_position(ctx.axis, len.saturating_sub(1), len, |_, m| total = m);
            for_each_month_position(ctx.axis, 0, len, |t, m| {
                series[t] *= self.start - (self.start - self.end) * m / total;
            });
        }
        Ok(Injection {
            anomaly_type: AnomalyType::LOW_CONSUMPTION,
            onset: 0,
            end: None,
            is_theft: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_runs_from_start_to_end() {
        let d = GradualDecline::default();
        assert!((d.factor(0, 10) - 0.28).abs() < 1e-12);
        assert!((d.factor(9, 10) - 0.1).abs() < 1e-12);
        assert!((0..9).all(|t| d.factor(t + 1, 10) < d.factor(t, 10)));
    }

    #[test]
    fn rejects_factors_out_of_range() {
        assert_eq!(
            GradualDecline::new(0.3, -0.1).unwrap_err().field(),
            "low_consumption.end"
        );
        assert_eq!(
            GradualDecline::new(f64::NAN, 0.1).unwrap_err().field(),
            "low_consumption.start"
        );
    }

    #[test]
    fn interval_decline_meets_the_monthly_factor_at_each_month_end() {
        use crate::anomaly::days::testkit::{INTERVALS, axis, run};
        for resolution in INTERVALS {
            let a = axis(resolution, 12);
            let mut y = vec![1.0; a.len()];
            let d = GradualDecline::default();
            let inj = run(&d, &a, &mut y, 3, 1);
            assert_eq!(inj.onset, 0);
            assert!(y.windows(2).all(|w| w[1] < w[0]), "{resolution}: smooth decline");
            for m in 0..12 {
                let last = a.month_range(m).end - 1;
                assert!((y[last] - d.factor(m, 12)).abs() < 1e-12, "{resolution} month {m}");
            }
            assert!((y[a.len() - 1] - 0.1).abs() < 1e-12);
        }
    }
}
