//! `write_dataset` never leaves a half-written dataset: staged beside the
//! target, swapped with it in one step only when complete; failures leave the
//! target as it was. (Failure injection at every step of the swap, and
//! simulated crashes, are unit tests in `src/io/staging/tests.rs`.)

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use ghostload::io::{
    IoError, WriteOptions, file_names, read_dataset_dir, validate_dir, validate_tables, write_dataset,
};
use ghostload::{Dataset, GeneratorConfig, Pipeline, ValidationReport};

fn dataset(seed: u64) -> Dataset {
    let config = GeneratorConfig {
        num_transformers: 6,
        num_meters: 120,
        num_months: 6,
        seed,
        ..Default::default()
    };
    Pipeline::builder().config(config).build().unwrap().generate().unwrap()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn writes_every_file_and_leaves_no_staging_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("nested").join("out");
    let written = write_dataset(&dataset(1), &out, &WriteOptions::default()).unwrap();
    let mut expected: Vec<String> = file_names().iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(entries(&out), expected);
    assert_eq!(written.files.len(), expected.len());
    assert_eq!(entries(&tmp.path().join("nested")), ["out"]);
    assert!(validate_dir(&out).unwrap().passed());
}

#[test]
fn existing_directory_keeps_foreign_files_and_gets_new_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write_dataset(&dataset(1), &out, &WriteOptions::default()).unwrap();
    fs::write(out.join("notes.md"), "mine").unwrap();
    fs::create_dir_all(out.join("sub").join("deeper")).unwrap();
    fs::write(out.join("sub").join("deeper").join("data.bin"), [0u8, 1, 2]).unwrap();
    let before = fs::read(out.join("meter_consumption.csv")).unwrap();
    write_dataset(&dataset(2), &out, &WriteOptions::default()).unwrap();
    assert_eq!(fs::read_to_string(out.join("notes.md")).unwrap(), "mine");
    assert_eq!(
        fs::read(out.join("sub").join("deeper").join("data.bin")).unwrap(),
        [0, 1, 2]
    );
    assert_ne!(fs::read(out.join("meter_consumption.csv")).unwrap(), before);
    assert_eq!(entries(tmp.path()), ["out"]);
}

#[test]
fn interrupted_run_leaves_existing_content_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write_dataset(&dataset(1), &out, &WriteOptions::default()).unwrap();
    fs::write(out.join("notes.md"), "mine").unwrap();
    let snapshot: Vec<(String, Vec<u8>)> = entries(&out)
        .into_iter()
        .map(|f| (f.clone(), fs::read(out.join(&f)).unwrap()))
        .collect();
    let cancelled = WriteOptions::default().with_cancel_flag(Arc::new(AtomicBool::new(true)));
    let err = write_dataset(&dataset(2), &out, &cancelled).unwrap_err();
    assert!(matches!(err, IoError::Interrupted { .. }), "{err}");
    let after: Vec<(String, Vec<u8>)> = entries(&out)
        .into_iter()
        .map(|f| (f.clone(), fs::read(out.join(&f)).unwrap()))
        .collect();
    assert_eq!(after, snapshot);
    assert_eq!(entries(tmp.path()), ["out"], "staging directory removed");
}

#[test]
fn target_that_is_a_file_is_refused_and_nothing_is_created() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("out");
    fs::write(&file, "not a dir").unwrap();
    let err = write_dataset(&dataset(1), &file, &WriteOptions::default()).unwrap_err();
    assert!(matches!(err, IoError::NotADirectory { .. }), "{err}");
    assert!(err.to_string().contains("not a directory"));
    assert_eq!(fs::read_to_string(&file).unwrap(), "not a dir");
    assert_eq!(entries(tmp.path()), ["out"]);
}

/// `(relative path, bytes)` of every file under `dir`, directories included
/// as `None`, sorted: the whole tree, byte for byte.
fn tree(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Option<Vec<u8>>)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                out.push((rel, None));
                walk(root, &path, out);
            } else {
                out.push((rel, Some(fs::read(&path).unwrap())));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

// These failures happen for every user, root included (CI runs as root,
// where permission bits are not enforced): nothing here may depend on them.

#[test]
fn parent_that_is_a_file_gives_a_clear_error_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file");
    fs::write(&file, "not a dir").unwrap();
    let err = write_dataset(&dataset(1), &file.join("out"), &WriteOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("could not create directory") && msg.contains("file"),
        "{msg}"
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), "not a dir");
    assert_eq!(entries(tmp.path()), ["file"]);
}

#[test]
fn staging_name_too_long_fails_before_touching_the_target() {
    // A 250-byte name is valid; its staging name is over the 255-byte limit.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("d".repeat(250));
    fs::create_dir(&out).unwrap();
    fs::write(out.join("notes.md"), "mine").unwrap();
    let before = tree(tmp.path());
    let err = write_dataset(&dataset(1), &out, &WriteOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("could not create staging directory"), "{msg}");
    assert_eq!(tree(tmp.path()), before);
}

#[test]
fn a_directory_where_a_file_goes_is_replaced_and_nothing_old_mixes_in() {
    // The case: `meter_consumption.csv` replaced by a directory, then a
    // run with another seed. The old per-file move failed half-way; now the
    // target is exactly the new dataset plus the user's files.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write_dataset(&dataset(1), &out, &WriteOptions::default()).unwrap();
    fs::remove_file(out.join("meter_consumption.csv")).unwrap();
    fs::create_dir_all(out.join("meter_consumption.csv").join("inner")).unwrap();
    fs::write(out.join("notes.md"), "mine").unwrap();
    fs::create_dir_all(out.join("figures")).unwrap();
    fs::write(out.join("figures").join("plot.svg"), "<svg/>").unwrap();
    write_dataset(&dataset(2), &out, &WriteOptions::default()).unwrap();

    let fresh = tmp.path().join("fresh");
    write_dataset(&dataset(2), &fresh, &WriteOptions::default()).unwrap();
    fs::write(fresh.join("notes.md"), "mine").unwrap();
    fs::create_dir_all(fresh.join("figures")).unwrap();
    fs::write(fresh.join("figures").join("plot.svg"), "<svg/>").unwrap();
    assert_eq!(tree(&out), tree(&fresh));
    assert_eq!(entries(tmp.path()), ["fresh", "out"]);
}

#[test]
fn a_dataset_left_aside_by_a_crash_is_restored_by_validate_and_by_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write_dataset(&dataset(1), &out, &WriteOptions::default()).unwrap();
    let old = tree(&out);
    // What a crash between the two renames of the portable swap leaves, from a
    // process that is gone (pids never exceed 2^22).
    let aside = tmp.path().join(".out.ghostload-old-4194305");
    let staging = tmp.path().join(".out.ghostload-tmp-4194305");
    let park = || {
        fs::rename(&out, &aside).unwrap();
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join("meter_consumption.csv"), "complete or not").unwrap();
    };
    park();
    assert!(validate_dir(&out).unwrap().passed());
    assert_eq!(tree(&out), old);
    assert_eq!(entries(tmp.path()), ["out"]);

    park();
    let cancelled = WriteOptions::default().with_cancel_flag(Arc::new(AtomicBool::new(true)));
    let err = write_dataset(&dataset(2), &out, &cancelled).unwrap_err();
    assert!(matches!(err, IoError::Interrupted { .. }), "{err}");
    assert_eq!(tree(&out), old);
    assert_eq!(entries(tmp.path()), ["out"]);
}

#[test]
fn validate_dir_detects_a_broken_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write_dataset(&dataset(1), &out, &WriteOptions::default()).unwrap();
    let path = out.join("meter_consumption.csv");
    let text = fs::read_to_string(&path).unwrap();
    // Point the first meter at a transformer that does not exist.
    let broken = text.replacen(",TX_0001,", ",TX_9999,", 1);
    assert_ne!(broken, text);
    fs::write(&path, broken).unwrap();
    let report = validate_dir(&out).unwrap();
    assert!(!report.check("foreign_keys").unwrap().passed);
    assert!(report.check("schema_meter_consumption").unwrap().passed);
    fs::remove_file(out.join("anomaly_labels.csv")).unwrap();
    let report = validate_dir(&out).unwrap();
    assert!(!report.check("schema_anomaly_labels").unwrap().passed);
}

#[test]
fn validate_dir_checks_events_against_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let d = dataset(3);
    assert!(
        d.events().iter().any(|e| !e.is_anomaly),
        "the test needs a benign event"
    );
    write_dataset(&d, &out, &WriteOptions::default()).unwrap();
    let events = out.join("events.csv");
    let text = fs::read_to_string(&events).unwrap();
    let events_check = || validate_dir(&out).unwrap().check("events").unwrap().clone();
    assert!(events_check().passed, "{}", events_check().detail);

    // An anomalous event whose severity no longer matches its label.
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let flagged = lines.iter().position(|l| l.ends_with(",1")).unwrap();
    let mut fields: Vec<&str> = lines[flagged].split(',').collect();
    let severity = format!("{:.4}", fields[5].parse::<f64>().unwrap() + 0.5);
    fields[5] = &severity;
    lines[flagged] = fields.join(",");
    fs::write(&events, lines.join("\n") + "\n").unwrap();
    let c = events_check();
    assert!(!c.passed && c.detail.contains("1 disagreeing"), "{}", c.detail);

    // A benign event flagged anomalous: a meter with an anomalous event but no label.
    let benign = text.lines().position(|l| l.ends_with(",0")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[benign] = format!("{}1", lines[benign].strip_suffix('0').unwrap());
    fs::write(&events, lines.join("\n") + "\n").unwrap();
    let c = events_check();
    assert!(
        !c.passed && c.detail.contains("1 anomalous without a label"),
        "{}",
        c.detail
    );

    // The original tool writes no events file: nothing to check.
    fs::remove_file(&events).unwrap();
    let c = events_check();
    assert!(c.passed && c.detail.contains("absent"), "{}", c.detail);
}

#[test]
fn streamed_directory_checks_equal_the_in_memory_ones() {
    // `validate_dir` streams meter_consumption.csv; `validate_tables` holds it.
    // Both must report the same thing, check for check, on every kind of damage.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write_dataset(&dataset(5), &out, &WriteOptions::default()).unwrap();
    let path = out.join("meter_consumption.csv");
    let original = fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    let second = lines[2].to_owned();
    // The row of the first labelled meter: renaming it orphans its label and event.
    let labels = fs::read_to_string(out.join("anomaly_labels.csv")).unwrap();
    let first_label = labels.lines().nth(1).unwrap().split(',').next().unwrap().to_owned();
    let labelled = lines
        .iter()
        .position(|l| l.starts_with(&format!("{first_label},")))
        .unwrap();
    let cells = |line: &str, f: &dyn Fn(&mut Vec<String>)| {
        let mut v: Vec<String> = line.split(',').map(str::to_owned).collect();
        f(&mut v);
        v.join(",")
    };
    let with_line = |i: usize, new: String| {
        let mut v: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
        v[i] = new;
        v.join("\n") + "\n"
    };
    let cases: Vec<(&str, String)> = vec![
        ("", original.clone()),
        ("foreign_keys", format!("{original}{second}\n")), // a duplicate meter
        (
            "no_missing_values",
            with_line(3, cells(lines[3], &|v| v[8] = "NaN".into())),
        ),
        (
            "no_missing_values",
            with_line(4, cells(lines[4], &|v| v[2] = String::new())),
        ),
        (
            "coordinates_in_bounds",
            with_line(5, cells(lines[5], &|v| v[4] = "99.0".into())),
        ),
        (
            "schema_meter_consumption",
            with_line(6, cells(lines[6], &|v| v[9] = "12;5".into())),
        ),
        (
            "foreign_keys",
            with_line(7, cells(lines[7], &|v| v[1] = "TX_9999".into())),
        ),
        (
            "events",
            with_line(labelled, cells(lines[labelled], &|v| v[0] = "MTR_999999".into())),
        ),
    ];
    for (failing, text) in cases {
        fs::write(&path, &text).unwrap();
        let streamed = validate_dir(&out).unwrap();
        let held = validate_tables(&read_dataset_dir(&out).unwrap());
        assert_eq!(tables_only(&streamed), held, "case {failing}");
        match failing {
            "" => assert!(streamed.passed(), "{streamed}"),
            name => assert!(!streamed.check(name).unwrap().passed, "{name} should fail:\n{streamed}"),
        }
    }
}

/// `validate_dir`'s report without the checks of the energy-balance files,
/// which `validate_tables` (given the tables only) does not run.
fn tables_only(r: &ValidationReport) -> ValidationReport {
    // ... and `manifest`, a check of the files as bytes, not of the tables.
    const BALANCE: [&str; 6] = [
        "energy_balance_identity",
        "energy_balance_billed",
        "transformer_readings",
        "feeder_readings",
        "true_consumption",
        "manifest",
    ];
    let mut r = r.clone();
    r.checks.retain(|c| !BALANCE.contains(&c.name.as_str()));
    r
}

#[test]
fn streamed_checks_span_several_read_batches() {
    // 20 000 rows: three batches of 8 192 for `validate_dir`; a meter repeated
    // at the end must still be found against its first row two batches back.
    let config = GeneratorConfig {
        num_transformers: 200,
        num_meters: 20_000,
        num_months: 3,
        ..Default::default()
    };
    let d = Pipeline::builder().config(config).build().unwrap().generate().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write_dataset(&d, &out, &WriteOptions::default()).unwrap();
    let clean = validate_dir(&out).unwrap();
    assert!(clean.passed(), "{clean}");
    assert_eq!(tables_only(&clean), validate_tables(&read_dataset_dir(&out).unwrap()));
    let path = out.join("meter_consumption.csv");
    let text = fs::read_to_string(&path).unwrap();
    let first_row = text.lines().nth(1).unwrap().to_owned();
    fs::write(&path, format!("{text}{first_row}\n")).unwrap();
    let streamed = validate_dir(&out).unwrap();
    assert_eq!(
        tables_only(&streamed),
        validate_tables(&read_dataset_dir(&out).unwrap())
    );
    let keys = streamed.check("foreign_keys").unwrap();
    assert!(
        !keys.passed && keys.detail.contains("duplicate ids: 0 transformers, 1 meters,"),
        "{}",
        keys.detail
    );
    assert!(streamed.check("record_counts").unwrap().detail.contains("20001 meters"));
}

#[test]
fn existing_target_given_as_dot_dot_path_is_resolved() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir_all(out.join("sub")).unwrap();
    let written = write_dataset(&dataset(1), &out.join("sub").join(".."), &WriteOptions::default()).unwrap();
    assert!(out.join("meter_consumption.csv").is_file());
    assert_eq!(written.dir, fs::canonicalize(&out).unwrap());
    assert_eq!(entries(tmp.path()), ["out"]);
}
