//! Jokar et al.'s attack h6: the readings reported in reverse order.

use super::days::pattern_unit;
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// Attack **h6**: from the onset on, the readings are reported in reverse order.
///
/// ```text
/// x'[t] = x[len − 1 − (t − onset)]   for t ≥ onset;   x'[t] = x[t] before
/// ```
///
/// No parameters. Onset: [`OnsetWindow`](super::OnsetWindow). **Total energy
/// is preserved exactly** (a permutation), so severity ≈ 0 and the risk band
/// is Low. Labelled theft all the same: like h5 it only pays under a
/// time-of-use tariff (high readings moved to cheap periods). Type
/// `reversed_order`, theft.
///
/// Source: Jokar, Arianpoo & Leung, IEEE Trans. Smart Grid 7(1), 2016,
/// attack h6 (the day's readings reversed there; the periods from the onset
/// to the end of the series here).
///
/// **At interval resolutions** it is the paper's attack: at hourly and
/// 15-minute resolutions each day from the onset day on is reported
/// reversed (`x'` at interval `k` of a day is the day's `x` at `ipd − 1 − k`:
/// the evening peak reported in the morning), so each day's total is kept
/// and applying the attack twice restores the series. At daily resolution a
/// day has one reading, so the unit is the week: each 7-day block from the
/// onset day (the last one possibly shorter) is reversed.
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, ReversedOrder};
/// let original: Vec<f64> = (0..12).map(|t| t as f64).collect();
/// let mut series = original.clone();
/// let inj = preview(&ReversedOrder::new(), &mut series, 3, 7)?;
/// let mut tail = original[inj.onset..].to_vec();
/// tail.reverse();
/// assert_eq!(&series[inj.onset..], &tail[..]);
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReversedOrder;

impl ReversedOrder {
    /// The attack (it has no parameters).
    #[must_use]
    pub const fn new() -> Self {
        ReversedOrder
    }
}

impl AnomalyInjector for ReversedOrder {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let onset = ctx.draw_onset(series.len(), rng);
        if let Some(tail) = series.get_mut(onset..) {
            match pattern_unit(ctx) {
                None => tail.reverse(),
                Some(unit) => tail.chunks_mut(unit).for_each(<[f64]>::reverse),
            }
        }
        Ok(Injection::from_onset(AnomalyType::REVERSED_ORDER, onset, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::days::testkit::{INTERVALS, axis, readings, run};

    #[test]
    fn each_day_is_reversed_and_twice_restores_it() {
        for resolution in INTERVALS {
            let a = axis(resolution, 2);
            let per_day = a.intervals_per_day().unwrap();
            let unit = if per_day == 1 { 7 } else { per_day };
            let x = readings(&a);
            let mut y = x.clone();
            let inj = run(&ReversedOrder::new(), &a, &mut y, 1, 5);
            assert_eq!(&x[..inj.onset], &y[..inj.onset]);
            for (before, after) in x[inj.onset..].chunks(unit).zip(y[inj.onset..].chunks(unit)) {
                let mut reversed = before.to_vec();
                reversed.reverse();
                assert_eq!(after, &reversed[..], "{resolution}");
            }
            let again = run(&ReversedOrder::new(), &a, &mut y, 1, 5);
            assert_eq!(again.onset, inj.onset);
            assert_eq!(x, y, "{resolution}: twice is the identity");
        }
    }
}
