//! Jokar et al.'s attack h4: a random factor times the meter's mean.

use super::days::pattern_unit;
use super::params::{check_interval, mean, uniform};
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::ConfigError;
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// Attack **h4**: from the onset on, each period reports a random share of
/// the meter's *mean* consumption, hiding the shape of the true series.
///
/// ```text
/// x̄ = mean of x over the whole (true) series
/// α_t ~ U[alpha_min, alpha_max), independently for each period t ≥ onset
/// x'[t] = α_t · x̄   for t ≥ onset;   x'[t] = x[t] before
/// ```
///
/// Parameters: `alpha_min` 0.1, `alpha_max` 0.8 (each 0 ..= 1, min ≤ max),
/// the paper's range. Onset: [`OnsetWindow`](super::OnsetWindow). Changes
/// total energy. Type `random_mean_factor`, theft.
///
/// Models a manipulated meter that reports a plausible but low figure
/// unrelated to actual use. Source: Jokar, Arianpoo & Leung, IEEE Trans.
/// Smart Grid 7(1), 2016, attack h4 (mean of the day there; of the series here).
///
/// **At interval resolutions** the mean is the paper's: at hourly and
/// 15-minute resolutions each day from the onset day on reports
/// `α_t · x̄_d`, with `x̄_d` that day's true mean reading and a fresh `α_t`
/// per reading. At daily resolution a day has one reading (its "mean" would
/// make this h3), so the unit is the week: 7-day blocks from the onset day
/// (the last one possibly shorter), each reporting `α_t` times its own mean.
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, RandomMeanFactor};
/// let h4 = RandomMeanFactor::default();
/// let mut series: Vec<f64> = (0..12).map(|t| 50.0 + 10.0 * t as f64).collect(); // mean 105
/// let inj = preview(&h4, &mut series, 3, 7)?;
/// assert!(series[inj.onset..].iter().all(|&v| (10.5 - 1e-9..=84.0 + 1e-9).contains(&v)));
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomMeanFactor {
    alpha_min: f64,
    alpha_max: f64,
}

impl Default for RandomMeanFactor {
    /// α_t ~ U[0.1, 0.8), the paper's range.
    fn default() -> Self {
        RandomMeanFactor {
            alpha_min: 0.1,
            alpha_max: 0.8,
        }
    }
}

impl RandomMeanFactor {
    /// α_t drawn uniformly in `[alpha_min, alpha_max)` (each 0 ..= 1).
    ///
    /// # Errors
    /// [`ConfigError`] naming `random_mean_factor.alpha_min` or `random_mean_factor.alpha_max`.
    pub fn new(alpha_min: f64, alpha_max: f64) -> Result<Self, ConfigError> {
        check_interval(
            ("random_mean_factor.alpha_min", alpha_min),
            ("random_mean_factor.alpha_max", alpha_max),
            0.0,
            1.0,
            "0.0 ..= 1.0",
        )?;
        Ok(RandomMeanFactor { alpha_min, alpha_max })
    }

    /// Lowest α_t.
    #[must_use]
    pub fn alpha_min(&self) -> f64 {
        self.alpha_min
    }

    /// Highest α_t.
    #[must_use]
    pub fn alpha_max(&self) -> f64 {
        self.alpha_max
    }
}

impl AnomalyInjector for RandomMeanFactor {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let onset = ctx.draw_onset(series.len(), rng);
        match pattern_unit(ctx) {
            None => {
                let m = mean(series);
                for v in series.iter_mut().skip(onset) {
                    *v = uniform(rng, self.alpha_min, self.alpha_max) * m;
                }
            }
            Some(unit) => {
                let tail = series.get_mut(onset..).unwrap_or_default();
                for block in tail.chunks_mut(unit) {
                    let m = mean(block);
                    for v in block {
                        *v = uniform(rng, self.alpha_min, self.alpha_max) * m;
                    }
                }
            }
        }
        Ok(Injection::from_onset(AnomalyType::RANDOM_MEAN_FACTOR, onset, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::days::testkit::each_unit;
    use crate::anomaly::params::mean;

    #[test]
    fn each_day_reports_shares_of_its_own_mean() {
        each_unit(&RandomMeanFactor::new(0.3, 0.6).unwrap(), 3, |before, after, _| {
            let m = mean(before);
            assert!(after.iter().all(|v| (0.3 * m - 1e-12..=0.6 * m + 1e-12).contains(v)));
        });
    }
}
