//! Small typed identifiers that display the way the output files spell them.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $inner:ty, $prefix:literal, $width:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(transparent))]
        pub struct $name($inner);

        impl $name {
            /// The identifier of the entity at 0-based position `index`.
            #[must_use]
            pub const fn from_index(index: $inner) -> Self {
                $name(index)
            }

            /// The 0-based position of the entity in its collection (the
            /// same type [`from_index`](Self::from_index) takes; index a
            /// slice with `id.index() as usize`, a lossless widening).
            #[must_use]
            pub const fn index(self) -> $inner {
                self.0
            }

            /// The 1-based number shown in the displayed identifier.
            #[must_use]
            pub const fn number(self) -> u64 {
                self.0 as u64 + 1
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{:0", $width, "}"), self.number())
            }
        }
    };
}

id_type!(
    /// A transformer, displayed `TX_0001` (1-based, at least four digits).
    ///
    /// ```
    /// assert_eq!(ghostload::TransformerId::from_index(0).to_string(), "TX_0001");
    /// ```
    TransformerId, u32, "TX_", 4
);
id_type!(
    /// A meter, displayed `MTR_000001` (1-based, at least six digits).
    ///
    /// ```
    /// assert_eq!(ghostload::MeterId::from_index(41).to_string(), "MTR_000042");
    /// ```
    MeterId, u32, "MTR_", 6
);
id_type!(
    /// A feeder (a group of nearby transformers), displayed `FDR_01`.
    ///
    /// ```
    /// assert_eq!(ghostload::FeederId::from_index(2).to_string(), "FDR_03");
    /// ```
    FeederId, u32, "FDR_", 2
);
id_type!(
    /// A barangay (the smallest Philippine administrative unit), as its
    /// position in [`GeneratorConfig::barangays`](crate::GeneratorConfig::barangays);
    /// displayed `BRGY_01`. Look the name up with
    /// [`Dataset::barangay`](crate::Dataset::barangay).
    BarangayId, u32, "BRGY_", 2
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_pad_and_grow() {
        assert_eq!(TransformerId::from_index(9998).to_string(), "TX_9999");
        assert_eq!(TransformerId::from_index(9999).to_string(), "TX_10000");
        assert_eq!(MeterId::from_index(999_999).to_string(), "MTR_1000000");
        assert_eq!(BarangayId::from_index(0).to_string(), "BRGY_01");
        assert_eq!(MeterId::from_index(7).index(), 7);
    }
}
