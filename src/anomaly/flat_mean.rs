//! Jokar et al.'s attack h5: the flat mean every period.

use super::days::pattern_unit;
use super::params::mean;
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// Attack **h5**: from the onset on, every period reports the mean of the
/// true consumption over those periods.
///
/// ```text
/// x'[t] = mean(x[onset ..])   for t ≥ onset;   x'[t] = x[t] before
/// ```
///
/// No parameters. Onset: [`OnsetWindow`](super::OnsetWindow). **Total energy
/// is preserved** (up to floating-point rounding), so severity ≈ 0 and the
/// risk band is Low. Labelled theft all the same: the attack only pays under
/// a time-of-use tariff, where consumption is moved out of expensive periods
/// into cheap ones. On a flat tariff it is harmless; the label says what was
/// done, not what it cost. Type `flat_mean`, theft.
///
/// Source: Jokar, Arianpoo & Leung, IEEE Trans. Smart Grid 7(1), 2016,
/// attack h5 (the day's mean in every reading there; the mean over the
/// affected periods here).
///
/// **At interval resolutions** it is the paper's attack: at hourly and
/// 15-minute resolutions every day from the onset day on reports its own
/// mean in each reading (a flat day; each day's total kept). At daily
/// resolution a day has one reading, so the unit is the week: each 7-day
/// block from the onset day (the last one possibly shorter) reports its
/// mean every day, flattening the weekday/weekend pattern.
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, FlatMean};
/// let mut series: Vec<f64> = (0..12).map(|t| 50.0 + 10.0 * t as f64).collect();
/// let before: f64 = series.iter().sum();
/// let inj = preview(&FlatMean::new(), &mut series, 3, 7)?;
/// assert!(series[inj.onset..].windows(2).all(|w| (w[0] - w[1]).abs() < 1e-9));
/// assert!((series.iter().sum::<f64>() - before).abs() < 1e-9);
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlatMean;

impl FlatMean {
    /// The attack (it has no parameters).
    #[must_use]
    pub const fn new() -> Self {
        FlatMean
    }
}

impl AnomalyInjector for FlatMean {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let onset = ctx.draw_onset(series.len(), rng);
        if let Some(tail) = series.get_mut(onset..) {
            match pattern_unit(ctx) {
                None => {
                    let m = mean(tail);
                    tail.fill(m);
                }
                Some(unit) => {
                    for block in tail.chunks_mut(unit) {
                        let m = mean(block);
                        block.fill(m);
                    }
                }
            }
        }
        Ok(Injection::from_onset(AnomalyType::FLAT_MEAN, onset, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::days::testkit::each_unit;

    #[test]
    fn each_day_is_flat_at_its_own_mean() {
        each_unit(&FlatMean::new(), 8, |before, after, resolution| {
            let total: f64 = before.iter().sum();
            assert!((after.iter().sum::<f64>() - total).abs() < 1e-9 * total, "{resolution}");
            assert!(after.iter().all(|&v| v == after[0]));
        });
    }
}
