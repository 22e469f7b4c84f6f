//! [`ConsumptionConfig`]: the settings of the default consumption model, as
//! the configuration file spells them.

use super::ClassProfile;
use crate::error::{ConfigError, check_range};

/// Parameters of the default consumption model,
/// [`SeasonalConsumption`](crate::SeasonalConsumption).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct ConsumptionConfig {
    /// Calendar month of highest demand (1 ..= 12). Default 5 (May: the end
    /// of Luzon's hot dry season, when cooling load peaks).
    pub seasonal_peak_month: u8,
    /// Relative seasonal swing, peak over mean minus one (0 ..= 0.95). Default 0.15.
    pub seasonal_amplitude: f64,
    /// Lowest per-meter linear growth, fraction per month (−0.5 ..= 0.5). Default −0.02.
    pub trend_min: f64,
    /// Highest per-meter linear growth, fraction per month (≥ `trend_min`, ≤ 0.5). Default 0.05.
    pub trend_max: f64,
    /// Noise standard deviation as a fraction of the class baseline's
    /// standard deviation (0 ..= 5). Default 0.3.
    pub noise_fraction: f64,
    /// Residential customers. In TOML/JSON a partial table keeps the other
    /// keys of [`ClassProfile::RESIDENTIAL`].
    #[cfg_attr(feature = "serde", serde(deserialize_with = "partial_class::residential"))]
    pub residential: ClassProfile,
    /// Commercial customers (a partial table keeps [`ClassProfile::COMMERCIAL`]'s other keys).
    #[cfg_attr(feature = "serde", serde(deserialize_with = "partial_class::commercial"))]
    pub commercial: ClassProfile,
    /// Industrial customers (a partial table keeps [`ClassProfile::INDUSTRIAL`]'s other keys).
    #[cfg_attr(feature = "serde", serde(deserialize_with = "partial_class::industrial"))]
    pub industrial: ClassProfile,
}

/// Class tables given in part: `[consumption.commercial]` with only
/// `median_kwh` keeps the commercial defaults of the other keys (the
/// defaults differ by class, so `#[serde(default)]` on `ClassProfile` cannot
/// express it). Unknown keys are still refused, by name.
#[cfg(feature = "serde")]
mod partial_class {
    use serde::{Deserialize, Deserializer};

    use crate::consumption::ClassProfile;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Patch {
        median_kwh: Option<f64>,
        sigma: Option<f64>,
        load_factor: Option<f64>,
        power_factor: Option<f64>,
    }

    fn over<'de, D: Deserializer<'de>>(d: D, base: ClassProfile) -> Result<ClassProfile, D::Error> {
        let p = Patch::deserialize(d)?;
        Ok(ClassProfile {
            median_kwh: p.median_kwh.unwrap_or(base.median_kwh),
            sigma: p.sigma.unwrap_or(base.sigma),
            load_factor: p.load_factor.unwrap_or(base.load_factor),
            power_factor: p.power_factor.unwrap_or(base.power_factor),
        })
    }

    pub(super) fn residential<'de, D: Deserializer<'de>>(d: D) -> Result<ClassProfile, D::Error> {
        over(d, ClassProfile::RESIDENTIAL)
    }

    pub(super) fn commercial<'de, D: Deserializer<'de>>(d: D) -> Result<ClassProfile, D::Error> {
        over(d, ClassProfile::COMMERCIAL)
    }

    pub(super) fn industrial<'de, D: Deserializer<'de>>(d: D) -> Result<ClassProfile, D::Error> {
        over(d, ClassProfile::INDUSTRIAL)
    }
}

impl Default for ConsumptionConfig {
    fn default() -> Self {
        ConsumptionConfig {
            seasonal_peak_month: 5,
            seasonal_amplitude: 0.15,
            trend_min: -0.02,
            trend_max: 0.05,
            noise_fraction: 0.3,
            residential: ClassProfile::RESIDENTIAL,
            commercial: ClassProfile::COMMERCIAL,
            industrial: ClassProfile::INDUSTRIAL,
        }
    }
}

impl ConsumptionConfig {
    /// Checks every parameter of the consumption model.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the `consumption.*` field at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=12).contains(&self.seasonal_peak_month) {
            return Err(ConfigError::out_of_range(
                "consumption.seasonal_peak_month",
                self.seasonal_peak_month,
                "1 ..= 12",
            ));
        }
        check_range(
            "consumption.seasonal_amplitude",
            self.seasonal_amplitude,
            0.0,
            0.95,
            "0.0 ..= 0.95",
        )?;
        check_range("consumption.trend_min", self.trend_min, -0.5, 0.5, "-0.5 ..= 0.5")?;
        check_range("consumption.trend_max", self.trend_max, -0.5, 0.5, "-0.5 ..= 0.5")?;
        if self.trend_min > self.trend_max {
            return Err(ConfigError::Unordered {
                min_field: "consumption.trend_min",
                min: self.trend_min,
                max_field: "consumption.trend_max",
                max: self.trend_max,
            });
        }
        check_range(
            "consumption.noise_fraction",
            self.noise_fraction,
            0.0,
            5.0,
            "0.0 ..= 5.0",
        )?;
        self.residential.validate("consumption.residential")?;
        self.commercial.validate("consumption.commercial")?;
        self.industrial.validate("consumption.industrial")
    }
}
