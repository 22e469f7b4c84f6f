//! The default model: log-normal baseline × seasonality × linear trend + Gaussian noise.

use std::f64::consts::PI;

use rand::Rng;
use rand_distr::{Distribution, LogNormal};

use super::ConsumptionConfig;
use super::{ConsumptionModel, MeterProfile};
use crate::error::ConfigError;
use crate::model::CustomerClass;
use crate::rng::StreamRng;
use crate::time::TimeAxis;

/// Monthly consumption, kWh, of meter *i* in period *t* (0-based):
///
/// ```text
/// x[t] = max(0, b · S(m_t) · T(t) + ε_t)
/// S(m) = 1 + A · cos(2π (m − peak) / 12)          seasonality, m = calendar month 1..12
/// T(t) = max(0, 1 + g · t)                         linear trend (design assumption 5.5)
/// b ~ LogNormal(ln median_c, σ_c)                  per-meter baseline, class c
/// g ~ U[trend_min, trend_max)                      per-meter growth per month
/// ε_t ~ Normal(0, noise_fraction · sd_c)           sd_c = std dev of class c's baseline distribution
/// ```
///
/// With the defaults (peak May, A = 0.15) demand is 15 % above the baseline in
/// May and 15 % below it in November. The design's `sin(2π(month − 4)/12)`
/// peaks in July; Luzon's demand peaks at the end of the hot dry season
/// (April–May), which is why the peak month is configurable and defaults to 5.
///
/// ```
/// use ghostload::{ConsumptionConfig, ConsumptionModel, CustomerClass, SeasonalConsumption};
/// let model = SeasonalConsumption::new(&ConsumptionConfig::default())?;
/// assert!((model.seasonal_factor(5) - 1.15).abs() < 1e-12);
/// assert!((model.seasonal_factor(11) - 0.85).abs() < 1e-12);
/// # Ok::<(), ghostload::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SeasonalConsumption {
    config: ConsumptionConfig,
    baselines: [LogNormal<f64>; 3],
    noise_sd: [f64; 3],
    /// `S(m)` for m = 1..=12, computed once.
    seasonal: [f64; 12],
}

impl SeasonalConsumption {
    /// The model for `config`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the `consumption.*` field at fault.
    pub fn new(config: &ConsumptionConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let profiles = [config.residential, config.commercial, config.industrial];
        let mut baselines = Vec::with_capacity(3);
        for (p, field) in profiles.iter().zip([
            "consumption.residential.sigma",
            "consumption.commercial.sigma",
            "consumption.industrial.sigma",
        ]) {
            let d = LogNormal::new(p.median_kwh.ln(), p.sigma)
                .map_err(|_| ConfigError::out_of_range(field, p.sigma, "0.0 ..= 2.0"))?;
            baselines.push(d);
        }
        let baselines = [baselines[0], baselines[1], baselines[2]];
        let noise_sd = profiles.map(|p| config.noise_fraction * p.baseline_std_kwh());
        let peak = f64::from(config.seasonal_peak_month);
        let seasonal = std::array::from_fn(|i| {
            let month = (i + 1) as f64;
            1.0 + config.seasonal_amplitude * (2.0 * PI * (month - peak) / 12.0).cos()
        });
        Ok(SeasonalConsumption {
            config: *config,
            baselines,
            noise_sd,
            seasonal,
        })
    }

    /// The parameters.
    #[must_use]
    pub fn config(&self) -> &ConsumptionConfig {
        &self.config
    }

    /// `S(m)`, the seasonal multiplier of calendar month `month` (1 ..= 12).
    #[must_use]
    pub fn seasonal_factor(&self, month: u8) -> f64 {
        self.seasonal[usize::from(month.clamp(1, 12)) - 1]
    }

    /// Standard deviation of the noise for `class`, kWh.
    #[must_use]
    pub fn noise_sd_kwh(&self, class: CustomerClass) -> f64 {
        self.noise_sd[class as usize]
    }
}

impl ConsumptionModel for SeasonalConsumption {
    fn profile(&self, class: CustomerClass, rng: &mut StreamRng) -> MeterProfile {
        let baseline_kwh = self.baselines[class as usize].sample(rng);
        let (lo, hi) = (self.config.trend_min, self.config.trend_max);
        let monthly_growth = if lo < hi { rng.random_range(lo..hi) } else { lo };
        MeterProfile {
            class,
            baseline_kwh,
            monthly_growth,
        }
    }

    fn fill_series(&self, p: &MeterProfile, axis: &TimeAxis, rng: &mut StreamRng, out: &mut [f64]) -> usize {
        let sd = self.noise_sd[p.class as usize];
        let first_month = usize::from(axis.start().month()) - 1;
        // Three passes so that the two without random draws vectorise: the
        // noise (draws in period order, as the stream defines), the expected
        // value added to it, then the clip at zero, counted without branches.
        for v in out.iter_mut() {
            // `rng.sample(StandardNormal)`, draw for draw, inlined (src/normal.rs).
            *v = sd * crate::normal::standard_normal(rng);
        }
        // The year's seasonal factors rotated to start at the first period:
        // period `t` uses `year[t % 12]`, so each year is a plain indexed loop.
        let year: [f64; 12] = std::array::from_fn(|j| self.seasonal[(first_month + j) % 12]);
        for (y, block) in out.chunks_mut(12).enumerate() {
            for (j, (v, s)) in block.iter_mut().zip(&year).enumerate() {
                let t = (12 * y + j) as f64;
                let trend = (1.0 + p.monthly_growth * t).max(0.0);
                *v += p.baseline_kwh * s * trend;
            }
        }
        let mut clipped = 0;
        for v in out.iter_mut() {
            clipped += usize::from(*v < 0.0);
            *v = v.max(0.0);
        }
        clipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, Streams};
    use crate::time::{Resolution, YearMonth};

    #[test]
    fn season_peaks_in_the_configured_month() {
        for peak in 1..=12u8 {
            let c = ConsumptionConfig {
                seasonal_peak_month: peak,
                ..Default::default()
            };
            let m = SeasonalConsumption::new(&c).unwrap();
            let best = (1..=12u8)
                .max_by(|a, b| m.seasonal_factor(*a).total_cmp(&m.seasonal_factor(*b)))
                .unwrap();
            assert_eq!(best, peak);
        }
    }

    #[test]
    fn noiseless_series_is_baseline_times_season_times_trend() {
        let c = ConsumptionConfig {
            noise_fraction: 0.0,
            ..Default::default()
        };
        let m = SeasonalConsumption::new(&c).unwrap();
        let axis = TimeAxis::new(YearMonth::new(2024, 3).unwrap(), 24, Resolution::Monthly).unwrap();
        let p = MeterProfile {
            class: CustomerClass::Commercial,
            baseline_kwh: 1000.0,
            monthly_growth: 0.01,
        };
        let mut out = vec![0.0; 24];
        let clipped = m.fill_series(&p, &axis, &mut Streams::new(1).stream(Purpose::MeterNoise, 0), &mut out);
        assert_eq!(clipped, 0);
        for (t, v) in out.iter().enumerate() {
            let expect = 1000.0 * m.seasonal_factor(axis.month(t).month()) * (1.0 + 0.01 * t as f64);
            assert!((v - expect).abs() < 1e-9);
        }
        // Period 2 is May 2024: the peak.
        assert!((out[2] / (1000.0 * 1.02) - 1.15).abs() < 1e-12);
    }

    #[test]
    fn negative_values_are_clipped_and_counted() {
        let c = ConsumptionConfig {
            noise_fraction: 5.0,
            ..Default::default()
        };
        let m = SeasonalConsumption::new(&c).unwrap();
        let axis = TimeAxis::new(YearMonth::default(), 120, Resolution::Monthly).unwrap();
        let p = MeterProfile {
            class: CustomerClass::Residential,
            baseline_kwh: 10.0,
            monthly_growth: -0.02,
        };
        let mut out = vec![0.0; 120];
        let clipped = m.fill_series(&p, &axis, &mut Streams::new(1).stream(Purpose::MeterNoise, 0), &mut out);
        assert!(clipped > 0);
        assert_eq!(clipped, out.iter().filter(|&&v| v == 0.0).count());
        assert!(out.iter().all(|&v| v >= 0.0));
    }

    #[test]
    fn baselines_follow_the_class_median() {
        let m = SeasonalConsumption::new(&ConsumptionConfig::default()).unwrap();
        let streams = Streams::new(9);
        for (class, median) in [(CustomerClass::Residential, 200.0), (CustomerClass::Industrial, 2500.0)] {
            let mut b: Vec<f64> = (0..4001)
                .map(|i| {
                    m.profile(class, &mut streams.stream(Purpose::MeterProfile, i))
                        .baseline_kwh
                })
                .collect();
            b.sort_by(f64::total_cmp);
            let med = b[2000];
            assert!((med / median - 1.0).abs() < 0.05, "{class}: {med}");
        }
    }
}
