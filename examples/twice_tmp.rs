//! tmp
use ghostload::{GeneratorConfig, Pipeline};
use std::time::Instant;
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = GeneratorConfig {
        num_meters: 1_000_000,
        num_transformers: 25_000,
        num_months: 24,
        ..Default::default()
    };
    let pipeline = Pipeline::builder().config(config).build()?;
    for _ in 0..4 {
        let t = Instant::now();
        let d = pipeline.generate()?;
        eprint!("{:.3} ", t.elapsed().as_secs_f64());
        drop(d);
    }
    eprintln!();
    Ok(())
}
