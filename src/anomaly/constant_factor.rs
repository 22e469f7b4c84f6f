//! Jokar et al.'s attack h1: a constant under-reporting factor.

use super::params::{check_interval, scale_from, uniform};
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::ConfigError;
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// Attack **h1**: from the onset on, the meter reports a constant share α of
/// true consumption.
///
/// ```text
/// α ~ U[alpha_min, alpha_max), drawn once per meter
/// x'[t] = α · x[t]   for t ≥ onset;   x'[t] = x[t] before
/// ```
///
/// Parameters: `alpha_min` 0.1, `alpha_max` 0.8 (each 0 ..= 1, min ≤ max),
/// the paper's range. Onset: [`OnsetWindow`](super::OnsetWindow). Changes
/// total energy (severity ≈ `(1 − α)` × the share of energy after the onset).
/// Type `constant_factor`, theft.
///
/// Models a meter whose register has been slowed or a shunt that diverts a
/// fixed share of the load. Source: Jokar, Arianpoo & Leung, "Electricity
/// Theft Detection in AMI Using Customers' Consumption Patterns", IEEE Trans.
/// Smart Grid 7(1), 216–226, 2016, attack h1 (applied there to the whole day;
/// here from the onset on).
///
/// **At interval resolutions** the formula is applied to each reading, from
/// local midnight of the onset day ([`InjectionContext::draw_onset`]): the paper's h1 on every day from then on.
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, ConstantFactor};
/// let h1 = ConstantFactor::new(0.1, 0.8)?;
/// let mut series = vec![100.0; 12];
/// let inj = preview(&h1, &mut series, 3, 7)?;
/// assert!(inj.onset >= 3 && inj.is_theft);
/// let alpha = series[11] / 100.0;
/// assert!((0.1..=0.8).contains(&alpha));
/// assert!(series[inj.onset..].iter().all(|&v| (v - 100.0 * alpha).abs() < 1e-9));
/// assert_eq!(ConstantFactor::new(0.9, 0.1).unwrap_err().field(), "constant_factor.alpha_min");
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConstantFactor {
    alpha_min: f64,
    alpha_max: f64,
}

impl Default for ConstantFactor {
    /// α ~ U[0.1, 0.8), the paper's range.
    fn default() -> Self {
        ConstantFactor {
            alpha_min: 0.1,
            alpha_max: 0.8,
        }
    }
}

impl ConstantFactor {
    /// α drawn uniformly in `[alpha_min, alpha_max)` (each 0 ..= 1).
    ///
    /// # Errors
    /// [`ConfigError`] naming `constant_factor.alpha_min` or `constant_factor.alpha_max`.
    pub fn new(alpha_min: f64, alpha_max: f64) -> Result<Self, ConfigError> {
        check_interval(
            ("constant_factor.alpha_min", alpha_min),
            ("constant_factor.alpha_max", alpha_max),
            0.0,
            1.0,
            "0.0 ..= 1.0",
        )?;
        Ok(ConstantFactor { alpha_min, alpha_max })
    }

    /// Lowest α.
    #[must_use]
    pub fn alpha_min(&self) -> f64 {
        self.alpha_min
    }

    /// Highest α.
    #[must_use]
    pub fn alpha_max(&self) -> f64 {
        self.alpha_max
    }
}

impl AnomalyInjector for ConstantFactor {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let onset = ctx.draw_onset(series.len(), rng);
        let alpha = uniform(rng, self.alpha_min, self.alpha_max);
        scale_from(series, onset, alpha);
        Ok(Injection::from_onset(AnomalyType::CONSTANT_FACTOR, onset, true))
    }
}
