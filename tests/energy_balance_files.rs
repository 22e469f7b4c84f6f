//! The energy-balance checks: `validate DIR` ([`validate_dir`]) on the
//! balance files of a dataset written by `write_dataset`, undamaged at
//! monthly and hourly resolution (CSV and Parquet readings), then damaged
//! one file at a time; and the streamed `energy_balance` check in
//! `generation_report.json`.

use std::fs;
use std::path::{Path, PathBuf};

use ghostload::io::{ReadingsFormat, WriteOptions, validate_dir, write_dataset};
use ghostload::{Dataset, GeneratorConfig, Pipeline, Resolution, ValidationReport, YearMonth};

/// The checks of the balance files, in report order.
const BALANCE_CHECKS: [&str; 5] = [
    "energy_balance_identity",
    "energy_balance_billed",
    "transformer_readings",
    "feeder_readings",
    "true_consumption",
];

fn dataset(resolution: Resolution) -> Dataset {
    let config = match resolution {
        Resolution::Monthly => GeneratorConfig {
            num_transformers: 6,
            num_meters: 120,
            num_months: 6,
            anomaly_rate: 0.1,
            seed: 11,
            ..Default::default()
        },
        _ => GeneratorConfig {
            num_transformers: 4,
            num_meters: 40,
            num_months: 2,
            start_month: YearMonth::new(2024, 2).unwrap(),
            resolution,
            anomaly_rate: 0.1,
            min_normal_periods: 0,
            seed: 11,
            ..Default::default()
        },
    };
    Pipeline::builder().config(config).build().unwrap().generate().unwrap()
}

/// `d` written to a fresh directory with the readings in `format`.
fn written(d: &Dataset, format: ReadingsFormat) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write_dataset(d, &out, &WriteOptions::default().with_readings_format(format)).unwrap();
    // Each damage also changes a file the manifest lists (tests/manifest.rs);
    // without the manifest, each balance check must fail alone.
    fs::remove_file(out.join(ghostload::io::MANIFEST_JSON)).unwrap();
    (tmp, out)
}

fn names(r: &ValidationReport) -> Vec<&str> {
    r.checks.iter().map(|c| c.name.as_str()).collect()
}

fn failed(r: &ValidationReport) -> Vec<&str> {
    r.checks.iter().filter(|c| !c.passed).map(|c| c.name.as_str()).collect()
}

fn detail<'r>(r: &'r ValidationReport, name: &str) -> &'r str {
    &r.check(name).unwrap().detail
}

/// A CSV file as lines of fields (the files written hold no quoted fields).
fn load(path: &Path) -> Vec<Vec<String>> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

fn save(path: &Path, lines: &[Vec<String>]) {
    let text: String = lines.iter().map(|l| l.join(",") + "\n").collect();
    fs::write(path, text).unwrap();
}

/// Adds `by` to the number in `cell`, keeping its decimals.
fn bump(cell: &mut String, by: f64) {
    let decimals = cell.split_once('.').map_or(0, |(_, f)| f.len());
    *cell = format!("{:.*}", decimals, cell.parse::<f64>().unwrap() + by);
}

/// Edits the CSV file `name` of `dir` (a copy of the directory), validates it.
fn damaged(dir: &Path, name: &str, edit: impl FnOnce(&mut Vec<Vec<String>>)) -> ValidationReport {
    let copy = dir.with_extension("damaged");
    if copy.exists() {
        fs::remove_dir_all(&copy).unwrap();
    }
    copy_dir(dir, &copy);
    let path = copy.join(name);
    let mut lines = load(&path);
    edit(&mut lines);
    save(&path, &lines);
    validate_dir(&copy).unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Column `name` of a header line.
fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|c| c == name).unwrap()
}

#[track_caller]
fn assert_clean(dir: &Path) -> ValidationReport {
    let r = validate_dir(dir).unwrap();
    assert!(r.passed(), "{r}");
    // The five balance checks, then `manifest` (which passes: see `written`).
    assert_eq!(
        names(&r)[names(&r).len() - 6..names(&r).len() - 1],
        BALANCE_CHECKS,
        "{r}"
    );
    assert_eq!(names(&r).last(), Some(&"manifest"), "{r}");
    r
}

/// The streamed `energy_balance` check is in the report and passed.
#[track_caller]
fn assert_reported(dir: &Path) {
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("generation_report.json")).unwrap()).unwrap();
    let checks = report["validation"]["checks"].as_array().unwrap();
    let balance = checks.iter().find(|c| c["name"] == "energy_balance").unwrap();
    assert_eq!(balance["passed"], true, "{balance}");
    assert!(
        balance["detail"]
            .as_str()
            .unwrap()
            .contains(" months checked (streamed): 0 periods off"),
        "{balance}"
    );
}

#[test]
fn undamaged_balance_files_pass_at_monthly_and_hourly_resolution() {
    let d = dataset(Resolution::Monthly);
    let (_tmp, dir) = written(&d, ReadingsFormat::Csv);
    let r = assert_clean(&dir);
    assert!(
        detail(&r, "energy_balance_billed").starts_with("36 transformer-months: 0 whose billed_kwh differs"),
        "{r}"
    );
    assert!(
        detail(&r, "transformer_readings").starts_with("transformer_readings.csv against 36 transformer-months"),
        "{r}"
    );
    assert_reported(&dir);
    let h = dataset(Resolution::Hourly);
    for format in [ReadingsFormat::Csv, ReadingsFormat::Parquet] {
        let (_tmp, dir) = written(&h, format);
        let r = assert_clean(&dir);
        let file = match format {
            ReadingsFormat::Csv => "transformer_readings.csv",
            _ => "transformer_readings/",
        };
        assert!(
            detail(&r, "transformer_readings").starts_with(&format!(
                "{file} against 8 transformer-months of energy_balance.csv: 0 whose reading_kwh differs from the sum of the month's readings"
            )),
            "{r}"
        );
        assert!(
            detail(&r, "transformer_readings").contains(", 0 with the wrong number of readings,"),
            "{r}"
        );
        // The feeder readings follow the readings' format: long CSV, or one Parquet part.
        let feeders = match format {
            ReadingsFormat::Csv => "feeder_readings.csv",
            _ => "feeder_readings/",
        };
        assert!(
            detail(&r, "feeder_readings").starts_with(&format!("{feeders}: ")),
            "{r}"
        );
        if format == ReadingsFormat::Csv {
            assert!(dir.join("feeder_readings.csv").is_file());
        } else {
            assert!(dir.join("feeder_readings/part-00001-of-00001.parquet").is_file());
            assert!(!dir.join("feeder_readings.csv").exists());
        }
        assert_reported(&dir);
    }
}

#[test]
fn each_damage_is_caught_by_its_check_naming_the_transformer() {
    let d = dataset(Resolution::Monthly);
    let (_tmp, dir) = written(&d, ReadingsFormat::Csv);
    assert_clean(&dir);
    let balance = load(&dir.join("energy_balance.csv"));
    let row = 1 + 2 * 6 + 3; // TX_0003, 2024-04
    assert_eq!(
        (balance[row][0].as_str(), balance[row][2].as_str()),
        ("TX_0003", "2024-04")
    );
    let at = |name: &str| col(&balance[0], name);

    // reading_kwh changed: off the identity, and no longer the transformer meter's reading.
    let r = damaged(&dir, "energy_balance.csv", |l| {
        bump(&mut l[row][at("reading_kwh")], 1.0)
    });
    assert_eq!(failed(&r), ["energy_balance_identity", "transformer_readings"], "{r}");
    assert!(
        detail(&r, "energy_balance_identity").contains("; TX_0003 2024-04 (line 17): reading_kwh "),
        "{r}"
    );
    assert!(
        detail(&r, "transformer_readings").contains("TX_0003 2024-04 (line 17): reading_kwh "),
        "{r}"
    );

    // billed_kwh changed: no longer its meters' bills (and residual, non_technical disagree).
    let r = damaged(&dir, "energy_balance.csv", |l| {
        bump(&mut l[row][at("billed_kwh")], -0.5)
    });
    assert_eq!(failed(&r), ["energy_balance_identity", "energy_balance_billed"], "{r}");
    assert!(
        detail(&r, "energy_balance_billed").contains(": 1 whose billed_kwh differs")
            && detail(&r, "energy_balance_billed").contains("TX_0003 2024-04 (line 17): billed_kwh "),
        "{r}"
    );
    assert!(
        detail(&r, "energy_balance_identity")
            .contains("1 residual ≠ reading − billed, 1 non_technical ≠ true − billed"),
        "{r}"
    );

    // A meter's consumption cell 5 kWh higher: its transformer's bills no longer add up.
    let meters = load(&dir.join("meter_consumption.csv"));
    let m = meters
        .iter()
        .position(|l| l[col(&meters[0], "transformer_id")] == "TX_0005")
        .unwrap();
    let cell = col(&meters[0], "monthly_consumption_202402");
    let r = damaged(&dir, "meter_consumption.csv", |l| bump(&mut l[m][cell], 5.0));
    assert_eq!(failed(&r), ["energy_balance_billed"], "{r}");
    assert!(
        detail(&r, "energy_balance_billed").contains("; TX_0005 2024-02 (line "),
        "{r}"
    );

    // A row of meter_consumption_true.csv deleted: a labelled meter without its truth.
    let truth = load(&dir.join("meter_consumption_true.csv"));
    let lost = truth[3][0].clone();
    let r = damaged(&dir, "meter_consumption_true.csv", |l| {
        l.remove(3);
    });
    assert_eq!(failed(&r), ["true_consumption"], "{r}");
    assert!(
        detail(&r, "true_consumption").contains(&format!(
            ", 1 labelled meters without a row, 0 repeated, 0 values not a number ≥ 0; {lost}: labelled, no row"
        )),
        "{r}"
    );

    // A transformer reading changed in transformer_readings.csv.
    let r = damaged(&dir, "transformer_readings.csv", |l| {
        let c = col(&l[0], "monthly_consumption_202405");
        bump(&mut l[2][c], -0.25);
    });
    assert_eq!(failed(&r), ["transformer_readings"], "{r}");
    assert!(
        detail(&r, "transformer_readings").contains(": 1 whose reading_kwh differs from the file's value"),
        "{r}"
    );
    assert!(
        detail(&r, "transformer_readings").contains("; TX_0002 2024-05 (line "),
        "{r}"
    );

    // A feeder reading far below its transformers'.
    let r = damaged(&dir, "feeder_readings.csv", |l| {
        let c = col(&l[0], "monthly_consumption_202401");
        l[1][c] = "1.000".to_owned();
    });
    assert_eq!(failed(&r), ["feeder_readings"], "{r}");
    assert!(
        detail(&r, "feeder_readings").contains("; FDR_01 2024-01: reading 1.000 kWh, below Σ"),
        "{r}"
    );

    // A cell that is not a number: an error naming the file, line and column.
    let copy = dir.with_extension("bad");
    copy_dir(&dir, &copy);
    let path = copy.join("energy_balance.csv");
    let mut lines = load(&path);
    lines[4][at("line_loss_kwh")] = "1.2.3".to_owned();
    save(&path, &lines);
    let e = validate_dir(&copy).unwrap_err().to_string();
    assert!(
        e.contains("energy_balance.csv") && e.contains("line 5, column 8 `line_loss_kwh`: \"1.2.3\" is not a number"),
        "{e}"
    );
}

#[test]
fn a_changed_interval_reading_is_caught_naming_its_transformer() {
    let h = dataset(Resolution::Hourly);
    let (_tmp, dir) = written(&h, ReadingsFormat::Csv);
    assert_clean(&dir);
    let readings = load(&dir.join("transformer_readings.csv"));
    // TX_0002's 1000th reading: in March 2024 (February 2024 has 696 hours).
    let row = 1 + 1440 + 1000;
    assert_eq!(readings[row][0], "TX_0002");
    // (More than the tolerance, 0.0005 kWh per reading: 0.372 kWh in March.)
    let r = damaged(&dir, "transformer_readings.csv", |l| bump(&mut l[row][2], 1.0));
    assert_eq!(failed(&r), ["transformer_readings"], "{r}");
    assert!(
        detail(&r, "transformer_readings").contains("; TX_0002 2024-03 (line "),
        "{r}"
    );
    // A reading lost: the wrong number of readings, and a different sum.
    let r = damaged(&dir, "transformer_readings.csv", |l| {
        l.remove(row);
    });
    assert_eq!(failed(&r), ["transformer_readings"], "{r}");
    assert!(
        detail(&r, "transformer_readings").contains(", 1 with the wrong number of readings,"),
        "{r}"
    );
    assert!(
        detail(&r, "transformer_readings").contains("TX_0002 2024-03 (line 5): 743 readings, expected 744"),
        "{r}"
    );
}

#[test]
fn a_missing_balance_file_fails_its_check() {
    for name in [
        "transformer_readings.csv",
        "meter_consumption_true.csv",
        "feeder_readings.csv",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("d");
        let dataset = ghostload::Pipeline::builder()
            .config(ghostload::GeneratorConfig {
                num_meters: 300,
                num_transformers: 10,
                ..Default::default()
            })
            .build()
            .unwrap()
            .generate()
            .unwrap();
        ghostload::io::write_dataset(&dataset, &dir, &ghostload::io::WriteOptions::default()).unwrap();
        std::fs::remove_file(dir.join(name)).unwrap();
        let report = ghostload::io::validate_dir(&dir).unwrap();
        let failed: Vec<String> = report.failures().collect();
        // The file's own check, and the manifest's (the file is listed).
        assert_eq!(failed.len(), 2, "{name}: {failed:?}");
        assert!(failed[0].contains(name) && failed[0].contains("missing"), "{failed:?}");
        assert_eq!(failed[1], format!("manifest: `{name}` is missing"));
    }
}

/// At interval resolutions the anomalous meters' true readings are written
/// beside the billed ones, in the readings' format, so clean and tampered
/// series pair up: same meters as the labels, one value per interval, equal
/// to what the meter drew.
#[test]
fn true_readings_pair_with_the_billed_ones_at_interval_resolution() {
    let h = dataset(Resolution::Hourly);
    let labelled: Vec<u32> = h.labels().iter().map(|l| l.meter_id.index()).collect();
    assert!(!labelled.is_empty());
    let n = h.series_axis().len();
    // Parquet: read back with the library's own readings reader.
    let (_tmp, dir) = written(&h, ReadingsFormat::Parquet);
    let t = ghostload::io::read_readings_parquet(&dir.join("meter_readings_true/part-00001-of-00001.parquet")).unwrap();
    assert_eq!(t.len(), labelled.len() * n);
    for (k, &m) in labelled.iter().enumerate() {
        let drawn = h.true_series(ghostload::MeterId::from_index(m)).unwrap();
        let rows = k * n..(k + 1) * n;
        assert!(t.meter[rows.clone()].iter().all(|&x| x == m));
        for (v, d) in t.kwh[rows].iter().zip(drawn) {
            assert_eq!(*v, Some(*d), "meter {m}");
        }
        // What it drew is not what it billed.
        assert_ne!(drawn, h.readings(ghostload::MeterId::from_index(m)).unwrap());
    }
    // CSV: `meter_id,timestamp,kwh`, the same values to 3 decimals.
    let (_tmp, dir) = written(&h, ReadingsFormat::Csv);
    let mut reader = csv::Reader::from_path(dir.join("meter_readings_true.csv")).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["meter_id", "timestamp", "kwh"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), labelled.len() * n);
    let first = ghostload::MeterId::from_index(labelled[0]);
    assert_eq!(&rows[0][0], first.to_string());
    let kwh: f64 = rows[0][2].parse().unwrap();
    assert!((kwh - h.true_series(first).unwrap()[0]).abs() < 5e-4);
}
