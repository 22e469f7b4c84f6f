//! Allocation of meters to transformers.
//!
//! Each transformer first gets the minimum, then the rest is shared in
//! proportion to capacity (floors), and the few meters the floors leave over
//! are handed out one at a time to transformers drawn with probability
//! proportional to capacity. The total is exactly `num_meters` by construction
//! (the original tool could hand out more meters than requested).
//!
//! Meters are numbered transformer by transformer: transformer 0 serves meters
//! `0 .. count(0)`, transformer 1 the next `count(1)`, and so on, so the
//! transformer of any meter is found in O(log transformers) from this table alone.

use rand::Rng;

use crate::ids::TransformerId;

/// How many meters each transformer serves, as cumulative offsets.
///
/// With the `serde` feature it (de)serializes as `{"offsets": [0, ...]}`;
/// deserializing checks that the offsets start at 0 and never decrease.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "AllocationFields"))]
pub struct Allocation {
    /// `offsets[t] .. offsets[t + 1]` are the meter indices of transformer `t`.
    offsets: Vec<usize>,
}

/// The serialized form of an [`Allocation`], checked on the way in.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AllocationFields {
    offsets: Vec<usize>,
}

#[cfg(feature = "serde")]
impl TryFrom<AllocationFields> for Allocation {
    type Error = &'static str;

    fn try_from(f: AllocationFields) -> Result<Self, Self::Error> {
        if f.offsets.first() != Some(&0) {
            return Err("allocation offsets must start at 0");
        }
        if f.offsets.windows(2).any(|w| w[0] > w[1]) {
            return Err("allocation offsets must never decrease");
        }
        Ok(Allocation { offsets: f.offsets })
    }
}

impl Allocation {
    /// Allocates `num_meters` meters over transformers of the given capacities.
    ///
    /// Requires `capacities` non-empty and positive and
    /// `minimum × capacities.len() <= num_meters` (the pipeline lowers the
    /// minimum beforehand when needed).
    pub fn proportional<R: Rng + ?Sized>(capacities: &[f64], num_meters: usize, minimum: usize, rng: &mut R) -> Self {
        let t = capacities.len();
        let minimum = minimum.min(num_meters / t.max(1));
        let total_kva: f64 = capacities.iter().sum();
        let shared = num_meters - minimum * t;
        let mut counts: Vec<usize> = capacities
            .iter()
            .map(|c| minimum + (shared as f64 * c / total_kva).floor() as usize)
            .collect();
        let assigned: usize = counts.iter().sum();
        // Floors can, through rounding of the division, overshoot by a hair:
        // take any excess back from the largest counts above the minimum.
        let mut excess = assigned.saturating_sub(num_meters);
        while excess > 0 {
            if let Some(i) = (0..t).filter(|&i| counts[i] > minimum).max_by_key(|&i| counts[i]) {
                counts[i] -= 1;
            }
            excess -= 1;
        }
        let remainder = num_meters - counts.iter().sum::<usize>();
        if remainder > 0 {
            // Weighted draws by binary search over cumulative capacity: O(remainder · log t).
            let cumulative: Vec<f64> = capacities
                .iter()
                .scan(0.0, |acc, c| {
                    *acc += c;
                    Some(*acc)
                })
                .collect();
            for _ in 0..remainder {
                let u = rng.random::<f64>() * total_kva;
                let pick = cumulative.partition_point(|&c| c <= u).min(t - 1);
                counts[pick] += 1;
            }
        }
        let mut offsets = Vec::with_capacity(t + 1);
        offsets.push(0);
        for c in counts {
            offsets.push(offsets[offsets.len() - 1] + c);
        }
        Allocation { offsets }
    }

    /// Number of transformers.
    #[must_use]
    pub fn transformers(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Total number of meters.
    #[must_use]
    pub fn meters(&self) -> usize {
        self.offsets[self.offsets.len() - 1]
    }

    /// Meters served by transformer `t` (0-based).
    #[must_use]
    pub fn count(&self, t: usize) -> usize {
        self.offsets[t + 1] - self.offsets[t]
    }

    /// The meter indices of transformer `t`.
    #[must_use]
    pub fn range(&self, t: usize) -> std::ops::Range<usize> {
        self.offsets[t]..self.offsets[t + 1]
    }

    /// The transformer serving meter `meter` (0-based; must be `< meters()`).
    #[must_use]
    pub fn transformer_of(&self, meter: usize) -> TransformerId {
        // The last offset <= meter whose range is non-empty.
        let t = self.offsets.partition_point(|&o| o <= meter) - 1;
        TransformerId::from_index(t as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, Streams};

    fn alloc(caps: &[f64], n: usize, min: usize) -> Allocation {
        Allocation::proportional(caps, n, min, &mut Streams::new(1).stream(Purpose::Allocation, 0))
    }

    #[test]
    fn total_is_exact_and_minimum_honoured() {
        let caps = [25.0, 50.0, 500.0, 75.0, 167.0];
        for n in [50, 53, 57, 1000, 1234] {
            let a = alloc(&caps, n, 10);
            assert_eq!(a.meters(), n);
            assert!((0..5).all(|t| a.count(t) >= 10));
        }
    }

    #[test]
    fn counts_are_the_minimum_plus_floors_of_the_capacity_shares() {
        // 1000 meters, minimum 10 on five transformers: 950 shared over 817 kVA.
        // Shares 950·25/817 = 29.07, 950·50/817 = 58.14, 950·500/817 = 581.4,
        // 950·75/817 = 87.21, 950·167/817 = 194.19; floors add up to 949, and
        // the one meter left goes to a transformer drawn by capacity.
        let a = alloc(&[25.0, 50.0, 500.0, 75.0, 167.0], 1000, 10);
        let floors = [39, 68, 591, 97, 204];
        let extra: Vec<usize> = (0..5).map(|t| a.count(t) - floors[t]).collect();
        assert_eq!(extra.iter().sum::<usize>(), 1, "{a:?}");
        assert!(extra.iter().all(|&e| e <= 1), "{a:?}");
        // Exact shares leave nothing to draw: 40 over 1, 1, 2 kVA.
        let a = alloc(&[1.0, 1.0, 2.0], 40, 0);
        assert_eq!((0..3).map(|t| a.count(t)).collect::<Vec<_>>(), [10, 10, 20]);
        // With a minimum of 5: 25 shared, 6.25, 6.25, 12.5 → 11, 11, 17 and one drawn.
        let a = alloc(&[1.0, 1.0, 2.0], 40, 5);
        let extra: Vec<usize> = (0..3).map(|t| a.count(t) - [11, 11, 17][t]).collect();
        assert_eq!(extra.iter().sum::<usize>(), 1, "{a:?}");
    }

    #[test]
    fn meters_left_over_are_drawn_by_capacity() {
        // 3 meters over 1 and 3 kVA: floors 0 and 2, the third meter goes to
        // the first transformer with probability 1/4 (100 of 400 expected;
        // binomial s.d. 8.7).
        let first = (0..400)
            .filter(|&seed| {
                let a = Allocation::proportional(
                    &[1.0, 3.0],
                    3,
                    0,
                    &mut Streams::new(seed).stream(Purpose::Allocation, 0),
                );
                a.count(0) == 1
            })
            .count();
        assert!((65..135).contains(&first), "{first}");
        // The last transformer is drawn too (no draw falls off the end).
        let last = (0..400)
            .filter(|&seed| {
                let a = Allocation::proportional(
                    &[3.0, 1.0],
                    3,
                    0,
                    &mut Streams::new(seed).stream(Purpose::Allocation, 0),
                );
                a.count(1) == 1
            })
            .count();
        assert!((65..135).contains(&last), "{last}");
    }

    #[test]
    fn minimum_is_capped_when_meters_are_too_few() {
        // 20 meters cannot give 10 to each of 5 transformers: 4 each.
        let a = alloc(&[1.0, 2.0, 3.0, 4.0, 5.0], 20, 10);
        assert_eq!((0..5).map(|t| a.count(t)).collect::<Vec<_>>(), [4; 5]);
        assert_eq!(a.transformers(), 5);
        assert_eq!(a.range(2), 8..12);
        assert_eq!(a.transformer_of(19).index(), 4);
    }

    #[test]
    fn larger_transformers_serve_more_meters() {
        let a = alloc(&[25.0, 500.0], 1000, 10);
        assert!(a.count(1) > 10 * a.count(0) / 2, "{a:?}");
    }

    #[cfg(feature = "serde")]
    #[test]
    fn deserialising_checks_the_offsets() {
        let parse = |json: &str| serde_json::from_str::<Allocation>(json).map_err(|e| e.to_string());
        // Equal neighbours (a transformer with no meters) are fine.
        let a = parse(r#"{"offsets":[0,2,2,5]}"#).unwrap();
        assert_eq!((a.transformers(), a.meters(), a.count(1)), (3, 5, 0));
        let err = parse(r#"{"offsets":[0,3,2]}"#).unwrap_err();
        assert!(err.contains("must never decrease"), "{err}");
        let err = parse(r#"{"offsets":[1,3]}"#).unwrap_err();
        assert!(err.contains("must start at 0"), "{err}");
        assert!(parse(r#"{"offsets":[]}"#).is_err());
    }

    #[test]
    fn transformer_of_matches_ranges() {
        let a = alloc(&[25.0, 50.0, 100.0], 100, 10);
        for t in 0..3 {
            for m in a.range(t) {
                assert_eq!(a.transformer_of(m).index() as usize, t);
            }
        }
    }
}
