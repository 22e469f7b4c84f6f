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
