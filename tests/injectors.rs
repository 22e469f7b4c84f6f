//! Property tests of every built-in injector's formula and of its label
//! (onset, end and the periods it changed), run through `anomaly::preview`.

use ghostload::anomaly::{
    ConstantFactor, ErraticPattern, FlatMean, MeterBypass, MeterDrift, NewConnection, Outage, RandomFactor,
    RandomMeanFactor, ReversedOrder, SeasonalShift, SolarInstall, Spike, StuckMeter, TamperedMeter, Vacancy,
    ZeroReadings, builtin, preview,
};
use ghostload::{AnomalyInjector, AnomalyType, GradualDecline, Injection};
use proptest::prelude::*;

const TOL: f64 = 1e-9;

fn series_strategy() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(1.0f64..1000.0, 1..48)
}

/// Series of distinct values (so that a rotation of one is recognisable), in random order.
fn distinct_series() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::btree_set(1u32..1_000_000, 1..48)
        .prop_map(|set| set.into_iter().map(|v| f64::from(v) / 100.0).collect::<Vec<f64>>())
        .prop_shuffle()
}

/// The `s` in `0..x.len()` with `y[j] == x[(j + len − s) % len]` for every
/// `j` (`y` is `x` rotated right by `s`), if any; the smallest one.
fn rotation_of(x: &[f64], y: &[f64]) -> Option<usize> {
    let w = x.len();
    (0..w).find(|&s| (0..w).all(|j| y[j] == x[(j + w - s) % w]))
}

/// Runs `inj` and checks what every injector must satisfy: values finite and
/// ≥ 0, onset in range and after the normal periods, end in range, nothing
/// changed outside `[onset, end]`.
fn run(inj: &dyn AnomalyInjector, x: &[f64], min_normal: usize, seed: u64) -> (Vec<f64>, Injection) {
    let mut y = x.to_vec();
    let injection = preview(inj, &mut y, min_normal, seed).unwrap();
    let len = x.len();
    assert!(y.iter().all(|v| v.is_finite() && *v >= 0.0), "{y:?}");
    assert!(injection.onset < len);
    let last = injection.end.unwrap_or(len - 1);
    assert!(injection.onset <= last && last < len);
    for t in (0..injection.onset).chain(last + 1..len) {
        assert_eq!(x[t], y[t], "period {t} outside [{}, {last}] changed", injection.onset);
    }
    (y, injection)
}

fn earliest(min_normal: usize, len: usize) -> usize {
    min_normal.min(len - 1)
}

fn ratios(x: &[f64], y: &[f64], from: usize, to: usize) -> Vec<f64> {
    (from..=to).map(|t| y[t] / x[t]).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_builtin_respects_the_contract(x in series_strategy(), m in 0usize..12, seed: u64) {
        for name in ghostload::anomaly::DEFAULT_ANOMALY_MIX.iter().chain(&ghostload::anomaly::DEFAULT_BENIGN_MIX).map(|(n, _)| *n) {
            let inj = builtin(name).unwrap();
            let (_, injection) = run(&*inj, &x, m, seed);
            prop_assert_eq!(injection.anomaly_type.as_str(), name);
        }
    }

    #[test]
    fn h1_scales_every_period_after_onset_by_one_alpha(x in series_strategy(), m in 0usize..12, seed: u64, lo in 0.0f64..1.0, w in 0.0f64..1.0) {
        let hi = lo + (1.0 - lo) * w;
        let (y, inj) = run(&ConstantFactor::new(lo, hi).unwrap(), &x, m, seed);
        prop_assert!(inj.onset >= earliest(m, x.len()) && inj.end.is_none() && inj.is_theft);
        let r = ratios(&x, &y, inj.onset, x.len() - 1);
        prop_assert!(r[0] >= lo - TOL && r[0] <= hi + TOL);
        prop_assert!(r.iter().all(|a| (a - r[0]).abs() < TOL));
        prop_assert_eq!(inj.anomaly_type, AnomalyType::CONSTANT_FACTOR);
    }

    #[test]
    fn h2_zeroes_a_window(x in series_strategy(), m in 0usize..12, seed: u64, lo in 1usize..5, extra in 0usize..5) {
        let (y, inj) = run(&ZeroReadings::new(lo, lo + extra).unwrap(), &x, m, seed);
        let end = inj.end.unwrap();
        prop_assert!(y[inj.onset..=end].iter().all(|&v| v == 0.0));
        prop_assert!(end - inj.onset < lo + extra);
        prop_assert!(end - inj.onset + 1 >= lo || end == x.len() - 1);
    }

    #[test]
    fn h3_scales_each_period_in_range(x in series_strategy(), m in 0usize..12, seed: u64) {
        let (y, inj) = run(&RandomFactor::default(), &x, m, seed);
        prop_assert!(ratios(&x, &y, inj.onset, x.len() - 1).iter().all(|a| (0.1 - TOL..=0.8 + TOL).contains(a)));
    }

    #[test]
    fn h4_reports_a_share_of_the_mean(x in series_strategy(), m in 0usize..12, seed: u64) {
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        let (y, inj) = run(&RandomMeanFactor::default(), &x, m, seed);
        prop_assert!(y[inj.onset..].iter().all(|v| (0.1 - TOL..=0.8 + TOL).contains(&(v / mean))));
    }

    #[test]
    fn h5_is_flat_and_preserves_energy(x in series_strategy(), m in 0usize..12, seed: u64) {
        let (y, inj) = run(&FlatMean::new(), &x, m, seed);
        let (before, after): (f64, f64) = (x.iter().sum(), y.iter().sum());
        prop_assert!((before - after).abs() <= 1e-9 * before);
        prop_assert!(y[inj.onset..].iter().all(|v| (v - y[inj.onset]).abs() <= 1e-9 * y[inj.onset]));
        prop_assert!(inj.is_theft);
    }

    #[test]
    fn h6_reverses_the_tail(x in series_strategy(), m in 0usize..12, seed: u64) {
        let (y, inj) = run(&ReversedOrder::new(), &x, m, seed);
        let mut tail = x[inj.onset..].to_vec();
        tail.reverse();
        prop_assert_eq!(&y[inj.onset..], &tail[..]);
        prop_assert!(inj.is_theft);
    }

    #[test]
    fn decline_keeps_the_design_formula(x in series_strategy(), seed: u64) {
        let d = GradualDecline::default();
        let (y, inj) = run(&d, &x, 3, seed);
        prop_assert_eq!(inj.onset, 0);
        for t in 0..x.len() {
            prop_assert!((y[t] - x[t] * d.factor(t, x.len())).abs() < TOL * x[t]);
        }
    }

    #[test]
    fn spike_multiplies_a_short_window(x in series_strategy(), m in 0usize..12, seed: u64) {
        let (y, inj) = run(&Spike::default(), &x, m, seed);
        let end = inj.end.unwrap();
        prop_assert!(end - inj.onset < 3 && !inj.is_theft);
        prop_assert!(ratios(&x, &y, inj.onset, end).iter().all(|a| (2.0 - TOL..=5.0 + TOL).contains(a)));
        prop_assert!(y.iter().sum::<f64>() > x.iter().sum::<f64>()); // negative severity
    }

    #[test]
    fn drift_compounds_one_rate(x in series_strategy(), m in 0usize..12, seed: u64) {
        let (y, inj) = run(&MeterDrift::default(), &x, m, seed);
        let keep = y[inj.onset] / x[inj.onset];
        prop_assert!((0.95 - TOL..=0.99 + TOL).contains(&keep));
        for t in inj.onset..x.len() {
            let expected = x[t] * keep.powi((t - inj.onset + 1) as i32);
            prop_assert!((y[t] - expected).abs() < 1e-9 * x[t]);
        }
    }

    #[test]
    fn seasonal_shift_rotates_the_tail(x in distinct_series(), m in 0usize..12, seed: u64, lo in 1usize..8, extra in 0usize..6) {
        let (y, inj) = run(&SeasonalShift::new(lo, lo + extra).unwrap(), &x, m, seed);
        let w = x.len() - inj.onset;
        // The values are distinct, so at most one rotation of the tail matches.
        let found = rotation_of(&x[inj.onset..], &y[inj.onset..]);
        prop_assert!(found.is_some(), "the tail is not a rotation of the input's");
        let s = found.unwrap();
        // The formula's shift is some k in lo ..= hi, taken modulo the tail length.
        prop_assert!((lo..=lo + extra).any(|k| k % w == s), "rotation {} of a tail of {} for shifts {}..={}", s, w, lo, lo + extra);
        if w > lo + extra {
            // A tail longer than the largest shift always moves: never a rotation of 0.
            prop_assert!(s >= lo && s != 0);
            prop_assert_ne!(&y, &x);
        }
        prop_assert!((x.iter().sum::<f64>() - y.iter().sum::<f64>()).abs() < 1e-9 * x.iter().sum::<f64>());
        prop_assert!(!inj.is_theft && inj.end.is_none());
    }

    #[test]
    fn erratic_keeps_values_valid(x in series_strategy(), m in 0usize..12, seed: u64) {
        let (_, inj) = run(&ErraticPattern::default(), &x, m, seed);
        prop_assert!(!inj.is_theft && inj.end.is_none());
    }

    #[test]
    fn bypass_drops_to_a_constant_residual(x in series_strategy(), m in 0usize..12, seed: u64) {
        let (y, inj) = run(&MeterBypass::default(), &x, m, seed);
        let r = ratios(&x, &y, inj.onset, x.len() - 1);
        prop_assert!(r[0] <= 0.2 + TOL && r.iter().all(|a| (a - r[0]).abs() < TOL) && inj.is_theft);
    }

    #[test]
    fn stuck_meter_is_constant(x in series_strategy(), m in 0usize..12, seed: u64) {
        let (y, inj) = run(&StuckMeter::new(), &x, m, seed);
        let stuck = x[inj.onset.saturating_sub(1)];
        prop_assert!(y[inj.onset..].iter().all(|&v| v == stuck));
    }

    #[test]
    fn tampered_meter_loses_a_fixed_share(x in series_strategy(), m in 0usize..12, seed: u64) {
        let (y, inj) = run(&TamperedMeter::default(), &x, m, seed);
        let r = ratios(&x, &y, inj.onset, x.len() - 1);
        prop_assert!((0.5 - TOL..=0.8 + TOL).contains(&r[0]) && r.iter().all(|a| (a - r[0]).abs() < TOL));
    }

    #[test]
    fn vacancy_is_near_zero_then_recovers(x in series_strategy(), m in 0usize..12, seed: u64) {
        let (y, inj) = run(&Vacancy::default(), &x, m, seed);
        let end = inj.end.unwrap();
        prop_assert!(ratios(&x, &y, inj.onset, end).iter().all(|a| *a <= 0.05 + TOL) && !inj.is_theft);
    }

    #[test]
    fn new_connection_zeroes_the_start(x in series_strategy(), m in 0usize..12, seed: u64) {
        let (y, inj) = run(&NewConnection::new(), &x, m, seed);
        let c = inj.end.unwrap() + 1;
        prop_assert_eq!(inj.onset, 0);
        prop_assert!(c >= 1 && y[..c].iter().all(|&v| v == 0.0));
        prop_assert!(c == x.len() || c >= earliest(m, x.len()));
    }

    #[test]
    fn solar_lowers_net_consumption_for_good(x in series_strategy(), m in 0usize..12, seed: u64) {
        let (y, inj) = run(&SolarInstall::default(), &x, m, seed);
        let r = ratios(&x, &y, inj.onset, x.len() - 1);
        prop_assert!((0.3 - TOL..=0.7 + TOL).contains(&r[0]) && r.iter().all(|a| (a - r[0]).abs() < TOL));
    }

    #[test]
    fn outage_cuts_one_or_two_periods(x in series_strategy(), m in 0usize..12, seed: u64) {
        let (y, inj) = run(&Outage::default(), &x, m, seed);
        let end = inj.end.unwrap();
        prop_assert!(end - inj.onset < 2);
        prop_assert!(ratios(&x, &y, inj.onset, end).iter().all(|a| *a <= 0.7 + TOL));
    }
}

#[test]
fn onset_leaves_the_configured_normal_periods() {
    let x = vec![100.0; 24];
    for seed in 0..200 {
        let (_, inj) = run(&ConstantFactor::default(), &x, 6, seed);
        assert!(inj.onset >= 6);
    }
    // A series shorter than the minimum: the onset is its last period.
    let (_, inj) = run(&ConstantFactor::default(), &[100.0; 4], 6, 1);
    assert_eq!(inj.onset, 3);
}

#[test]
fn parameters_are_validated_with_field_names() {
    let fields = [
        ConstantFactor::new(-0.1, 0.5).unwrap_err().field(),
        ZeroReadings::new(3, 2).unwrap_err().field(),
        RandomFactor::new(0.5, 0.4).unwrap_err().field(),
        RandomMeanFactor::new(0.1, f64::NAN).unwrap_err().field(),
        Spike::new(2.0, 5.0, 0, 3).unwrap_err().field(),
        MeterDrift::new(0.6, 0.7).unwrap_err().field(),
        SeasonalShift::new(0, 2).unwrap_err().field(),
        ErraticPattern::new(0.1, 9.0).unwrap_err().field(),
        MeterBypass::new(0.3, 0.2).unwrap_err().field(),
        TamperedMeter::new(1.1, 1.2).unwrap_err().field(),
        Vacancy::new(2, 6, 0.0, 2.0).unwrap_err().field(),
        SolarInstall::new(0.9, 0.3).unwrap_err().field(),
        Outage::new(1, 2000, 0.0, 0.5).unwrap_err().field(),
    ];
    assert_eq!(
        fields,
        [
            "constant_factor.alpha_min",
            "zero_readings.min_periods",
            "random_factor.alpha_min",
            "random_mean_factor.alpha_max",
            "spike.min_periods",
            "meter_drift.rate_min",
            "seasonal_shift.min_shift",
            "erratic_pattern.sigma_max",
            "meter_bypass.residual_min",
            "tampered_meter.share_min",
            "vacancy.residual_max",
            "solar_install.share_min",
            "outage.max_periods",
        ]
    );
}

/// The planted bug "`seasonal_shift` does nothing": over many meters whose
/// tail is longer than the largest shift, the tail is rotated right by a
/// shift in `min_shift ..= max_shift`, never by 0, so the peak arrives late.
#[test]
fn seasonal_shift_moves_the_peak_late_by_the_drawn_shift() {
    // One peak per year, at period 6 of each year (a hot-season peak), plus a
    // trend so that every value is distinct.
    let x: Vec<f64> = (0..48)
        .map(|t| 100.0 + 50.0 * (2.0 * std::f64::consts::PI * (t as f64 - 6.0) / 12.0).cos() + t as f64 * 0.01)
        .collect();
    let mut shifts = [0usize; 7];
    let mut checked = 0;
    for seed in 0..400 {
        let (y, inj) = run(&SeasonalShift::default(), &x, 3, seed);
        let w = x.len() - inj.onset;
        if w <= 6 {
            continue;
        }
        checked += 1;
        let s = rotation_of(&x[inj.onset..], &y[inj.onset..]).expect("a rotation of the tail");
        assert!((2..=6).contains(&s), "seed {seed}: rotation {s}");
        assert_ne!(y, x, "seed {seed}: nothing moved");
        // Rotated right: the value of period onset + j is now at onset + j + s.
        let j = (0..w - s).find(|&j| y[inj.onset + j + s] != y[inj.onset + j]).unwrap();
        assert_eq!(y[inj.onset + j + s], x[inj.onset + j], "seed {seed}: rotated left?");
        shifts[s] += 1;
    }
    // Not vacuous, and every shift of the default range is drawn.
    assert!(checked > 300, "{checked}");
    assert!(shifts[2..].iter().all(|&n| n > 20), "{shifts:?}");
}

/// `SeasonalShift::new(3, 3)` rotates by exactly 3 whenever the tail is longer than 3.
#[test]
fn seasonal_shift_with_a_fixed_shift_rotates_by_it() {
    let x: Vec<f64> = (0..24).map(|t| f64::from(t) * 10.0 + 5.0).collect();
    for seed in 0..100 {
        let (y, inj) = run(&SeasonalShift::new(3, 3).unwrap(), &x, 3, seed);
        let mut tail = x[inj.onset..].to_vec();
        let s = 3 % tail.len();
        tail.rotate_right(s);
        assert_eq!(&y[inj.onset..], &tail[..], "seed {seed}");
        if tail.len() > 3 {
            assert_ne!(y, x, "seed {seed}");
        }
    }
}

/// Sample variance of `v`.
fn variance(v: &[f64]) -> f64 {
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64
}

/// A meter's normal series: a level, a yearly cycle and ±10 % noise.
fn noisy_meter(seed: u64, len: usize) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut unit = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let level = 100.0 + 900.0 * unit();
    (0..len)
        .map(|t| {
            let season = 1.0 + 0.2 * (2.0 * std::f64::consts::PI * t as f64 / 12.0).sin();
            level * season * (0.9 + 0.2 * unit())
        })
        .collect()
}

/// The planted bug "`erratic_pattern` does nothing": over many meters, the
/// variance inside the window grows (a property, not one pinned value),
/// while the level stays about the same.
#[test]
fn erratic_pattern_increases_the_variance_in_its_window() {
    let (mut windows, mut grew) = (0, 0);
    let mut ratios = Vec::new();
    for seed in 0..300 {
        let x = noisy_meter(seed, 36);
        let (y, inj) = run(&ErraticPattern::default(), &x, 3, seed);
        let tail = inj.onset..x.len();
        ratios.extend(tail.clone().map(|t| y[t] / x[t]));
        if tail.len() < 6 {
            continue;
        }
        windows += 1;
        // Relative to the level: dispersion of the ratio to the normal series.
        let rx: Vec<f64> = x[tail.clone()].iter().map(|v| v / x[tail.start]).collect();
        let ry: Vec<f64> = y[tail.clone()].iter().map(|v| v / x[tail.start]).collect();
        if variance(&ry) > variance(&rx) {
            grew += 1;
        }
    }
    assert!(windows > 200, "{windows}");
    // σ ≥ 0.4 against ±10 % noise: the variance grows in nearly every window.
    assert!(
        grew as f64 >= 0.95 * windows as f64,
        "variance grew in {grew} of {windows} windows"
    );
    // Multiplicative noise max(0, 1 + σ·z), σ in 0.4 ..= 1: the ratio has mean
    // about 1 (1 to 1.08 with the clipping at 0) and a standard deviation of
    // about 0.4 to 0.85.
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    let sd = variance(&ratios).sqrt();
    assert!((0.9..1.15).contains(&mean), "mean ratio {mean}");
    assert!((0.4..0.9).contains(&sd), "ratio standard deviation {sd}");
}

/// A larger σ gives a larger spread, and σ = 0 leaves the series as it was.
#[test]
fn erratic_pattern_spread_follows_sigma() {
    let spread = |sigma: f64| {
        let inj = ErraticPattern::new(sigma, sigma).unwrap();
        let mut ratios = Vec::new();
        for seed in 0..200 {
            let x = noisy_meter(seed, 24);
            let (y, i) = run(&inj, &x, 3, seed);
            ratios.extend((i.onset..x.len()).map(|t| y[t] / x[t]));
        }
        variance(&ratios).sqrt()
    };
    assert_eq!(spread(0.0), 0.0);
    let (small, large) = (spread(0.1), spread(0.5));
    // Without clipping (z > −10 for σ = 0.1) the spread is σ itself.
    assert!((0.08..0.12).contains(&small), "{small}");
    assert!((0.42..0.58).contains(&large), "{large}");
}

/// Every parameter reads back as given, and the defaults are the documented ones.
#[test]
fn parameters_read_back_and_defaults_are_documented() {
    let c = ConstantFactor::new(0.2, 0.3).unwrap();
    assert_eq!((c.alpha_min(), c.alpha_max()), (0.2, 0.3));
    let d = ConstantFactor::default();
    assert_eq!((d.alpha_min(), d.alpha_max()), (0.1, 0.8));
    let r = RandomFactor::new(0.2, 0.3).unwrap();
    assert_eq!((r.alpha_min(), r.alpha_max()), (0.2, 0.3));
    let d = RandomFactor::default();
    assert_eq!((d.alpha_min(), d.alpha_max()), (0.1, 0.8));
    let r = RandomMeanFactor::new(0.2, 0.3).unwrap();
    assert_eq!((r.alpha_min(), r.alpha_max()), (0.2, 0.3));
    let d = RandomMeanFactor::default();
    assert_eq!((d.alpha_min(), d.alpha_max()), (0.1, 0.8));
    let z = ZeroReadings::new(2, 4).unwrap();
    assert_eq!((z.min_periods(), z.max_periods()), (2, 4));
    let d = ZeroReadings::default();
    assert_eq!((d.min_periods(), d.max_periods()), (1, 6));
    let s = Spike::new(1.5, 7.0, 2, 4).unwrap();
    assert_eq!(
        (s.multiplier_min(), s.multiplier_max(), s.min_periods(), s.max_periods()),
        (1.5, 7.0, 2, 4)
    );
    let d = Spike::default();
    assert_eq!(
        (d.multiplier_min(), d.multiplier_max(), d.min_periods(), d.max_periods()),
        (2.0, 5.0, 1, 3)
    );
    let m = MeterDrift::new(-0.1, 0.2).unwrap();
    assert_eq!((m.rate_min(), m.rate_max()), (-0.1, 0.2));
    let d = MeterDrift::default();
    assert_eq!((d.rate_min(), d.rate_max()), (0.01, 0.05));
    let s = SeasonalShift::new(3, 5).unwrap();
    assert_eq!((s.min_shift(), s.max_shift()), (3, 5));
    let d = SeasonalShift::default();
    assert_eq!((d.min_shift(), d.max_shift()), (2, 6));
    let e = ErraticPattern::new(0.5, 2.0).unwrap();
    assert_eq!((e.sigma_min(), e.sigma_max()), (0.5, 2.0));
    let d = ErraticPattern::default();
    assert_eq!((d.sigma_min(), d.sigma_max()), (0.4, 1.0));
    let b = MeterBypass::new(0.05, 0.1).unwrap();
    assert_eq!((b.residual_min(), b.residual_max()), (0.05, 0.1));
    let d = MeterBypass::default();
    assert_eq!((d.residual_min(), d.residual_max()), (0.0, 0.2));
    let t = TamperedMeter::new(0.1, 0.3).unwrap();
    assert_eq!((t.share_min(), t.share_max()), (0.1, 0.3));
    let d = TamperedMeter::default();
    assert_eq!((d.share_min(), d.share_max()), (0.2, 0.5));
    let v = Vacancy::new(3, 4, 0.01, 0.02).unwrap();
    assert_eq!(
        (v.min_periods(), v.max_periods(), v.residual_min(), v.residual_max()),
        (3, 4, 0.01, 0.02)
    );
    let d = Vacancy::default();
    assert_eq!(
        (d.min_periods(), d.max_periods(), d.residual_min(), d.residual_max()),
        (2, 6, 0.0, 0.05)
    );
    let s = SolarInstall::new(0.4, 0.6).unwrap();
    assert_eq!((s.share_min(), s.share_max()), (0.4, 0.6));
    let d = SolarInstall::default();
    assert_eq!((d.share_min(), d.share_max()), (0.3, 0.7));
    let o = Outage::new(2, 3, 0.1, 0.5).unwrap();
    assert_eq!(
        (o.min_periods(), o.max_periods(), o.retained_min(), o.retained_max()),
        (2, 3, 0.1, 0.5)
    );
    let d = Outage::default();
    assert_eq!(
        (d.min_periods(), d.max_periods(), d.retained_min(), d.retained_max()),
        (1, 2, 0.0, 0.7)
    );
}

/// What `preview` tells an injector: the documented context.
#[test]
fn preview_describes_a_residential_monthly_meter_with_its_mean_as_baseline() {
    use std::sync::Mutex;

    /// Baselines (meter, profile), growth, class, periods, start, minimum normal periods.
    type Seen = (f64, f64, f64, ghostload::CustomerClass, usize, String, usize);

    #[derive(Debug, Default)]
    struct Spy(Mutex<Option<Seen>>);

    impl AnomalyInjector for Spy {
        fn inject(
            &self,
            series: &mut [f64],
            ctx: &ghostload::InjectionContext<'_>,
            _rng: &mut ghostload::rng::StreamRng,
        ) -> Result<Injection, ghostload::Error> {
            *self.0.lock().unwrap() = Some((
                ctx.meter.baseline_kwh,
                ctx.profile.baseline_kwh,
                ctx.profile.monthly_growth,
                ctx.profile.class,
                ctx.axis.len(),
                ctx.axis.start().to_string(),
                ctx.onset.min_normal_periods(),
            ));
            series[0] = 1.0;
            Ok(Injection::from_onset(AnomalyType::STUCK_METER, 0, false))
        }
    }

    let spy = Spy::default();
    let mut series = vec![10.0, 20.0, 30.0, 60.0, 80.0];
    let injection = preview(&spy, &mut series, 2, 9).unwrap();
    assert_eq!(injection, Injection::from_onset(AnomalyType::STUCK_METER, 0, false));
    assert_eq!(series[0], 1.0, "the injector's changes are kept");
    assert_eq!(
        spy.0.lock().unwrap().clone().unwrap(),
        (
            40.0,
            40.0,
            0.0,
            ghostload::CustomerClass::Residential,
            5,
            "2024-01".to_owned(),
            2
        )
    );
    // Out of range lengths are refused.
    let field = |e: ghostload::Error| match e {
        ghostload::Error::Config(c) => c.field(),
        other => panic!("{other}"),
    };
    assert_eq!(field(preview(&spy, &mut [], 2, 9).unwrap_err()), "num_months");
    assert!(preview(&spy, &mut vec![1.0; 1200], 2, 9).is_ok());
    assert_eq!(
        field(preview(&spy, &mut vec![1.0; 1201], 2, 9).unwrap_err()),
        "num_months"
    );
}
