//! Geographic points and bounding boxes (WGS 84 degrees).

use rand::Rng;

use crate::error::ConfigError;

/// Metres per degree of latitude (mean, WGS 84): 111 320 m.
pub(crate) const METRES_PER_DEGREE: f64 = 111_320.0;

/// A point in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GeoPoint {
    /// Latitude in degrees, north positive.
    pub lat: f64,
    /// Longitude in degrees, east positive.
    pub lon: f64,
}

/// The rectangle every coordinate of a dataset lies in (inclusive).
///
/// Default: lat 14.4–14.7, lon 120.9–121.2 (Metro Manila and its southern edge).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct GeoBounds {
    /// Southern edge, degrees (−90 ..= 90).
    pub lat_min: f64,
    /// Northern edge, degrees (−90 ..= 90).
    pub lat_max: f64,
    /// Western edge, degrees (−180 ..= 180).
    pub lon_min: f64,
    /// Eastern edge, degrees (−180 ..= 180).
    pub lon_max: f64,
}

impl Default for GeoBounds {
    fn default() -> Self {
        GeoBounds {
            lat_min: 14.4,
            lat_max: 14.7,
            lon_min: 120.9,
            lon_max: 121.2,
        }
    }
}

impl GeoBounds {
    /// Checks that the box is on Earth and its edges are ordered.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] for an edge off the globe (or not finite),
    /// [`ConfigError::Unordered`] when a minimum is not below its maximum.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let edges = [
            ("bounds.lat_min", self.lat_min, 90.0, "-90.0 ..= 90.0"),
            ("bounds.lat_max", self.lat_max, 90.0, "-90.0 ..= 90.0"),
            ("bounds.lon_min", self.lon_min, 180.0, "-180.0 ..= 180.0"),
            ("bounds.lon_max", self.lon_max, 180.0, "-180.0 ..= 180.0"),
        ];
        for (field, value, limit, allowed) in edges {
            if !(-limit..=limit).contains(&value) {
                return Err(ConfigError::out_of_range(field, value, allowed));
            }
        }
        if self.lat_min >= self.lat_max {
            return Err(ConfigError::Unordered {
                min_field: "bounds.lat_min",
                min: self.lat_min,
                max_field: "bounds.lat_max",
                max: self.lat_max,
            });
        }
        if self.lon_min >= self.lon_max {
            return Err(ConfigError::Unordered {
                min_field: "bounds.lon_min",
                min: self.lon_min,
                max_field: "bounds.lon_max",
                max: self.lon_max,
            });
        }
        Ok(())
    }

    /// Whether `p` lies inside the box (edges included).
    #[must_use]
    pub fn contains(&self, p: GeoPoint) -> bool {
        (self.lat_min..=self.lat_max).contains(&p.lat) && (self.lon_min..=self.lon_max).contains(&p.lon)
    }

    /// The box's centre.
    #[must_use]
    pub fn centre(&self) -> GeoPoint {
        GeoPoint {
            lat: 0.5 * (self.lat_min + self.lat_max),
            lon: 0.5 * (self.lon_min + self.lon_max),
        }
    }

    /// A point drawn uniformly inside the box.
    pub fn sample_uniform<R: Rng + ?Sized>(&self, rng: &mut R) -> GeoPoint {
        GeoPoint {
            lat: rng.random_range(self.lat_min..=self.lat_max),
            lon: rng.random_range(self.lon_min..=self.lon_max),
        }
    }

    /// A point near `centre`, offset by independent normal deviates of
    /// `sd_lat` and `sd_lon` degrees, kept inside the box by resampling
    /// (a truncated normal), so nothing piles up on the edges.
    ///
    /// `centre` must lie inside the box. After 64 rejected draws on one axis
    /// (only possible when the box is far narrower than the spread) that axis
    /// falls back to a uniform draw over the box ∩ [centre ± 2 sd].
    pub fn sample_near<R: Rng + ?Sized>(&self, rng: &mut R, centre: GeoPoint, sd_lat: f64, sd_lon: f64) -> GeoPoint {
        GeoPoint {
            lat: truncated_normal(rng, centre.lat, sd_lat, self.lat_min, self.lat_max),
            lon: truncated_normal(rng, centre.lon, sd_lon, self.lon_min, self.lon_max),
        }
    }
}

/// Degrees of longitude that span `metres` at latitude `lat` (degrees).
#[must_use]
pub(crate) fn metres_to_lon_degrees(metres: f64, lat: f64) -> f64 {
    metres / (METRES_PER_DEGREE * lat.to_radians().cos().max(1e-6))
}

/// Degrees of latitude that span `metres`.
#[must_use]
pub(crate) fn metres_to_lat_degrees(metres: f64) -> f64 {
    metres / METRES_PER_DEGREE
}

/// A normal deviate around `mean` kept inside `[lo, hi]` by rejection.
fn truncated_normal<R: Rng + ?Sized>(rng: &mut R, mean: f64, sd: f64, lo: f64, hi: f64) -> f64 {
    let mean = mean.clamp(lo, hi);
    if sd <= 0.0 {
        return mean;
    }
    for _ in 0..64 {
        let x = mean + sd * crate::normal::standard_normal(rng);
        if (lo..=hi).contains(&x) {
            return x;
        }
    }
    let (a, b) = ((mean - 2.0 * sd).max(lo), (mean + 2.0 * sd).min(hi));
    rng.random_range(a..=b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn default_bounds_are_valid_and_contain_their_centre() {
        let b = GeoBounds::default();
        b.validate().unwrap();
        assert!(b.contains(b.centre()));
    }

    #[test]
    fn bounds_validation_names_the_field() {
        let d = GeoBounds::default;
        let b = GeoBounds { lat_min: 14.8, ..d() };
        assert_eq!(b.validate().unwrap_err().field(), "bounds.lat_min");
        let b = GeoBounds { lon_max: 181.0, ..d() };
        assert_eq!(b.validate().unwrap_err().field(), "bounds.lon_max");
        let b = GeoBounds {
            lat_max: f64::NAN,
            ..d()
        };
        assert_eq!(b.validate().unwrap_err().field(), "bounds.lat_max");
    }

    #[test]
    fn truncated_normal_stays_inside_and_is_not_piled_on_edges() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        let (lo, hi) = (0.0, 1.0);
        let mut at_edge = 0;
        for _ in 0..10_000 {
            let x = truncated_normal(&mut rng, 0.95, 0.5, lo, hi);
            assert!((lo..=hi).contains(&x));
            if x == hi || x == lo {
                at_edge += 1;
            }
        }
        assert_eq!(at_edge, 0);
    }
}
