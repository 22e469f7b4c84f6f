//! Benign: a temporary supply outage.

use super::params::{check_interval, check_periods, uniform};
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::ConfigError;
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// **Benign look-alike**: a supply outage (a storm, a transformer failure)
/// cuts part of one or two periods' consumption.
///
/// ```text
/// d ~ U{min_periods ..= max_periods};  end = min(onset + d − 1, len − 1)
/// r_t ~ U[retained_min, retained_max), independently per period
/// x'[t] = r_t · x[t]   for onset ≤ t ≤ end;   x'[t] = x[t] otherwise
/// ```
///
/// Parameters: `min_periods` 1, `max_periods` 2, `retained_min` 0.0,
/// `retained_max` 0.7 (judgement calls: an outage of days to weeks in a
/// monthly period). Onset: [`OnsetWindow`](super::OnsetWindow). Type
/// `outage`, not theft; never in the anomaly labels.
///
/// **At interval resolutions** an outage is what it is on the ground: whole
/// days without supply, every reading 0. The window of `d` calendar months
/// is drawn as at monthly resolution ([`InjectionContext::draw_window`],
/// from the onset day's midnight), then one retained share `r` for the
/// window, and the outage takes the first `max(1, round((1 − r) · D))` of
/// its `D` days: the energy lost matches the monthly model's on average
/// (a share `1 − r` of the window), in one run of dead days. The event ends
/// at the end of the last dead day.
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, Outage};
/// let mut series = vec![100.0; 12];
/// let inj = preview(&Outage::default(), &mut series, 3, 7)?;
/// let end = inj.end.unwrap();
/// assert!(end - inj.onset < 2 && series[inj.onset..=end].iter().all(|&v| v <= 70.0));
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outage {
    min_periods: usize,
    max_periods: usize,
    retained_min: f64,
    retained_max: f64,
}

impl Default for Outage {
    /// 1 or 2 periods keeping 0 to 70 % of normal consumption.
    fn default() -> Self {
        Outage {
            min_periods: 1,
            max_periods: 2,
            retained_min: 0.0,
            retained_max: 0.7,
        }
    }
}

impl Outage {
    /// Outages over `min_periods ..= max_periods` periods (1 ..= 1200)
    /// keeping a share in `[retained_min, retained_max)` of consumption (0 ..= 1).
    ///
    /// # Errors
    /// [`ConfigError`] naming the `outage.*` field at fault.
    pub fn new(
        min_periods: usize,
        max_periods: usize,
        retained_min: f64,
        retained_max: f64,
    ) -> Result<Self, ConfigError> {
        check_periods(("outage.min_periods", min_periods), ("outage.max_periods", max_periods))?;
        check_interval(
            ("outage.retained_min", retained_min),
            ("outage.retained_max", retained_max),
            0.0,
            1.0,
            "0.0 ..= 1.0",
        )?;
        Ok(Outage {
            min_periods,
            max_periods,
            retained_min,
            retained_max,
        })
    }

    /// Fewest periods affected.
    #[must_use]
    pub fn min_periods(&self) -> usize {
        self.min_periods
    }

    /// Most periods affected.
    #[must_use]
    pub fn max_periods(&self) -> usize {
        self.max_periods
    }

    /// Lowest retained share.
    #[must_use]
    pub fn retained_min(&self) -> f64 {
        self.retained_min
    }

    /// Highest retained share.
    #[must_use]
    pub fn retained_max(&self) -> f64 {
        self.retained_max
    }
}

impl AnomalyInjector for Outage {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let (onset, end) = ctx.draw_window(series.len(), self.min_periods, self.max_periods, rng);
        let Some(per_day) = ctx.intervals_per_day() else {
            for v in series.iter_mut().take(end + 1).skip(onset) {
                *v *= uniform(rng, self.retained_min, self.retained_max);
            }
            return Ok(Injection::window(AnomalyType::OUTAGE, onset, end, false));
        };
        let retained = uniform(rng, self.retained_min, self.retained_max);
        let per_day = per_day.max(1);
        let days = (end - onset) / per_day + 1;
        let dead = (((1.0 - retained) * days as f64).round() as usize).clamp(1, days);
        let end = onset.saturating_add(dead * per_day - 1).min(end);
        if let Some(window) = series.get_mut(onset..=end) {
            window.fill(0.0);
        }
        Ok(Injection::window(AnomalyType::OUTAGE, onset, end, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::days::testkit::{INTERVALS, axis, readings, run};

    #[test]
    fn outages_are_whole_dead_days() {
        for resolution in INTERVALS {
            let a = axis(resolution, 6);
            let per_day = a.intervals_per_day().unwrap();
            for seed in 0..10 {
                let x = readings(&a);
                let mut y = x.clone();
                let inj = run(&Outage::default(), &a, &mut y, 2, seed);
                let end = inj.end.unwrap();
                assert!(y[inj.onset..=end].iter().all(|&v| v == 0.0), "{resolution}");
                assert!(y[..inj.onset].iter().chain(&y[end + 1..]).all(|&v| v > 0.0));
                // At most two months; at least a day.
                let days = (end + 1 - inj.onset) / per_day;
                assert!((1..=62).contains(&days), "{days}");
            }
        }
    }
}
