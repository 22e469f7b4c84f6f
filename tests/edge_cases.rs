//! The design's edge cases (§5.1), each through the public API.

use ghostload::{ConfigError, Error, GeneratorConfig, Pipeline, Warning};

fn generate(config: GeneratorConfig) -> ghostload::Dataset {
    Pipeline::builder().config(config).build().unwrap().generate().unwrap()
}

#[test]
fn anomaly_rate_zero_gives_no_labels() {
    let d = generate(GeneratorConfig {
        anomaly_rate: 0.0,
        ..Default::default()
    });
    assert!(d.labels().is_empty());
    assert_eq!(d.summary().anomalous_meters, 0);
    assert!(d.validate().passed());
}

#[test]
fn anomaly_rate_one_makes_every_meter_anomalous() {
    let d = generate(GeneratorConfig {
        anomaly_rate: 1.0,
        ..Default::default()
    });
    assert_eq!(d.labels().len(), 2000);
    assert!(d.meters().iter().all(|m| d.label(m.id).is_some()));
    // No normal meters: the clipped fraction of normal meters is defined as 0.
    assert_eq!(d.clip_stats().normal_cells, 0);
}

#[test]
fn fewer_meters_than_ten_per_transformer_lowers_the_minimum_with_a_warning() {
    let pipeline = Pipeline::builder()
        .config(GeneratorConfig {
            num_meters: 120,
            num_transformers: 50,
            ..Default::default()
        })
        .build()
        .unwrap();
    assert_eq!(
        pipeline.warnings(),
        [Warning::MinimumLowered {
            configured: 10,
            effective: 2
        }]
    );
    let d = pipeline.generate().unwrap();
    assert_eq!(d.meters().len(), 120);
    assert!(d.transformers().iter().all(|t| t.num_meters >= 2));
    assert_eq!(d.warnings().len(), 1);
}

#[test]
fn as_many_meters_as_transformers_gives_one_each() {
    let d = generate(GeneratorConfig {
        num_meters: 50,
        num_transformers: 50,
        ..Default::default()
    });
    assert!(d.transformers().iter().all(|t| t.num_meters == 1));
}

#[test]
fn fewer_meters_than_transformers_is_a_clear_error() {
    let err = Pipeline::builder()
        .config(GeneratorConfig {
            num_meters: 49,
            num_transformers: 50,
            ..Default::default()
        })
        .build()
        .unwrap_err();
    match err {
        Error::Config(ConfigError::TooFewMeters {
            num_meters: 49,
            num_transformers: 50,
        }) => {}
        other => panic!("unexpected {other:?}"),
    }
    let msg = Pipeline::builder()
        .config(GeneratorConfig {
            num_meters: 49,
            ..Default::default()
        })
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("num_meters") && msg.contains("49") && msg.contains("num_transformers"),
        "{msg}"
    );
}

#[test]
fn negative_consumption_is_clipped_to_zero_and_counted() {
    let mut config = GeneratorConfig {
        num_months: 48,
        anomaly_rate: 0.0,
        benign_rate: 0.0, // vacancies and new connections would add zeros
        ..Default::default()
    };
    config.consumption.noise_fraction = 3.0;
    config.consumption.trend_min = -0.05;
    let d = generate(config);
    let zeros = d.consumption().as_slice().iter().filter(|&&v| v == 0.0).count() as u64;
    assert!(d.clip_stats().normal_clipped > 0);
    assert_eq!(d.clip_stats().normal_clipped, zeros);
    assert!(d.consumption().as_slice().iter().all(|&v| v >= 0.0));
}

#[test]
fn allocation_remainder_is_distributed_and_the_total_exact() {
    // The original tool's own test: 50 meters requested, 53 produced.
    for (meters, transformers) in [(50, 5), (53, 5), (2001, 50), (997, 13)] {
        let d = generate(GeneratorConfig {
            num_meters: meters,
            num_transformers: transformers,
            ..Default::default()
        });
        assert_eq!(d.meters().len(), meters);
        assert_eq!(d.transformers().iter().map(|t| t.num_meters).sum::<usize>(), meters);
    }
}

#[test]
fn default_parameters_clip_under_one_percent_of_normal_cells() {
    for months in [12, 24] {
        let d = generate(GeneratorConfig {
            num_months: months,
            ..Default::default()
        });
        let f = d.summary().clipped_fraction;
        assert!(f < 0.01, "{months} months: clipped {f}");
    }
}

#[test]
fn lookups_by_an_unknown_id_return_none_rather_than_panic() {
    use ghostload::{BarangayId, MeterId, TransformerId};
    let d = Pipeline::builder().build().unwrap().generate().unwrap();
    assert!(d.barangay(BarangayId::from_index(9)).is_some());
    assert!(d.barangay(BarangayId::from_index(10)).is_none());
    assert!(d.transformer(TransformerId::from_index(50)).is_none());
    assert!(d.meter(MeterId::from_index(2000)).is_none());
    assert!(d.series(MeterId::from_index(u32::MAX)).is_none());
    assert_eq!(MeterId::from_index(7).index(), 7u32);
}
