//! Where barangays and transformers are: the [`SpatialStrategy`] trait and its implementations.

mod gaussian;
mod uniform;

pub use gaussian::GaussianClusters;
pub use uniform::UniformSpatial;

use std::fmt::Debug;

use crate::geo::{GeoBounds, GeoPoint};
use crate::ids::{BarangayId, TransformerId};
use crate::rng::StreamRng;

/// Where one transformer stands and which barangay it belongs to.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Site {
    /// The barangay the transformer serves.
    pub barangay: BarangayId,
    /// Its position; must lie inside the dataset's bounds.
    pub point: GeoPoint,
}

/// Places barangay centres and transformers.
///
/// Each method is called once per entity with that entity's own random
/// stream, so a strategy is deterministic for a fixed seed and the position of
/// one transformer never depends on another's. Points must lie inside `bounds`;
/// [`Pipeline::generate`](crate::Pipeline::generate) fails with a validation
/// error otherwise.
///
/// # Example: every transformer in the middle of its barangay
/// ```
/// use ghostload::{GeneratorConfig, Pipeline, Site, SpatialStrategy};
/// use ghostload::{GeoBounds, GeoPoint, TransformerId, rng::StreamRng};
/// use ghostload::rand::Rng;
///
/// #[derive(Debug)]
/// struct AtCentre;
///
/// impl SpatialStrategy for AtCentre {
///     fn transformer_site(&self, _bounds: &GeoBounds, centres: &[GeoPoint],
///                         _id: TransformerId, rng: &mut StreamRng) -> Site {
///         let b = rng.random_range(0..centres.len());
///         Site { barangay: ghostload::BarangayId::from_index(b as u32), point: centres[b] }
///     }
/// }
///
/// let config = GeneratorConfig { num_meters: 200, num_transformers: 10, ..Default::default() };
/// let data = Pipeline::builder().config(config).spatial(AtCentre).build()?.generate()?;
/// let t = &data.transformers()[0];
/// assert_eq!(data.barangay(t.barangay).unwrap().centre, t.point());
/// # Ok::<(), ghostload::Error>(())
/// ```
pub trait SpatialStrategy: Debug + Send + Sync {
    /// The centre of barangay `barangay`. Default: uniform inside `bounds`.
    fn barangay_centre(&self, bounds: &GeoBounds, barangay: BarangayId, rng: &mut StreamRng) -> GeoPoint {
        let _ = barangay;
        bounds.sample_uniform(rng)
    }

    /// The site of transformer `transformer`, given every barangay's centre
    /// (`centres[b]` is the centre of `BarangayId::from_index(b)`).
    fn transformer_site(
        &self,
        bounds: &GeoBounds,
        centres: &[GeoPoint],
        transformer: TransformerId,
        rng: &mut StreamRng,
    ) -> Site;
}

macro_rules! forward_spatial {
    ($($ptr:ty),*) => {$(
        impl<T: SpatialStrategy + ?Sized> SpatialStrategy for $ptr {
            fn barangay_centre(&self, bounds: &GeoBounds, barangay: BarangayId, rng: &mut StreamRng) -> GeoPoint {
                (**self).barangay_centre(bounds, barangay, rng)
            }
            fn transformer_site(&self, bounds: &GeoBounds, centres: &[GeoPoint], transformer: TransformerId, rng: &mut StreamRng) -> Site {
                (**self).transformer_site(bounds, centres, transformer, rng)
            }
        }
    )*};
}
forward_spatial!(&T, Box<T>, std::sync::Arc<T>);
