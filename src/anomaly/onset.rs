//! [`OnsetWindow`]: when an anomaly starts (and, for windowed ones, ends).

use rand::Rng;

/// Normal periods every built-in injector leaves before an onset, by default.
///
/// Three months is a judgement call: enough for a detector to see the
/// meter's normal level before it changes, short enough to leave most of a
/// one-year series anomalous.
pub const DEFAULT_MIN_NORMAL_PERIODS: usize = 3;

/// The onset policy shared by the built-in injectors: the onset is drawn
/// uniformly in `[min_normal_periods, len − 1]`, so at least
/// `min_normal_periods` periods stay normal before the anomaly starts.
///
/// When the series is not longer than `min_normal_periods`, the range is
/// clamped to the series and the onset is its last period (`len − 1`): an
/// injector always changes at least one period. Windowed injectors draw a
/// duration `d` uniformly in `[min, max]` and end at
/// `min(onset + d − 1, len − 1)` (the window is cut at the end of the series).
///
/// The pipeline hands every injector the window built from
/// [`GeneratorConfig::min_normal_periods`](crate::GeneratorConfig::min_normal_periods)
/// in [`InjectionContext::onset`](crate::InjectionContext::onset).
///
/// # Example
/// ```
/// use ghostload::anomaly::OnsetWindow;
/// let w = OnsetWindow::new(3);
/// let mut rng = rand_pcg::Pcg64Mcg::new(1); // any `rand::Rng`; injectors get a `StreamRng`
/// let onset = w.onset(12, &mut rng);
/// assert!((3..12).contains(&onset));
/// assert_eq!(w.onset(2, &mut rng), 1); // series shorter than the minimum: last period
/// let (start, end) = w.window(12, 2, 4, &mut rng);
/// assert!(start >= 3 && end >= start && end - start < 4 && end < 12);
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OnsetWindow {
    min_normal_periods: usize,
}

impl Default for OnsetWindow {
    /// [`DEFAULT_MIN_NORMAL_PERIODS`] normal periods.
    fn default() -> Self {
        OnsetWindow::new(DEFAULT_MIN_NORMAL_PERIODS)
    }
}

impl OnsetWindow {
    /// A window that keeps at least `min_normal_periods` normal periods (any value is valid).
    #[must_use]
    pub const fn new(min_normal_periods: usize) -> Self {
        OnsetWindow { min_normal_periods }
    }

    /// The minimum number of normal periods before an onset.
    #[must_use]
    pub const fn min_normal_periods(&self) -> usize {
        self.min_normal_periods
    }

    /// The earliest onset in a series of `len` periods: `min(min_normal_periods, len − 1)`.
    #[must_use]
    pub fn earliest(&self, len: usize) -> usize {
        self.min_normal_periods.min(len.saturating_sub(1))
    }

    /// Draws an onset uniformly in `[earliest(len), len − 1]` (0 for an empty series).
    pub fn onset<R: Rng + ?Sized>(&self, len: usize, rng: &mut R) -> usize {
        if len == 0 {
            return 0;
        }
        rng.random_range(self.earliest(len)..len)
    }

    /// Draws an onset, then a duration uniformly in `min_len ..= max_len`
    /// (both raised to at least 1, `max_len` to at least `min_len`), and
    /// returns `(onset, end)` with `end = min(onset + duration − 1, len − 1)`.
    pub fn window<R: Rng + ?Sized>(&self, len: usize, min_len: usize, max_len: usize, rng: &mut R) -> (usize, usize) {
        let onset = self.onset(len, rng);
        let min_len = min_len.max(1);
        let duration = rng.random_range(min_len..=max_len.max(min_len));
        let end = onset.saturating_add(duration - 1).min(len.saturating_sub(1));
        (onset, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, Streams};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn onset_and_window_stay_in_range(len in 1usize..60, min in 0usize..80, lo in 0usize..10, extra in 0usize..10, seed: u64) {
            let w = OnsetWindow::new(min);
            let mut rng = Streams::new(seed).stream(Purpose::AnomalyInjection, 0);
            let onset = w.onset(len, &mut rng);
            prop_assert!(onset < len);
            prop_assert!(onset >= min.min(len - 1));
            let (s, e) = w.window(len, lo, lo + extra, &mut rng);
            prop_assert!(s <= e && e < len && s >= min.min(len - 1));
            prop_assert!(e - s < (lo + extra).max(1));
        }
    }
}
