//! A sudden drop that persists: the meter is bypassed from an onset date.

use super::params::{check_interval, scale_from, uniform};
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::ConfigError;
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// A meter bypass: from the onset on, consumption drops suddenly to a small
/// residual share β of its true value and stays there.
///
/// ```text
/// β ~ U[residual_min, residual_max), drawn once per meter
/// x'[t] = β · x[t]   for t ≥ onset;   x'[t] = x[t] before
/// ```
///
/// Parameters: `residual_min` 0.0, `residual_max` 0.2 (each 0 ..= 1, min ≤
/// max; a judgement call: the loads left on the meter so that it does not
/// read zero). Onset: [`OnsetWindow`](super::OnsetWindow). Changes total
/// energy; usually High risk. Type `meter_bypass`, theft.
///
/// Models a jumper around the meter or a direct tap on the service drop
/// installed on a given date, a case commonly reported by distribution
/// utilities' loss-reduction teams; it differs from h1 by its abrupt, deep
/// drop.
///
/// **At interval resolutions** the formula is applied to each reading, from
/// local midnight of the onset day ([`InjectionContext::draw_onset`]).
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, MeterBypass};
/// let mut series = vec![100.0; 12];
/// let inj = preview(&MeterBypass::default(), &mut series, 3, 7)?;
/// assert!(series[inj.onset..].iter().all(|&v| v <= 20.0));
/// assert!(series[..inj.onset].iter().all(|&v| v == 100.0));
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterBypass {
    residual_min: f64,
    residual_max: f64,
}

impl Default for MeterBypass {
    /// β ~ U[0.0, 0.2).
    fn default() -> Self {
        MeterBypass {
            residual_min: 0.0,
            residual_max: 0.2,
        }
    }
}

impl MeterBypass {
    /// A residual share drawn in `[residual_min, residual_max)` (each 0 ..= 1).
    ///
    /// # Errors
    /// [`ConfigError`] naming `meter_bypass.residual_min` or `meter_bypass.residual_max`.
    pub fn new(residual_min: f64, residual_max: f64) -> Result<Self, ConfigError> {
        check_interval(
            ("meter_bypass.residual_min", residual_min),
            ("meter_bypass.residual_max", residual_max),
            0.0,
            1.0,
            "0.0 ..= 1.0",
        )?;
        Ok(MeterBypass {
            residual_min,
            residual_max,
        })
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

impl AnomalyInjector for MeterBypass {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let onset = ctx.draw_onset(series.len(), rng);
        let beta = uniform(rng, self.residual_min, self.residual_max);
        scale_from(series, onset, beta);
        Ok(Injection::from_onset(AnomalyType::METER_BYPASS, onset, true))
    }
}
