//! The anomaly and benign mixes: built-in injectors by name, default weights,
//! and exact per-type counts by largest remainder.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{
    AnomalyInjector, ConstantFactor, ErraticPattern, FlatMean, GradualDecline, MeterBypass, MeterDrift, NewConnection,
    Outage, RandomFactor, RandomMeanFactor, ReversedOrder, SeasonalShift, SolarInstall, Spike, StuckMeter,
    TamperedMeter, Vacancy, ZeroReadings,
};

/// The built-in anomaly types accepted as keys of
/// [`GeneratorConfig::anomaly_mix`](crate::GeneratorConfig::anomaly_mix),
/// with their default weights (the default mix).
///
/// The default weights are a judgement call: the design's gradual decline
/// and the three practical theft cases weigh most, the literature's attacks
/// h1–h4 next, and the energy-preserving attacks (h5, h6) and non-theft
/// anomalies least. The sum is 14, so e.g. `low_consumption` is 2/14 of the
/// anomalous meters.
pub const DEFAULT_ANOMALY_MIX: [(&str, f64); 14] = [
    ("low_consumption", 2.0),
    ("constant_factor", 1.0),
    ("zero_readings", 1.0),
    ("random_factor", 1.0),
    ("random_mean_factor", 1.0),
    ("flat_mean", 0.5),
    ("reversed_order", 0.5),
    ("high_consumption", 1.0),
    ("meter_drift", 0.5),
    ("seasonal_shift", 0.5),
    ("erratic_pattern", 1.0),
    ("meter_bypass", 1.5),
    ("stuck_meter", 1.0),
    ("tampered_meter", 1.5),
];

/// The built-in benign event types accepted as keys of
/// [`GeneratorConfig::benign_mix`](crate::GeneratorConfig::benign_mix),
/// with their default weights (equal).
pub const DEFAULT_BENIGN_MIX: [(&str, f64); 4] = [
    ("vacancy", 1.0),
    ("new_connection", 1.0),
    ("solar_install", 1.0),
    ("outage", 1.0),
];

/// The default anomaly mix as a map (see [`DEFAULT_ANOMALY_MIX`]).
#[must_use]
pub(crate) fn default_anomaly_mix() -> BTreeMap<String, f64> {
    DEFAULT_ANOMALY_MIX.iter().map(|(k, w)| ((*k).to_owned(), *w)).collect()
}

/// The default benign mix as a map (see [`DEFAULT_BENIGN_MIX`]).
#[must_use]
pub(crate) fn default_benign_mix() -> BTreeMap<String, f64> {
    DEFAULT_BENIGN_MIX.iter().map(|(k, w)| ((*k).to_owned(), *w)).collect()
}

/// The built-in injector called `name` (anomaly or benign), with its
/// default parameters, or `None` for an unknown name.
///
/// ```
/// use ghostload::anomaly::builtin;
/// assert!(builtin("constant_factor").is_some());
/// assert!(builtin("vacancy").is_some());
/// assert!(builtin("nonsense").is_none());
/// ```
#[must_use]
pub fn builtin(name: &str) -> Option<Arc<dyn AnomalyInjector>> {
    Some(match name {
        "low_consumption" => Arc::new(GradualDecline::default()),
        "constant_factor" => Arc::new(ConstantFactor::default()),
        "zero_readings" => Arc::new(ZeroReadings::default()),
        "random_factor" => Arc::new(RandomFactor::default()),
        "random_mean_factor" => Arc::new(RandomMeanFactor::default()),
        "flat_mean" => Arc::new(FlatMean),
        "reversed_order" => Arc::new(ReversedOrder),
        "high_consumption" => Arc::new(Spike::default()),
        "meter_drift" => Arc::new(MeterDrift::default()),
        "seasonal_shift" => Arc::new(SeasonalShift::default()),
        "erratic_pattern" => Arc::new(ErraticPattern::default()),
        "meter_bypass" => Arc::new(MeterBypass::default()),
        "stuck_meter" => Arc::new(StuckMeter),
        "tampered_meter" => Arc::new(TamperedMeter::default()),
        "vacancy" => Arc::new(Vacancy::default()),
        "new_connection" => Arc::new(NewConnection),
        "solar_install" => Arc::new(SolarInstall::default()),
        "outage" => Arc::new(Outage::default()),
        _ => return None,
    })
}

/// Splits `total` items over `weights` by the largest-remainder (Hamilton)
/// method: each entry gets `⌊total · wᵢ / Σw⌋`, and the items left over go,
/// one each, to the entries with the largest fractional remainders; ties go
/// to the earlier entry. The counts add up to `total` exactly, and an entry
/// of weight 0 gets 0.
///
/// Weights must be finite and ≥ 0 (others count as 0); any finite weight
/// works, up to `f64::MAX` (they are scaled by the largest before summing, so
/// the sum cannot overflow). When every weight is
/// 0 all counts are 0 (and do not add up to a non-zero `total`; the
/// configuration's validation prevents this).
#[must_use]
pub(crate) fn largest_remainder(total: u64, weights: &[f64]) -> Vec<u64> {
    let finite = |w: f64| if w.is_finite() && w > 0.0 { w } else { 0.0 };
    // Divided by the power of two at or below the largest weight (exact, so
    // the counts are those of the unscaled weights), every weight is below 2
    // and their sum cannot overflow.
    let largest = weights.iter().map(|&w| finite(w)).fold(0.0, f64::max);
    let unit = if largest > 1.0 {
        2f64.powi(largest.log2().floor().min(1023.0) as i32)
    } else {
        1.0
    };
    let clean: Vec<f64> = weights.iter().map(|&w| finite(w) / unit).collect();
    let sum: f64 = clean.iter().sum();
    if sum <= 0.0 || total == 0 {
        return vec![0; weights.len()];
    }
    let quotas: Vec<f64> = clean.iter().map(|w| total as f64 * w / sum).collect();
    let mut counts: Vec<u64> = quotas.iter().map(|q| q.floor() as u64).collect();
    let assigned: u64 = counts.iter().sum();
    let mut left = total.saturating_sub(assigned);
    let mut order: Vec<usize> = (0..clean.len()).filter(|&i| clean[i] > 0.0).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (quotas[a] - quotas[a].floor(), quotas[b] - quotas[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    // Rounding can leave more than one pass's worth only in degenerate float
    // cases; cycle until every item is placed.
    while left > 0 && !order.is_empty() {
        for &i in &order {
            if left == 0 {
                break;
            }
            counts[i] += 1;
            left -= 1;
        }
    }
    counts
}

/// Cumulative upper bounds of consecutive rank ranges: entry `j` owns ranks
/// `bounds[j − 1] .. bounds[j]`.
pub(crate) fn cumulative(counts: &[u64]) -> Vec<u64> {
    counts
        .iter()
        .scan(0u64, |acc, c| {
            *acc += c;
            Some(*acc)
        })
        .collect()
}

/// The entry owning `rank` in cumulative `bounds` (`None` past the last).
pub(crate) fn entry_of(bounds: &[u64], rank: u64) -> Option<usize> {
    let j = bounds.partition_point(|&b| b <= rank);
    (j < bounds.len()).then_some(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_remainder_examples() {
        // 10/3 = 3.33 each: the one spare unit goes to the first entry (tie).
        assert_eq!(largest_remainder(10, &[1.0, 1.0, 1.0]), [4, 3, 3]);
        // Quotas 75, 37.5, 0, 37.5: the tie on .5 goes to the earlier entry.
        assert_eq!(largest_remainder(150, &[2.0, 1.0, 0.0, 1.0]), [75, 38, 0, 37]);
        // Weights near f64::MAX: their sum would overflow without the exact rescaling.
        assert_eq!(largest_remainder(4, &[f64::MAX, f64::MAX, f64::MAX / 2.0]), [2, 1, 1]);
        assert_eq!(largest_remainder(150, &[1e308, 1e307, 1e307]), [125, 13, 12]);
        assert_eq!(largest_remainder(3, &[f64::MAX; 3]), [1, 1, 1]);
    }
    use proptest::prelude::*;

    #[test]
    fn every_default_name_is_builtin() {
        for (name, _) in DEFAULT_ANOMALY_MIX.iter().chain(&DEFAULT_BENIGN_MIX) {
            assert!(builtin(name).is_some(), "{name}");
        }
    }

    #[test]
    fn largest_remainder_hand_computed_cases() {
        // 150 over the default weights (sum 14): shares 21.43, 10.71 (×7),
        // 5.36 (×4), 16.07 (×2); floors add up to 143 and the 7 left go to
        // the seven shares of remainder .71.
        let weights: Vec<f64> = DEFAULT_ANOMALY_MIX.iter().map(|(_, w)| *w).collect();
        assert_eq!(
            largest_remainder(150, &weights),
            [21, 11, 11, 11, 11, 5, 5, 11, 5, 5, 11, 16, 11, 16]
        );
        // 37 over 2, 1.5, 0.5 (sum 4): 18.5, 13.875, 4.625 → floors 35; the 2
        // left go to .875 and .625, not to the heaviest weight.
        assert_eq!(largest_remainder(37, &[2.0, 1.5, 0.5]), [18, 14, 5]);
        // Ties go to the first: 10 over four equal weights, 2.5 each.
        assert_eq!(largest_remainder(10, &[1.0; 4]), [3, 3, 2, 2]);
        // Weights that are 0, negative or not finite get nothing.
        assert_eq!(
            largest_remainder(7, &[0.0, -1.0, f64::NAN, f64::INFINITY, 2.0]),
            [0, 0, 0, 0, 7]
        );
        // Nothing to share, or nothing to share it by.
        assert_eq!(largest_remainder(0, &[1.0, 2.0]), [0, 0]);
        assert_eq!(largest_remainder(5, &[0.0, 0.0]), [0, 0]);
        assert_eq!(largest_remainder(5, &[]), Vec::<u64>::new());
        // One weight takes everything; exact shares need no remainder.
        assert_eq!(largest_remainder(9, &[0.25]), [9]);
        assert_eq!(largest_remainder(12, &[1.0, 2.0, 3.0]), [2, 4, 6]);
    }

    #[test]
    fn ranks_map_to_consecutive_ranges() {
        let b = cumulative(&[2, 0, 3]);
        assert_eq!(b, [2, 2, 5]);
        let owners: Vec<_> = (0..6).map(|r| entry_of(&b, r)).collect();
        assert_eq!(owners, [Some(0), Some(0), Some(2), Some(2), Some(2), None]);
    }

    proptest! {
        #[test]
        fn largest_remainder_is_exact_and_fair(total in 0u64..100_000, weights in prop::collection::vec(0.0f64..10.0, 1..20)) {
            prop_assume!(weights.iter().any(|&w| w > 0.0));
            let counts = largest_remainder(total, &weights);
            prop_assert_eq!(counts.iter().sum::<u64>(), total);
            let sum: f64 = weights.iter().sum();
            for (c, w) in counts.iter().zip(&weights) {
                let quota = total as f64 * w / sum;
                // Hamilton: every count is its quota rounded down or up.
                prop_assert!((*c as f64) >= quota.floor() - 1e-6 && (*c as f64) <= quota.ceil() + 1e-6, "{} vs {}", c, quota);
                if *w == 0.0 { prop_assert_eq!(*c, 0); }
            }
        }
    }
}
