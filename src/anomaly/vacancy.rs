//! Benign: a vacant home (near-zero months).

use super::params::{check_interval, check_periods, uniform};
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::ConfigError;
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// **Benign look-alike**: the premises stand empty for a few periods;
/// consumption falls to standby load, then recovers.
///
/// ```text
/// d ~ U{min_periods ..= max_periods};  end = min(onset + d − 1, len − 1)
/// ε ~ U[residual_min, residual_max), drawn once
/// x'[t] = ε · x[t]   for onset ≤ t ≤ end;   x'[t] = x[t] otherwise
/// ```
///
/// Parameters: `min_periods` 2, `max_periods` 6, `residual_min` 0.0,
/// `residual_max` 0.05 (judgement calls). Onset: [`OnsetWindow`](super::OnsetWindow).
/// Type `vacancy`, not theft; never in the anomaly labels.
///
/// Looks like h2 (zero readings) to a detector; a false-positive trap
/// commonly reported by utilities (seasonal homes, tenants moving out).
///
/// **At interval resolutions** the vacancy lasts `d` calendar months of
/// whole days ([`InjectionContext::draw_window`]: from the onset day's
/// midnight to the end of a day), every reading at `ε` of its normal value
/// (near zero, the standby load keeping the daily shape).
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, Vacancy};
/// let mut series = vec![100.0; 12];
/// let inj = preview(&Vacancy::default(), &mut series, 3, 7)?;
/// let end = inj.end.unwrap();
/// assert!(series[inj.onset..=end].iter().all(|&v| v <= 5.0));
/// assert!(!inj.is_theft);
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vacancy {
    min_periods: usize,
    max_periods: usize,
    residual_min: f64,
    residual_max: f64,
}

impl Default for Vacancy {
    /// 2 to 6 periods at 0 to 5 % of normal consumption.
    fn default() -> Self {
        Vacancy {
            min_periods: 2,
            max_periods: 6,
            residual_min: 0.0,
            residual_max: 0.05,
        }
    }
}

impl Vacancy {
    /// Vacancies of `min_periods ..= max_periods` periods (1 ..= 1200) at a
    /// residual share in `[residual_min, residual_max)` (each 0 ..= 1).
    ///
    /// # Errors
    /// [`ConfigError`] naming the `vacancy.*` field at fault.
    pub fn new(
        min_periods: usize,
        max_periods: usize,
        residual_min: f64,
        residual_max: f64,
    ) -> Result<Self, ConfigError> {
        check_periods(
            ("vacancy.min_periods", min_periods),
            ("vacancy.max_periods", max_periods),
        )?;
        check_interval(
            ("vacancy.residual_min", residual_min),
            ("vacancy.residual_max", residual_max),
            0.0,
            1.0,
            "0.0 ..= 1.0",
        )?;
        Ok(Vacancy {
            min_periods,
            max_periods,
            residual_min,
            residual_max,
        })
    }

    /// Shortest vacancy, periods.
    #[must_use]
    pub fn min_periods(&self) -> usize {
        self.min_periods
    }

    /// Longest vacancy, periods.
    #[must_use]
    pub fn max_periods(&self) -> usize {
        self.max_periods
    }

    /// Lowest residual share.
    #[must_use]
    pub fn residual_min(&self) -> f64 {
        self.residual_min
    }

    /// Highest residual share.
    #[must_use]
    pub fn residual_max(&self) -> f64 {
        self.residual_max
    }
}

impl AnomalyInjector for Vacancy {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let (onset, end) = ctx.draw_window(series.len(), self.min_periods, self.max_periods, rng);
        let eps = uniform(rng, self.residual_min, self.residual_max);
        for v in series.iter_mut().take(end + 1).skip(onset) {
            *v *= eps;
        }
        Ok(Injection::window(AnomalyType::VACANCY, onset, end, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::days::testkit::{INTERVALS, axis, readings, run};

    #[test]
    fn vacancies_are_whole_near_zero_days() {
        for resolution in INTERVALS {
            let a = axis(resolution, 12);
            let per_day = a.intervals_per_day().unwrap();
            let x = readings(&a);
            let mut y = x.clone();
            let inj = run(&Vacancy::default(), &a, &mut y, 3, 12);
            let end = inj.end.unwrap();
            let days = (end + 1 - inj.onset) / per_day;
            assert!((59..=184).contains(&days) || end == a.len() - 1, "{days}");
            assert!((inj.onset..=end).all(|t| y[t] <= 0.05 * x[t]), "{resolution}");
            assert_eq!(&x[end + 1..], &y[end + 1..]);
        }
    }
}
