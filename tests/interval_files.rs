//! The files of interval data: `meter_readings.csv`, the SGCC layout,
//! `weather.csv` and its reader, timestamps in labels and events, and the
//! streaming writer's bytes.
//! The readings are written as CSV here (`tests/interval_parquet.rs` covers
//! the Parquet parts).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::Path;

use ghostload::io::{
    IoError, ReadingsFormat, ReadingsLayout, WriteOptions, read_weather_csv, stream_dataset, stream_files,
    write_dataset, write_weather_csv,
};
use ghostload::{GeneratorConfig, Pipeline, Resolution, YearMonth};

/// `meters` meters over `months` months from January 2024 at `resolution`,
/// with no event of any kind (so that `generate` validates).
fn quiet(resolution: Resolution, meters: usize, months: usize) -> GeneratorConfig {
    let mut c = GeneratorConfig {
        seed: 11,
        num_meters: meters,
        num_transformers: (meters / 20).max(1),
        num_months: months,
        start_month: YearMonth::new(2024, 1).unwrap(),
        resolution,
        anomaly_rate: 0.0,
        benign_rate: 0.0,
        missing_rate: 0.0,
        ..Default::default()
    };
    c.weather.typhoons_per_year = 0.0;
    c
}

/// The readings as CSV (the default with the `parquet` feature is Parquet).
fn csv() -> WriteOptions {
    WriteOptions::default().with_readings_format(ReadingsFormat::Csv)
}

/// Writes the pipeline's files into `dir` in place (validation must pass).
fn write_unchecked(pipeline: &Pipeline, dir: &Path, options: &WriteOptions) {
    fs::create_dir_all(dir).unwrap();
    if let Err(e) = stream_files(pipeline, dir, options) {
        panic!("{e}");
    }
}

fn lines(dir: &Path, name: &str) -> Vec<String> {
    fs::read_to_string(dir.join(name))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn column(header: &str, name: &str) -> usize {
    header
        .split(',')
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("{name} not in {header}"))
}

#[test]
fn readings_are_contiguous_across_month_ends_and_the_leap_day_and_sum_to_the_monthly_file() {
    let pipeline = Pipeline::builder()
        .config(quiet(Resolution::Hourly, 60, 3))
        .build()
        .unwrap();
    let dataset = pipeline.generate().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let written = write_dataset(&dataset, &dir, &csv()).unwrap();
    assert!(
        written.files.iter().any(|f| f == "meter_readings.csv"),
        "{:?}",
        written.files
    );
    assert!(written.files.iter().any(|f| f == "weather.csv"), "{:?}", written.files);

    let axis = dataset.series_axis();
    assert_eq!(axis.len(), (31 + 29 + 31) * 24);
    let rows = lines(&dir, "meter_readings.csv");
    assert_eq!(rows[0], "meter_id,timestamp,kwh");
    assert_eq!(rows.len() - 1, 60 * axis.len());
    let stamps: Vec<String> = (0..axis.len()).map(|i| axis.timestamp_string(i)).collect();
    for (m, meter) in dataset.meters().iter().enumerate() {
        let readings = dataset.readings(meter.id).unwrap();
        for (i, stamp) in stamps.iter().enumerate() {
            let row = &rows[1 + m * axis.len() + i];
            let mut fields = row.split(',');
            assert_eq!(fields.next(), Some(meter.id.to_string().as_str()), "{row}");
            assert_eq!(fields.next(), Some(stamp.as_str()), "{row}");
            let kwh = fields.next().unwrap();
            assert_eq!(kwh, format!("{:.3}", readings[i]), "{row}");
            assert_eq!(kwh.split('.').nth(1).map(str::len), Some(3), "{row}");
        }
    }
    // Contiguous hours across January's end and the leap day.
    for pair in [
        ("2024-01-31T23:00:00+08:00", "2024-02-01T00:00:00+08:00"),
        ("2024-02-28T23:00:00+08:00", "2024-02-29T00:00:00+08:00"),
        ("2024-02-29T23:00:00+08:00", "2024-03-01T00:00:00+08:00"),
    ] {
        let i = stamps.iter().position(|s| s == pair.0).unwrap();
        assert_eq!(stamps[i + 1], pair.1);
    }

    // Each meter's readings sum to its monthly values, as written.
    let monthly = lines(&dir, "meter_consumption.csv");
    let header = &monthly[0];
    let first = column(header, "monthly_consumption_202401");
    for (m, row) in monthly[1..].iter().enumerate() {
        let cells: Vec<&str> = row.split(',').collect();
        let meter_rows = &rows[1 + m * axis.len()..1 + (m + 1) * axis.len()];
        for month in 0..3 {
            let range = axis.month_range(month);
            let sum: f64 = meter_rows[range]
                .iter()
                .map(|r| r.rsplit(',').next().unwrap().parse::<f64>().unwrap())
                .sum();
            let value: f64 = cells[first + month].parse().unwrap();
            assert!(
                (sum - value).abs() < 0.01 + 1e-9,
                "meter {m} month {month}: {sum} vs {value}"
            );
        }
    }
}

#[test]
fn missing_readings_are_empty_cells_exactly_at_the_missing_runs() {
    let config = GeneratorConfig {
        missing_rate: 0.03,
        ..quiet(Resolution::Hourly, 40, 2)
    };
    let pipeline = Pipeline::builder().config(config).build().unwrap();
    let batch = pipeline.generate_batch(0..40).unwrap();
    assert!(!batch.missing().is_empty());
    let tmp = tempfile::tempdir().unwrap();
    write_unchecked(&pipeline, tmp.path(), &csv());
    let n = pipeline.series_axis().len();
    let rows = lines(tmp.path(), "meter_readings.csv");
    assert_eq!(rows.len() - 1, 40 * n);
    let empty: HashSet<(usize, usize)> = rows[1..]
        .iter()
        .enumerate()
        .filter(|(_, r)| r.ends_with(','))
        .map(|(k, _)| (k / n, k % n))
        .collect();
    let expected: HashSet<(usize, usize)> = batch
        .missing()
        .iter()
        .flat_map(|r| r.periods().map(move |t| (r.meter_id.index() as usize, t)))
        .collect();
    assert_eq!(empty, expected);
    // Each run is a `missing_data` event whose onset and end are timestamps of the readings.
    let events = lines(tmp.path(), "events.csv");
    let stamps: HashSet<String> = (0..n).map(|i| pipeline.series_axis().timestamp_string(i)).collect();
    let missing_events: Vec<&String> = events.iter().filter(|e| e.contains(",missing_data,")).collect();
    assert_eq!(missing_events.len(), batch.missing().len());
    for e in missing_events {
        let cells: Vec<&str> = e.split(',').collect();
        assert!(stamps.contains(cells[3]) && stamps.contains(cells[4]), "{e}");
    }
}

#[test]
fn label_and_event_periods_are_timestamps_that_exist_in_the_readings() {
    for resolution in [Resolution::Daily, Resolution::Hourly] {
        let config = GeneratorConfig {
            anomaly_rate: 0.2,
            benign_rate: 0.05,
            missing_rate: 0.01,
            ..quiet(resolution, 100, 2)
        };
        let pipeline = Pipeline::builder().config(config).build().unwrap();
        let batch = pipeline.generate_batch(0..100).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        write_unchecked(&pipeline, tmp.path(), &csv());
        let axis = pipeline.series_axis();
        let written = |i: usize| match resolution {
            Resolution::Daily => axis.date(i).to_string(),
            _ => axis.timestamp_string(i),
        };
        let readings = lines(tmp.path(), "meter_readings.csv");
        let in_readings: HashSet<(String, String)> = readings[1..]
            .iter()
            .map(|r| {
                let mut f = r.split(',');
                let meter = f.next().unwrap().to_owned();
                let stamp = f.next().unwrap();
                // Daily labels name the date; the readings the local midnight.
                let stamp = if resolution == Resolution::Daily {
                    &stamp[..10]
                } else {
                    stamp
                };
                (meter, stamp.to_owned())
            })
            .collect();
        let labels = lines(tmp.path(), "anomaly_labels.csv");
        assert_eq!(labels.len() - 1, batch.labels().len());
        assert!(!batch.labels().is_empty());
        let (onset, end) = (column(&labels[0], "onset"), column(&labels[0], "end"));
        for (row, label) in labels[1..].iter().zip(batch.labels()) {
            let cells: Vec<&str> = row.split(',').collect();
            assert_eq!(cells[onset], written(label.onset), "{row}");
            assert!(
                in_readings.contains(&(cells[0].to_owned(), cells[onset].to_owned())),
                "{row}"
            );
            match label.end {
                Some(e) => assert_eq!(cells[end], written(e), "{row}"),
                None => assert_eq!(cells[end], "", "{row}"),
            }
        }
        let events = lines(tmp.path(), "events.csv");
        assert_eq!(events.len() - 1, batch.events().len());
        let onset = column(&events[0], "onset");
        for (row, event) in events[1..].iter().zip(batch.events()) {
            assert_eq!(row.split(',').nth(onset).unwrap(), written(event.onset), "{row}");
        }
    }
}

#[test]
fn sgcc_layout_has_one_row_per_customer_flags_for_the_labels_and_blanks_where_missing() {
    let config = GeneratorConfig {
        anomaly_rate: 0.1,
        missing_rate: 0.05,
        missing_run_hours: 48.0,
        ..quiet(Resolution::Daily, 80, 3)
    };
    let pipeline = Pipeline::builder().config(config).build().unwrap();
    let batch = pipeline.generate_batch(0..80).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let options = csv().with_layout(ReadingsLayout::Sgcc);
    write_unchecked(&pipeline, tmp.path(), &options);
    assert!(!tmp.path().join("meter_readings.csv").exists());
    let rows = lines(tmp.path(), "meter_readings_sgcc.csv");
    let header: Vec<&str> = rows[0].split(',').collect();
    let days = 31 + 29 + 31;
    assert_eq!(header.len(), 2 + days);
    assert_eq!(&header[..5], ["CONS_NO", "FLAG", "2024/1/1", "2024/1/2", "2024/1/3"]);
    assert!(header.contains(&"2024/2/29") && header[2 + 59] == "2024/2/29");
    assert_eq!(header.last(), Some(&"2024/3/31"));
    assert_eq!(rows.len() - 1, 80);
    let labelled: HashSet<String> = batch.labels().iter().map(|l| l.meter_id.to_string()).collect();
    let flags = rows[1..].iter().filter(|r| r.split(',').nth(1) == Some("1")).count();
    assert_eq!(flags, lines(tmp.path(), "anomaly_labels.csv").len() - 1);
    assert_eq!(flags, labelled.len());
    let missing: HashSet<(usize, usize)> = batch
        .missing()
        .iter()
        .flat_map(|r| r.periods().map(move |t| (r.meter_id.index() as usize, t)))
        .collect();
    assert!(!missing.is_empty());
    for (m, row) in rows[1..].iter().enumerate() {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells.len(), 2 + days, "{row}");
        assert_eq!(cells[0], batch.meters()[m].id.to_string());
        assert_eq!(cells[1] == "1", labelled.contains(cells[0]));
        for (d, cell) in cells[2..].iter().enumerate() {
            assert_eq!(cell.is_empty(), missing.contains(&(m, d)), "meter {m} day {d}");
            if !cell.is_empty() {
                assert_eq!(*cell, format!("{:.3}", batch.readings(m)[d]));
            }
        }
    }
}

#[test]
fn sgcc_layout_needs_daily_resolution_and_nothing_is_created_otherwise() {
    let pipeline = Pipeline::builder()
        .config(quiet(Resolution::Hourly, 20, 1))
        .build()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let options = csv().with_layout(ReadingsLayout::Sgcc);
    let err = stream_dataset(&pipeline, &dir, &options).unwrap_err();
    assert!(
        matches!(err, IoError::UnsupportedOption { option: "layout", .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("`layout`") && err.to_string().contains("daily"),
        "{err}"
    );
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0, "nothing may be created");
    let monthly = Pipeline::builder()
        .config(quiet(Resolution::Monthly, 20, 1))
        .build()
        .unwrap();
    assert!(stream_dataset(&monthly, &dir, &options).is_err());
}

#[test]
fn a_register_of_a_hundredth_writes_two_decimals() {
    let config = GeneratorConfig {
        register_resolution_kwh: 0.01,
        ..quiet(Resolution::Daily, 20, 1)
    };
    let dataset = Pipeline::builder().config(config).build().unwrap().generate().unwrap();
    let mut out = Vec::new();
    ghostload::io::write_meter_readings_csv(&dataset, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let first = text.lines().nth(1).unwrap();
    assert!(first.starts_with("MTR_000001,2024-01-01T00:00:00+08:00,"), "{first}");
    assert!(
        text.lines()
            .skip(1)
            .all(|r| r.rsplit(',').next().unwrap().split('.').nth(1).unwrap().len() == 2)
    );
}

#[test]
fn weather_csv_round_trips_through_the_reader_and_a_supplied_file_is_written_back() {
    let config = quiet(Resolution::Daily, 40, 2);
    let pipeline = Pipeline::builder().config(config.clone()).build().unwrap();
    let dataset = pipeline.generate().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("synthetic");
    write_dataset(&dataset, &dir, &csv()).unwrap();
    let text = fs::read(dir.join("weather.csv")).unwrap();
    let rows = lines(&dir, "weather.csv");
    assert_eq!(rows[0], "date,barangay,temperature_c,typhoon_outage");
    assert_eq!(rows.len() - 1, 60 * config.barangays.len());
    assert_eq!(
        rows[1],
        format!(
            "2024-01-01,{},{:.1},0",
            config.barangays[0],
            dataset.weather().unwrap().temperatures(0)[0]
        )
    );

    let read = read_weather_csv(&text[..], &config.barangays, dataset.series_axis()).unwrap();
    let synthetic = dataset.weather().unwrap();
    assert_eq!(
        (read.days(), read.barangays(), read.first_day()),
        (60, 10, synthetic.first_day())
    );
    for b in 0..read.barangays() {
        assert_eq!(read.outages(b), synthetic.outages(b));
        for (r, s) in read.temperatures(b).iter().zip(synthetic.temperatures(b)) {
            assert!((r - s).abs() <= 0.05 + 1e-4, "{r} vs {s}"); // written with 1 decimal
        }
    }
    let mut again = Vec::new();
    write_weather_csv(&read, &config.barangays, &mut again).unwrap();
    assert!(again == text, "write(read(file)) == file");
    assert_eq!(
        read_weather_csv(&again[..], &config.barangays, dataset.series_axis()).unwrap(),
        read
    );

    // The file, supplied as the weather, comes back as weather.csv byte for byte.
    let supplied = Pipeline::builder()
        .config(config)
        .weather(read.clone())
        .build()
        .unwrap();
    assert_eq!(supplied.weather(), Some(&read));
    let dir = tmp.path().join("supplied");
    stream_dataset(&supplied, &dir, &csv()).unwrap();
    assert!(fs::read(dir.join("weather.csv")).unwrap() == text);
}

#[test]
fn malformed_weather_files_are_refused_naming_line_and_field() {
    let config = quiet(Resolution::Daily, 20, 1);
    let axis = config.axis().unwrap();
    let names = &config.barangays;
    let good: Vec<String> = (1..=31).map(|d| format!("2024-01-{d:02},27.5")).collect();
    let file = |rows: &[String]| format!("date,temperature_c\n{}\n", rows.join("\n"));
    let check = |text: String, line: u64, field: &str, words: &[&str]| {
        let err = read_weather_csv(text.as_bytes(), names, &axis).unwrap_err();
        let IoError::Weather { line: l, field: f, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!((*l, f.as_str()), (line, field), "{err}");
        let message = err.to_string();
        assert!(
            message.contains(&format!("line {line}")) && message.contains(&format!("`{field}`")),
            "{message}"
        );
        for w in words {
            assert!(message.contains(w), "`{w}` not in {message}");
        }
    };
    assert!(read_weather_csv(file(&good).as_bytes(), names, &axis).is_ok());
    let mut bad_date = good.clone();
    bad_date[3] = "2024-1-04,27.5".into(); // line 5: header, then days 1-3
    check(file(&bad_date), 5, "date", &["2024-1-04"]);
    let mut bad_number = good.clone();
    bad_number[0] = "2024-01-01,27,5".into();
    check(file(&bad_number), 2, "row", &[]);
    bad_number[0] = "2024-01-01,twenty".into();
    check(file(&bad_number), 2, "temperature_c", &["twenty"]);
    bad_number[0] = "2024-01-01,75".into();
    check(file(&bad_number), 2, "temperature_c", &["75", "60"]);
    let with_barangay = "date,barangay,temperature_c\n2024-01-01,Atlantis,27\n".to_owned();
    check(with_barangay, 2, "barangay", &["Atlantis"]);
    let mut gap = good.clone();
    gap.remove(9);
    check(file(&gap), 32, "date", &["2024-01-10", "San Miguel"]);
    let mut dup = good.clone();
    dup.push("2024-01-31,28".into());
    check(file(&dup), 33, "date", &["2024-01-31"]);
    check(
        "date,temperature_c,humidity\n".into(),
        1,
        "humidity",
        &["unknown column"],
    );
}

#[test]
fn streamed_hourly_files_equal_in_memory_files_for_any_batch_size() {
    let config = GeneratorConfig {
        num_transformers: 7,
        ..quiet(Resolution::Hourly, 150, 2)
    };
    let pipeline = Pipeline::builder().config(config).build().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mem = tmp.path().join("mem");
    write_dataset(&pipeline.generate().unwrap(), &mem, &csv()).unwrap();
    let files: BTreeMap<String, Vec<u8>> = fs::read_dir(&mem)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    for name in [
        "meter_readings.csv",
        "weather.csv",
        "generation_report.json",
        "generation_report.txt",
    ] {
        assert!(files.contains_key(name), "{name} missing: {:?}", files.keys());
    }
    let report = String::from_utf8(files["generation_report.txt"].clone()).unwrap();
    assert!(
        report.contains("INTERVAL DATA:") && report.contains("Resolution: hourly (1440 readings per meter)"),
        "{report}"
    );
    let json: serde_json::Value = serde_json::from_slice(&files["generation_report.json"]).unwrap();
    assert_eq!(json["interval"]["readings"], 150 * 1440);
    assert!(
        json["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "meter_readings.csv")
    );
    for batch in [1, 7, 64, 1 << 20] {
        let dir = tmp.path().join(format!("stream-{batch}"));
        stream_dataset(&pipeline, &dir, &csv().with_batch_size(batch)).unwrap();
        for (name, bytes) in &files {
            assert!(
                fs::read(dir.join(name)).unwrap() == *bytes,
                "{name} differs with batch size {batch}"
            );
        }
    }
}

#[test]
fn monthly_datasets_write_no_interval_files_and_no_interval_report() {
    let pipeline = Pipeline::builder()
        .config(quiet(Resolution::Monthly, 40, 12))
        .build()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let written = stream_dataset(&pipeline, tmp.path().join("m").as_path(), &csv()).unwrap();
    let names: HashMap<&str, ()> = written.files.iter().map(|f| (f.as_str(), ())).collect();
    for absent in ["meter_readings.csv", "meter_readings_sgcc.csv", "weather.csv"] {
        assert!(!names.contains_key(absent), "{absent}");
    }
    let report = fs::read_to_string(tmp.path().join("m/generation_report.json")).unwrap();
    assert!(!report.contains("\"interval\""));
    let labels = fs::read_to_string(tmp.path().join("m/anomaly_labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1);
}
