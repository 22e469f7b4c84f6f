//! A stuck meter: the same reading every period.

use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// A stuck meter: from the onset on, every period reports the last normal
/// reading.
///
/// ```text
/// x'[t] = x[max(onset − 1, 0)]   for t ≥ onset;   x'[t] = x[t] before
/// ```
///
/// No parameters. Onset: [`OnsetWindow`](super::OnsetWindow). Total energy
/// changes in either direction (less in a season of rising demand, more in
/// a falling one). Type `stuck_meter`, **not theft**: a frozen register or
/// a reading copied forward (estimated billing), a case commonly reported
/// by utilities; it can hide tampering, which is why a detector should flag it.
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, StuckMeter};
/// let mut series: Vec<f64> = (0..12).map(|t| 50.0 + t as f64).collect();
/// let inj = preview(&StuckMeter::new(), &mut series, 3, 7)?;
/// let last_normal = 50.0 + (inj.onset - 1) as f64;
/// assert!(series[inj.onset..].iter().all(|&v| v == last_normal));
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StuckMeter;

impl StuckMeter {
    /// The fault (it has no parameters).
    #[must_use]
    pub const fn new() -> Self {
        StuckMeter
    }
}

impl AnomalyInjector for StuckMeter {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let onset = ctx.onset.onset(series.len(), rng);
        if let Some(&stuck) = series.get(onset.saturating_sub(1)) {
            for v in series.iter_mut().skip(onset) {
                *v = stuck;
            }
        }
        Ok(Injection::from_onset(AnomalyType::STUCK_METER, onset, false))
    }
}
