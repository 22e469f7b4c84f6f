//! The built-in injectors at interval resolutions, through the public API:
//! an `InjectionContext` on an hourly (daily, 15-minute) `TimeAxis` and
//! `AnomalyInjector::inject` called directly, as the pipeline calls it.
//! (Monthly behaviour is pinned by `injectors.rs` and `value_stability.rs`.)

use std::sync::OnceLock;

use ghostload::anomaly::{
    DEFAULT_ANOMALY_MIX, DEFAULT_BENIGN_MIX, FlatMean, OnsetWindow, RandomMeanFactor, ReversedOrder, SolarInstall,
    ZeroReadings, builtin,
};
use ghostload::rand::{Rng, SeedableRng};
use ghostload::rng::StreamRng;
use ghostload::{
    AnomalyInjector, GeneratorConfig, Injection, InjectionContext, Meter, MeterProfile, Pipeline, Resolution, TimeAxis,
    YearMonth,
};
use proptest::prelude::*;

/// A meter of a tiny generated dataset (`Meter` is built by the pipeline only).
fn meter() -> &'static Meter {
    static METER: OnceLock<Meter> = OnceLock::new();
    METER.get_or_init(|| {
        let config = GeneratorConfig {
            num_meters: 10,
            num_transformers: 1,
            ..Default::default()
        };
        let data = Pipeline::builder().config(config).build().unwrap().generate().unwrap();
        data.meters()[0].clone()
    })
}

fn profile() -> MeterProfile {
    MeterProfile {
        class: meter().customer_class,
        baseline_kwh: 200.0,
        monthly_growth: 0.0,
    }
}

fn axis(resolution: Resolution, months: usize) -> TimeAxis {
    TimeAxis::new(YearMonth::new(2024, 1).unwrap(), months, resolution).unwrap()
}

/// Positive readings with a daily shape and noise.
fn readings(axis: &TimeAxis, seed: u64) -> Vec<f64> {
    let per_day = axis.intervals_per_day().unwrap_or(1);
    let mut rng = StreamRng::seed_from_u64(seed);
    (0..axis.len())
        .map(|t| {
            let hour = (t % per_day) as f64 * 24.0 / per_day as f64;
            let shape = 1.0 + (std::f64::consts::PI * (hour - 4.0) / 24.0).sin().powi(2);
            shape * rng.random_range(0.2..1.0) / per_day as f64 * 24.0
        })
        .collect()
}

/// Calls `injector` as the pipeline does: `normal_months` months kept normal
/// (converted to periods), values and onset/end checked.
fn inject(
    injector: &dyn AnomalyInjector,
    axis: &TimeAxis,
    series: &mut [f64],
    normal_months: usize,
    seed: u64,
) -> Injection {
    let profile = profile();
    let normal = axis.month_range(normal_months.min(axis.months())).start;
    let ctx = InjectionContext::new(meter(), &profile, axis).with_onset(OnsetWindow::new(normal));
    let mut rng = StreamRng::seed_from_u64(seed);
    let injection = injector.inject(series, &ctx, &mut rng).unwrap();
    let len = series.len();
    assert!(injection.onset < len, "onset {} of {len}", injection.onset);
    if let Some(end) = injection.end {
        assert!(injection.onset <= end && end < len, "end {end}");
    }
    if let Some((t, v)) = series.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v >= 0.0)) {
        panic!("{}: period {t} holds {v}", injection.anomaly_type);
    }
    injection
}

/// Day `d`'s periods.
fn day(per_day: usize, d: usize) -> std::ops::Range<usize> {
    d * per_day..(d + 1) * per_day
}

#[test]
fn h2_zeroes_one_window_of_four_hours_or_more_inside_each_day_of_the_window() {
    for resolution in [Resolution::Hourly, Resolution::FifteenMinutes] {
        let a = axis(resolution, 3);
        let per_day = a.intervals_per_day().unwrap();
        for seed in 0..20 {
            let x = readings(&a, seed);
            let mut y = x.clone();
            let inj = inject(&ZeroReadings::default(), &a, &mut y, 1, seed);
            let end = inj.end.unwrap();
            assert_eq!(inj.onset % per_day, 0, "onset at midnight");
            assert_eq!((end + 1) % per_day, 0, "end at the end of a day");
            assert!(inj.onset >= a.month_range(1).start, "a month kept normal");
            for t in (0..inj.onset).chain(end + 1..a.len()) {
                assert_eq!(x[t], y[t], "{resolution}: period {t} outside the window changed");
            }
            for d in inj.onset / per_day..=end / per_day {
                let zeros: Vec<usize> = day(per_day, d).filter(|&t| y[t] == 0.0).collect();
                assert!(
                    zeros.len() * 24 >= 4 * per_day,
                    "{resolution} day {d}: {} zeros",
                    zeros.len()
                );
                let (first, last) = (zeros[0], *zeros.last().unwrap());
                assert_eq!(last - first + 1, zeros.len(), "one window per day");
                assert!(day(per_day, d).contains(&first) && day(per_day, d).contains(&last));
                assert!(day(per_day, d).filter(|t| !zeros.contains(t)).all(|t| x[t] == y[t]));
            }
        }
    }
}

#[test]
fn h4_reports_random_shares_of_each_days_mean() {
    let a = axis(Resolution::Hourly, 2);
    let x = readings(&a, 1);
    let mut y = x.clone();
    let inj = inject(&RandomMeanFactor::new(0.2, 0.8).unwrap(), &a, &mut y, 1, 3);
    assert_eq!(x[..inj.onset], y[..inj.onset]);
    for d in inj.onset / 24..a.len() / 24 {
        let mean = x[day(24, d)].iter().sum::<f64>() / 24.0;
        for t in day(24, d) {
            assert!((0.2 * mean - 1e-12..=0.8 * mean + 1e-12).contains(&y[t]), "day {d}");
        }
        let distinct = y[day(24, d)].iter().filter(|&&v| v != y[d * 24]).count();
        assert!(distinct > 0, "a random factor per reading");
    }
}

#[test]
fn h5_flattens_each_day_at_its_mean_and_keeps_its_total() {
    for resolution in [Resolution::Hourly, Resolution::FifteenMinutes] {
        let a = axis(resolution, 2);
        let per_day = a.intervals_per_day().unwrap();
        let x = readings(&a, 2);
        let mut y = x.clone();
        let inj = inject(&FlatMean::new(), &a, &mut y, 1, 4);
        for d in inj.onset / per_day..a.len() / per_day {
            let total: f64 = x[day(per_day, d)].iter().sum();
            let mean = total / per_day as f64;
            assert!(y[day(per_day, d)].iter().all(|&v| (v - mean).abs() <= 1e-12 * mean));
            assert!((y[day(per_day, d)].iter().sum::<f64>() - total).abs() <= 1e-9 * total);
        }
    }
}

#[test]
fn h6_reverses_each_day_and_twice_is_the_identity() {
    for resolution in [Resolution::Hourly, Resolution::FifteenMinutes] {
        let a = axis(resolution, 2);
        let per_day = a.intervals_per_day().unwrap();
        let x = readings(&a, 3);
        let mut y = x.clone();
        let inj = inject(&ReversedOrder::new(), &a, &mut y, 1, 5);
        assert_eq!(inj.onset % per_day, 0);
        for d in inj.onset / per_day..a.len() / per_day {
            for k in 0..per_day {
                assert_eq!(y[d * per_day + k], x[d * per_day + per_day - 1 - k]);
            }
        }
        let again = inject(&ReversedOrder::new(), &a, &mut y, 1, 5);
        assert_eq!(again.onset, inj.onset);
        assert_eq!(x, y);
    }
}

#[test]
fn daily_resolution_uses_the_week_for_h5_and_h6() {
    let a = axis(Resolution::Daily, 3);
    let x = readings(&a, 4);
    let mut y = x.clone();
    let inj = inject(&ReversedOrder::new(), &a, &mut y, 1, 6);
    for (before, after) in x[inj.onset..].chunks(7).zip(y[inj.onset..].chunks(7)) {
        let mut week = before.to_vec();
        week.reverse();
        assert_eq!(after, &week[..]);
    }
    let mut y = x.clone();
    let inj = inject(&FlatMean::new(), &a, &mut y, 1, 6);
    for (before, after) in x[inj.onset..].chunks(7).zip(y[inj.onset..].chunks(7)) {
        let mean = before.iter().sum::<f64>() / before.len() as f64;
        assert!(after.iter().all(|&v| (v - mean).abs() <= 1e-12 * mean));
    }
}

#[test]
fn solar_never_touches_night_hours() {
    for resolution in [Resolution::Hourly, Resolution::FifteenMinutes] {
        let a = axis(resolution, 3);
        let per_day = a.intervals_per_day().unwrap();
        for seed in 0..10 {
            let x = readings(&a, seed);
            let mut y = x.clone();
            let inj = inject(&SolarInstall::default(), &a, &mut y, 1, seed);
            assert_eq!(inj.onset % per_day, 0);
            let mut reduced = 0.0;
            for t in 0..a.len() {
                let minutes = (t % per_day) * 24 * 60 / per_day;
                let night = !(6 * 60..18 * 60).contains(&minutes);
                if t < inj.onset || night {
                    assert_eq!(x[t], y[t], "{resolution}: period {t}");
                } else {
                    assert!(y[t] < x[t] && y[t] >= 0.0);
                    reduced += x[t] - y[t];
                }
            }
            assert!(reduced > 0.0);
        }
    }
}

fn builtin_names() -> Vec<&'static str> {
    DEFAULT_ANOMALY_MIX
        .iter()
        .chain(&DEFAULT_BENIGN_MIX)
        .map(|(name, _)| *name)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Every built-in injector at every resolution: onset (and end) inside
    /// the series, at local midnight (and the end of a day) at interval
    /// resolutions, at least the normal months kept, values finite and ≥ 0.
    #[test]
    fn every_injector_at_every_resolution_stays_in_the_series(
        r in 0usize..4,
        months in 1usize..=3,
        normal in 0usize..=4,
        zeros in 0.0f64..0.3,
        seed: u64,
    ) {
        let resolution = Resolution::ALL[r];
        let a = axis(resolution, months);
        let mut x = readings(&a, seed);
        let mut rng = StreamRng::seed_from_u64(seed ^ 1);
        for v in &mut x {
            if rng.random::<f64>() < zeros {
                *v = 0.0;
            }
        }
        for name in builtin_names() {
            let injector = builtin(name).unwrap();
            let mut y = x.clone();
            let inj = inject(&*injector, &a, &mut y, normal, seed);
            prop_assert_eq!(inj.anomaly_type.as_str(), name);
            if let Some(per_day) = a.intervals_per_day() {
                prop_assert_eq!(inj.onset % per_day, 0, "{} onset {}", name, inj.onset);
                if let Some(end) = inj.end {
                    prop_assert_eq!((end + 1) % per_day, 0, "{} end {}", name, end);
                }
            }
            let kept = a.month_range(normal.min(months)).start;
            if kept < a.len() && !matches!(name, "low_consumption" | "new_connection") {
                prop_assert!(inj.onset >= kept, "{} onset {} before {}", name, inj.onset, kept);
            }
        }
    }
}
