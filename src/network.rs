//! [`Network`]: the barangays and transformers every meter hangs on.

use crate::allocation::Allocation;
use crate::ids::{MeterId, TransformerId};
use crate::model::{Barangay, Transformer};

/// The global, cheap part of a dataset (O(transformers) memory): barangays,
/// transformers and the allocation of meter indices to transformers.
///
/// Built once by [`PipelineBuilder::build`](crate::PipelineBuilder::build) and
/// read with [`Pipeline::network`](crate::Pipeline::network); meters
/// are then generated from it in any order, in batches or all at once.
///
/// ```
/// use ghostload::Pipeline;
/// let pipeline = Pipeline::builder().build()?;
/// let network = pipeline.network();
/// assert_eq!(network.transformers().len(), 50);
/// assert_eq!(network.allocation().meters(), 2000);
/// # Ok::<(), ghostload::Error>(())
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub(crate) barangays: Vec<Barangay>,
    pub(crate) transformers: Vec<Transformer>,
    pub(crate) allocation: Allocation,
}

impl Network {
    /// All barangays, in configuration order.
    #[must_use]
    pub fn barangays(&self) -> &[Barangay] {
        &self.barangays
    }

    /// All transformers, in id order.
    #[must_use]
    pub fn transformers(&self) -> &[Transformer] {
        &self.transformers
    }

    /// Which meter indices each transformer serves.
    #[must_use]
    pub fn allocation(&self) -> &Allocation {
        &self.allocation
    }

    /// The transformer serving meter `id`, if the meter exists.
    #[must_use]
    pub fn transformer_of(&self, id: MeterId) -> Option<&Transformer> {
        ((id.index() as usize) < self.allocation.meters())
            .then(|| {
                self.transformers
                    .get(self.allocation.transformer_of(id.index() as usize).index() as usize)
            })
            .flatten()
    }

    /// Number of feeders (one more than the highest feeder id; 0 without transformers).
    pub(crate) fn feeder_count(&self) -> usize {
        self.transformers
            .iter()
            .map(|t| t.feeder_id.index() as usize + 1)
            .max()
            .unwrap_or(0)
    }

    /// One transformer, if it exists.
    #[must_use]
    pub fn transformer(&self, id: TransformerId) -> Option<&Transformer> {
        self.transformers.get(id.index() as usize)
    }
}
