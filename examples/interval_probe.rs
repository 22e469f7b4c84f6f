//! Interval readings without the rest of a dataset: generates hourly (or
//! daily, 15-minute) readings in batches, reusing one batch, and optionally
//! writes them as one Parquet file, the work of the NumPy + pyarrow hourly
//! baseline (`numpy_hourly_reference.py`): no monthly files, labels, weather
//! file, report or validation.
//!
//! `cargo run --release --example interval_probe --features parquet -- METERS [RESOLUTION] [OUT.parquet]`
use ghostload::io::{ParquetOptions, ReadingsBlock, ReadingsParquetWriter};
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
    let started = std::time::Instant::now();
    let pipeline = Pipeline::builder().config(config).build()?;
    let axis = pipeline.series_axis();
    let timestamps: Vec<i64> = (0..axis.len()).map(|i| axis.timestamp(i)).collect();
    let mut writer = match args.get(3) {
        Some(path) => {
            let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
            let options = ParquetOptions::default().with_timezone(axis.zone().to_string());
            Some(ReadingsParquetWriter::new(file, options)?)
        }
        None => None,
    };
    let size = (1 << 24) / axis.len();
    let mut batch = pipeline.generate_batch(0..1)?;
    let mut missing = Vec::new();
    let mut readings = 0usize;
    for start in (0..meters).step_by(size) {
        pipeline.generate_batch_into(start..(start + size).min(meters), &mut batch)?;
        readings += batch.all_readings().len();
        if let Some(w) = writer.as_mut() {
            missing.clear();
            missing.extend(batch.missing().iter().map(|r| {
                (
                    (r.meter_id.index() as usize - start) as u32,
                    r.start as u32..(r.start + r.len) as u32,
                )
            }));
            w.write_block(&ReadingsBlock {
                first_meter: start as u32,
                meters: batch.meters().len(),
                timestamps: &timestamps,
                values: batch.all_readings(),
                missing: &missing,
            })?;
        }
    }
    if let Some(w) = writer {
        w.finish()?;
    }
    let s = started.elapsed().as_secs_f64();
    println!("{readings} readings in {s:.3} s: {:.1} M/s", readings as f64 / s / 1e6);
    Ok(())
}
