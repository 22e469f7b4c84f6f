//! Benign: rooftop solar installed.

use super::params::{check_interval, mean, scale_from, uniform};
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
/// **At hourly and 15-minute resolutions** the panels produce by day only:
/// from the onset day's midnight on, each reading is net of a generation
/// profile, never below zero (the import register does not run backwards;
/// exported energy is not counted):
///
/// ```text
/// g(h) = sin(π · (h − 6) / 12) for 6 < h < 18, else 0   (h: the interval's mid-time, local hours)
/// c_d ~ U[0.5, 1.0), per day (clouds; mean 0.75)
/// G_d = s · ipd · x̄ · c_d / 0.75                       (the day's yield; x̄: the series' mean reading)
/// x'[t] = max(0, x[t] − G_d · g(h_t) / Σ_day g)
/// ```
///
/// So `s` is the yield as a share of the meter's mean consumption; the
/// share actually removed is lower when midday generation exceeds the load.
/// Readings from 18:00 to 06:00 are never touched; the label's onset is the
/// installation day's midnight. At daily resolution (no time of day) each
/// day is scaled by `1 − s` as at monthly resolution.
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

/// Lowest clear-sky share of a day's yield (clouds), drawn per day in `[MIN_CLEARNESS, 1)`.
const MIN_CLEARNESS: f64 = 0.5;

/// Mean of the per-day clear-sky share.
const MEAN_CLEARNESS: f64 = (1.0 + MIN_CLEARNESS) / 2.0;

/// Relative generation in interval `k` of a day of `per_day` intervals: a
/// half sine from 06:00 to 18:00 local time peaking at noon, taken at the
/// interval's mid-time; 0 at night.
fn daylight(k: usize, per_day: usize) -> f64 {
    let hour = (k as f64 + 0.5) * 24.0 / per_day as f64;
    if hour > 6.0 && hour < 18.0 {
        (std::f64::consts::PI * (hour - 6.0) / 12.0).sin()
    } else {
        0.0
    }
}

impl AnomalyInjector for SolarInstall {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let onset = ctx.draw_onset(series.len(), rng);
        let share = uniform(rng, self.share_min, self.share_max);
        match ctx.intervals_per_day() {
            Some(per_day) if per_day > 1 => {
                let profile: Vec<f64> = (0..per_day).map(|k| daylight(k, per_day)).collect();
                let total: f64 = profile.iter().sum();
                let daily_yield = share * per_day as f64 * mean(series) / MEAN_CLEARNESS;
                let tail = series.get_mut(onset..).unwrap_or_default();
                for day in tail.chunks_mut(per_day) {
                    let clearness = uniform(rng, MIN_CLEARNESS, 1.0);
                    let scale = daily_yield * clearness / total;
                    for (v, g) in day.iter_mut().zip(&profile) {
                        *v = (*v - scale * g).max(0.0);
                    }
                }
            }
            _ => scale_from(series, onset, 1.0 - share),
        }
        Ok(Injection::from_onset(AnomalyType::SOLAR_INSTALL, onset, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::days::testkit::{axis, readings, run};
    use crate::time::Resolution;

    #[test]
    fn daylight_is_a_bell_from_six_to_eighteen() {
        let hourly: Vec<f64> = (0..24).map(|k| daylight(k, 24)).collect();
        assert!(hourly[..6].iter().chain(&hourly[18..]).all(|&g| g == 0.0));
        assert!(hourly[6..18].iter().all(|&g| g > 0.0));
        assert_eq!(hourly[11], hourly[12]);
        assert!(hourly[11] > hourly[8] && hourly[8] > hourly[6]);
    }

    #[test]
    fn solar_only_reduces_daytime_readings() {
        for resolution in [Resolution::Hourly, Resolution::FifteenMinutes] {
            let a = axis(resolution, 3);
            let per_day = a.intervals_per_day().unwrap();
            for seed in 0..10 {
                let x = readings(&a);
                let mut y = x.clone();
                let inj = run(&SolarInstall::default(), &a, &mut y, 1, seed);
                for t in 0..a.len() {
                    let hour = (t % per_day) * 24 / per_day;
                    if t < inj.onset || !(6..18).contains(&hour) {
                        assert_eq!(x[t], y[t], "{resolution} period {t}");
                    } else {
                        assert!(y[t] >= 0.0 && y[t] < x[t], "{resolution} period {t}");
                    }
                }
                // Midday readings fall to zero for these flat readings: exported energy is not counted.
                assert!(y[inj.onset..].contains(&0.0));
            }
        }
    }

    #[test]
    fn daily_solar_scales_days_as_monthly() {
        let a = axis(Resolution::Daily, 3);
        let x = readings(&a);
        let mut y = x.clone();
        let inj = run(&SolarInstall::new(0.5, 0.5).unwrap(), &a, &mut y, 1, 1);
        assert!((inj.onset..a.len()).all(|t| (y[t] - 0.5 * x[t]).abs() < 1e-12));
    }
}
