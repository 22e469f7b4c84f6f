//! Times interval generation in memory (no files): `cargo run --release --example interval_probe -- METERS RES`.
use ghostload::{GeneratorConfig, Pipeline, Resolution};
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let meters: usize = args.get(1).map_or(Ok(20_000), |s| s.parse())?;
    let resolution: Resolution = args.get(2).map_or(Ok(Resolution::Hourly), |s| s.parse())?;
    let config = GeneratorConfig {
        num_meters: meters,
        num_transformers: (meters / 40).max(1),
        resolution,
        ..Default::default()
    };
    let pipeline = Pipeline::builder().config(config).build()?;
    let t = std::time::Instant::now();
    let mut readings = 0usize;
    let mut checksum = 0.0;
    let mut batch = pipeline.generate_batch(0..1)?;
    for start in (0..meters).step_by(2048) {
        pipeline.generate_batch_into(start..(start + 2048).min(meters), &mut batch)?;
        readings += batch.all_readings().len();
        checksum += batch.all_readings().iter().step_by(97).sum::<f64>();
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "{readings} readings in {s:.3} s: {:.1} M/s (checksum {checksum:.3})",
        readings as f64 / s / 1e6
    );
    Ok(())
}
