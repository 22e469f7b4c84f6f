//! [`Shard`]: one of N contiguous slices of the meters, for multi-machine runs.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crate::error::ConfigError;

/// The allowed range of a shard, in words (see [`Shard::MAX_COUNT`]).
const ALLOWED: &str = "K/N with 1 <= K <= N <= 4294967295";

/// The `index`-th (1-based) of `count` contiguous, nearly equal meter ranges.
///
/// Shard `K/N` of `n` meters covers meters `⌊(K−1)·n/N⌋ .. ⌊K·n/N⌋`; the
/// ranges of `1/N … N/N` tile `0 .. n` in order, so concatenating the shards'
/// rows reproduces the single-machine files byte for byte.
///
/// ```
/// use ghostload::Shard;
/// let shard: Shard = "2/4".parse()?;
/// assert_eq!(shard.range(10), 2..5);
/// let tiles: Vec<_> = (1..=4).map(|k| Shard::new(k, 4).unwrap().range(10)).collect();
/// assert_eq!(tiles, [0..2, 2..5, 5..7, 7..10]);
/// # Ok::<(), ghostload::ConfigError>(())
/// ```
///
/// With the `serde` feature it (de)serializes as `{index, count}`;
/// deserializing checks them as [`Shard::new`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "ShardFields"))]
pub struct Shard {
    index: usize,
    count: usize,
}

/// The serialized form of a [`Shard`], checked on the way in.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ShardFields {
    index: usize,
    count: usize,
}

#[cfg(feature = "serde")]
impl TryFrom<ShardFields> for Shard {
    type Error = ConfigError;

    fn try_from(f: ShardFields) -> Result<Self, Self::Error> {
        Shard::new(f.index, f.count)
    }
}

impl Shard {
    /// Most shards a dataset can be split into: 4 294 967 295, the largest
    /// number of meters ([`GeneratorConfig::MAX_ENTITIES`](crate::GeneratorConfig::MAX_ENTITIES)).
    /// More shards than meters is allowed (the extra shards are empty).
    pub const MAX_COUNT: usize = u32::MAX as usize;

    /// Shard `index` of `count` (`1 <= index <= count <= MAX_COUNT`).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `shard`.
    pub fn new(index: usize, count: usize) -> Result<Self, ConfigError> {
        if count == 0 || count > Self::MAX_COUNT || index == 0 || index > count {
            return Err(ConfigError::out_of_range("shard", format!("{index}/{count}"), ALLOWED));
        }
        Ok(Shard { index, count })
    }

    /// The whole dataset as a single shard (`1/1`).
    #[must_use]
    pub const fn whole() -> Self {
        Shard { index: 1, count: 1 }
    }

    /// The 1-based shard number `K`.
    #[must_use]
    pub fn index(&self) -> usize {
        self.index
    }

    /// The number of shards `N`.
    #[must_use]
    pub fn count(&self) -> usize {
        self.count
    }

    /// The meter indices of this shard among `meters` meters.
    #[must_use]
    pub fn range(&self, meters: usize) -> Range<usize> {
        let at = |k: usize| ((k as u128 * meters as u128) / self.count as u128) as usize;
        at(self.index - 1)..at(self.index)
    }
}

impl Default for Shard {
    fn default() -> Self {
        Self::whole()
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ConfigError;

    /// Parses `K/N`, e.g. `3/8`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || ConfigError::Invalid {
            field: "shard",
            value: s.to_owned(),
            reason: "expected K/N with 1 <= K <= N <= 4294967295, e.g. 3/8",
        };
        let (k, n) = s.split_once('/').ok_or_else(invalid)?;
        let k = k.trim().parse().map_err(|_| invalid())?;
        let n = n.trim().parse().map_err(|_| invalid())?;
        Shard::new(k, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_tile_the_range_for_any_split() {
        for n in [0usize, 1, 7, 100, 1001] {
            for count in 1..=9 {
                let mut next = 0;
                for k in 1..=count {
                    let r = Shard::new(k, count).unwrap().range(n);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, n);
            }
        }
    }

    #[test]
    fn bad_shards_are_rejected() {
        for bad in [
            "0/4",
            "5/4",
            "1/0",
            "x/2",
            "3",
            "",
            "1/4294967296",
            "18446744073709551615/18446744073709551615",
            "1/18446744073709551616",
            "-1/4",
        ] {
            assert_eq!(bad.parse::<Shard>().unwrap_err().field(), "shard", "{bad}");
        }
    }
}
