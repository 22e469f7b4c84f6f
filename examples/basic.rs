//! Generates the default dataset in memory and prints its summary.
//!
//! Run: `cargo run --release --example basic`

use ghostload::{GeneratorConfig, Pipeline};

fn main() -> Result<(), ghostload::Error> {
    let dataset = Pipeline::builder()
        .config(GeneratorConfig::default())
        .build()?
        .generate()?;
    let s = dataset.summary();
    println!(
        "{} transformers, {} meters x {} months, {} anomalous ({:.2}%)",
        s.transformers,
        s.meters,
        s.periods,
        s.anomalous_meters,
        100.0 * s.anomaly_rate
    );
    for (class, share) in &s.customer_classes {
        println!("  {class:<12} {:>6} ({:.1}%)", share.count, 100.0 * share.share);
    }
    for (band, share) in &s.risk_bands {
        println!("  risk {band:<7} {:>6}", share.count);
    }
    let c = s.consumption_kwh;
    println!(
        "consumption kWh/month: mean {:.1}, median {:.1}, std {:.1}, min {:.1}, max {:.1}",
        c.mean, c.median, c.std, c.min, c.max
    );
    println!("clipped cells of normal meters: {:.4}%", 100.0 * s.clipped_fraction);
    println!(
        "cells capped at max_kwh: {} ({:.4}% of normal meters' cells)",
        s.capped_cells,
        100.0 * s.capped_fraction
    );
    let meter = &dataset.meters()[0];
    let tx = dataset.transformer_of(meter.id).expect("every meter has a transformer");
    println!(
        "first meter {} ({}) on {} in {}: {:?}",
        meter.id,
        meter.customer_class,
        tx.id,
        dataset.barangay(tx.barangay).unwrap().name,
        dataset
            .series(meter.id)
            .map(|s| s.iter().map(|v| v.round()).collect::<Vec<_>>())
    );
    print!("{}", dataset.validate());
    Ok(())
}
