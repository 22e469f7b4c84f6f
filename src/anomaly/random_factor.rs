//! Jokar et al.'s attack h3: a random under-reporting factor per period.

use super::params::{check_interval, uniform};
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::ConfigError;
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// Attack **h3**: from the onset on, each period reports its own random share
/// of true consumption.
///
/// ```text
/// α_t ~ U[alpha_min, alpha_max), independently for each period t ≥ onset
/// x'[t] = α_t · x[t]   for t ≥ onset;   x'[t] = x[t] before
/// ```
///
/// Parameters: `alpha_min` 0.1, `alpha_max` 0.8 (each 0 ..= 1, min ≤ max),
/// the paper's range. Onset: [`OnsetWindow`](super::OnsetWindow). Changes
/// total energy. Type `random_factor`, theft.
///
/// Models an intermittent tamper (a shunt switched on and off, a meter
/// slowed by a varying amount), harder to spot than a constant factor.
/// Source: Jokar, Arianpoo & Leung, IEEE Trans. Smart Grid 7(1), 2016, attack h3.
///
/// **At interval resolutions** the formula is applied to each reading, from
/// local midnight of the onset day ([`InjectionContext::draw_onset`]), a fresh `α_t` per reading: the paper's h3 on every day from then on.
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, RandomFactor};
/// let h3 = RandomFactor::default();
/// let mut series = vec![100.0; 12];
/// let inj = preview(&h3, &mut series, 3, 7)?;
/// assert!(series[inj.onset..].iter().all(|&v| (10.0..=80.0).contains(&v)));
/// assert!(series[..inj.onset].iter().all(|&v| v == 100.0));
/// assert_eq!(RandomFactor::new(0.1, 1.5).unwrap_err().field(), "random_factor.alpha_max");
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomFactor {
    alpha_min: f64,
    alpha_max: f64,
}

impl Default for RandomFactor {
    /// α_t ~ U[0.1, 0.8), the paper's range.
    fn default() -> Self {
        RandomFactor {
            alpha_min: 0.1,
            alpha_max: 0.8,
        }
    }
}

impl RandomFactor {
    /// α_t drawn uniformly in `[alpha_min, alpha_max)` (each 0 ..= 1).
    ///
    /// # Errors
    /// [`ConfigError`] naming `random_factor.alpha_min` or `random_factor.alpha_max`.
    pub fn new(alpha_min: f64, alpha_max: f64) -> Result<Self, ConfigError> {
        check_interval(
            ("random_factor.alpha_min", alpha_min),
            ("random_factor.alpha_max", alpha_max),
            0.0,
            1.0,
            "0.0 ..= 1.0",
        )?;
        Ok(RandomFactor { alpha_min, alpha_max })
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

impl AnomalyInjector for RandomFactor {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let onset = ctx.draw_onset(series.len(), rng);
        for v in series.iter_mut().skip(onset) {
            *v *= uniform(rng, self.alpha_min, self.alpha_max);
        }
        Ok(Injection::from_onset(AnomalyType::RANDOM_FACTOR, onset, true))
    }
}
