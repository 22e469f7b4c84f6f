//! Which meters are anomalous: exactly `k` of `n`, decided per meter in O(1).

use crate::rng::splitmix64;

/// Rounds of the Feistel network. With a pseudo-random round function, four
/// rounds give a strong pseudo-random permutation (Luby & Rackoff 1988),
/// more than choosing anomalous meters needs; each round costs one SplitMix64.
const ROUNDS: usize = 4;

/// A keyed pseudo-random permutation of `0..n`; meter `i` is anomalous when
/// its rank `π(i) < k`.
///
/// Exactly `k` meters are selected (a permutation is a bijection), each meter
/// is decided alone in O(1) time and memory (a balanced Feistel network with
/// cycle walking, Black & Rogaway 2002), and raising `k` only adds meters:
/// the anomalous set at rate 5 % is contained in the set at rate 10 %.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AnomalySelection {
    n: u64,
    k: u64,
    half_bits: u32,
    keys: [u64; ROUNDS],
}

impl AnomalySelection {
    /// Selects `k` of `n` items (`k` is capped at `n`), keyed by `key`.
    #[must_use]
    pub(crate) fn new(n: u64, k: u64, key: u64) -> Self {
        // Smallest even bit width 2h with 2^(2h) >= n, h >= 1: the walk then
        // needs fewer than four steps on average.
        let mut half_bits = 1;
        while half_bits < 32 && (1u64 << (2 * half_bits)) < n {
            half_bits += 1;
        }
        let mut keys = [0; ROUNDS];
        let mut h = key;
        for k in &mut keys {
            h = splitmix64(h);
            *k = h;
        }
        AnomalySelection {
            n,
            k: k.min(n),
            half_bits,
            keys,
        }
    }

    /// Number of selected items.
    #[must_use]
    pub(crate) fn count(&self) -> u64 {
        self.k
    }

    /// The rank `π(i)` of item `i`: a bijection of `0..n`. Items outside
    /// `0..n` keep their index (and so are never selected): cycle walking
    /// from outside the domain could loop forever.
    #[must_use]
    pub(crate) fn rank(&self, i: u64) -> u64 {
        if i >= self.n {
            return i;
        }
        let mut x = i;
        loop {
            x = self.feistel(x);
            if x < self.n {
                return x;
            }
        }
    }

    /// Whether item `i` is selected.
    #[cfg(test)]
    fn is_selected(&self, i: u64) -> bool {
        self.k > 0 && self.rank(i) < self.k
    }

    fn feistel(&self, x: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let (mut left, mut right) = (x >> self.half_bits, x & mask);
        for key in self.keys {
            let f = splitmix64(right ^ key) & mask;
            (left, right) = (right, left ^ f);
        }
        (left << self.half_bits) | right
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_is_a_permutation() {
        for n in [1u64, 2, 3, 10, 17, 100, 1000, 4097] {
            let s = AnomalySelection::new(n, 0, 42);
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let r = s.rank(i) as usize;
                assert!(!seen[r], "n={n}: rank {r} twice");
                seen[r] = true;
            }
        }
    }

    #[test]
    fn selection_is_exact_and_nested() {
        let small = AnomalySelection::new(2000, 100, 7);
        let large = AnomalySelection::new(2000, 300, 7);
        assert_eq!((0..2000).filter(|&i| small.is_selected(i)).count(), 100);
        assert!((0..2000).all(|i| !small.is_selected(i) || large.is_selected(i)));
        let other = AnomalySelection::new(2000, 100, 8);
        assert!((0..2000).any(|i| small.is_selected(i) != other.is_selected(i)));
    }

    #[test]
    fn selection_is_spread_over_the_range() {
        // Not clustered at the start: each half holds a fair share of 500 picks.
        let s = AnomalySelection::new(10_000, 500, 3);
        let first_half = (0..5000).filter(|&i| s.is_selected(i)).count();
        assert!((200..300).contains(&first_half), "{first_half}");
    }

    #[test]
    fn items_outside_the_domain_are_never_selected_and_return_at_once() {
        let s = AnomalySelection::new(1000, 1000, 9);
        for i in [1000, 1001, 1023, 1024, 5000, u64::MAX] {
            assert_eq!(s.rank(i), i);
            assert!(!s.is_selected(i));
        }
    }
}
