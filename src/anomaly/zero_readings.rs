//! Jokar et al.'s attack h2: zero readings over a random window.

use rand::Rng;

use super::params::check_periods;
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::ConfigError;
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// Attack **h2**: the meter reports nothing over a window of periods, then
/// returns to normal.
///
/// ```text
/// d ~ U{min_periods ..= max_periods};  end = min(onset + d − 1, len − 1)
/// x'[t] = 0      for onset ≤ t ≤ end;   x'[t] = x[t] otherwise
/// ```
///
/// Parameters: `min_periods` 1, `max_periods` 6 (1 ..= 1200, min ≤ max; for
/// monthly data a judgement call: up to half a year). Onset:
/// [`OnsetWindow`](super::OnsetWindow). Changes total energy. Type
/// `zero_readings`, theft.
///
/// Models a full bypass of the meter or a disconnected meter while the load
/// stays connected. Source: Jokar, Arianpoo & Leung, IEEE Trans. Smart Grid
/// 7(1), 2016, attack h2 (zero during a random interval `[t_s, t_e]` of a day;
/// here a window of periods).
///
/// **At interval resolutions** the window is `d` calendar months
/// ([`InjectionContext::draw_window`]: whole days from local midnight of the
/// onset day), and the paper's attack is applied to each of its days. At
/// hourly and 15-minute resolutions each day gets its own off window, drawn
/// per day as the paper draws one per daily sample:
///
/// ```text
/// t_d ~ U{⌈ipd / 6⌉ ..= ipd}   (4 hours to the whole day, in intervals)
/// t_s ~ U{0 ..= ipd − t_d}      (the window lies inside the day)
/// x'[t] = 0 for the day's intervals t_s ≤ k < t_s + t_d;   x'[t] = x[t] otherwise
/// ```
///
/// (`ipd` intervals per day; `t_e = t_s + t_d`, exclusive.) At daily
/// resolution a day has one reading, so every day of the window reads zero.
/// The label's onset is the first day's midnight, its end the last day's last interval.
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, ZeroReadings};
/// let h2 = ZeroReadings::new(2, 4)?;
/// let mut series = vec![100.0; 12];
/// let inj = preview(&h2, &mut series, 3, 7)?;
/// let end = inj.end.unwrap();
/// assert!(series[inj.onset..=end].iter().all(|&v| v == 0.0));
/// assert!(series[..inj.onset].iter().chain(&series[end + 1..]).all(|&v| v == 100.0));
/// assert_eq!(ZeroReadings::new(0, 4).unwrap_err().field(), "zero_readings.min_periods");
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZeroReadings {
    min_periods: usize,
    max_periods: usize,
}

impl Default for ZeroReadings {
    /// Windows of 1 to 6 periods.
    fn default() -> Self {
        ZeroReadings {
            min_periods: 1,
            max_periods: 6,
        }
    }
}

impl ZeroReadings {
    /// Windows of `min_periods ..= max_periods` periods (1 ..= 1200).
    ///
    /// # Errors
    /// [`ConfigError`] naming `zero_readings.min_periods` or `zero_readings.max_periods`.
    pub fn new(min_periods: usize, max_periods: usize) -> Result<Self, ConfigError> {
        check_periods(
            ("zero_readings.min_periods", min_periods),
            ("zero_readings.max_periods", max_periods),
        )?;
        Ok(ZeroReadings {
            min_periods,
            max_periods,
        })
    }

    /// Shortest window, periods.
    #[must_use]
    pub fn min_periods(&self) -> usize {
        self.min_periods
    }

    /// Longest window, periods.
    #[must_use]
    pub fn max_periods(&self) -> usize {
        self.max_periods
    }
}

/// Shortest daily off window in Jokar et al.'s h2, hours.
pub(crate) const MIN_OFF_HOURS: usize = 4;

/// [`MIN_OFF_HOURS`] in intervals of a day of `per_day` (rounded up, at least 1).
fn min_off_intervals(per_day: usize) -> usize {
    (MIN_OFF_HOURS * per_day).div_ceil(24).clamp(1, per_day)
}

impl AnomalyInjector for ZeroReadings {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let (onset, end) = ctx.draw_window(series.len(), self.min_periods, self.max_periods, rng);
        let Some(window) = series.get_mut(onset..=end) else {
            return Ok(Injection::window(AnomalyType::ZERO_READINGS, onset, end, true));
        };
        match ctx.intervals_per_day() {
            Some(per_day) if per_day > 1 => {
                let shortest = min_off_intervals(per_day);
                for day in window.chunks_mut(per_day) {
                    let n = day.len();
                    let off = rng.random_range(shortest.min(n)..=n);
                    let start = rng.random_range(0..=n - off);
                    day[start..start + off].fill(0.0);
                }
            }
            _ => window.fill(0.0),
        }
        Ok(Injection::window(AnomalyType::ZERO_READINGS, onset, end, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::days::testkit::{axis, readings, run};
    use crate::time::Resolution;

    #[test]
    fn minimum_off_window_is_four_hours() {
        assert_eq!(min_off_intervals(24), 4);
        assert_eq!(min_off_intervals(96), 16);
        assert_eq!(min_off_intervals(1), 1);
    }

    #[test]
    fn each_day_of_the_window_has_one_off_window_of_at_least_four_hours() {
        for resolution in [Resolution::Hourly, Resolution::FifteenMinutes] {
            let a = axis(resolution, 4);
            let per_day = a.intervals_per_day().unwrap();
            for seed in 0..20 {
                let x = readings(&a);
                let mut y = x.clone();
                let inj = run(&ZeroReadings::new(1, 2).unwrap(), &a, &mut y, 1, seed);
                let end = inj.end.unwrap();
                assert!(inj.onset >= a.month_range(1).start);
                // One to two calendar months of days from the onset (cut at the series' end).
                let days = (end + 1 - inj.onset) / per_day;
                assert!((28..=62).contains(&days) || end == a.len() - 1, "{days} days");
                for (t, (&before, &after)) in x.iter().zip(&y).enumerate() {
                    if t < inj.onset || t > end {
                        assert_eq!(before, after, "{resolution} period {t} outside the window");
                    }
                }
                for day in y[inj.onset..=end].chunks(per_day) {
                    let zeros: Vec<usize> = (0..per_day).filter(|&k| day[k] == 0.0).collect();
                    assert!(zeros.len() >= per_day / 6, "{resolution}: {} zeros", zeros.len());
                    assert_eq!(
                        zeros.last().unwrap() - zeros[0] + 1,
                        zeros.len(),
                        "one contiguous window"
                    );
                }
            }
        }
    }

    #[test]
    fn daily_windows_zero_whole_days() {
        let a = axis(Resolution::Daily, 6);
        let mut y = readings(&a);
        let inj = run(&ZeroReadings::default(), &a, &mut y, 3, 4);
        let end = inj.end.unwrap();
        assert!(y[inj.onset..=end].iter().all(|&v| v == 0.0));
        assert!(y[..inj.onset].iter().chain(&y[end + 1..]).all(|&v| v > 0.0));
    }
}
