//! Transformer capacities: log-normal, clipped, rounded to standard ratings.

use rand::Rng;
use rand_distr::{Distribution, LogNormal};

use crate::error::{ConfigError, check_range};

/// Standard single-phase distribution-transformer ratings, kVA
/// (IEEE Std C57.12.00 / C57.12.20 preferred ratings). The original tool's
/// 200 kVA is not among them.
pub const STANDARD_RATINGS_KVA: [f64; 11] = [10.0, 15.0, 25.0, 37.5, 50.0, 75.0, 100.0, 167.0, 250.0, 333.0, 500.0];

/// Draws transformer capacities: `LogNormal(ln median, σ)`, clipped to
/// `min ..= max`, then rounded to the nearest standard rating inside that range.
#[derive(Debug, Clone)]
pub(crate) struct CapacitySampler {
    raw: LogNormal<f64>,
    min_kva: f64,
    max_kva: f64,
    ratings: Vec<f64>,
}

impl CapacitySampler {
    /// A sampler for `config`.
    ///
    /// # Errors
    /// [`ConfigError::NoStandardRating`] when no standard rating lies in
    /// `min_kva ..= max_kva`; [`ConfigError::OutOfRange`] for a bad median or σ.
    pub(crate) fn new(config: &CapacityConfig) -> Result<Self, ConfigError> {
        let ratings: Vec<f64> = STANDARD_RATINGS_KVA
            .iter()
            .copied()
            .filter(|r| (config.min_kva..=config.max_kva).contains(r))
            .collect();
        if ratings.is_empty() {
            return Err(ConfigError::NoStandardRating {
                min: config.min_kva,
                max: config.max_kva,
            });
        }
        let raw = LogNormal::new(config.median_kva.ln(), config.sigma)
            .map_err(|_| ConfigError::out_of_range("capacity.sigma", config.sigma, "0.0 ..= 3.0"))?;
        Ok(CapacitySampler {
            raw,
            min_kva: config.min_kva,
            max_kva: config.max_kva,
            ratings,
        })
    }

    /// One capacity, kVA: always a standard rating inside the configured range.
    pub(crate) fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let kva = self.raw.sample(rng).clamp(self.min_kva, self.max_kva);
        nearest(&self.ratings, kva)
    }
}

/// The element of `ratings` (non-empty, ascending) nearest to `kva`; ties go to the smaller.
fn nearest(ratings: &[f64], kva: f64) -> f64 {
    ratings
        .iter()
        .copied()
        .min_by(|a, b| (a - kva).abs().total_cmp(&(b - kva).abs()))
        .unwrap_or(kva)
}

/// Distribution of transformer capacities: log-normal, clipped to
/// `min_kva ..= max_kva`, then rounded to the nearest standard rating in that range.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct CapacityConfig {
    /// Smallest capacity, kVA (> 0). Default 25.
    pub min_kva: f64,
    /// Largest capacity, kVA (≥ `min_kva`). Default 500.
    pub max_kva: f64,
    /// Median of the log-normal before clipping, kVA (> 0). Default 75.
    pub median_kva: f64,
    /// Log-space standard deviation (0 ..= 3). Default 0.8.
    pub sigma: f64,
}

impl Default for CapacityConfig {
    fn default() -> Self {
        CapacityConfig {
            min_kva: 25.0,
            max_kva: 500.0,
            median_kva: 75.0,
            sigma: 0.8,
        }
    }
}

impl CapacityConfig {
    /// Checks the range, the median and the spread.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the `capacity.*` field at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range(
            "capacity.min_kva",
            self.min_kva,
            f64::MIN_POSITIVE,
            1e5,
            "> 0 and <= 100000",
        )?;
        check_range(
            "capacity.max_kva",
            self.max_kva,
            f64::MIN_POSITIVE,
            1e5,
            "> 0 and <= 100000",
        )?;
        if self.min_kva > self.max_kva {
            return Err(ConfigError::Unordered {
                min_field: "capacity.min_kva",
                min: self.min_kva,
                max_field: "capacity.max_kva",
                max: self.max_kva,
            });
        }
        check_range(
            "capacity.median_kva",
            self.median_kva,
            f64::MIN_POSITIVE,
            1e5,
            "> 0 and <= 100000",
        )?;
        check_range("capacity.sigma", self.sigma, 0.0, 3.0, "0.0 ..= 3.0")?;
        CapacitySampler::new(self).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, Streams};

    #[test]
    fn rounds_to_nearest_rating() {
        assert_eq!(nearest(&STANDARD_RATINGS_KVA, 200.0), 167.0);
        assert_eq!(nearest(&STANDARD_RATINGS_KVA, 210.0), 250.0);
        assert_eq!(nearest(&STANDARD_RATINGS_KVA, 1.0), 10.0);
    }

    #[test]
    fn samples_cover_several_ratings_within_range() {
        let s = CapacitySampler::new(&CapacityConfig::default()).unwrap();
        let streams = Streams::new(5);
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..1000 {
            let kva = s.sample(&mut streams.stream(Purpose::TransformerCapacity, i));
            assert!((25.0..=500.0).contains(&kva));
            seen.insert(kva as u64);
        }
        assert!(seen.len() >= 6, "{seen:?}");
        assert!(!seen.contains(&200));
    }

    #[test]
    fn empty_rating_range_is_an_error() {
        let c = CapacityConfig {
            min_kva: 400.0,
            max_kva: 450.0,
            ..Default::default()
        };
        assert!(matches!(
            CapacitySampler::new(&c),
            Err(ConfigError::NoStandardRating { .. })
        ));
    }
}
