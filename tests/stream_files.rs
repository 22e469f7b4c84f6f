//! The streaming writer: the same bytes as the in-memory writer, for any
//! batch size and thread count, and shards that reassemble the whole.

use std::fs;
use std::path::Path;

use ghostload::io::{WriteOptions, stream_dataset, write_dataset};
use ghostload::{GeneratorConfig, Pipeline, Shard};
use proptest::prelude::*;

fn read(dir: &Path, name: &str) -> Vec<u8> {
    fs::read(dir.join(name)).unwrap()
}

/// Every file a whole run writes (`manifest.json` included: it is the same
/// for the in-memory and streaming writers and any thread count).
const ALL_FILES: [&str; 12] = [
    "transformers.csv",
    "meter_consumption.csv",
    "anomaly_labels.csv",
    "events.csv",
    "transformer_readings.csv",
    "energy_balance.csv",
    "meter_consumption_true.csv",
    "feeder_readings.csv",
    "transformers.geojson",
    "generation_report.json",
    "generation_report.txt",
    "manifest.json",
];
/// Files whose rows a shard writes a part of (a transformer's balance in
/// the shard that holds its first meter).
const ROW_FILES: [&str; 6] = [
    "meter_consumption.csv",
    "anomaly_labels.csv",
    "events.csv",
    "transformer_readings.csv",
    "energy_balance.csv",
    "meter_consumption_true.csv",
];

fn config(seed: u64, meters: usize, months: usize) -> GeneratorConfig {
    GeneratorConfig {
        seed,
        num_meters: meters,
        num_transformers: (meters / 40).max(1),
        num_months: months,
        benign_rate: 0.05,
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn streamed_files_equal_in_memory_files(seed in any::<u64>(), meters in 1usize..3000, batch in 1usize..5000) {
        let tmp = tempfile::tempdir().unwrap();
        let pipeline = Pipeline::builder().config(config(seed, meters, 13)).build().unwrap();
        let (mem, streamed) = (tmp.path().join("mem"), tmp.path().join("stream"));
        write_dataset(&pipeline.generate().unwrap(), &mem, &WriteOptions::default()).unwrap();
        stream_dataset(&pipeline, &streamed, &WriteOptions::default().with_batch_size(batch)).unwrap();
        for name in ALL_FILES {
            prop_assert!(read(&mem, name) == read(&streamed, name), "{} differs", name);
        }
    }

    #[test]
    fn shards_concatenate_to_the_whole(seed in any::<u64>(), meters in 1usize..2000, count in 1usize..6) {
        let tmp = tempfile::tempdir().unwrap();
        let pipeline = Pipeline::builder().config(config(seed, meters, 7)).build().unwrap();
        let whole = tmp.path().join("whole");
        stream_dataset(&pipeline, &whole, &WriteOptions::default().with_batch_size(97)).unwrap();
        // The map layer of a shard has no ghost load (that needs every
        // transformer): it is the one of a whole run without the balance.
        let mut plain_config = config(seed, meters, 7);
        plain_config.balance.enabled = false;
        let plain = tmp.path().join("plain");
        let plain_pipeline = Pipeline::builder().config(plain_config).build().unwrap();
        stream_dataset(&plain_pipeline, &plain, &WriteOptions::default()).unwrap();
        let mut joined: Vec<Vec<u8>> = vec![Vec::new(); ROW_FILES.len()];
        for k in 1..=count {
            let dir = tmp.path().join(format!("shard{k}"));
            let shard = Shard::new(k, count).unwrap();
            let written = stream_dataset(&pipeline, &dir, &WriteOptions::default().with_shard(shard)).unwrap();
            prop_assert_eq!(written.meters, shard.range(meters).len());
            for (name, acc) in ROW_FILES.iter().zip(&mut joined) {
                let bytes = read(&dir, name);
                // Every shard has the header; keep the first one only.
                let body = if k == 1 { &bytes[..] } else { &bytes[bytes.iter().position(|&b| b == b'\n').unwrap() + 1..] };
                acc.extend_from_slice(body);
            }
            prop_assert!(read(&dir, "transformers.csv") == read(&whole, "transformers.csv"));
            if count == 1 {
                // Shard 1/1 is the whole dataset.
                prop_assert!(read(&dir, "transformers.geojson") == read(&whole, "transformers.geojson"));
                prop_assert!(read(&dir, "feeder_readings.csv") == read(&whole, "feeder_readings.csv"));
            } else {
                prop_assert!(read(&dir, "transformers.geojson") == read(&plain, "transformers.geojson"));
                prop_assert!(!dir.join("feeder_readings.csv").exists());
            }
            let report: serde_json::Value = serde_json::from_slice(&read(&dir, "generation_report.json")).unwrap();
            prop_assert_eq!(report["validation_passed"].as_bool(), Some(true), "{}", report["validation"]);
        }
        for (name, acc) in ROW_FILES.iter().zip(&joined) {
            prop_assert!(*acc == read(&whole, name), "{} differs", name);
        }
    }
}

#[test]
fn thread_count_does_not_change_a_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(5, 20_000, 24);
    let mut outputs = Vec::new();
    for threads in [1, 2, 4] {
        let pipeline = Pipeline::builder()
            .config(cfg.clone())
            .threads(threads)
            .build()
            .unwrap();
        let dir = tmp.path().join(format!("t{threads}"));
        stream_dataset(&pipeline, &dir, &WriteOptions::default().with_batch_size(3000)).unwrap();
        outputs.push(ALL_FILES.map(|name| read(&dir, name)));
    }
    assert!(outputs[0] == outputs[1] && outputs[1] == outputs[2]);
}

#[test]
fn events_csv_lists_every_event_with_its_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = Pipeline::builder().config(config(9, 3000, 12)).build().unwrap();
    let dataset = pipeline.generate().unwrap();
    write_dataset(&dataset, tmp.path(), &WriteOptions::default()).unwrap();
    let mut reader = csv::Reader::from_path(tmp.path().join("events.csv")).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "meter_id",
            "event_type",
            "is_theft",
            "onset",
            "end",
            "severity",
            "anomaly_flag"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), dataset.events().len());
    assert!(dataset.events().iter().any(|e| !e.is_anomaly));
    for (row, e) in rows.iter().zip(dataset.events()) {
        assert_eq!(&row[0], e.meter_id.to_string());
        assert_eq!(&row[1], e.event_type.as_str());
        assert_eq!(&row[2], if e.is_theft { "1" } else { "0" });
        assert_eq!(row[3].parse::<u32>().unwrap(), dataset.axis().month(e.onset).compact());
        assert_eq!(row[4].is_empty(), e.end.is_none());
        assert!((row[5].parse::<f64>().unwrap() - e.severity).abs() <= 5e-5);
        assert_eq!(&row[6], if e.is_anomaly { "1" } else { "0" });
        assert_eq!(e.is_anomaly, dataset.label(e.meter_id).is_some());
    }
}

#[test]
fn progress_counts_every_meter_once_and_changes_no_byte() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = Pipeline::builder().config(config(9, 2_500, 6)).build().unwrap();
    let (plain, counted, shard, mem) = (
        tmp.path().join("plain"),
        tmp.path().join("counted"),
        tmp.path().join("shard"),
        tmp.path().join("mem"),
    );
    stream_dataset(&pipeline, &plain, &WriteOptions::default().with_batch_size(700)).unwrap();
    let counter = Arc::new(AtomicU64::new(0));
    let options = WriteOptions::default()
        .with_batch_size(700)
        .with_progress(Arc::clone(&counter));
    stream_dataset(&pipeline, &counted, &options).unwrap();
    assert_eq!(counter.load(Ordering::Relaxed), 2_500);
    for name in ALL_FILES {
        assert!(read(&plain, name) == read(&counted, name), "{name} differs");
    }
    // A shard counts its own meters only.
    let counter = Arc::new(AtomicU64::new(0));
    let options = WriteOptions::default()
        .with_shard(Shard::new(2, 3).unwrap())
        .with_progress(Arc::clone(&counter));
    let written = stream_dataset(&pipeline, &shard, &options).unwrap();
    assert_eq!(counter.load(Ordering::Relaxed), written.meters as u64);
    // The in-memory writer adds every meter at once.
    let counter = Arc::new(AtomicU64::new(0));
    let dataset = pipeline.generate().unwrap();
    write_dataset(
        &dataset,
        &mem,
        &WriteOptions::default().with_progress(Arc::clone(&counter)),
    )
    .unwrap();
    assert_eq!(counter.load(Ordering::Relaxed), 2_500);
}
