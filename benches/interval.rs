//! Interval data throughput, per reading: generating readings in memory
//! (reusing one batch, as the writers do) and encoding them to Parquet.
//!
//! Run: `cargo bench --bench interval --features parquet`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ghostload::io::{ParquetOptions, ReadingsBlock, ReadingsParquetWriter};
use ghostload::{GeneratorConfig, Pipeline, Resolution};

/// Meters per batch: about 16 M hourly readings, what the streaming writers hold.
const BATCH: usize = 1_900;

fn pipeline(resolution: Resolution, meters: usize) -> Pipeline {
    let config = GeneratorConfig {
        num_meters: meters,
        num_transformers: meters / 40,
        resolution,
        ..Default::default()
    };
    Pipeline::builder().config(config).build().expect("valid config")
}

fn generation(c: &mut Criterion) {
    let mut group = c.benchmark_group("readings");
    group.sample_size(10);
    for (resolution, meters) in [
        (Resolution::Daily, 20_000),
        (Resolution::Hourly, BATCH),
        (Resolution::FifteenMinutes, 500),
    ] {
        let p = pipeline(resolution, meters);
        let mut batch = p.generate_batch(0..1).expect("generation succeeds");
        group.throughput(Throughput::Elements((meters * p.series_axis().len()) as u64));
        group.bench_function(format!("generate {resolution} {meters} meters x 1 year"), |b| {
            b.iter(|| {
                p.generate_batch_into(0..meters, &mut batch)
                    .expect("generation succeeds")
            })
        });
    }
    group.finish();
}

fn parquet(c: &mut Criterion) {
    let p = pipeline(Resolution::Hourly, BATCH);
    let batch = p.generate_batch(0..BATCH).expect("generation succeeds");
    let axis = p.series_axis();
    let timestamps: Vec<i64> = (0..axis.len()).map(|i| axis.timestamp(i)).collect();
    let mut group = c.benchmark_group("readings");
    group.sample_size(10);
    group.throughput(Throughput::Elements(batch.all_readings().len() as u64));
    group.bench_function(format!("parquet-encode hourly {BATCH} meters x 1 year"), |b| {
        b.iter(|| {
            let mut w = ReadingsParquetWriter::new(Vec::new(), ParquetOptions::default()).expect("writer");
            let block = ReadingsBlock {
                first_meter: 0,
                meters: BATCH,
                timestamps: &timestamps,
                values: batch.all_readings(),
                missing: &[],
            };
            w.write_block(&block).expect("encodes");
            w.finish().expect("finishes").len()
        })
    });
    group.finish();
}

criterion_group!(benches, generation, parquet);
criterion_main!(benches);
