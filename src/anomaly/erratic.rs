//! An erratic pattern: the variance blows up.

use rand::Rng;
use rand_distr::StandardNormal;

use super::params::{check_interval, uniform};
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::ConfigError;
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// An erratic pattern: from the onset on, each period is multiplied by
/// independent noise, so the variance blows up while the level stays about
/// the same.
///
/// ```text
/// σ ~ U[sigma_min, sigma_max), drawn once per meter;  z_t ~ N(0, 1)
/// x'[t] = x[t] · max(0, 1 + σ · z_t)   for t ≥ onset;   x'[t] = x[t] before
/// ```
///
/// Parameters: `sigma_min` 0.4, `sigma_max` 1.0 (each 0 ..= 5, min ≤ max; a
/// judgement call: a normal meter's noise is about 0.1 to 0.3 of its
/// level). Onset: [`OnsetWindow`](super::OnsetWindow). Total energy changes
/// at random in either direction. Type `erratic_pattern` (the old loader's
/// name), **not theft**: a faulty meter or communication errors, or
/// intermittent tampering a detector should flag for inspection.
///
/// Source: the ghostload design's `erratic_pattern` anomaly.
///
/// **At interval resolutions** the formula is applied to each reading, from
/// local midnight of the onset day ([`InjectionContext::draw_onset`]), with its own `z_t` per reading (the noise largely averages out in the monthly sums).
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, ErraticPattern};
/// let mut series = vec![100.0; 12];
/// let inj = preview(&ErraticPattern::default(), &mut series, 3, 7)?;
/// assert!(series.iter().all(|&v| v >= 0.0));
/// assert!(series[..inj.onset].iter().all(|&v| v == 100.0));
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErraticPattern {
    sigma_min: f64,
    sigma_max: f64,
}

impl Default for ErraticPattern {
    /// σ ~ U[0.4, 1.0).
    fn default() -> Self {
        ErraticPattern {
            sigma_min: 0.4,
            sigma_max: 1.0,
        }
    }
}

impl ErraticPattern {
    /// Relative noise σ drawn in `[sigma_min, sigma_max)` (each 0 ..= 5).
    ///
    /// # Errors
    /// [`ConfigError`] naming `erratic_pattern.sigma_min` or `erratic_pattern.sigma_max`.
    pub fn new(sigma_min: f64, sigma_max: f64) -> Result<Self, ConfigError> {
        check_interval(
            ("erratic_pattern.sigma_min", sigma_min),
            ("erratic_pattern.sigma_max", sigma_max),
            0.0,
            5.0,
            "0.0 ..= 5.0",
        )?;
        Ok(ErraticPattern { sigma_min, sigma_max })
    }

    /// Lowest σ.
    #[must_use]
    pub fn sigma_min(&self) -> f64 {
        self.sigma_min
    }

    /// Highest σ.
    #[must_use]
    pub fn sigma_max(&self) -> f64 {
        self.sigma_max
    }
}

impl AnomalyInjector for ErraticPattern {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let onset = ctx.draw_onset(series.len(), rng);
        let sigma = uniform(rng, self.sigma_min, self.sigma_max);
        for v in series.iter_mut().skip(onset) {
            let z: f64 = rng.sample(StandardNormal);
            *v *= (1.0 + sigma * z).max(0.0);
        }
        Ok(Injection::from_onset(AnomalyType::ERRATIC_PATTERN, onset, false))
    }
}
