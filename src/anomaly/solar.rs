//! Benign: rooftop solar installed.

use super::params::{check_interval, scale_from, uniform};
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::ConfigError;
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// **Benign look-alike**: rooftop solar installed behind the meter; net
/// consumption drops from the installation on and stays down.
///
/// ```text
/// s ~ U[share_min, share_max), drawn once (the share covered by solar)
/// x'[t] = (1 − s) · x[t]   for t ≥ onset;   x'[t] = x[t] before
/// ```
///
/// Parameters: `share_min` 0.3, `share_max` 0.7 (each 0 ..= 1, min ≤ max; a
/// judgement call for a residential system sized to part of the load).
/// Onset: [`OnsetWindow`](super::OnsetWindow). Type `solar_install`, not
/// theft; never in the anomaly labels.
///
/// The same formula as h1 (constant factor) or a tampered meter: the
/// hardest false-positive trap, only separable with outside information.
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, SolarInstall};
/// let mut series = vec![100.0; 12];
/// let inj = preview(&SolarInstall::default(), &mut series, 3, 7)?;
/// assert!(series[inj.onset..].iter().all(|&v| (30.0..=70.0).contains(&v)));
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolarInstall {
    share_min: f64,
    share_max: f64,
}

impl Default for SolarInstall {
    /// s ~ U[0.3, 0.7).
    fn default() -> Self {
        SolarInstall {
            share_min: 0.3,
            share_max: 0.7,
        }
    }
}

impl SolarInstall {
    /// A solar share drawn in `[share_min, share_max)` (each 0 ..= 1).
    ///
    /// # Errors
    /// [`ConfigError`] naming `solar_install.share_min` or `solar_install.share_max`.
    pub fn new(share_min: f64, share_max: f64) -> Result<Self, ConfigError> {
        check_interval(
            ("solar_install.share_min", share_min),
            ("solar_install.share_max", share_max),
            0.0,
            1.0,
            "0.0 ..= 1.0",
        )?;
        Ok(SolarInstall { share_min, share_max })
    }

    /// Lowest solar share.
    #[must_use]
    pub fn share_min(&self) -> f64 {
        self.share_min
    }

    /// Highest solar share.
    #[must_use]
    pub fn share_max(&self) -> f64 {
        self.share_max
    }
}

impl AnomalyInjector for SolarInstall {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let onset = ctx.onset.onset(series.len(), rng);
        let keep = 1.0 - uniform(rng, self.share_min, self.share_max);
        scale_from(series, onset, keep);
        Ok(Injection::from_onset(AnomalyType::SOLAR_INSTALL, onset, false))
    }
}
