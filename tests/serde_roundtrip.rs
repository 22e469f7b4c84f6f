//! Every public data type survives a JSON round trip (features `serde` and `json`).

use ghostload::{Allocation, Dataset, GeneratorConfig, Pipeline, TimeAxis};

fn default_dataset() -> Dataset {
    Pipeline::builder()
        .config(GeneratorConfig::default())
        .build()
        .unwrap()
        .generate()
        .unwrap()
}

#[test]
fn default_dataset_round_trips_through_json() {
    let dataset = default_dataset();
    let json = serde_json::to_string(&dataset).unwrap();
    let back: Dataset = serde_json::from_str(&json).unwrap();
    assert_eq!(back, dataset);
    assert!(back.validate().passed());
    // A second trip writes the very same text.
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
}

#[test]
fn network_and_batches_round_trip() {
    let pipeline = Pipeline::builder().build().unwrap();
    let network = pipeline.network();
    let back: ghostload::Network = serde_json::from_str(&serde_json::to_string(network).unwrap()).unwrap();
    assert_eq!(&back, network);
    let batch = pipeline.generate_batch(100..250).unwrap();
    let back: ghostload::MeterBatch = serde_json::from_str(&serde_json::to_string(&batch).unwrap()).unwrap();
    assert_eq!(back, batch);
}

#[test]
fn time_axis_is_checked_when_read() {
    let axis = *default_dataset().axis();
    let json = serde_json::to_string(&axis).unwrap();
    assert_eq!(json, r#"{"start":"2024-01","periods":12,"resolution":"monthly"}"#);
    assert_eq!(serde_json::from_str::<TimeAxis>(&json).unwrap(), axis);
    let err = serde_json::from_str::<TimeAxis>(r#"{"start":"2024-01","periods":0,"resolution":"monthly"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("num_months"), "{err}");
}

#[test]
fn allocation_is_checked_when_read() {
    let ok: Allocation = serde_json::from_str(r#"{"offsets":[0,3,3,7]}"#).unwrap();
    assert_eq!((ok.transformers(), ok.meters(), ok.count(1)), (3, 7, 0));
    for bad in [r#"{"offsets":[]}"#, r#"{"offsets":[1,3]}"#, r#"{"offsets":[0,3,2]}"#] {
        assert!(serde_json::from_str::<Allocation>(bad).is_err(), "{bad}");
    }
}

#[test]
fn small_values_round_trip() {
    use ghostload::anomaly::OnsetWindow;
    use ghostload::{AnomalyType, Injection, MeterProfile, Site};
    let dataset = default_dataset();
    let meter = &dataset.meters()[0];
    let profile = MeterProfile {
        class: meter.customer_class,
        baseline_kwh: meter.baseline_kwh,
        monthly_growth: meter.monthly_growth,
    };
    let back: MeterProfile = serde_json::from_str(&serde_json::to_string(&profile).unwrap()).unwrap();
    assert_eq!(back, profile);
    let site = Site {
        barangay: meter.barangay,
        point: meter.point(),
    };
    let back: Site = serde_json::from_str(&serde_json::to_string(&site).unwrap()).unwrap();
    assert_eq!(back, site);
    let injection = Injection::window(AnomalyType::new("constant_factor").unwrap(), 3, 5, true);
    let back: Injection = serde_json::from_str(&serde_json::to_string(&injection).unwrap()).unwrap();
    assert_eq!(back, injection);
    let window = OnsetWindow::new(4);
    let back: OnsetWindow = serde_json::from_str(&serde_json::to_string(&window).unwrap()).unwrap();
    assert_eq!(back, window);
}
