//! The cost of the energy balance: generation with it against without it.
//!
//! Run: `cargo bench --bench balance`
//!
//! Three cases, each `with` (the default, `balance.enabled = true`) and
//! `without` (`balance.enabled = false`):
//! - the default dataset (2 000 meters × 12 months) in memory, `Pipeline::generate`;
//! - 200 000 meters × 24 months on 5 000 transformers in memory;
//! - 2 000 meters × 12 months hourly streamed in batches of 500 meters
//!   through `Pipeline::batches`, `with` also feeding every batch to
//!   `Pipeline::balance_stream` and finishing it.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ghostload::{BalanceConfig, GeneratorConfig, Pipeline, Resolution};

/// Meters per streamed batch (hourly: 4.4 M readings).
const BATCH: usize = 500;

fn pipeline(config: &GeneratorConfig, enabled: bool) -> Pipeline {
    let mut balance = BalanceConfig::default();
    balance.enabled = enabled;
    let config = GeneratorConfig {
        balance,
        ..config.clone()
    };
    Pipeline::builder().config(config).build().expect("valid config")
}

fn in_memory(c: &mut Criterion) {
    let mut group = c.benchmark_group("balance");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    let big = GeneratorConfig {
        num_meters: 200_000,
        num_transformers: 5_000,
        num_months: 24,
        ..Default::default()
    };
    for (name, config) in [("2000x12", GeneratorConfig::default()), ("200000x24", big)] {
        group.throughput(Throughput::Elements((config.num_meters * config.num_months) as u64));
        for enabled in [false, true] {
            let p = pipeline(&config, enabled);
            let label = if enabled { "with" } else { "without" };
            group.bench_function(format!("generate {name}/{label}"), |b| {
                b.iter(|| p.generate().expect("generation succeeds"))
            });
        }
    }
    group.finish();
}

fn streamed(c: &mut Criterion) {
    let mut group = c.benchmark_group("balance");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    let config = GeneratorConfig {
        resolution: Resolution::Hourly,
        ..Default::default()
    };
    let meters = config.num_meters;
    let without = pipeline(&config, false);
    group.throughput(Throughput::Elements((meters * without.series_axis().len()) as u64));
    group.bench_function("stream hourly 2000x12/without", |b| {
        b.iter(|| {
            let mut readings = 0;
            for batch in without.batches(0..meters, BATCH) {
                readings += batch.expect("generation succeeds").all_readings().len();
            }
            readings
        })
    });
    let with = pipeline(&config, true);
    group.bench_function("stream hourly 2000x12/with", |b| {
        b.iter(|| {
            let mut stream = with.balance_stream(0..meters).expect("valid range");
            let mut transformers = 0;
            for batch in with.batches(0..meters, BATCH) {
                transformers += stream.add(&batch.expect("generation succeeds")).len();
            }
            (transformers, stream.finish().len())
        })
    });
    group.finish();
}

criterion_group!(benches, in_memory, streamed);
criterion_main!(benches);
