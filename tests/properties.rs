//! Invariants over random valid configurations, through the public API only.

use ghostload::{ClassMix, Dataset, GeneratorConfig, Pipeline};
use proptest::prelude::*;

fn configs() -> impl Strategy<Value = GeneratorConfig> {
    (
        any::<u64>(),
        1usize..30,
        0usize..40,
        1usize..30,
        0.0..=1.0f64,
        0.0..=1.0f64,
        1usize..15,
        (0.0..=1.0f64, 0.0..=1.0f64),
    )
        .prop_map(|(seed, t, per, months, rate, strength, min, (a, b))| {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            GeneratorConfig {
                seed,
                num_transformers: t,
                num_meters: t + t * per,
                num_months: months,
                anomaly_rate: rate,
                spatial_clustering_strength: strength,
                min_meters_per_transformer: min,
                class_mix: ClassMix {
                    residential: lo,
                    commercial: hi - lo,
                    industrial: 1.0 - hi,
                },
                ..Default::default()
            }
        })
}

fn generate(config: &GeneratorConfig) -> Dataset {
    Pipeline::builder()
        .config(config.clone())
        .build()
        .unwrap()
        .generate()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn meter_total_is_exact_and_minimum_honoured(config in configs()) {
        let d = generate(&config);
        prop_assert_eq!(d.meters().len(), config.num_meters);
        let served: usize = d.transformers().iter().map(|t| t.num_meters).sum();
        prop_assert_eq!(served, config.num_meters);
        let min = config.effective_min_meters_per_transformer();
        prop_assert!(d.transformers().iter().all(|t| t.num_meters >= min));
        if config.num_meters >= config.min_meters_per_transformer * config.num_transformers {
            prop_assert_eq!(min, config.min_meters_per_transformer);
            prop_assert!(d.warnings().is_empty());
        } else {
            prop_assert_eq!(d.warnings().len(), 1);
        }
    }

    #[test]
    fn coordinates_in_bounds_and_consumption_non_negative(config in configs()) {
        let d = generate(&config);
        let b = config.bounds;
        prop_assert!(d.transformers().iter().all(|t| b.contains(t.point())));
        prop_assert!(d.meters().iter().all(|m| b.contains(m.point())));
        prop_assert!(d.consumption().as_slice().iter().all(|v| v.is_finite() && *v >= 0.0));
    }

    #[test]
    fn anomaly_count_is_exact(config in configs()) {
        let d = generate(&config);
        let expected = (config.anomaly_rate * config.num_meters as f64).round() as usize;
        prop_assert_eq!(d.labels().len(), expected);
        prop_assert!(d.labels().windows(2).all(|w| w[0].meter_id < w[1].meter_id));
    }

    #[test]
    fn every_meter_has_an_existing_transformer(config in configs()) {
        let d = generate(&config);
        for m in d.meters() {
            let t = d.transformer_of(m.id);
            prop_assert!(t.is_some());
            prop_assert_eq!(t.unwrap().barangay, m.barangay);
        }
        for l in d.labels() {
            prop_assert!(d.meter(l.meter_id).is_some());
        }
        prop_assert!(d.validate().passed());
    }

    #[test]
    fn same_seed_gives_equal_datasets(config in configs()) {
        prop_assert_eq!(generate(&config), generate(&config));
    }

    #[test]
    fn different_seed_gives_different_datasets(config in configs()) {
        let other = GeneratorConfig { seed: config.seed.wrapping_add(1), ..config.clone() };
        let (a, b) = (generate(&config), generate(&other));
        prop_assert_ne!(a.consumption(), b.consumption());
        prop_assert_ne!(a.transformers(), b.transformers());
    }

    #[test]
    fn anomaly_rate_changes_leave_the_network_alone(config in configs(), rate in 0.0..=1.0f64) {
        let other = GeneratorConfig { anomaly_rate: rate, ..config.clone() };
        let (a, b) = (generate(&config), generate(&other));
        prop_assert_eq!(a.transformers(), b.transformers());
        prop_assert_eq!(a.meters(), b.meters());
        // A meter without any event (anomaly or benign) in both datasets has the
        // same series. (Which normal meters get a benign event depends on the
        // anomaly count: they are ranked among the normal meters.)
        for m in a.meters() {
            if a.event(m.id).is_none() && b.event(m.id).is_none() {
                prop_assert_eq!(a.series(m.id), b.series(m.id));
            }
        }
    }

    #[test]
    fn raising_a_rate_only_adds_meters_to_its_set(
        config in configs(),
        (a1, a2) in (0.0..=1.0f64, 0.0..=1.0f64),
        (b1, b2) in (0.0..=1.0f64, 0.0..=1.0f64),
    ) {
        let anomalous = |d: &Dataset| d.labels().iter().map(|l| l.meter_id).collect::<std::collections::BTreeSet<_>>();
        let benign = |d: &Dataset| {
            d.events().iter().filter(|e| !e.is_anomaly).map(|e| e.meter_id).collect::<std::collections::BTreeSet<_>>()
        };
        let (lo, hi) = (a1.min(a2), a1.max(a2));
        let low = generate(&GeneratorConfig { anomaly_rate: lo, ..config.clone() });
        let high = generate(&GeneratorConfig { anomaly_rate: hi, ..config.clone() });
        prop_assert!(anomalous(&low).is_subset(&anomalous(&high)));
        let (lo, hi) = (b1.min(b2), b1.max(b2));
        let low = generate(&GeneratorConfig { benign_rate: lo, ..config.clone() });
        let high = generate(&GeneratorConfig { benign_rate: hi, ..config });
        prop_assert!(benign(&low).is_subset(&benign(&high)));
        prop_assert_eq!(low.labels(), high.labels());
    }
}
