//! Short bursts of high consumption.

use super::params::{check_interval, check_periods, uniform};
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::ConfigError;
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// A short burst of high consumption: over a window of a few periods each
/// period is multiplied by its own factor.
///
/// ```text
/// d ~ U{min_periods ..= max_periods};  end = min(onset + d − 1, len − 1)
/// m_t ~ U[multiplier_min, multiplier_max), independently per period
/// x'[t] = m_t · x[t]   for onset ≤ t ≤ end;   x'[t] = x[t] otherwise
/// ```
///
/// Parameters: `multiplier_min` 2, `multiplier_max` 5 (1 ..= 100, min ≤
/// max), `min_periods` 1, `max_periods` 3 (judgement calls). Onset:
/// [`OnsetWindow`](super::OnsetWindow). Severity is negative (the meter
/// billed more than expected), so the band is Low. Type `high_consumption`
/// (the old loader's name), **not theft**: an anomaly a detector should flag
/// (a fault, an unreported load, a neighbour's illegal tap through this
/// meter) but not an under-reporting attack.
///
/// Source: the ghostload design's `spike` anomaly.
///
/// **At interval resolutions** the burst lasts `d` calendar months
/// ([`InjectionContext::draw_window`]: whole days from the onset day's
/// midnight), and the multiplier is drawn per day: every reading of a day is
/// multiplied by that day's `m_d`, so the daily load shape is kept and the
/// days vary as the months do at monthly resolution (a per-reading factor
/// would look like noise, not like a higher load).
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, Spike};
/// let mut series = vec![100.0; 12];
/// let inj = preview(&Spike::default(), &mut series, 3, 7)?;
/// let end = inj.end.unwrap();
/// assert!(series[inj.onset..=end].iter().all(|&v| (200.0..=500.0).contains(&v)));
/// assert!(!inj.is_theft);
/// assert_eq!(Spike::new(0.5, 5.0, 1, 3).unwrap_err().field(), "spike.multiplier_min");
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    multiplier_min: f64,
    multiplier_max: f64,
    min_periods: usize,
    max_periods: usize,
}

impl Default for Spike {
    /// Bursts of 1 to 3 periods at 2 to 5 times normal consumption.
    fn default() -> Self {
        Spike {
            multiplier_min: 2.0,
            multiplier_max: 5.0,
            min_periods: 1,
            max_periods: 3,
        }
    }
}

impl Spike {
    /// Bursts of `min_periods ..= max_periods` periods (1 ..= 1200) at
    /// `[multiplier_min, multiplier_max)` times normal (1 ..= 100).
    ///
    /// # Errors
    /// [`ConfigError`] naming the `spike.*` field at fault.
    pub fn new(
        multiplier_min: f64,
        multiplier_max: f64,
        min_periods: usize,
        max_periods: usize,
    ) -> Result<Self, ConfigError> {
        check_interval(
            ("spike.multiplier_min", multiplier_min),
            ("spike.multiplier_max", multiplier_max),
            1.0,
            100.0,
            "1.0 ..= 100.0",
        )?;
        check_periods(("spike.min_periods", min_periods), ("spike.max_periods", max_periods))?;
        Ok(Spike {
            multiplier_min,
            multiplier_max,
            min_periods,
            max_periods,
        })
    }

    /// Lowest multiplier.
    #[must_use]
    pub fn multiplier_min(&self) -> f64 {
        self.multiplier_min
    }

    /// Highest multiplier.
    #[must_use]
    pub fn multiplier_max(&self) -> f64 {
        self.multiplier_max
    }

    /// Shortest burst, periods.
    #[must_use]
    pub fn min_periods(&self) -> usize {
        self.min_periods
    }

    /// Longest burst, periods.
    #[must_use]
    pub fn max_periods(&self) -> usize {
        self.max_periods
    }
}

impl AnomalyInjector for Spike {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let (onset, end) = ctx.draw_window(series.len(), self.min_periods, self.max_periods, rng);
        let per_day = ctx.intervals_per_day().unwrap_or(1);
        let window = series.get_mut(onset..=end).unwrap_or_default();
        for day in window.chunks_mut(per_day) {
            let m = uniform(rng, self.multiplier_min, self.multiplier_max);
            for v in day {
                *v *= m;
            }
        }
        Ok(Injection::window(AnomalyType::HIGH_CONSUMPTION, onset, end, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::days::testkit::{INTERVALS, axis, readings, run};

    #[test]
    fn bursts_last_calendar_months_with_one_multiplier_per_day() {
        for resolution in INTERVALS {
            let a = axis(resolution, 8);
            let per_day = a.intervals_per_day().unwrap();
            let x = readings(&a);
            let mut y = x.clone();
            let inj = run(&Spike::new(2.0, 5.0, 2, 2).unwrap(), &a, &mut y, 1, 9);
            let end = inj.end.unwrap();
            let days = (end + 1 - inj.onset) / per_day;
            assert!((59..=62).contains(&days) || end == a.len() - 1, "{days}");
            for t in inj.onset..=end {
                let m = y[t] / x[t];
                let day_start = t - t % per_day;
                assert!((2.0 - 1e-9..5.0 + 1e-9).contains(&m));
                assert!(
                    (y[day_start] / x[day_start] - m).abs() < 1e-9,
                    "{resolution}: one multiplier per day"
                );
            }
            assert_eq!(&x[end + 1..], &y[end + 1..]);
        }
    }
}
