//! Custom components plugged in through the builder, as a user outside the crate would.

use ghostload::rand::Rng;
use ghostload::rng::StreamRng;
use ghostload::{
    AnomalyInjector, AnomalyType, BarangayId, ConsumptionModel, CustomerClass, Error, GeneratorConfig, GeoBounds,
    GeoPoint, Injection, InjectionContext, MeterProfile, Pipeline, RiskBand, Site, SpatialStrategy, TimeAxis,
    TransformerId,
};

/// Reports half of the true consumption from a random onset on.
#[derive(Debug)]
struct HalfFromOnset;

impl AnomalyInjector for HalfFromOnset {
    fn inject(
        &self,
        series: &mut [f64],
        _ctx: &InjectionContext<'_>,
        rng: &mut StreamRng,
    ) -> Result<Injection, ghostload::Error> {
        let onset = rng.random_range(0..series.len());
        for v in &mut series[onset..] {
            *v *= 0.5;
        }
        Ok(Injection::from_onset(
            AnomalyType::new("half_meter").unwrap(),
            onset,
            true,
        ))
    }
}

#[test]
fn a_custom_injector_is_applied_and_labelled_with_measured_severity() {
    // No benign look-alikes: every meter without a label must be untouched.
    let config = GeneratorConfig {
        num_months: 24,
        benign_rate: 0.0,
        ..Default::default()
    };
    let normal = GeneratorConfig {
        anomaly_rate: 0.0,
        ..config.clone()
    };
    let plain = Pipeline::builder().config(normal).build().unwrap().generate().unwrap();
    let custom = Pipeline::builder()
        .config(config)
        .without_builtin_anomalies()
        .add_anomaly(HalfFromOnset, 1.0)
        .build()
        .unwrap()
        .generate()
        .unwrap();
    assert_eq!(custom.labels().len(), 150);
    for label in custom.labels() {
        assert_eq!(label.anomaly_type.as_str(), "half_meter");
        let before = plain.series(label.meter_id).unwrap();
        let after = custom.series(label.meter_id).unwrap();
        // Untouched before the onset, halved after it.
        assert_eq!(&before[..label.onset], &after[..label.onset]);
        for (b, a) in before[label.onset..].iter().zip(&after[label.onset..]) {
            assert!((a - 0.5 * b).abs() < 1e-9);
        }
        let severity = 1.0 - after.iter().sum::<f64>() / before.iter().sum::<f64>();
        assert!((label.severity - severity).abs() < 1e-9);
        assert!(label.severity <= 0.5 + 1e-12);
        assert_ne!(label.risk_band, RiskBand::High);
    }
    // Normal meters are identical to the anomaly-free dataset's.
    for m in custom.meters() {
        if custom.label(m.id).is_none() {
            assert_eq!(custom.series(m.id), plain.series(m.id));
        }
    }
}

/// Breaks the contract: writes a negative value.
#[derive(Debug)]
struct Negative;

impl AnomalyInjector for Negative {
    fn inject(
        &self,
        series: &mut [f64],
        _ctx: &InjectionContext<'_>,
        _rng: &mut StreamRng,
    ) -> Result<Injection, ghostload::Error> {
        series[0] = -1.0;
        Ok(Injection::from_onset(AnomalyType::new("broken").unwrap(), 0, true))
    }
}

/// Breaks the contract: onset past the end.
#[derive(Debug)]
struct LateOnset;

impl AnomalyInjector for LateOnset {
    fn inject(
        &self,
        series: &mut [f64],
        _ctx: &InjectionContext<'_>,
        _rng: &mut StreamRng,
    ) -> Result<Injection, ghostload::Error> {
        Ok(Injection::from_onset(AnomalyType::LOW_CONSUMPTION, series.len(), true))
    }
}

#[test]
fn a_misbehaving_injector_is_a_typed_error_not_a_panic() {
    let err = Pipeline::builder()
        .without_builtin_anomalies()
        .add_anomaly(Negative, 1.0)
        .build()
        .unwrap()
        .generate()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Component { component, .. } if component.contains("broken")),
        "{err}"
    );
    let err = Pipeline::builder()
        .without_builtin_anomalies()
        .add_anomaly(LateOnset, 1.0)
        .build()
        .unwrap()
        .generate()
        .unwrap_err();
    assert!(err.to_string().contains("onset 12"), "{err}");
}

/// Refuses series shorter than a year, through the trait's `Result`.
#[derive(Debug)]
struct NeedsAYear;

impl AnomalyInjector for NeedsAYear {
    fn inject(
        &self,
        series: &mut [f64],
        _ctx: &InjectionContext<'_>,
        _rng: &mut StreamRng,
    ) -> Result<Injection, ghostload::Error> {
        if series.len() < 12 {
            return Err(ghostload::ConfigError::out_of_range("num_months", series.len(), ">= 12").into());
        }
        Ok(Injection::from_onset(AnomalyType::new("yearly")?, 0, true))
    }
}

#[test]
fn an_injector_error_stops_the_pipeline_unchanged() {
    let config = GeneratorConfig {
        num_months: 6,
        ..Default::default()
    };
    let err = Pipeline::builder()
        .config(config)
        .without_builtin_anomalies()
        .add_anomaly(NeedsAYear, 1.0)
        .build()
        .unwrap()
        .generate()
        .unwrap_err();
    assert!(matches!(&err, Error::Config(c) if c.field() == "num_months"), "{err}");
}

#[test]
fn preview_checks_an_injection_as_the_pipeline_does() {
    use ghostload::anomaly::preview;
    let err = preview(&LateOnset, &mut [10.0; 12], 3, 1).unwrap_err();
    assert!(
        matches!(&err, Error::Component { reason, .. } if reason.contains("onset 12")),
        "{err}"
    );
    let err = preview(&Negative, &mut [10.0; 12], 3, 1).unwrap_err();
    assert!(
        matches!(&err, Error::Component { component, .. } if component.contains("broken")),
        "{err}"
    );
    let err = preview(&HalfFromOnset, &mut [10.0, f64::NAN], 0, 1).unwrap_err();
    assert!(matches!(&err, Error::Config(c) if c.field() == "series"), "{err}");
    let err = preview(&HalfFromOnset, &mut [10.0; 12], 5000, 1).unwrap_err();
    assert!(
        matches!(&err, Error::Config(c) if c.field() == "min_normal_periods"),
        "{err}"
    );
    let mut series = [10.0; 12];
    let ok = preview(&HalfFromOnset, &mut series, 3, 1).unwrap();
    assert!(series[ok.onset..].iter().all(|&v| v == 5.0));
}

/// Places every transformer outside the bounds.
#[derive(Debug)]
struct OffMap;

impl SpatialStrategy for OffMap {
    fn transformer_site(&self, _: &GeoBounds, _: &[GeoPoint], _: TransformerId, _: &mut StreamRng) -> Site {
        Site {
            barangay: BarangayId::from_index(0),
            point: GeoPoint { lat: 0.0, lon: 0.0 },
        }
    }
}

#[test]
fn a_strategy_placing_points_off_the_map_fails_validation() {
    let err = Pipeline::builder()
        .spatial(OffMap)
        .build()
        .unwrap()
        .generate()
        .unwrap_err();
    match err {
        Error::Validation(report) => {
            assert!(!report.check("coordinates_in_bounds").unwrap().passed);
            assert!(report.check("record_counts").unwrap().passed);
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// A model producing NaN.
#[derive(Debug)]
struct NanModel;

impl ConsumptionModel for NanModel {
    fn profile(&self, class: CustomerClass, _: &mut StreamRng) -> MeterProfile {
        MeterProfile {
            class,
            baseline_kwh: 1.0,
            monthly_growth: 0.0,
        }
    }
    fn fill_series(&self, _: &MeterProfile, _: &TimeAxis, _: &mut StreamRng, out: &mut [f64]) -> usize {
        out.fill(f64::NAN);
        0
    }
}

#[test]
fn a_model_producing_nan_is_a_component_error() {
    let err = Pipeline::builder()
        .consumption(NanModel)
        .build()
        .unwrap()
        .generate()
        .unwrap_err();
    assert!(
        matches!(err, Error::Component { ref component, .. } if component == "consumption model"),
        "{err}"
    );
}

#[test]
// The borrow is the point: `&'static T` must plug in as well as `T`.
#[allow(clippy::needless_borrows_for_generic_args)]
fn boxed_and_borrowed_components_plug_in() {
    static DECLINE: ghostload::GradualDecline = ghostload::GradualDecline::DESIGN;
    let boxed: Box<dyn AnomalyInjector> = Box::new(HalfFromOnset);
    let a = Pipeline::builder()
        .without_builtin_anomalies()
        .add_anomaly(boxed, 1.0)
        .build()
        .unwrap()
        .generate()
        .unwrap();
    assert_eq!(a.labels()[0].anomaly_type.as_str(), "half_meter");
    let b = Pipeline::builder()
        .without_builtin_anomalies()
        .add_anomaly(&DECLINE, 1.0)
        .build()
        .unwrap()
        .generate()
        .unwrap();
    let c = Pipeline::builder()
        .without_builtin_anomalies()
        .add_anomaly(ghostload::GradualDecline::default(), 1.0)
        .build()
        .unwrap()
        .generate()
        .unwrap();
    assert_eq!(b, c);
}

#[test]
fn builder_call_order_does_not_change_the_mix() {
    use ghostload::anomaly::{ConstantFactor, ZeroReadings};
    let types = |d: &ghostload::Dataset| {
        let mut t: Vec<String> = d.labels().iter().map(|l| l.anomaly_type.to_string()).collect();
        t.sort();
        t.dedup();
        t
    };
    let generate = |b: ghostload::PipelineBuilder| b.build().unwrap().generate().unwrap();
    // Adding before leaving the built-ins out keeps what was added.
    let added_first = generate(
        Pipeline::builder()
            .add_anomaly(ZeroReadings::default(), 1.0)
            .without_builtin_anomalies()
            .add_anomaly(ConstantFactor::default(), 1.0),
    );
    let excluded_first = generate(
        Pipeline::builder()
            .without_builtin_anomalies()
            .add_anomaly(ZeroReadings::default(), 1.0)
            .add_anomaly(ConstantFactor::default(), 1.0),
    );
    assert_eq!(types(&added_first), ["constant_factor", "zero_readings"]);
    assert_eq!(added_first, excluded_first);
    // Without the exclusion, the built-in mix stays and the additions join it.
    let joined = generate(Pipeline::builder().add_anomaly(HalfFromOnset, 1.0));
    assert!(types(&joined).len() > 10, "{:?}", types(&joined));
    assert!(types(&joined).iter().any(|t| t == "half_meter"));
}
