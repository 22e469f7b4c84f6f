//! Recovery of the consumption model's parameters by `ghostload::fit`
//! (tolerances measured over seeds 1..=5, see docs/fit.md).

use ghostload::fit::{Fit, FitReport};
use ghostload::rand::SeedableRng;
use ghostload::{
    ClassProfile, ConsumptionConfig, ConsumptionMatrix, CustomerClass, GeneratorConfig, Pipeline, Resolution, TimeAxis,
};
use rand_distr::{Distribution, Normal, Uniform};

fn fit(config: &GeneratorConfig) -> FitReport {
    let data = Pipeline::builder()
        .config(config.clone())
        .build()
        .unwrap()
        .generate()
        .unwrap();
    let classes: Vec<CustomerClass> = data.meters().iter().map(|m| m.customer_class).collect();
    let labelled: Vec<bool> = data.meters().iter().map(|m| data.label(m.id).is_some()).collect();
    Fit::new()
        .bootstrap(50)
        .exclude(&labelled)
        .run(data.consumption(), Some(&classes), data.axis())
        .unwrap()
}

/// The known configurations of the recovery test.
fn configs() -> Vec<(&'static str, GeneratorConfig)> {
    let base = GeneratorConfig {
        num_meters: 3000,
        num_transformers: 60,
        num_months: 24,
        ..Default::default()
    };
    vec![
        ("default-24m", base.clone()),
        (
            "peak-aug-strong",
            GeneratorConfig {
                consumption: ConsumptionConfig {
                    seasonal_peak_month: 8,
                    seasonal_amplitude: 0.30,
                    trend_min: -0.01,
                    trend_max: 0.01,
                    noise_fraction: 0.15,
                    residential: ClassProfile {
                        median_kwh: 300.0,
                        sigma: 0.4,
                        ..ClassProfile::RESIDENTIAL
                    },
                    ..Default::default()
                },
                ..base.clone()
            },
        ),
        (
            "peak-jan-weak-36m",
            GeneratorConfig {
                num_months: 36,
                start_month: "2023-07".parse().unwrap(),
                consumption: ConsumptionConfig {
                    seasonal_peak_month: 1,
                    seasonal_amplitude: 0.08,
                    trend_min: 0.0,
                    trend_max: 0.02,
                    noise_fraction: 0.4,
                    commercial: ClassProfile {
                        median_kwh: 900.0,
                        sigma: 0.7,
                        ..ClassProfile::COMMERCIAL
                    },
                    ..Default::default()
                },
                ..base.clone()
            },
        ),
    ]
}

#[test]
#[ignore = "measurement: cargo test --release --test fit -- --ignored --nocapture"]
fn measure_recovery_errors() {
    for (name, mut c) in configs() {
        for seed in 1..=5u64 {
            c.seed = seed;
            let r = fit(&c);
            let k = &c.consumption;
            let mut line = format!(
                "{name} seed {seed}: A {:+.4} peak {:?}/{} tmin {:+.4} tmax {:+.4} nf {:+.3}rel",
                r.seasonal_amplitude.unwrap().value - k.seasonal_amplitude,
                r.seasonal_peak_month,
                k.seasonal_peak_month,
                r.trend_min.value - k.trend_min,
                r.trend_max.value - k.trend_max,
                r.noise_fraction.unwrap().value / k.noise_fraction - 1.0
            );
            for cf in &r.classes {
                let p = match cf.class.unwrap() {
                    CustomerClass::Residential => k.residential,
                    CustomerClass::Commercial => k.commercial,
                    CustomerClass::Industrial => k.industrial,
                };
                line += &format!(
                    " | {} med {:+.3}rel sig {:+.4} nf {:+.3}rel",
                    cf.class.unwrap(),
                    cf.median_kwh.unwrap().value / p.median_kwh - 1.0,
                    cf.sigma.unwrap().value - p.sigma,
                    cf.noise_fraction.unwrap().value / k.noise_fraction - 1.0
                );
            }
            println!("{line}");
        }
    }
}

/// Tolerances (docs/fit.md): measured with `measure_recovery_errors` over
/// seeds 1..=5 of the three configurations, rounded up.
#[test]
fn recovers_each_parameter_within_the_stated_tolerance() {
    for (name, mut c) in configs() {
        for seed in 1..=3u64 {
            c.seed = seed;
            let r = fit(&c);
            let k = &c.consumption;
            let a = r.seasonal_amplitude.unwrap().value;
            assert!(
                (a - k.seasonal_amplitude).abs() <= 0.005,
                "{name}/{seed}: amplitude {a}"
            );
            assert_eq!(r.seasonal_peak_month, Some(k.seasonal_peak_month), "{name}/{seed}");
            assert!(
                (r.trend_min.value - k.trend_min).abs() <= 0.012,
                "{name}/{seed}: {}",
                r.trend_min
            );
            assert!(
                (r.trend_max.value - k.trend_max).abs() <= 0.012,
                "{name}/{seed}: {}",
                r.trend_max
            );
            let nf = r.noise_fraction.unwrap().value;
            assert!((nf / k.noise_fraction - 1.0).abs() <= 0.20, "{name}/{seed}: noise {nf}");
            for cf in &r.classes {
                let (p, med_tol, sig_tol) = match cf.class.unwrap() {
                    CustomerClass::Residential => (k.residential, 0.03, 0.08),
                    CustomerClass::Commercial => (k.commercial, 0.08, 0.12),
                    CustomerClass::Industrial => (k.industrial, 0.08, 0.20),
                };
                let m = cf.median_kwh.unwrap().value;
                let s = cf.sigma.unwrap().value;
                assert!(
                    (m / p.median_kwh - 1.0).abs() <= med_tol,
                    "{name}/{seed} {:?}: median {m}",
                    cf.class
                );
                assert!(
                    (s - p.sigma).abs() <= sig_tol,
                    "{name}/{seed} {:?}: sigma {s}",
                    cf.class
                );
            }
            assert_eq!(r.excluded, Some((0.075 * 3000.0f64).round() as usize));
        }
    }
}

#[test]
fn regenerating_from_the_fitted_config_matches_the_input() {
    let (_, input) = configs().remove(1);
    let r = fit(&input);
    let mut regen = r.config(&GeneratorConfig {
        num_transformers: 60,
        ..Default::default()
    });
    regen.seed = 777;
    regen.validate().unwrap();
    let again = fit(&regen);
    let cmp = r.compare(&again);
    assert!(cmp.tests.len() >= 16, "{cmp}");
    assert!(cmp.passed(), "{cmp}");
    // A different model is told apart.
    let other = fit(&GeneratorConfig {
        seed: 5,
        ..configs().remove(0).1
    });
    assert!(!r.compare(&other).passed());
}

#[test]
fn reports_what_it_cannot_estimate() {
    let c = GeneratorConfig {
        num_meters: 200,
        num_transformers: 10,
        num_months: 6,
        ..Default::default()
    };
    let data = Pipeline::builder().config(c).build().unwrap().generate().unwrap();
    let r = Fit::new()
        .bootstrap(10)
        .run(data.consumption(), None, data.axis())
        .unwrap();
    assert!(r.seasonal_amplitude.is_none());
    assert_eq!(r.not_estimated.len(), 2);
    assert_eq!(r.excluded, None);
    assert!(r.to_string().contains("NOT excluded"));
    assert_eq!(r.classes.len(), 1);
    let cfg = r.config(&GeneratorConfig::default());
    assert_eq!(cfg.class_mix.residential, 1.0);
    cfg.validate().unwrap();
}

#[test]
fn invalid_input_is_a_typed_error() {
    use ghostload::fit::FitError;
    use ghostload::{ConsumptionMatrix, Resolution, TimeAxis};
    let axis = TimeAxis::new(Default::default(), 12, Resolution::Monthly).unwrap();
    let mut v = vec![100.0; 24];
    v[13] = f64::NAN;
    let m = ConsumptionMatrix::from_rows(v, 12);
    assert!(matches!(
        Fit::from_matrix(&m, None, &axis),
        Err(FitError::BadValue {
            meter: 1,
            period: 1,
            ..
        })
    ));
    let m = ConsumptionMatrix::from_rows(vec![1.0; 24], 12);
    assert!(matches!(
        Fit::from_matrix(&m, Some(&[CustomerClass::Residential]), &axis),
        Err(FitError::LengthMismatch { what: "classes", .. })
    ));
    let axis3 = TimeAxis::new(Default::default(), 3, Resolution::Monthly).unwrap();
    let m3 = ConsumptionMatrix::from_rows(vec![1.0; 6], 3);
    assert!(matches!(
        Fit::from_matrix(&m3, None, &axis3),
        Err(FitError::TooFewPeriods { .. })
    ));
    assert!(matches!(
        Fit::new().exclude(&[true, true]).run(&m, None, &axis),
        Err(FitError::NoMeters { .. })
    ));
    let axis6 = TimeAxis::new(Default::default(), 6, Resolution::Monthly).unwrap();
    assert!(matches!(
        Fit::from_matrix(&m, None, &axis6),
        Err(FitError::AxisMismatch { .. })
    ));
}

/// One class of [`matrix`]: meters, median level (kWh), log-space spread of
/// the levels, noise sd in kWh (`None`: 0.3 of the class's spread, as
/// ghostload makes it).
type ClassSpec = (CustomerClass, usize, f64, f64, Option<f64>);

/// Like the original Python tool's output for the residential class: every
/// meter at one level (150 kWh), additive noise of sd 135 kWh clipped at 0;
/// commercial and industrial levels spread lognormally (sigma 0.5) with
/// noise 0.3 of the class's spread, as ghostload makes them.
const ONE_LEVEL_RESIDENTIAL: [ClassSpec; 3] = [
    (CustomerClass::Residential, 300, 150.0, 0.0, Some(135.0)),
    (CustomerClass::Commercial, 200, 800.0, 0.5, None),
    (CustomerClass::Industrial, 100, 2500.0, 0.5, None),
];

/// 24 months from 2024-01 of `x = max(0, level · S(m) · (1 + g t) + ε)`,
/// peak in May (A = 0.15), growth g ~ U(0, 0.02) per meter.
fn matrix(seed: u64, spec: &[ClassSpec]) -> (ConsumptionMatrix, Vec<CustomerClass>, TimeAxis) {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let months = 24;
    let axis = TimeAxis::new("2024-01".parse().unwrap(), months, Resolution::Monthly).unwrap();
    let z = Normal::new(0.0, 1.0).unwrap();
    let growth = Uniform::new(0.0, 0.02).unwrap();
    let mut values = Vec::new();
    let mut classes = Vec::new();
    for &(class, meters, median, sigma, noise) in spec {
        let spread = median * f64::exp(sigma * sigma / 2.0) * (f64::exp(sigma * sigma) - 1.0).sqrt();
        let noise_sd = noise.unwrap_or(0.3 * spread);
        for _ in 0..meters {
            let level = median * f64::exp(sigma * z.sample(&mut rng));
            let g = growth.sample(&mut rng);
            for t in 0..months {
                let season = 1.0 + 0.15 * (2.0 * std::f64::consts::PI * ((t % 12) as f64 + 1.0 - 5.0) / 12.0).cos();
                let x = level * season * (1.0 + g * t as f64) + noise_sd * z.sample(&mut rng);
                values.push(x.max(0.0));
            }
            classes.push(class);
        }
    }
    (ConsumptionMatrix::from_rows(values, months), classes, axis)
}

#[test]
fn a_class_at_one_level_has_no_noise_fraction_and_the_report_says_why() {
    let (m, classes, axis) = matrix(7, &ONE_LEVEL_RESIDENTIAL);
    let r = Fit::new().bootstrap(50).run(&m, Some(&classes), &axis).unwrap();
    let class = |c: CustomerClass| r.classes.iter().find(|f| f.class == Some(c)).unwrap();
    let res = class(CustomerClass::Residential);
    assert_eq!(res.sigma.unwrap().value, 0.0, "{r}");
    // The noise is measured (clipping at 0 lowers it below 135 kWh) ...
    let sd = res.noise_sd_kwh.unwrap().value;
    assert!((100.0..140.0).contains(&sd), "{r}");
    // ... but as a fraction of a spread of 0 it does not exist.
    assert_eq!(res.noise_fraction, None, "{r}");
    let entry = r
        .not_estimated
        .iter()
        .find(|n| n.parameter == "consumption.noise_fraction (residential)")
        .unwrap_or_else(|| panic!("{r}"));
    assert!(entry.reason.starts_with("sigma is 0"), "{}", entry.reason);
    assert!(
        entry.reason.contains(&format!("noise sd {sd:.2} kWh measured")),
        "{}",
        entry.reason
    );
    // The other classes have one (0.3 made, within the recovery tolerance),
    // and the single value written is their meter-weighted mean.
    let (c, i) = (class(CustomerClass::Commercial), class(CustomerClass::Industrial));
    let (nc, ni) = (c.noise_fraction.unwrap().value, i.noise_fraction.unwrap().value);
    for nf in [nc, ni] {
        assert!((nf / 0.3 - 1.0).abs() <= 0.3, "{r}");
    }
    let pooled = r.noise_fraction.unwrap().value;
    let weighted = (nc * c.meters as f64 + ni * i.meters as f64) / (c.meters + i.meters) as f64;
    assert!((pooled - weighted).abs() < 1e-12, "{pooled} {weighted}");
    let config = r.config(&GeneratorConfig::default());
    assert_eq!(config.consumption.noise_fraction, pooled);
    config.validate().unwrap();
    // Said plainly, never as NaN, in the report and in the TOML.
    let text = r.to_string();
    assert!(!text.contains("NaN"), "{text}");
    assert!(
        text.contains("  noise_fraction not estimable: sigma is 0 (every meter of the class at one level"),
        "{text}"
    );
    assert!(text.contains("could not be estimated, and why:"), "{text}");
    assert!(
        text.contains("mean over commercial, industrial only; not estimable for residential"),
        "{text}"
    );
    let toml = r.to_toml(&GeneratorConfig::default());
    assert!(!toml.contains("NaN"), "{toml}");
    assert!(
        toml.contains("\n# consumption.noise_fraction (residential) not estimated (why: \"could not be estimated\" above); written: consumption.noise_fraction = "),
        "{toml}"
    );
}

/// The TOML of such a fit goes through the parser `generate --config` uses
/// first (`toml` into `GeneratorConfig`) and validates.
#[cfg(feature = "cli")]
#[test]
fn the_toml_of_a_fit_with_a_class_at_one_level_parses_and_validates() {
    let (m, classes, axis) = matrix(7, &ONE_LEVEL_RESIDENTIAL);
    let r = Fit::new().bootstrap(20).run(&m, Some(&classes), &axis).unwrap();
    let text = r.to_toml(&GeneratorConfig::default());
    let parsed: GeneratorConfig = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    parsed.validate().unwrap();
    assert_eq!(parsed.consumption.noise_fraction, r.noise_fraction.unwrap().value);
    assert_eq!(parsed.consumption.residential.sigma, 0.0);
}

#[test]
fn a_noise_fraction_is_given_only_where_sigma_is_told_from_0() {
    // Commercial: a spread of 0.02 under noise of 10 % of the level, which
    // the levels' estimation error (about 4 %) hides.
    let spec = [
        ONE_LEVEL_RESIDENTIAL[0],
        (CustomerClass::Commercial, 200, 800.0, 0.02, Some(80.0)),
        ONE_LEVEL_RESIDENTIAL[2],
    ];
    let mut unbounded = 0;
    for seed in 1..=3 {
        let (m, classes, axis) = matrix(seed, &spec);
        let r = Fit::new()
            .bootstrap(50)
            .seed(seed)
            .run(&m, Some(&classes), &axis)
            .unwrap();
        for c in &r.classes {
            let sigma = c.sigma.unwrap();
            let name = c.class.unwrap();
            let entry = r
                .not_estimated
                .iter()
                .find(|n| n.parameter == format!("consumption.noise_fraction ({name})"));
            // Told from 0: the bootstrap's 2.5 % percentile is above 0.
            assert_eq!(c.noise_fraction.is_some(), sigma.lo > 0.0, "seed {seed}: {r}");
            assert_eq!(entry.is_some(), c.noise_fraction.is_none(), "seed {seed}: {r}");
            if let (Some(e), true) = (entry, sigma.value > 0.0) {
                assert!(e.reason.contains("95% bootstrap interval reaches 0"), "{}", e.reason);
                unbounded += 1;
            }
        }
        assert!(r.classes[2].noise_fraction.is_some(), "seed {seed}: {r}");
        assert!(!r.to_string().contains("NaN"), "{r}");
    }
    // The rule for a sigma above 0 but not told from it was exercised.
    assert!(unbounded > 0);
}

#[test]
fn a_fit_without_residential_meters_writes_a_valid_class_mix() {
    let (m, classes, axis) = matrix(3, &ONE_LEVEL_RESIDENTIAL);
    let keep: Vec<usize> = (0..classes.len())
        .filter(|&i| classes[i] != CustomerClass::Residential)
        .collect();
    let values: Vec<f64> = keep.iter().flat_map(|&i| m.row(i).unwrap().to_vec()).collect();
    let kept: Vec<CustomerClass> = keep.iter().map(|&i| classes[i]).collect();
    let m = ConsumptionMatrix::from_rows(values, axis.months());
    let r = Fit::new().bootstrap(0).run(&m, Some(&kept), &axis).unwrap();
    let config = r.config(&GeneratorConfig::default());
    // The rounding remainder once made the missing class's share -5.6e-17.
    config.validate().unwrap();
    assert_eq!(config.class_mix.residential, 0.0);
    // Without bootstrap replicates the report says so, in words.
    let text = r.to_string();
    assert!(!text.contains("NaN"), "{text}");
    assert!(text.contains("no uncertainty"), "{text}");
}
