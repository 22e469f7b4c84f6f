//! `generation_report.json` parses back (with `serde_json`) to the dataset's
//! configuration, summary and checks; both reports are deterministic.

use ghostload::io::{GenerationReport, file_names, write_report_json, write_report_txt};
use ghostload::{Dataset, GeneratorConfig, Pipeline};

fn dataset() -> Dataset {
    let config = GeneratorConfig {
        num_transformers: 8,
        num_meters: 240,
        seed: 7,
        ..Default::default()
    };
    Pipeline::builder().config(config).build().unwrap().generate().unwrap()
}

#[test]
fn report_json_round_trips() {
    let d = dataset();
    let report = GenerationReport::new(&d, &file_names());
    let mut out = Vec::new();
    write_report_json(&report, &mut out).unwrap();
    let back: GenerationReport = serde_json::from_slice(&out).unwrap();
    assert_eq!(back, report);
    assert_eq!(&back.config, d.config());
    assert_eq!(back.summary.meters, 240);
    assert_eq!(back.summary.anomalous_meters, d.labels().len());
    assert_eq!(back.version, env!("CARGO_PKG_VERSION"));
    assert!(back.validation_passed);
    assert_eq!(back.validation, d.validate());
    assert!(back.files.contains(&"generation_report.json".to_owned()));
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["config"]["anomaly_rate"], 0.075);
    assert_eq!(v["config"]["start_month"], "2024-01");
}

#[test]
fn reports_are_byte_identical_across_runs_and_hold_no_clock() {
    let render = || {
        let d = dataset();
        let r = GenerationReport::new(&d, &file_names());
        let (mut json, mut txt) = (Vec::new(), Vec::new());
        write_report_json(&r, &mut json).unwrap();
        write_report_txt(&r, &mut txt).unwrap();
        (json, txt)
    };
    let (a, b) = (render(), render());
    assert_eq!(a, b);
    let txt = String::from_utf8(a.1).unwrap();
    assert!(txt.contains("Total meters: 240"));
    assert!(txt.contains("PASS record_counts"));
    let json = String::from_utf8(a.0).unwrap();
    for leak in ["timestamp", "hostname", "elapsed", "generated_at"] {
        assert!(!json.contains(leak) && !txt.contains(leak), "{leak}");
    }
}
