//! `inject` and `read_consumption` on long-form Parquet input, through the
//! public API: our `meter_readings` parts and tables of other shapes in,
//! the same schema out with only injected readings changed, the same labels
//! as the same data as CSV, bad input refused naming file, row and column.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type, Int32Type};
use arrow_array::{
    Array, ArrayRef, Date32Array, Float32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray, TimestampSecondArray,
};
use arrow_schema::{DataType, SchemaRef};
use ghostload::inject::InjectPlan;
use ghostload::io::{
    InputLayout, IoError, ParquetOptions, ReadingsBlock, ReadingsParquetReader, ReadingsParquetWriter, WriteOptions,
    inject_file, inject_file_with_labels, part_name, read_consumption, read_readings_parquet, write_files,
};
use ghostload::{GeneratorConfig, Pipeline, Resolution};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn plan(seed: u64) -> InjectPlan {
    InjectPlan::new(&GeneratorConfig {
        anomaly_rate: 0.2,
        benign_rate: 0.1,
        seed,
        ..Default::default()
    })
    .unwrap()
}

/// Our `meter_readings` part of a generated dataset (hourly: 100 meters ×
/// 744 hours = 74 400 rows, more than one record batch).
fn generated(dir: &Path, resolution: Resolution, meters: usize, missing: f64) -> PathBuf {
    let config = GeneratorConfig {
        num_meters: meters,
        num_transformers: 4,
        num_months: 1,
        anomaly_rate: 0.0,
        resolution,
        missing_rate: missing,
        ..Default::default()
    };
    let data = Pipeline::builder().config(config).build().unwrap().generate().unwrap();
    fs::create_dir_all(dir).unwrap();
    write_files(&data, dir, &WriteOptions::default()).unwrap();
    dir.join("meter_readings").join(part_name(1, 1))
}

fn lines(p: &Path) -> Vec<String> {
    fs::read_to_string(p).unwrap().lines().map(str::to_owned).collect()
}

/// The first field of each data line of a CSV.
fn ids_of(p: &Path) -> Vec<String> {
    lines(p)
        .into_iter()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect()
}

/// A Parquet file's Arrow schema, its batches and its row groups' sizes.
fn read_all(p: &Path) -> (SchemaRef, Vec<RecordBatch>, Vec<i64>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(p).unwrap()).unwrap();
    let schema = Arc::clone(builder.schema());
    let groups = builder.metadata().row_groups().iter().map(|g| g.num_rows()).collect();
    let batches = builder.build().unwrap().map(Result::unwrap).collect();
    (schema, batches, groups)
}

fn write_table(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let mut w = ArrowWriter::try_new(fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn hourly_readings_round_trip_with_their_schema_nulls_and_untouched_meters() {
    let tmp = tempfile::tempdir().unwrap();
    let file = generated(&tmp.path().join("gen"), Resolution::Hourly, 100, 0.02);
    let out = tmp.path().join("out");
    let summary = inject_file(&file, None, &plan(7), &out).unwrap();
    assert_eq!(summary.layout, InputLayout::Long);
    assert_eq!(summary.meters, 100);
    assert_eq!((summary.eligible, summary.anomalies), (100, 20), "round(0.2 × 100)");
    let name = part_name(1, 1);
    assert_eq!(summary.files[0], out.join(&name));

    // The same schema, row count and row groups; read back by our own reader.
    let (schema_in, _, groups_in) = read_all(&file);
    let (schema_out, _, groups_out) = read_all(&out.join(&name));
    assert_eq!(schema_in, schema_out);
    assert_eq!(groups_in, groups_out);
    // Stored as compactly as our writer stores it (timestamps delta-encoded,
    // zstd): 194 971 bytes for 195 464; with dictionary-encoded timestamps
    // (parquet-rs's default) it was 201 205.
    let size = |p: &Path| fs::metadata(p).unwrap().len();
    assert!(
        size(&out.join(&name)) < size(&file) * 101 / 100,
        "{} vs {}",
        size(&out.join(&name)),
        size(&file)
    );
    let before = read_readings_parquet(&file).unwrap();
    let after = read_readings_parquet(&out.join(&name)).unwrap();
    assert_eq!(before.len(), 74_400);
    assert_eq!((&before.meter, &before.timestamp), (&after.meter, &after.timestamp));
    let nulls = before.kwh.iter().filter(|v| v.is_none()).count();
    assert!(nulls > 0, "the input has missing readings");

    let evented: HashSet<String> = ids_of(&out.join("events.csv")).into_iter().collect();
    let labelled = ids_of(&out.join("anomaly_labels.csv"));
    assert_eq!(labelled.len(), 20);
    assert!(labelled.iter().all(|id| evented.contains(id)));
    let mut changed_meters = HashSet::new();
    for (i, (a, b)) in before.kwh.iter().zip(&after.kwh).enumerate() {
        let id = format!("MTR_{:06}", before.meter[i] + 1);
        assert_eq!(
            a.is_none(),
            b.is_none(),
            "row {i}: a missing reading stays missing, no new one"
        );
        if !evented.contains(&id) {
            assert_eq!(
                a.map(f64::to_bits),
                b.map(f64::to_bits),
                "untouched meter {id}: bit for bit"
            );
        } else if a.map(f64::to_bits) != b.map(f64::to_bits) {
            changed_meters.insert(id);
        }
    }
    assert!(
        labelled.iter().all(|id| changed_meters.contains(id)),
        "every anomaly changed its series"
    );

    // Each label's window: unchanged before the onset, changed from it on.
    let rows = |p: &Path| -> HashMap<String, Vec<f64>> {
        read_consumption(p, None)
            .unwrap()
            .map(|r| r.unwrap())
            .map(|r| (r.id, r.values))
            .collect()
    };
    let reader = read_consumption(&file, None).unwrap();
    let axis = *reader.axis();
    assert_eq!(axis.resolution(), Resolution::Hourly);
    assert_eq!(axis.zone().offset_seconds(), 8 * 3600);
    let (series_in, series_out) = (rows(&file), rows(&out.join(&name)));
    for label in lines(&out.join("anomaly_labels.csv")).iter().skip(1) {
        let f: Vec<&str> = label.split(',').collect();
        let onset = (0..axis.len()).find(|&p| axis.timestamp_string(p) == f[4]).unwrap();
        let end = match f[6] {
            "" => axis.len() - 1,
            e => (0..axis.len()).find(|&p| axis.timestamp_string(p) == e).unwrap(),
        };
        let (a, b) = (&series_in[f[0]], &series_out[f[0]]);
        for p in 0..onset {
            assert_eq!(a[p].to_bits(), b[p].to_bits(), "{} before its onset", f[0]);
        }
        assert!(
            (onset..=end).any(|p| !a[p].is_nan() && a[p].to_bits() != b[p].to_bits()),
            "{label}"
        );
    }

    // Deterministic: the same input and seed give the same bytes.
    let again = tmp.path().join("again");
    inject_file(&file, Some(InputLayout::Long), &plan(7), &again).unwrap();
    for f in [name.as_str(), "anomaly_labels.csv", "events.csv"] {
        assert_eq!(fs::read(out.join(f)).unwrap(), fs::read(again.join(f)).unwrap(), "{f}");
    }
}

#[test]
fn parquet_and_csv_of_the_same_readings_get_the_same_labels_and_values() {
    let tmp = tempfile::tempdir().unwrap();
    let parquet = generated(&tmp.path().join("gen"), Resolution::Hourly, 40, 0.02);
    let reader = read_consumption(&parquet, None).unwrap();
    let axis = *reader.axis();
    // The same readings as CSV long form; 12 decimals, so that the CSV
    // path's rounding of injected values (to the file's decimals, at most
    // 9) stays far below the 4 decimals of a severity.
    let mut text = String::from("meter_id,timestamp,kwh\n");
    for row in reader {
        let row = row.unwrap();
        for (p, v) in row.values.iter().enumerate() {
            let v = if v.is_nan() { String::new() } else { format!("{v:.12}") };
            text.push_str(&format!("{},{},{v}\n", row.id, axis.timestamp_string(p)));
        }
    }
    let csv = tmp.path().join("readings.csv");
    fs::write(&csv, text).unwrap();
    let (out_pq, out_csv) = (tmp.path().join("out_pq"), tmp.path().join("out_csv"));
    let a = inject_file(&parquet, None, &plan(11), &out_pq).unwrap();
    let b = inject_file(&csv, None, &plan(11), &out_csv).unwrap();
    assert_eq!(
        (a.meters, a.eligible, a.anomalies, a.benign),
        (b.meters, b.eligible, b.anomalies, b.benign)
    );
    for f in ["anomaly_labels.csv", "events.csv"] {
        assert_eq!(
            fs::read(out_pq.join(f)).unwrap(),
            fs::read(out_csv.join(f)).unwrap(),
            "{f}"
        );
    }
    let from_pq: Vec<_> = read_consumption(&out_pq.join(part_name(1, 1)), None)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let from_csv: Vec<_> = read_consumption(&out_csv.join("readings.csv"), None)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(from_pq.len(), from_csv.len());
    let mut changed = 0;
    for (x, y) in from_pq.iter().zip(&from_csv) {
        assert_eq!(x.id, y.id);
        for (p, (u, v)) in x.values.iter().zip(&y.values).enumerate() {
            assert_eq!(u.is_nan(), v.is_nan());
            // Parquet keeps full precision, the CSV path 9 decimals.
            assert!((u - v).abs() <= 1e-9 || u.is_nan(), "{} {p}: {u} vs {v}", x.id);
            changed += usize::from(u.to_bits() != v.to_bits() && !u.is_nan());
        }
    }
    assert!(changed > 0, "the injected readings are compared");
}

/// A `meter_readings` table of `meters` × `hours` written by our writer.
fn synthetic(path: &Path, meters: usize, hours: usize, options: ParquetOptions) {
    let timestamps: Vec<i64> = (0..hours as i64).map(|h| 1_704_038_400 + h * 3600).collect();
    let values: Vec<f64> = (0..meters * hours)
        .map(|i| 0.2 + ((i * 7919) % 997) as f64 / 500.0)
        .collect();
    let missing = [(1, 5..9), (3, 0..hours as u32)];
    let block = ReadingsBlock {
        first_meter: 0,
        meters,
        timestamps: &timestamps,
        values: &values,
        missing: &missing,
    };
    let mut w = ReadingsParquetWriter::new(std::io::BufWriter::new(fs::File::create(path).unwrap()), options).unwrap();
    w.write_block(&block).unwrap();
    w.finish().unwrap();
}

#[test]
fn row_groups_a_named_zone_labelled_and_empty_meters() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("readings.PARQUET");
    let options = ParquetOptions::default()
        .with_timezone("Asia/Manila")
        .with_row_group_rows(10_000);
    synthetic(&file, 30, 24 * 31, options);
    let list = tmp.path().join("labelled.csv");
    fs::write(&list, "meter_id\nMTR_000001\nMTR_000002\n").unwrap();
    let out = tmp.path().join("out");
    let s = inject_file_with_labels(&file, None, &plan(3), Some(&list), &out).unwrap();
    assert_eq!(s.skipped_labelled, ["MTR_000001", "MTR_000002"]);
    assert_eq!(s.labels_file.as_deref(), Some(list.as_path()));
    assert_eq!(s.skipped_empty, 1, "MTR_000004 has no reading");
    assert_eq!(s.eligible, 27);
    let written = out.join("readings.PARQUET");
    let (a, b) = (
        ReadingsParquetReader::open(&file).unwrap(),
        ReadingsParquetReader::open(&written).unwrap(),
    );
    assert_eq!(b.timezone(), "Asia/Manila");
    assert_eq!(a.row_group_rows(), b.row_group_rows(), "the input's row groups");
    assert_eq!(a.row_group_rows().len(), 3);
    let evented = ids_of(&out.join("events.csv"));
    assert!(!evented.is_empty());
    assert!(
        !evented
            .iter()
            .any(|id| id == "MTR_000001" || id == "MTR_000002" || id == "MTR_000004")
    );
    // Times in the zone's offset, as generate writes them.
    let first = &lines(&out.join("events.csv"))[1];
    assert!(first.split(',').nth(3).unwrap().ends_with("+08:00"), "{first}");
    // The reader's rows: a meter's `line` is its first row.
    let rows: Vec<_> = read_consumption(&file, None).unwrap().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 30);
    assert_eq!((rows[0].line, rows[1].line), (1, 1 + 24 * 31));
    // Known by its magic bytes under any name.
    let renamed = tmp.path().join("readings.bin");
    fs::copy(&file, &renamed).unwrap();
    let reader = read_consumption(&renamed, None).unwrap();
    assert_eq!(reader.layout(), InputLayout::Long);
    let key = |r: &ghostload::io::MeterRow| {
        (
            r.line,
            r.id.clone(),
            r.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        )
    };
    let again: Vec<_> = reader.map(Result::unwrap).collect();
    assert!(again.iter().map(key).eq(rows.iter().map(key)), "the same meters");
}

#[test]
fn other_shapes_strings_dates_float32_and_extra_columns_are_carried_through() {
    let tmp = tempfile::tempdir().unwrap();
    // Monthly string timestamps, Float32 readings with nulls, plain string
    // ids, and two more columns.
    let (meters, months) = (40, 12);
    let n = meters * months;
    let ids: Vec<String> = (0..n).map(|i| format!("M{}", i / months)).collect();
    let stamps: Vec<String> = (0..n).map(|i| format!("2024-{:02}", i % months + 1)).collect();
    let kwh: Vec<Option<f32>> = (0..n)
        .map(|i| (i % 17 != 3).then_some(100.0 + (i % 13) as f32 * 3.5))
        .collect();
    let file = tmp.path().join("monthly.parquet");
    write_table(
        &file,
        vec![
            ("site", Arc::new(StringArray::from(vec!["north"; n])) as ArrayRef),
            ("meter_id", Arc::new(StringArray::from(ids.clone()))),
            ("timestamp", Arc::new(StringArray::from(stamps))),
            ("kwh", Arc::new(Float32Array::from(kwh.clone()))),
            ("reading_no", Arc::new(Int64Array::from_iter_values(0..n as i64))),
        ],
    );
    let out = tmp.path().join("out");
    let s = inject_file(&file, None, &plan(5), &out).unwrap();
    assert_eq!((s.meters, s.anomalies), (40, 8));
    let (schema_in, batches_in, _) = read_all(&file);
    let (schema_out, batches_out, _) = read_all(&out.join("monthly.parquet"));
    assert_eq!(schema_in, schema_out);
    let (a, b) = (&batches_in[0], &batches_out[0]);
    for c in [0, 1, 2, 4] {
        assert_eq!(a.column(c), b.column(c), "column {c} carried through");
    }
    let (x, y) = (
        a.column(3).as_primitive::<Float32Type>(),
        b.column(3).as_primitive::<Float32Type>(),
    );
    assert_eq!(x.nulls(), y.nulls(), "nulls stay null");
    let evented: HashSet<String> = ids_of(&out.join("events.csv")).into_iter().collect();
    let mut changed = 0;
    for (i, id) in ids.iter().enumerate() {
        if x.is_valid(i) && x.value(i).to_bits() != y.value(i).to_bits() {
            assert!(evented.contains(id), "row {i}");
            changed += 1;
        }
    }
    assert!(changed > 0);
    // Onsets as months, as CSV long form's.
    let onset = lines(&out.join("anomaly_labels.csv"))[1]
        .split(',')
        .nth(4)
        .unwrap()
        .to_owned();
    assert_eq!(onset.len(), 6, "{onset}");

    // Daily: Date32 days, dictionary ids, Float64.
    let days = 60;
    let mut dict = StringDictionaryBuilder::<Int32Type>::new();
    for i in 0..10 * days {
        dict.append_value(format!("D{}", i / days));
    }
    let file = tmp.path().join("daily.parquet");
    write_table(
        &file,
        vec![
            ("meter_id", Arc::new(dict.finish()) as ArrayRef),
            (
                "timestamp",
                Arc::new(Date32Array::from_iter_values((0..10 * days).map(|i| 19_723 + i % days))),
            ),
            (
                "consumption_kwh",
                Arc::new(Float64Array::from_iter_values(
                    (0..10 * days).map(|i| 5.0 + (i % 7) as f64),
                )),
            ),
        ],
    );
    let reader = read_consumption(&file, None).unwrap();
    assert_eq!(reader.layout(), InputLayout::Long);
    assert_eq!(reader.axis().resolution(), Resolution::Daily);
    assert_eq!(reader.columns(), ["meter_id", "timestamp", "consumption_kwh"]);
    let out = tmp.path().join("out_daily");
    inject_file(&file, None, &plan(5), &out).unwrap();
    let (schema_out, batches, _) = read_all(&out.join("daily.parquet"));
    assert!(matches!(schema_out.field(0).data_type(), DataType::Dictionary(..)));
    assert!(batches[0].column(2).as_primitive_opt::<Float64Type>().is_some());
    let onset = lines(&out.join("events.csv"))[1].split(',').nth(3).unwrap().to_owned();
    assert_eq!(onset.len(), 10, "a day: {onset}");

    // Timestamps without a zone are read as UTC.
    let file = tmp.path().join("naive.parquet");
    let t: Vec<i64> = (0..5 * 48).map(|i| 1_704_067_200 + (i % 48) * 3600).collect();
    write_table(
        &file,
        vec![
            (
                "meter_id",
                Arc::new(StringArray::from_iter_values(
                    (0..5 * 48).map(|i| format!("N{}", i / 48)),
                )) as ArrayRef,
            ),
            ("timestamp", Arc::new(TimestampSecondArray::from(t))),
            ("kwh", Arc::new(Float64Array::from(vec![1.5; 5 * 48]))),
        ],
    );
    let reader = read_consumption(&file, None).unwrap();
    assert_eq!(reader.axis().resolution(), Resolution::Hourly);
    assert_eq!(reader.axis().zone().offset_seconds(), 0);
    assert_eq!(reader.axis().timestamp_string(0), "2024-01-01T00:00:00+00:00");
}

/// `inject_file` on a Parquet file `name` with these columns must fail
/// naming the file, `row` and `column`, with `reason` in its text, and
/// leave no output directory.
fn refused(name: &str, columns: Vec<(&str, ArrayRef)>, row: u64, column: &str, reason: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join(name);
    write_table(&file, columns);
    refused_file(&file, row, column, reason);
}

fn refused_file(file: &Path, row: u64, column: &str, reason: &str) {
    let out = file.parent().unwrap().join("out");
    let err = inject_file(file, None, &plan(1), &out).unwrap_err();
    match &err {
        IoError::Input {
            path,
            line,
            column: c,
            reason: r,
        } => {
            assert_eq!(path, file, "{err}");
            assert_eq!((*line, c.as_str()), (row, column), "{err}");
            assert!(r.contains(reason), "{err}");
            let place = if row == 0 {
                "schema".to_owned()
            } else {
                format!("row {row}")
            };
            assert!(
                err.to_string().contains(&format!(", {place}, column `{column}`")),
                "{err}"
            );
        }
        other => panic!("{other}"),
    }
    assert!(!out.exists(), "nothing written");
    // `read_consumption` refuses it the same way (when reading to the end).
    let read = read_consumption(file, None).and_then(|r| r.collect::<Result<Vec<_>, _>>());
    assert!(
        matches!(read, Err(IoError::Input { line, .. }) if line == row),
        "{read:?}"
    );
}

fn ids(v: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

fn hours(v: &[i64]) -> ArrayRef {
    Arc::new(
        TimestampMillisecondArray::from(v.iter().map(|h| 1_704_038_400_000 + h * 3_600_000).collect::<Vec<_>>())
            .with_timezone("+08:00"),
    )
}

fn kwh(v: &[f64]) -> ArrayRef {
    Arc::new(Float64Array::from(v.to_vec()))
}

#[test]
fn bad_parquet_inputs_name_file_row_and_column_and_write_nothing() {
    let a4 = ids(&["A", "A", "B", "B"]);
    let t4 = hours(&[0, 1, 0, 1]);
    let good = [1.0, 2.0, 3.0, 4.0];
    let cols = |i: ArrayRef, t: ArrayRef, k: ArrayRef| vec![("meter_id", i), ("timestamp", t), ("kwh", k)];
    refused(
        "neg.parquet",
        cols(a4.clone(), t4.clone(), kwh(&[1.0, 2.0, 3.0, -4.0])),
        4,
        "kwh",
        "-4 is negative",
    );
    refused(
        "nan.parquet",
        cols(a4.clone(), t4.clone(), kwh(&[1.0, f64::NAN, 3.0, 4.0])),
        2,
        "kwh",
        "not a finite number",
    );
    refused(
        "inf.parquet",
        cols(a4.clone(), t4.clone(), kwh(&[1.0, 2.0, f64::INFINITY, 4.0])),
        3,
        "kwh",
        "not a finite number",
    );
    refused(
        "apart.parquet",
        cols(ids(&["A", "A", "B", "B", "A"]), hours(&[0, 1, 0, 1, 2]), kwh(&[1.0; 5])),
        5,
        "meter_id",
        "duplicate meter id `A` (its rows are not consecutive)",
    );
    refused(
        "empty.parquet",
        cols(ids(&["A", "A", " ", "B"]), t4.clone(), kwh(&good)),
        3,
        "meter_id",
        "empty meter id",
    );
    refused(
        "null_id.parquet",
        cols(
            Arc::new(StringArray::from(vec![Some("A"), Some("A"), Some("B"), None])),
            t4.clone(),
            kwh(&good),
        ),
        4,
        "meter_id",
        "empty meter id",
    );
    refused(
        "twice.parquet",
        cols(ids(&["A", "A", "A", "B"]), hours(&[0, 1, 1, 0]), kwh(&good)),
        3,
        "timestamp",
        "a second reading of this meter at this time",
    );
    refused(
        "offgrid.parquet",
        cols(
            a4.clone(),
            Arc::new(TimestampMillisecondArray::from(vec![
                0, 3_600_000, 1_800_000, 3_600_000,
            ])),
            kwh(&good),
        ),
        1,
        "timestamp",
        "1800 s apart",
    );
    refused(
        "types.parquet",
        cols(a4.clone(), t4.clone(), Arc::new(Int64Array::from(vec![1, 2, 3, 4]))),
        0,
        "kwh",
        "type Int64, expected Float64 or Float32",
    );
    refused(
        "ts_type.parquet",
        cols(a4.clone(), Arc::new(Int64Array::from(vec![1, 2, 3, 4])), kwh(&good)),
        0,
        "timestamp",
        "type Int64",
    );
    refused(
        "id_type.parquet",
        cols(Arc::new(Int64Array::from(vec![1, 1, 2, 2])), t4.clone(), kwh(&good)),
        0,
        "meter_id",
        "type Int64",
    );
    refused(
        "missing.parquet",
        vec![
            ("meter_id", a4.clone()),
            ("timestamp", t4.clone()),
            ("energy", kwh(&good)),
        ],
        0,
        "kwh",
        "the long layout needs a `kwh` column",
    );
    refused(
        "zone.parquet",
        cols(
            a4.clone(),
            Arc::new(TimestampMillisecondArray::from(vec![0, 3_600_000, 0, 3_600_000]).with_timezone("Europe/London")),
            kwh(&good),
        ),
        0,
        "timestamp",
        "time zone `Europe/London`",
    );
    refused(
        "text.parquet",
        cols(
            a4.clone(),
            ids(&["2024-01", "2024-02", "2024-01", "2024-13"]),
            kwh(&good),
        ),
        4,
        "timestamp",
        "`2024-13` is not a month (YYYY-MM)",
    );
    // Not Parquet at all.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("text.parquet");
    fs::write(&file, "meter_id,timestamp,kwh\nA,2024-01,1\n").unwrap();
    refused_file(&file, 0, "file", "not a Parquet file");
    // A Parquet file is long form: another layout is refused.
    let file = tmp.path().join("good.parquet");
    write_table(&file, cols(a4, t4, kwh(&good)));
    let err = read_consumption(&file, Some(InputLayout::Sgcc)).unwrap_err();
    assert!(
        matches!(&err, IoError::Input { line: 0, column, .. } if column == "file"),
        "{err}"
    );
    assert!(err.to_string().contains("not as the sgcc layout"), "{err}");
}
