//! The seasonal peak moved.

use rand::Rng;

use super::params::check_periods;
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::ConfigError;
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// The seasonal pattern moved: from the onset on, the series is shifted
/// circularly by `s` periods, so its peak arrives `s` periods late.
///
/// ```text
/// s ~ U{min_shift ..= max_shift};  w = len − onset
/// x'[onset + j] = x[onset + (j − s) mod w]   for 0 ≤ j < w;   x'[t] = x[t] before
/// ```
///
/// Parameters: `min_shift` 2, `max_shift` 6 periods (1 ..= 1200, min ≤ max;
/// a judgement call: two to six months moves a yearly peak visibly). Onset:
/// [`OnsetWindow`](super::OnsetWindow). **Total energy is preserved** (a
/// permutation), so severity ≈ 0. Type `seasonal_shift`, **not theft**: a
/// pattern that no longer matches the meter's class and climate (a change
/// of use, swapped meter records) that a detector may flag.
///
/// Source: the ghostload design's `seasonal_shift` anomaly.
///
/// **At interval resolutions** `s` counts calendar months: the tail is
/// rotated by [`InjectionContext::months_to_periods`]`(onset, s)` intervals
/// (the days of the `s` months from the onset's month), whole days, so every
/// reading keeps its time of day and the year's pattern arrives `s` months late.
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, SeasonalShift};
/// let original: Vec<f64> = (0..12).map(|t| t as f64).collect();
/// let mut series = original.clone();
/// let inj = preview(&SeasonalShift::new(2, 2)?, &mut series, 3, 7)?;
/// let mut tail = original[inj.onset..].to_vec();
/// let s = 2 % tail.len();
/// tail.rotate_right(s);
/// assert_eq!(&series[inj.onset..], &tail[..]);
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeasonalShift {
    min_shift: usize,
    max_shift: usize,
}

impl Default for SeasonalShift {
    /// Shifts of 2 to 6 periods.
    fn default() -> Self {
        SeasonalShift {
            min_shift: 2,
            max_shift: 6,
        }
    }
}

impl SeasonalShift {
    /// Shifts of `min_shift ..= max_shift` periods (1 ..= 1200).
    ///
    /// # Errors
    /// [`ConfigError`] naming `seasonal_shift.min_shift` or `seasonal_shift.max_shift`.
    pub fn new(min_shift: usize, max_shift: usize) -> Result<Self, ConfigError> {
        check_periods(
            ("seasonal_shift.min_shift", min_shift),
            ("seasonal_shift.max_shift", max_shift),
        )?;
        Ok(SeasonalShift { min_shift, max_shift })
    }

    /// Smallest shift, periods.
    #[must_use]
    pub fn min_shift(&self) -> usize {
        self.min_shift
    }

    /// Largest shift, periods.
    #[must_use]
    pub fn max_shift(&self) -> usize {
        self.max_shift
    }
}

impl AnomalyInjector for SeasonalShift {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let onset = ctx.draw_onset(series.len(), rng);
        let shift = rng.random_range(self.min_shift..=self.max_shift.max(self.min_shift));
        let shift = ctx.months_to_periods(onset, shift);
        if let Some(tail) = series.get_mut(onset..) {
            if !tail.is_empty() {
                let s = shift % tail.len();
                tail.rotate_right(s);
            }
        }
        Ok(Injection::from_onset(AnomalyType::SEASONAL_SHIFT, onset, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::days::testkit::{INTERVALS, axis, readings, run};

    #[test]
    fn shifts_count_calendar_months_of_whole_days() {
        for resolution in INTERVALS {
            let a = axis(resolution, 12);
            let x = readings(&a);
            let mut y = x.clone();
            let inj = run(&SeasonalShift::new(2, 2).unwrap(), &a, &mut y, 3, 4);
            let tail = &x[inj.onset..];
            let mut expected = tail.to_vec();
            let m = a.month_index(inj.onset);
            let s = a.month_range(m + 2).start - a.month_range(m).start;
            assert_eq!(s % a.intervals_per_day().unwrap(), 0);
            expected.rotate_right(s % tail.len());
            assert_eq!(&y[inj.onset..], &expected[..], "{resolution}");
        }
    }
}
