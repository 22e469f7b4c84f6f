//! A tampered meter that under-registers by a fixed share.

use super::params::{check_interval, scale_from, uniform};
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::ConfigError;
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// A tampered meter: from the onset on, it fails to register a fixed share
/// `s` of consumption.
///
/// ```text
/// s ~ U[share_min, share_max), drawn once per meter, then fixed
/// x'[t] = (1 − s) · x[t]   for t ≥ onset;   x'[t] = x[t] before
/// ```
///
/// Parameters: `share_min` 0.2, `share_max` 0.5 (each 0 ..= 1, min ≤ max; a
/// judgement call: enough to matter, little enough not to stand out at
/// once). Onset: [`OnsetWindow`](super::OnsetWindow). Changes total energy;
/// mostly Low and Medium risk. Type `tampered_meter`, theft.
///
/// Models a meter opened and adjusted (a magnet, a damaged disc, a broken
/// current coil, one phase disconnected on a polyphase meter), a case
/// commonly reported by utilities. The formula is h1's with a milder range.
///
/// **At interval resolutions** the formula is applied to each reading, from
/// local midnight of the onset day ([`InjectionContext::draw_onset`]).
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, TamperedMeter};
/// let mut series = vec![100.0; 12];
/// let inj = preview(&TamperedMeter::new(0.25, 0.25)?, &mut series, 3, 7)?;
/// assert!(series[inj.onset..].iter().all(|&v| (v - 75.0).abs() < 1e-9));
/// assert_eq!(TamperedMeter::new(0.5, 0.2).unwrap_err().field(), "tampered_meter.share_min");
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TamperedMeter {
    share_min: f64,
    share_max: f64,
}

impl Default for TamperedMeter {
    /// s ~ U[0.2, 0.5).
    fn default() -> Self {
        TamperedMeter {
            share_min: 0.2,
            share_max: 0.5,
        }
    }
}

impl TamperedMeter {
    /// An unregistered share drawn in `[share_min, share_max)` (each 0 ..= 1).
    ///
    /// # Errors
    /// [`ConfigError`] naming `tampered_meter.share_min` or `tampered_meter.share_max`.
    pub fn new(share_min: f64, share_max: f64) -> Result<Self, ConfigError> {
        check_interval(
            ("tampered_meter.share_min", share_min),
            ("tampered_meter.share_max", share_max),
            0.0,
            1.0,
            "0.0 ..= 1.0",
        )?;
        Ok(TamperedMeter { share_min, share_max })
    }

    /// Lowest unregistered share.
    #[must_use]
    pub fn share_min(&self) -> f64 {
        self.share_min
    }

    /// Highest unregistered share.
    #[must_use]
    pub fn share_max(&self) -> f64 {
        self.share_max
    }
}

impl AnomalyInjector for TamperedMeter {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let onset = ctx.draw_onset(series.len(), rng);
        let keep = 1.0 - uniform(rng, self.share_min, self.share_max);
        scale_from(series, onset, keep);
        Ok(Injection::from_onset(AnomalyType::TAMPERED_METER, onset, true))
    }
}
