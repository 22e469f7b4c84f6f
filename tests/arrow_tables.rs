//! The Arrow tables (`io::ArrowTables`) hold the values of the files: every
//! cell of `meter_consumption.csv`, `anomaly_labels.csv`, `events.csv`,
//! `transformers.csv` and `energy_balance.csv` equals its Arrow cell, and
//! the tables do not depend on the batch size.

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type, Int64Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use ghostload::io::{
    ArrowTable, ArrowTables, write_anomaly_labels_csv, write_energy_balance_csv, write_events_csv,
    write_meter_consumption_csv, write_transformers_csv,
};
use ghostload::{Dataset, GeneratorConfig, Pipeline, Resolution};

fn config(resolution: Resolution) -> GeneratorConfig {
    let mut c = GeneratorConfig {
        num_transformers: 12,
        num_meters: 400,
        num_months: if resolution == Resolution::Monthly { 14 } else { 2 },
        start_month: "2023-11".parse().unwrap(),
        anomaly_rate: 0.2,
        ..Default::default()
    };
    c.resolution = resolution;
    if resolution != Resolution::Monthly {
        c.missing_rate = 0.02;
    }
    c
}

fn tables_of(pipeline: &Pipeline, table: ArrowTable, batch_size: usize) -> Vec<RecordBatch> {
    let tables = ArrowTables::new(pipeline);
    let n = pipeline.config().num_meters;
    pipeline
        .batches(0..n, batch_size)
        .map(|b| tables.batch(table, &b.unwrap()).unwrap())
        .collect()
}

fn csv_rows(write: impl FnOnce(&mut Vec<u8>)) -> (Vec<String>, Vec<Vec<String>>) {
    let mut bytes = Vec::new();
    write(&mut bytes);
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let headers = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (headers, rows)
}

/// The cell as the CSV writes it, for the types of the monthly tables.
fn cell(column: &dyn Array, row: usize) -> String {
    if column.is_null(row) {
        return String::new();
    }
    match column.data_type() {
        DataType::Utf8 => column.as_string::<i32>().value(row).to_owned(),
        DataType::Boolean => (if column.as_boolean().value(row) { "1" } else { "0" }).to_owned(),
        DataType::Int32 => column.as_primitive::<Int32Type>().value(row).to_string(),
        DataType::Int64 => column.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::Float64 => column.as_primitive::<Float64Type>().value(row).to_string(),
        DataType::Date32 => {
            let days = column.as_primitive::<Date32Type>().value(row);
            // Only months are compared (energy_balance.csv writes `YYYY-MM`).
            let (y, m) = civil_month(i64::from(days));
            format!("{y:04}-{m:02}")
        }
        DataType::Dictionary(..) => {
            let d = column.as_dictionary::<Int32Type>();
            let key = d.keys().value(row) as usize;
            d.values().as_string::<i32>().value(key).to_owned()
        }
        other => panic!("unexpected type {other}"),
    }
}

/// Year and month of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_month(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m)
}

/// Every cell of `batches` equals the CSV's: numbers bit for bit once parsed.
fn assert_same(name: &str, batches: &[RecordBatch], (headers, rows): (Vec<String>, Vec<Vec<String>>)) {
    let schema = batches[0].schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, headers, "{name}: columns");
    let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(total, rows.len(), "{name}: rows");
    let mut csv = rows.iter();
    for batch in batches {
        for r in 0..batch.num_rows() {
            let expected = csv.next().unwrap();
            for (c, column) in batch.columns().iter().enumerate() {
                let got = cell(column.as_ref(), r);
                if column.data_type() == &DataType::Float64 && !expected[c].is_empty() {
                    let want: f64 = expected[c].parse().unwrap();
                    let got: f64 = got.parse().unwrap();
                    assert_eq!(got.to_bits(), want.to_bits(), "{name} row {r} column {}", headers[c]);
                } else {
                    assert_eq!(got, expected[c], "{name} row {r} column {}", headers[c]);
                }
            }
        }
    }
}

fn generate(pipeline: &Pipeline) -> Dataset {
    pipeline.generate().unwrap()
}

#[test]
fn monthly_tables_equal_the_csv_files() {
    let pipeline = Pipeline::builder().config(config(Resolution::Monthly)).build().unwrap();
    let data = generate(&pipeline);
    // meter_consumption.csv is the meter table, then the wide table after its `meter_id`.
    let meters = tables_of(&pipeline, ArrowTable::Meters, 97);
    let wide = tables_of(&pipeline, ArrowTable::Consumption, 97);
    let joined: Vec<RecordBatch> = meters
        .iter()
        .zip(&wide)
        .map(|(m, w)| {
            assert_eq!(m.column(0).to_data(), w.column(0).to_data());
            let mut fields: Vec<_> = m.schema().fields().iter().cloned().collect();
            fields.extend(w.schema().fields().iter().skip(1).cloned());
            let mut columns = m.columns().to_vec();
            columns.extend(w.columns().iter().skip(1).cloned());
            RecordBatch::try_new(std::sync::Arc::new(arrow_schema::Schema::new(fields)), columns).unwrap()
        })
        .collect();
    assert_same(
        "consumption",
        &joined,
        csv_rows(|b| write_meter_consumption_csv(&data, b).unwrap()),
    );
    let labels = tables_of(&pipeline, ArrowTable::Labels, 97);
    assert!(labels.iter().map(RecordBatch::num_rows).sum::<usize>() > 40);
    assert_same(
        "labels",
        &labels,
        csv_rows(|b| write_anomaly_labels_csv(&data, b).unwrap()),
    );
    assert_same(
        "events",
        &tables_of(&pipeline, ArrowTable::Events, 97),
        csv_rows(|b| write_events_csv(&data, b).unwrap()),
    );
    let tables = ArrowTables::new(&pipeline);
    assert_same(
        "transformers",
        std::slice::from_ref(tables.transformers()),
        csv_rows(|b| write_transformers_csv(&data, b).unwrap()),
    );
    let balance = tables
        .energy_balance(&data.energy_balance().unwrap().transformers)
        .unwrap();
    let (headers, rows) = csv_rows(|b| write_energy_balance_csv(&data, b).unwrap());
    assert_eq!(balance.num_rows(), 12 * 14);
    assert_same("energy_balance", &[balance], (headers, rows));
}

#[test]
fn meter_ids_are_shared_by_the_meter_and_wide_tables_not_copied() {
    let pipeline = Pipeline::builder().config(config(Resolution::Monthly)).build().unwrap();
    let tables = ArrowTables::new(&pipeline);
    let batch = pipeline.generate_batch(0..50).unwrap();
    let both = tables
        .batches(&[ArrowTable::Meters, ArrowTable::Consumption], &batch)
        .unwrap();
    let (meters, wide) = (&both[0], &both[1]);
    assert_eq!(meters.num_columns(), 7);
    assert_eq!(wide.num_columns(), 1 + 14);
    assert_eq!(meters.column(0).to_data(), wide.column(0).to_data());
    assert_eq!(meters.schema().field(0), wide.schema().field(0));
    // The same buffers, not a copy.
    let (a, b) = (meters.column(0).to_data(), wide.column(0).to_data());
    assert_eq!(a.buffers()[1].as_ptr(), b.buffers()[1].as_ptr());
    // Asked alone, each table is the same.
    assert_eq!(&tables.batch(ArrowTable::Meters, &batch).unwrap(), meters);
    assert_eq!(&tables.batch(ArrowTable::Consumption, &batch).unwrap(), wide);
}

#[test]
fn tables_do_not_depend_on_the_batch_size() {
    let pipeline = Pipeline::builder().config(config(Resolution::Hourly)).build().unwrap();
    for table in [
        ArrowTable::Consumption,
        ArrowTable::ConsumptionLong,
        ArrowTable::Readings,
        ArrowTable::Labels,
        ArrowTable::Events,
    ] {
        let whole = tables_of(&pipeline, table, 400);
        let small = tables_of(&pipeline, table, 33);
        assert_eq!(small.len(), 400usize.div_ceil(33));
        let rows = |b: &[RecordBatch]| -> Vec<String> {
            b.iter()
                .flat_map(|b| {
                    (0..b.num_rows()).map(move |r| {
                        b.columns()
                            .iter()
                            .map(|c| match c.data_type() {
                                DataType::Timestamp(..) if !c.is_null(r) => {
                                    c.as_primitive::<TimestampMillisecondType>().value(r).to_string()
                                }
                                DataType::Timestamp(..) => String::new(),
                                _ => cell(c.as_ref(), r),
                            })
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                })
                .collect()
        };
        assert_eq!(rows(&whole), rows(&small), "{table}");
    }
}

#[test]
fn readings_hold_the_interval_series_with_nulls_where_missing() {
    let pipeline = Pipeline::builder().config(config(Resolution::Hourly)).build().unwrap();
    let data = generate(&pipeline);
    let readings = tables_of(&pipeline, ArrowTable::Readings, 64);
    let schema = readings[0].schema();
    assert_eq!(
        schema.field(1).data_type(),
        &DataType::Timestamp(arrow_schema::TimeUnit::Millisecond, Some("Asia/Manila".into()))
    );
    let intervals = data.intervals();
    let (mut row, mut nulls) = (0usize, 0usize);
    for b in &readings {
        let ids = b.column(0).as_dictionary::<Int32Type>();
        let stamps = b.column(1).as_primitive::<TimestampMillisecondType>();
        let kwh = b.column(2).as_primitive::<Float64Type>();
        for r in 0..b.num_rows() {
            let (m, i) = (row / intervals, row % intervals);
            let meter = &data.meters()[m];
            let id = ids.values().as_string::<i32>().value(ids.keys().value(r) as usize);
            assert_eq!(id, meter.id.to_string());
            assert_eq!(stamps.value(r), data.series_axis().timestamp(i) * 1000);
            let missing = data
                .missing()
                .iter()
                .any(|run| run.meter_id == meter.id && run.periods().contains(&i));
            assert_eq!(kwh.is_null(r), missing, "row {row}");
            if missing {
                nulls += 1;
            } else {
                assert_eq!(kwh.value(r), data.readings(meter.id).unwrap()[i]);
            }
            row += 1;
        }
    }
    assert_eq!(row, 400 * intervals);
    assert!(nulls > 0, "the config asks for missing readings");
}

#[test]
fn long_consumption_is_the_wide_table_unpivoted() {
    let pipeline = Pipeline::builder().config(config(Resolution::Monthly)).build().unwrap();
    let tables = ArrowTables::new(&pipeline);
    let batch = pipeline.generate_batch(10..30).unwrap();
    let wide = tables.batch(ArrowTable::Consumption, &batch).unwrap();
    let long = tables.batch(ArrowTable::ConsumptionLong, &batch).unwrap();
    assert_eq!(tables.unpivot(&wide).unwrap(), long);
    assert!(tables.unpivot(&long).is_err());
    assert_eq!(long.num_rows(), 20 * 14);
    let kwh = long.column(2).as_primitive::<Float64Type>();
    let months = long.column(1);
    for r in 0..long.num_rows() {
        let (m, p) = (r / 14, r % 14);
        assert_eq!(cell(long.column(0).as_ref(), r), cell(wide.column(0).as_ref(), m));
        assert_eq!(kwh.value(r), wide.column(1 + p).as_primitive::<Float64Type>().value(m));
        let name = wide.schema().field(1 + p).name().clone();
        let month = cell(months.as_ref(), r).replace('-', "");
        assert_eq!(name, format!("monthly_consumption_{month}"));
    }
}

#[test]
fn per_meter_only_tables_refuse_the_others() {
    let pipeline = Pipeline::builder().config(config(Resolution::Monthly)).build().unwrap();
    let tables = ArrowTables::new(&pipeline);
    let batch = pipeline.generate_batch(0..5).unwrap();
    let e = tables.batch(ArrowTable::Readings, &batch).unwrap_err().to_string();
    assert!(e.contains("monthly dataset has no interval readings"), "{e}");
    let e = tables.batch(ArrowTable::EnergyBalance, &batch).unwrap_err().to_string();
    assert!(e.contains("no rows per meter"), "{e}");
}

#[test]
fn the_wide_table_built_in_place_equals_the_batches_concatenated() {
    let pipeline = Pipeline::builder().config(config(Resolution::Monthly)).build().unwrap();
    let tables = ArrowTables::new(&pipeline);
    let batches = tables_of(&pipeline, ArrowTable::Consumption, 37);
    let mut builder = tables.consumption_builder(0..400);
    for batch in pipeline.batches(0..400, 37) {
        builder.add(&batch.unwrap()).unwrap();
    }
    let whole = builder.finish().unwrap();
    assert_eq!(whole.num_rows(), 400);
    let mut row = 0;
    for b in &batches {
        assert_eq!(&whole.slice(row, b.num_rows()), b);
        row += b.num_rows();
    }
    // A range of its own (a shard), and the misuses refused.
    let mut part = tables.consumption_builder(100..200);
    let e = part
        .add(&pipeline.generate_batch(0..50).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("expects meters from 100"), "{e}");
    part.add(&pipeline.generate_batch(100..150).unwrap()).unwrap();
    let e = part.finish().unwrap_err().to_string();
    assert!(e.contains("missing meters 150..200"), "{e}");
    let mut part = tables.consumption_builder(100..200);
    part.add(&pipeline.generate_batch(100..200).unwrap()).unwrap();
    assert_eq!(part.finish().unwrap(), whole.slice(100, 100));
}
