//! In-memory generation throughput, per consumption cell.
//!
//! Run: `cargo bench --bench generation`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ghostload::{GeneratorConfig, Pipeline};

fn generation(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    for (meters, months) in [(2_000usize, 12usize), (100_000, 24)] {
        let config = GeneratorConfig {
            num_meters: meters,
            num_transformers: meters / 40,
            num_months: months,
            ..Default::default()
        };
        let pipeline = Pipeline::builder().config(config).build().expect("valid config");
        group.throughput(Throughput::Elements((meters * months) as u64));
        group.sample_size(20);
        group.bench_function(format!("{meters}x{months}"), |b| {
            b.iter(|| pipeline.generate().expect("generation succeeds"))
        });
    }
    group.finish();
}

criterion_group!(benches, generation);
criterion_main!(benches);
