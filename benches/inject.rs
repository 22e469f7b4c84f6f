//! `inject` against `generate` on the same size (the issue: "at roughly the
//! speed of `generate`").
//!
//! Run: `cargo bench --bench inject`
//!
//! 200 000 meters × 24 months (a 48 MB `meter_consumption.csv`), files on disk:
//! - `generate`: `io::stream_files` of that dataset (no anomalies, no energy
//!   balance), every file the CLI writes;
//! - `inject`: `io::inject_file` on its `meter_consumption.csv` at the
//!   default rates (the fast path: no quote in the file);
//! - `inject quoted`: the same table with one header name quoted, which
//!   sends it through the `csv` reader (the general path);
//! - `inject long`: the same readings in long form (`meter_id,YYYY-MM,kwh`,
//!   4.8 M rows, 125 MB), the fast path for long form.

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ghostload::inject::InjectPlan;
use ghostload::io::{WriteOptions, inject_file, read_consumption, stream_files};
use ghostload::{BalanceConfig, GeneratorConfig, Pipeline};

fn config() -> GeneratorConfig {
    let mut balance = BalanceConfig::default();
    balance.enabled = false;
    GeneratorConfig {
        num_meters: 200_000,
        num_transformers: 5_000,
        num_months: 24,
        anomaly_rate: 0.0,
        balance,
        ..Default::default()
    }
}

/// The table in long form, `meter_id,YYYY-MM,kwh` (4.8 M rows, 125 MB).
fn long_form(table: &Path) -> String {
    let reader = read_consumption(table, None).expect("the table");
    let axis = *reader.axis();
    let mut text = String::from("meter_id,timestamp,kwh\n");
    for row in reader {
        let row = row.expect("a row");
        for (t, v) in row.values.iter().enumerate() {
            let m = axis.month(t);
            text.push_str(&format!("{},{}-{:02},{v:.2}\n", row.id, m.year(), m.month()));
        }
    }
    text
}

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let pipeline = Pipeline::builder().config(config()).build().expect("valid config");
    let source = tmp.path().join("source");
    std::fs::create_dir_all(&source).expect("a directory");
    stream_files(&pipeline, &source, &WriteOptions::default()).expect("generation succeeds");
    let table = source.join("meter_consumption.csv");
    let quoted = tmp.path().join("quoted").join("meter_consumption.csv");
    std::fs::create_dir_all(quoted.parent().expect("a parent")).expect("a directory");
    let text = std::fs::read_to_string(&table).expect("the table");
    std::fs::write(&quoted, text.replacen("meter_id", "\"meter_id\"", 1)).expect("written");
    let long = tmp.path().join("long").join("readings.csv");
    std::fs::create_dir_all(long.parent().expect("a parent")).expect("a directory");
    std::fs::write(&long, long_form(&table)).expect("written");
    let plan = InjectPlan::new(&GeneratorConfig::default()).expect("valid plan");

    let mut group = c.benchmark_group("inject");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    let cfg = config();
    group.throughput(Throughput::Elements((cfg.num_meters * cfg.num_months) as u64));
    let generated = tmp.path().join("generated");
    std::fs::create_dir_all(&generated).expect("a directory");
    group.bench_function("generate 200000x24", |b| {
        b.iter(|| stream_files(&pipeline, &generated, &WriteOptions::default()).expect("generation succeeds"))
    });
    let out = tmp.path().join("injected");
    let run = |input: &Path| inject_file(input, None, &plan, &out).expect("injection succeeds");
    group.bench_function("inject 200000x24", |b| b.iter(|| run(&table)));
    group.bench_function("inject quoted 200000x24", |b| b.iter(|| run(&quoted)));
    group.bench_function("inject long 200000x24", |b| b.iter(|| run(&long)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
