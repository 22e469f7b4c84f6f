//! The `meter_readings` Parquet table as a user gets it: written by the
//! dataset writers, read back, and split into shard parts.

use ghostload::io::{ReadingsTable, WriteOptions, read_readings_parquet, stream_dataset, write_dataset};
use ghostload::{GeneratorConfig, Pipeline, Resolution, Shard};
use std::path::Path;

fn config() -> GeneratorConfig {
    GeneratorConfig {
        num_meters: 150,
        num_transformers: 6,
        num_months: 2,
        resolution: Resolution::Hourly,
        missing_rate: 0.02,
        ..Default::default()
    }
}

fn part(dir: &Path, k: usize, n: usize) -> std::path::PathBuf {
    dir.join("meter_readings").join(ghostload::io::part_name(k, n))
}

#[test]
fn parquet_round_trips_every_reading_and_every_gap() {
    let pipeline = Pipeline::builder().config(config()).build().unwrap();
    let dataset = pipeline.generate().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    write_dataset(&dataset, &dir, &WriteOptions::default()).unwrap();
    let table = read_readings_parquet(&part(&dir, 1, 1)).unwrap();
    let axis = dataset.series_axis();
    assert_eq!(table.len(), 150 * axis.len());
    let mut row = 0;
    let mut nulls = 0;
    for m in dataset.meters() {
        let readings = dataset.readings(m.id).unwrap();
        let gaps: Vec<_> = dataset.missing().iter().filter(|r| r.meter_id == m.id).collect();
        for (k, &v) in readings.iter().enumerate() {
            assert_eq!(table.meter[row], m.id.index());
            assert_eq!(table.timestamp[row], axis.timestamp(k));
            let missing = gaps.iter().any(|r| r.periods().contains(&k));
            match table.kwh[row] {
                None => {
                    assert!(missing, "{} at {k}: null but not missing", m.id);
                    nulls += 1;
                }
                Some(read) => {
                    assert!(!missing, "{} at {k}: present but missing", m.id);
                    assert_eq!(read.to_bits(), v.to_bits(), "{} at {k}", m.id);
                }
            }
            row += 1;
        }
    }
    let expected: usize = dataset.missing().iter().map(|r| r.len).sum();
    assert!(expected > 0);
    assert_eq!(nulls, expected);
}

#[test]
fn streamed_parts_equal_the_in_memory_part_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let one = Pipeline::builder().config(config()).threads(1).build().unwrap();
    let two = Pipeline::builder().config(config()).threads(2).build().unwrap();
    write_dataset(
        &one.generate().unwrap(),
        &tmp.path().join("mem"),
        &WriteOptions::default(),
    )
    .unwrap();
    stream_dataset(
        &two,
        &tmp.path().join("stream"),
        &WriteOptions::default().with_batch_size(17),
    )
    .unwrap();
    let a = std::fs::read(part(&tmp.path().join("mem"), 1, 1)).unwrap();
    let b = std::fs::read(part(&tmp.path().join("stream"), 1, 1)).unwrap();
    assert!(a == b, "the in-memory and streamed parts differ");
}

#[test]
fn shard_parts_read_as_the_whole_table() {
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = Pipeline::builder().config(config()).build().unwrap();
    stream_dataset(&pipeline, &tmp.path().join("whole"), &WriteOptions::default()).unwrap();
    let whole = read_readings_parquet(&part(&tmp.path().join("whole"), 1, 1)).unwrap();
    let mut joined = ReadingsTable::default();
    for k in 1..=4 {
        let dir = tmp.path().join(format!("s{k}"));
        let options = WriteOptions::default().with_shard(Shard::new(k, 4).unwrap());
        stream_dataset(&pipeline, &dir, &options).unwrap();
        let t = read_readings_parquet(&part(&dir, k, 4)).unwrap();
        assert!(!t.meter.is_empty());
        joined.meter.extend(t.meter);
        joined.timestamp.extend(t.timestamp);
        joined.kwh.extend(t.kwh);
    }
    assert_eq!(joined, whole);
}
