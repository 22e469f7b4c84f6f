//! End-to-end throughput, per consumption cell (meter × month): generating a
//! dataset and writing every file (CSV, GeoJSON, reports) to disk.
//!
//! Run: `cargo bench --bench pipeline`
//!
//! Compares streaming (`stream_files`: batches generated while the previous one
//! is written, bounded memory) with generating the whole dataset in memory and
//! then writing it (`generate` + `write_files`). The files are written into a
//! temporary directory (under `$TMPDIR`), overwritten by each iteration, and
//! every file is synced to disk, so the figures include the file system.

use std::hint::black_box;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use ghostload::io::{WriteOptions, stream_files, write_files};
use ghostload::{GeneratorConfig, Pipeline};
use tempfile::TempDir;

/// A pipeline for `meters` × `months` with one transformer per 40 meters (as
/// the default configuration has), the other settings at their defaults.
fn pipeline(meters: usize, months: usize) -> Pipeline {
    let config = GeneratorConfig {
        num_meters: meters,
        num_transformers: meters / 40,
        num_months: months,
        ..Default::default()
    };
    Pipeline::builder().config(config).build().expect("valid config")
}

fn cells(pipeline: &Pipeline) -> u64 {
    let config = pipeline.config();
    (config.num_meters * config.num_months) as u64
}

/// The default dataset size: 2 000 meters × 12 months, streamed to files.
fn default_size(c: &mut Criterion) {
    let default = GeneratorConfig::default();
    let pipeline = pipeline(default.num_meters, default.num_months);
    let dir = TempDir::new().expect("temporary directory");
    let options = WriteOptions::default();

    let mut group = c.benchmark_group("pipeline_to_files");
    group.throughput(Throughput::Elements(cells(&pipeline)));
    group.sample_size(20);
    group.bench_function(
        format!("stream_files/{}x{}", default.num_meters, default.num_months),
        |b| b.iter(|| stream_files(&pipeline, dir.path(), &options).expect("writing succeeds")),
    );
    group.finish();
}

/// 100 000 meters × 24 months (2.4 M cells): streamed, and in memory then
/// written.
fn large(c: &mut Criterion) {
    let (meters, months) = (100_000, 24);
    let pipeline = pipeline(meters, months);
    let dir = TempDir::new().expect("temporary directory");
    let options = WriteOptions::default();

    let mut group = c.benchmark_group("pipeline_to_files");
    group.throughput(Throughput::Elements(cells(&pipeline)));
    // One iteration takes about half a second on 2 cores: samples of equal iteration
    // counts (flat sampling), at least 10 iterations where linear sampling
    // would need 1 + 2 + … + 10 = 55. No measurement time is set here, so
    // `--measurement-time` on the command line applies.
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function(format!("stream_files/{meters}x{months}"), |b| {
        b.iter(|| stream_files(&pipeline, dir.path(), &options).expect("writing succeeds"))
    });
    group.bench_function(format!("generate_write_files/{meters}x{months}"), |b| {
        b.iter(|| {
            let dataset = pipeline.generate().expect("generation succeeds");
            let written = write_files(&dataset, dir.path(), &options).expect("writing succeeds");
            // Dropping the dataset is part of the in-memory path's cost.
            drop(black_box(dataset));
            written
        })
    });
    group.finish();
}

criterion_group!(benches, default_size, large);
criterion_main!(benches);
