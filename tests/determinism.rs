//! The same configuration gives the same dataset whatever the thread count.

use ghostload::{GeneratorConfig, Pipeline};

fn generate_with_threads(threads: usize, config: &GeneratorConfig) -> ghostload::Dataset {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        Pipeline::builder()
            .config(config.clone())
            .build()
            .unwrap()
            .generate()
            .unwrap()
    })
}

#[test]
fn thread_count_does_not_change_the_dataset() {
    let config = GeneratorConfig {
        num_meters: 20_000,
        num_transformers: 300,
        num_months: 24,
        ..Default::default()
    };
    let one = generate_with_threads(1, &config);
    for threads in [2, 3, 8] {
        assert_eq!(one, generate_with_threads(threads, &config), "{threads} threads");
    }
}

#[test]
fn reordering_generation_does_not_matter_because_meters_are_independent() {
    // Meter i of a 1000-meter dataset equals meter i of the same network with more
    // periods, truncated: the noise stream is per meter, not shared.
    let short = GeneratorConfig {
        num_months: 6,
        anomaly_rate: 0.0,
        ..Default::default()
    };
    let long = GeneratorConfig {
        num_months: 18,
        ..short.clone()
    };
    let (a, b) = (generate_with_threads(2, &short), generate_with_threads(2, &long));
    for m in a.meters() {
        assert_eq!(a.series(m.id).unwrap(), &b.series(m.id).unwrap()[..6]);
    }
}
