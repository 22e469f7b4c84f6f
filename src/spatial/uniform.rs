//! Transformers spread uniformly over the bounds.

use super::{Site, SpatialStrategy};
use crate::geo::{GeoBounds, GeoPoint};
use crate::ids::{BarangayId, TransformerId};
use crate::rng::StreamRng;

/// Transformers placed uniformly inside the bounds, each assigned to the
/// barangay whose centre is nearest (equirectangular distance). A baseline
/// with no spatial structure, for checking that a detector's spatial features
/// really depend on clustering.
///
/// ```
/// use ghostload::{GeneratorConfig, Pipeline, UniformSpatial};
/// let config = GeneratorConfig { num_meters: 300, num_transformers: 30, ..Default::default() };
/// let data = Pipeline::builder().config(config).spatial(UniformSpatial).build()?.generate()?;
/// assert_eq!(data.transformers().len(), 30);
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UniformSpatial;

impl SpatialStrategy for UniformSpatial {
    fn transformer_site(
        &self,
        bounds: &GeoBounds,
        centres: &[GeoPoint],
        _: TransformerId,
        rng: &mut StreamRng,
    ) -> Site {
        let point = bounds.sample_uniform(rng);
        let coslat = point.lat.to_radians().cos();
        let dist2 = |c: &GeoPoint| (c.lat - point.lat).powi(2) + ((c.lon - point.lon) * coslat).powi(2);
        let nearest = centres
            .iter()
            .enumerate()
            .min_by(|a, b| dist2(a.1).total_cmp(&dist2(b.1)))
            .map_or(0, |(i, _)| i);
        Site {
            barangay: BarangayId::from_index(nearest as u32),
            point,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, Streams};

    #[test]
    fn assigns_the_nearest_barangay() {
        let bounds = GeoBounds::default();
        let centres = [
            GeoPoint {
                lat: 14.45,
                lon: 120.95,
            },
            GeoPoint {
                lat: 14.65,
                lon: 121.15,
            },
        ];
        let streams = Streams::new(3);
        for i in 0..500 {
            let mut rng = streams.stream(Purpose::TransformerSite, i);
            let s = UniformSpatial.transformer_site(&bounds, &centres, TransformerId::from_index(0), &mut rng);
            assert!(bounds.contains(s.point));
            let k = s.point.lat.to_radians().cos();
            let near_first = (s.point.lat - 14.45).powi(2) + ((s.point.lon - 120.95) * k).powi(2)
                < (s.point.lat - 14.65).powi(2) + ((s.point.lon - 121.15) * k).powi(2);
            assert_eq!(s.barangay.index() as usize == 0, near_first);
        }
    }
}
