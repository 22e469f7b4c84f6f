//! Times in-memory generation of a large dataset (no files written).
//!
//! Run: `cargo run --release --example scale -- 1000000 25000 24`
//! (meters, transformers, months). Prints the generation time to stderr.

use std::time::Instant;

use ghostload::{GeneratorConfig, Pipeline};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse()).collect::<Result<_, _>>()?;
    let meters = args.first().copied().unwrap_or(1_000_000);
    let transformers = args.get(1).copied().unwrap_or(meters / 40);
    let months = args.get(2).copied().unwrap_or(24);
    let config = GeneratorConfig {
        num_meters: meters,
        num_transformers: transformers,
        num_months: months,
        ..Default::default()
    };
    let pipeline = Pipeline::builder().config(config).build()?;
    let start = Instant::now();
    let dataset = pipeline.generate()?;
    let elapsed = start.elapsed();
    eprintln!(
        "generated {} meters x {} months ({} anomalous) in {:.3} s",
        dataset.meters().len(),
        months,
        dataset.labels().len(),
        elapsed.as_secs_f64()
    );
    Ok(())
}
