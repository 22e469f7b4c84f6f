//! `validate DIR` on damaged datasets: every check of
//! [`validate_dir`](ghostload::io::validate_dir) fails, alone, on a dataset
//! written by `write_dataset` and then damaged the way real files go wrong
//! (a dropped row, a changed label, an edited value, a null, a broken
//! foreign key, a point outside the bounds, a wrong anomaly count...).

use std::fs;
use std::path::{Path, PathBuf};

use ghostload::io::{WriteOptions, read_dataset_dir, validate_dir, validate_tables, write_dataset};
use ghostload::{GeneratorConfig, Pipeline, ValidationReport};

/// Every check `validate_dir` runs on a whole dataset, in report order
/// (`manifest` passes: the directories here have none, see [`written`]).
const CHECKS: [&str; 11] = [
    "schema_transformers",
    "schema_meter_consumption",
    "schema_anomaly_labels",
    "record_counts",
    "anomaly_rate",
    "foreign_keys",
    "events",
    "no_missing_values",
    "all_periods_present",
    "coordinates_in_bounds",
    "manifest",
];

/// A dataset written to a fresh directory: 6 transformers, 120 meters
/// (9 labelled), 6 months, benign events.
fn written() -> (tempfile::TempDir, PathBuf) {
    let mut config = GeneratorConfig {
        num_transformers: 6,
        num_meters: 120,
        num_months: 6,
        benign_rate: 0.1,
        seed: 5,
        // Each test damages one of these files and expects exactly its check
        // to fail; the balance files cross-check the meter table and labels
        // (and would fail too), so they are left out here and damaged in
        // tests/energy_balance_files.rs.
        ..Default::default()
    };
    config.balance.enabled = false;
    let d = Pipeline::builder().config(config).build().unwrap().generate().unwrap();
    assert!(
        d.events().iter().any(|e| !e.is_anomaly),
        "the tests need a benign event"
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write_dataset(&d, &out, &WriteOptions::default()).unwrap();
    // Every damage below also changes a file the manifest lists, so its
    // `manifest` check would fail with each (tests/manifest.rs tests that);
    // without it, each content check must fail alone.
    fs::remove_file(out.join(ghostload::io::MANIFEST_JSON)).unwrap();
    (tmp, out)
}

/// A CSV file as header and rows (the files written hold no quoted fields).
#[derive(Debug, Clone)]
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn load(path: &Path) -> Csv {
        let text = fs::read_to_string(path).unwrap();
        assert!(!text.contains('"'), "{}: quoted fields", path.display());
        let mut lines = text
            .lines()
            .map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>());
        let header = lines.next().unwrap();
        Csv {
            header,
            rows: lines.collect(),
        }
    }

    fn save(&self, path: &Path) {
        let mut text = self.header.join(",") + "\n";
        for r in &self.rows {
            text += &(r.join(",") + "\n");
        }
        fs::write(path, text).unwrap();
    }

    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }

    fn drop_col(&mut self, name: &str) {
        let i = self.col(name);
        self.header.remove(i);
        for r in &mut self.rows {
            r.remove(i);
        }
    }

    /// The first row whose `column` is `value`.
    fn row_where(&self, column: &str, value: &str) -> usize {
        let i = self.col(column);
        self.rows.iter().position(|r| r[i] == value).unwrap()
    }
}

/// Edits `file` of `dir` and validates the directory.
fn damage(dir: &Path, file: &str, edit: impl FnOnce(&mut Csv)) -> ValidationReport {
    let path = dir.join(file);
    let mut csv = Csv::load(&path);
    edit(&mut csv);
    csv.save(&path);
    validate_dir(dir).unwrap()
}

fn failed(r: &ValidationReport) -> Vec<&str> {
    r.checks.iter().filter(|c| !c.passed).map(|c| c.name.as_str()).collect()
}

/// Exactly `names` fail, and streaming the meter table (`validate_dir`)
/// and holding it (`validate_tables`) agree (but for `manifest`, a check
/// of the files that `validate_tables` does not see).
#[track_caller]
fn assert_fails(dir: &Path, report: &ValidationReport, names: &[&str]) {
    assert_eq!(failed(report), names, "{report}");
    assert_eq!(report.passed(), names.is_empty());
    let mut tables = report.clone();
    tables.checks.retain(|c| c.name != "manifest");
    assert_eq!(validate_tables(&read_dataset_dir(dir).unwrap()), tables);
}

/// Meter ids with neither a label nor an event.
fn quiet_meters(dir: &Path) -> Vec<String> {
    let meters = Csv::load(&dir.join("meter_consumption.csv"));
    let events = Csv::load(&dir.join("events.csv"));
    let (m, e) = (meters.col("meter_id"), events.col("meter_id"));
    meters
        .rows
        .iter()
        .map(|r| r[m].clone())
        .filter(|id| events.rows.iter().all(|r| &r[e] != id))
        .collect()
}

#[test]
fn undamaged_directory_passes_every_check() {
    let (_tmp, dir) = written();
    let r = validate_dir(&dir).unwrap();
    assert_eq!(r.checks.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), CHECKS);
    assert_fails(&dir, &r, &[]);
    // The damage below needs labels and quiet meters.
    assert!(Csv::load(&dir.join("anomaly_labels.csv")).rows.len() >= 5);
    assert!(quiet_meters(&dir).len() >= 2);
}

#[test]
fn schema_transformers_fails_on_a_missing_column() {
    let (_tmp, dir) = written();
    let r = damage(&dir, "transformers.csv", |c| c.drop_col("capacity_kVA"));
    assert_fails(&dir, &r, &["schema_transformers"]);
    assert!(
        r.check("schema_transformers")
            .unwrap()
            .detail
            .contains("missing columns: [capacity_kVA]")
    );
}

#[test]
fn schema_transformers_fails_on_a_missing_file() {
    let (_tmp, dir) = written();
    fs::remove_file(dir.join("transformers.csv")).unwrap();
    let r = validate_dir(&dir).unwrap();
    // Without transformers, no meter's transformer exists and none are counted.
    assert_fails(&dir, &r, &["schema_transformers", "record_counts", "foreign_keys"]);
}

#[test]
fn schema_meter_consumption_fails_on_a_missing_column_or_an_unparsable_reading() {
    let (_tmp, dir) = written();
    let r = damage(&dir, "meter_consumption.csv", |c| c.drop_col("customer_class"));
    assert_fails(&dir, &r, &["schema_meter_consumption"]);
    let (_tmp, dir) = written();
    let r = damage(&dir, "meter_consumption.csv", |c| {
        let i = c.col("monthly_consumption_202403");
        c.rows[10][i] = "n/a".into();
    });
    assert_fails(&dir, &r, &["schema_meter_consumption"]);
    assert!(
        r.check("schema_meter_consumption")
            .unwrap()
            .detail
            .ends_with("6 consumption columns, 1 unparsable")
    );
    let (_tmp, dir) = written();
    let r = damage(&dir, "meter_consumption.csv", |c| {
        let i = c.col("kVA");
        c.rows[3][i] = "5 kVA".into();
    });
    assert_fails(&dir, &r, &["schema_meter_consumption"]);
}

#[test]
fn schema_anomaly_labels_fails_on_an_unparsable_flag() {
    let (_tmp, dir) = written();
    let r = damage(&dir, "anomaly_labels.csv", |c| {
        let i = c.col("anomaly_flag");
        c.rows[0][i] = "yes".into();
    });
    assert_fails(&dir, &r, &["schema_anomaly_labels"]);
}

#[test]
fn record_counts_fails_on_a_dropped_meter_row_or_a_wrong_num_meters() {
    let (_tmp, dir) = written();
    let quiet = quiet_meters(&dir)[0].clone();
    let r = damage(&dir, "meter_consumption.csv", |c| {
        let i = c.row_where("meter_id", &quiet);
        c.rows.remove(i);
    });
    assert_fails(&dir, &r, &["record_counts"]);
    assert!(
        r.check("record_counts")
            .unwrap()
            .detail
            .contains("1 transformers whose num_meters differs")
    );
    let (_tmp, dir) = written();
    let r = damage(&dir, "transformers.csv", |c| {
        let i = c.col("num_meters");
        let n: usize = c.rows[2][i].parse().unwrap();
        c.rows[2][i] = (n + 1).to_string();
    });
    assert_fails(&dir, &r, &["record_counts"]);
}

#[test]
fn record_counts_fails_when_the_report_counts_differ() {
    let (_tmp, dir) = written();
    edit_report(&dir, |v| v["config"]["num_transformers"] = 7.into());
    assert_fails(&dir, &validate_dir(&dir).unwrap(), &["record_counts"]);
}

fn edit_report(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("generation_report.json");
    let mut v: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut v);
    fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

#[test]
fn anomaly_rate_fails_on_too_few_anomalous_labels() {
    // 9 labels of 120 meters (0.075); 4 unflagged leave 5 (0.042), more
    // than 0.02 below the configured rate.
    let (_tmp, dir) = written();
    let labels = Csv::load(&dir.join("anomaly_labels.csv"));
    assert_eq!(labels.rows.len(), 9);
    let r = damage(&dir, "anomaly_labels.csv", |c| {
        let i = c.col("anomaly_flag");
        for r in &mut c.rows[..4] {
            r[i] = "0".into();
        }
    });
    assert_fails(&dir, &r, &["anomaly_rate"]);
    assert!(
        r.check("anomaly_rate")
            .unwrap()
            .detail
            .starts_with("5 anomalous meters, rate 0.0417 vs configured 0.0750")
    );
    // 2 unflagged leave 7 (0.058): within the tolerance.
    let (_tmp, dir) = written();
    let r = damage(&dir, "anomaly_labels.csv", |c| {
        let i = c.col("anomaly_flag");
        for r in &mut c.rows[..2] {
            r[i] = "0.0".into();
        }
    });
    assert_fails(&dir, &r, &[]);
}

#[test]
fn anomaly_rate_fails_when_the_report_configured_another_rate() {
    let (_tmp, dir) = written();
    edit_report(&dir, |v| v["config"]["anomaly_rate"] = 0.2.into());
    let r = validate_dir(&dir).unwrap();
    assert_fails(&dir, &r, &["anomaly_rate"]);
    // Without a report there is no configured rate to compare with.
    fs::remove_file(dir.join("generation_report.json")).unwrap();
    let r = validate_dir(&dir).unwrap();
    assert_fails(&dir, &r, &[]);
    assert!(
        r.check("anomaly_rate")
            .unwrap()
            .detail
            .contains("no generation_report.json")
    );
}

#[test]
fn foreign_keys_fails_on_an_unknown_transformer() {
    let (_tmp, dir) = written();
    let r = damage(&dir, "meter_consumption.csv", |c| {
        let i = c.col("transformer_id");
        c.rows[0][i] = "TX_9999".into();
    });
    // The meter left TX_0001, which now serves one fewer than its num_meters.
    assert_fails(&dir, &r, &["record_counts", "foreign_keys"]);
}

#[test]
fn foreign_keys_fails_on_a_duplicate_meter_id() {
    let (_tmp, dir) = written();
    let quiet = quiet_meters(&dir);
    let r = damage(&dir, "meter_consumption.csv", |c| {
        let i = c.row_where("meter_id", &quiet[1]);
        let m = c.col("meter_id");
        c.rows[i][m] = quiet[0].clone();
    });
    assert_fails(&dir, &r, &["foreign_keys"]);
    assert!(r.check("foreign_keys").unwrap().detail.contains("1 meters, 0 labels"));
}

#[test]
fn foreign_keys_fails_on_a_duplicate_transformer_or_label() {
    let (_tmp, dir) = written();
    let r = damage(&dir, "transformers.csv", |c| {
        let i = c.col("transformer_id");
        c.rows[5][i] = "TX_0005".into();
    });
    // TX_0006 renamed TX_0005: a duplicate id, and TX_0006's meters now
    // name a transformer that is not in the file.
    assert!(failed(&r).contains(&"foreign_keys"), "{r}");
    assert!(
        r.check("foreign_keys")
            .unwrap()
            .detail
            .contains("duplicate ids: 1 transformers")
    );
    let (_tmp, dir) = written();
    let r = damage(&dir, "anomaly_labels.csv", |c| {
        let copy = c.rows[0].clone();
        c.rows.push(copy);
    });
    assert!(failed(&r).contains(&"foreign_keys"), "{r}");
    assert!(r.check("foreign_keys").unwrap().detail.ends_with("1 labels"));
}

#[test]
fn foreign_keys_fails_on_a_label_of_an_unknown_meter() {
    let (_tmp, dir) = written();
    let r = damage(&dir, "anomaly_labels.csv", |c| {
        let i = c.col("meter_id");
        c.rows[0][i] = "MTR_999999".into();
    });
    // And the meter's anomalous event has lost its label.
    assert_fails(&dir, &r, &["foreign_keys", "events"]);
    assert!(
        r.check("foreign_keys")
            .unwrap()
            .detail
            .contains("1 labels of unknown meters")
    );
}

#[test]
fn events_fails_on_a_changed_label() {
    let (_tmp, dir) = written();
    let r = damage(&dir, "anomaly_labels.csv", |c| {
        let i = c.col("anomaly_type");
        let other = if c.rows[0][i] == "stuck_meter" {
            "meter_bypass"
        } else {
            "stuck_meter"
        };
        c.rows[0][i] = other.into();
    });
    assert_fails(&dir, &r, &["events"]);
    assert!(
        r.check("events")
            .unwrap()
            .detail
            .ends_with("1 disagreeing with their label")
    );
}

#[test]
fn events_fails_on_a_lost_or_duplicated_event() {
    let (_tmp, dir) = written();
    let r = damage(&dir, "events.csv", |c| {
        let i = c.row_where("anomaly_flag", "1");
        c.rows.remove(i);
    });
    assert_fails(&dir, &r, &["events"]);
    assert!(
        r.check("events")
            .unwrap()
            .detail
            .contains("1 labels without an anomalous event")
    );
    let (_tmp, dir) = written();
    let r = damage(&dir, "events.csv", |c| {
        let copy = c.rows[c.row_where("anomaly_flag", "0")].clone();
        c.rows.push(copy);
    });
    assert_fails(&dir, &r, &["events"]);
    assert!(r.check("events").unwrap().detail.contains("1 duplicate meters"));
    let (_tmp, dir) = written();
    let r = damage(&dir, "events.csv", |c| {
        let i = c.row_where("anomaly_flag", "0");
        let m = c.col("meter_id");
        c.rows[i][m] = "MTR_999999".into();
    });
    assert_fails(&dir, &r, &["events"]);
    assert!(r.check("events").unwrap().detail.contains("1 of unknown meters"));
}

#[test]
fn no_missing_values_fails_on_a_null_or_a_non_finite_reading() {
    let (_tmp, dir) = written();
    let r = damage(&dir, "meter_consumption.csv", |c| {
        let i = c.col("kVA");
        c.rows[4][i] = String::new();
    });
    assert_fails(&dir, &r, &["no_missing_values"]);
    assert!(r.check("no_missing_values").unwrap().detail.contains("1 meters"));
    let (_tmp, dir) = written();
    let r = damage(&dir, "meter_consumption.csv", |c| {
        let i = c.col("monthly_consumption_202406");
        c.rows[4][i] = "inf".into();
    });
    assert_fails(&dir, &r, &["no_missing_values"]);
    assert!(
        r.check("no_missing_values")
            .unwrap()
            .detail
            .ends_with("1 non-finite consumption values")
    );
    let (_tmp, dir) = written();
    let r = damage(&dir, "transformers.csv", |c| {
        let i = c.col("feeder_id");
        c.rows[1][i] = " ".into();
    });
    assert_fails(&dir, &r, &["no_missing_values"]);
    let (_tmp, dir) = written();
    let r = damage(&dir, "anomaly_labels.csv", |c| {
        let i = c.col("risk_band");
        c.rows[1][i] = String::new();
    });
    assert_fails(&dir, &r, &["no_missing_values"]);
    // A label's `end` is optional: empty is not missing.
    let (_tmp, dir) = written();
    let r = damage(&dir, "anomaly_labels.csv", |c| {
        let i = c.col("end");
        assert!(c.rows.iter().any(|r| r[i].is_empty()));
    });
    assert_fails(&dir, &r, &[]);
}

#[test]
fn all_periods_present_fails_on_months_out_of_order_or_missing() {
    let (_tmp, dir) = written();
    let r = damage(&dir, "meter_consumption.csv", |c| {
        let (a, b) = (c.col("monthly_consumption_202402"), c.col("monthly_consumption_202403"));
        c.header.swap(a, b);
    });
    assert_fails(&dir, &r, &["all_periods_present"]);
    assert!(
        r.check("all_periods_present")
            .unwrap()
            .detail
            .ends_with("consecutive and in time order: false")
    );
    // A month skipped (the report still expects 6 columns, and 6 there are).
    let (_tmp, dir) = written();
    let r = damage(&dir, "meter_consumption.csv", |c| {
        let i = c.col("monthly_consumption_202406");
        c.header[i] = "monthly_consumption_202407".into();
    });
    assert_fails(&dir, &r, &["all_periods_present"]);
    // A column dropped: one month fewer than the report's (and its count).
    let (_tmp, dir) = written();
    let r = damage(&dir, "meter_consumption.csv", |c| {
        c.drop_col("monthly_consumption_202406")
    });
    assert_fails(&dir, &r, &["record_counts", "all_periods_present"]);
    // A year boundary is consecutive: 202412 → 202501.
    let (_tmp, dir) = written();
    let r = damage(&dir, "meter_consumption.csv", |c| {
        for (k, month) in ["202410", "202411", "202412", "202501", "202502", "202503"]
            .iter()
            .enumerate()
        {
            c.header[7 + k] = format!("monthly_consumption_{month}");
        }
    });
    assert_fails(&dir, &r, &[]);
}

#[test]
fn coordinates_in_bounds_fails_on_a_point_outside() {
    let (_tmp, dir) = written();
    let r = damage(&dir, "meter_consumption.csv", |c| {
        let i = c.col("lat");
        c.rows[8][i] = "0.0".into();
    });
    assert_fails(&dir, &r, &["coordinates_in_bounds"]);
    assert!(
        r.check("coordinates_in_bounds")
            .unwrap()
            .detail
            .starts_with("0 transformers and 1 meters outside")
    );
    let (_tmp, dir) = written();
    let r = damage(&dir, "transformers.csv", |c| {
        let i = c.col("lon");
        c.rows[3][i] = "125.5".into();
    });
    assert_fails(&dir, &r, &["coordinates_in_bounds"]);
    // The report's bounds are used: shrink them so that every point is outside.
    let (_tmp, dir) = written();
    edit_report(&dir, |v| {
        v["config"]["bounds"]["lat_min"] = 10.0.into();
        v["config"]["bounds"]["lat_max"] = 10.5.into();
    });
    let r = validate_dir(&dir).unwrap();
    assert_fails(&dir, &r, &["coordinates_in_bounds"]);
    assert!(
        r.check("coordinates_in_bounds")
            .unwrap()
            .detail
            .starts_with("6 transformers and 120 meters outside lat 10..10.5")
    );
}

#[test]
fn a_shard_alone_fails_the_whole_dataset_check() {
    let (_tmp, dir) = written();
    edit_report(&dir, |v| v["shard"] = serde_json::json!({"index": 1, "count": 2}));
    let r = validate_dir(&dir).unwrap();
    // `whole_dataset`, then `manifest` (passing: see `written`).
    assert_eq!(r.checks.len(), 2, "{r}");
    assert_fails(&dir, &r, &["whole_dataset"]);
    assert!(r.checks[0].detail.starts_with("this directory holds shard 1/2 only"));
}
