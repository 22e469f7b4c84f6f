//! Per-class parameters: baseline distribution and demand characteristics.

use crate::error::ConfigError;
use crate::error::check_range;

/// Hours in an average month (8 760 h / 12), used to turn monthly energy into demand.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// The consumption characteristics of one customer class.
///
/// Each meter's baseline is drawn from `LogNormal(ln median_kwh, sigma)`:
/// consumption across customers of one class is right-skewed (many small
/// users, a few large ones), which the log-normal captures with a positive
/// support and two interpretable parameters. Its peak demand follows from the baseline:
/// `kVA = baseline / 730 h / load_factor / power_factor`.
///
/// The defaults ([`RESIDENTIAL`](Self::RESIDENTIAL), [`COMMERCIAL`](Self::COMMERCIAL),
/// [`INDUSTRIAL`](Self::INDUSTRIAL)) and their sources are listed in `docs/model.md`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct ClassProfile {
    /// Median baseline consumption, kWh per month (> 0, ≤ 10 000 000).
    pub median_kwh: f64,
    /// Log-space standard deviation of the baseline (0 ..= 2).
    pub sigma: f64,
    /// Load factor, average over peak demand (0.05 ..= 1).
    pub load_factor: f64,
    /// Power factor, real over apparent power (0.5 ..= 1).
    pub power_factor: f64,
}

impl ClassProfile {
    /// Households: median 200 kWh/month (the "typical household" that Meralco,
    /// the largest Philippine distribution utility, uses in its monthly rate
    /// announcements), σ 0.5, load factor 0.35, power factor 0.90.
    pub const RESIDENTIAL: ClassProfile = ClassProfile {
        median_kwh: 200.0,
        sigma: 0.5,
        load_factor: 0.35,
        power_factor: 0.90,
    };
    /// Small commercial: median 1 500 kWh/month, σ 0.55, load factor 0.45, power factor 0.88.
    pub const COMMERCIAL: ClassProfile = ClassProfile {
        median_kwh: 1500.0,
        sigma: 0.55,
        load_factor: 0.45,
        power_factor: 0.88,
    };
    /// Small industrial customers on the secondary network, Meralco's
    /// General Service class (connected load below 40 kW): median 2 500
    /// kWh/month, σ 0.5, load factor 0.40, power factor 0.85. 99.9 % of
    /// baselines (3.08 σ) have a peak demand below the 40 kW that moves a
    /// customer to the General Power class (40 kW × 730 h × 0.40 = 11 680
    /// kWh/month). Sources and derivation in `docs/model.md` §4.
    pub const INDUSTRIAL: ClassProfile = ClassProfile {
        median_kwh: 2500.0,
        sigma: 0.5,
        load_factor: 0.40,
        power_factor: 0.85,
    };
    /// Utility-scale industrial customers (the industrial class of ghostload
    /// 0.1's defaults and of [`Preset::Utility`](crate::Preset::Utility)):
    /// median 8 000 kWh/month, σ 0.6, load factor 0.60, power factor 0.85.
    /// Outside the original tool's ML loader's strict range: in the
    /// `utility` dataset 133 of the 229 industrial meters have months above
    /// 10 000 kWh (a pinned value of that dataset, not a requirement).
    pub const UTILITY_INDUSTRIAL: ClassProfile = ClassProfile {
        median_kwh: 8000.0,
        sigma: 0.6,
        load_factor: 0.60,
        power_factor: 0.85,
    };

    /// Checks the parameters; `prefix` is the field path used in errors
    /// (e.g. `consumption.residential`).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `<prefix>.<field>`.
    pub fn validate(&self, prefix: &'static str) -> Result<(), ConfigError> {
        let field = |name: &str| -> &'static str {
            match (prefix, name) {
                ("consumption.residential", "median_kwh") => "consumption.residential.median_kwh",
                ("consumption.residential", "sigma") => "consumption.residential.sigma",
                ("consumption.residential", "load_factor") => "consumption.residential.load_factor",
                ("consumption.residential", "power_factor") => "consumption.residential.power_factor",
                ("consumption.commercial", "median_kwh") => "consumption.commercial.median_kwh",
                ("consumption.commercial", "sigma") => "consumption.commercial.sigma",
                ("consumption.commercial", "load_factor") => "consumption.commercial.load_factor",
                ("consumption.commercial", "power_factor") => "consumption.commercial.power_factor",
                ("consumption.industrial", "median_kwh") => "consumption.industrial.median_kwh",
                ("consumption.industrial", "sigma") => "consumption.industrial.sigma",
                ("consumption.industrial", "load_factor") => "consumption.industrial.load_factor",
                ("consumption.industrial", "power_factor") => "consumption.industrial.power_factor",
                _ => prefix,
            }
        };
        check_range(
            field("median_kwh"),
            self.median_kwh,
            f64::MIN_POSITIVE,
            1e7,
            "> 0 and <= 10000000",
        )?;
        check_range(field("sigma"), self.sigma, 0.0, 2.0, "0.0 ..= 2.0")?;
        check_range(field("load_factor"), self.load_factor, 0.05, 1.0, "0.05 ..= 1.0")?;
        check_range(field("power_factor"), self.power_factor, 0.5, 1.0, "0.5 ..= 1.0")
    }

    /// Standard deviation of the baseline distribution, kWh:
    /// `median · e^{σ²/2} · √(e^{σ²} − 1)`.
    #[must_use]
    pub fn baseline_std_kwh(&self) -> f64 {
        let s2 = self.sigma * self.sigma;
        self.median_kwh * (s2 / 2.0).exp() * (s2.exp() - 1.0).sqrt()
    }

    /// Peak demand in kVA of a meter consuming `kwh_per_month` on average.
    #[must_use]
    pub fn peak_kva(&self, kwh_per_month: f64) -> f64 {
        kwh_per_month / HOURS_PER_MONTH / self.load_factor / self.power_factor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_matches_closed_form() {
        let p = ClassProfile {
            median_kwh: 100.0,
            sigma: 0.0,
            ..ClassProfile::RESIDENTIAL
        };
        assert_eq!(p.baseline_std_kwh(), 0.0);
        // σ = 0.5: mean 113.3, sd = 113.31 · √(e^0.25 − 1) = 60.39 for median 100.
        let p = ClassProfile {
            median_kwh: 100.0,
            sigma: 0.5,
            ..ClassProfile::RESIDENTIAL
        };
        assert!((p.baseline_std_kwh() - 60.39).abs() < 0.01, "{}", p.baseline_std_kwh());
    }

    #[test]
    fn peak_kva_of_a_typical_household() {
        // 200 kWh / 730 h = 0.274 kW average; / 0.35 / 0.90 = 0.870 kVA.
        assert!((ClassProfile::RESIDENTIAL.peak_kva(200.0) - 0.8699).abs() < 1e-3);
    }

    #[test]
    fn validation_names_the_nested_field() {
        let p = ClassProfile {
            sigma: -1.0,
            ..ClassProfile::COMMERCIAL
        };
        assert_eq!(
            p.validate("consumption.commercial").unwrap_err().field(),
            "consumption.commercial.sigma"
        );
    }
}
