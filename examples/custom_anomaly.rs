//! A user-defined anomaly injector joining the built-in mix with a weight.
//!
//! Run: `cargo run --example custom_anomaly`

use ghostload::rand::Rng;
use ghostload::rng::StreamRng;
use ghostload::{
    AnomalyInjector, AnomalyType, ConfigError, Error, GeneratorConfig, Injection, InjectionContext, Pipeline,
};

/// Night-time tapping, seen monthly: from an onset, a random 10–40 % of
/// consumption disappears every other month (the tap is removed before
/// meter-reading visits).
#[derive(Debug)]
struct AlternatingTap {
    kind: AnomalyType,
}

impl AlternatingTap {
    fn new() -> Result<Self, ConfigError> {
        Ok(AlternatingTap {
            kind: AnomalyType::new("alternating_tap")?,
        })
    }
}

impl AnomalyInjector for AlternatingTap {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection, Error> {
        // Use the pipeline's onset policy (`min_normal_periods`) like the built-ins.
        let onset = ctx.onset.onset(series.len(), rng);
        for v in series.iter_mut().skip(onset).step_by(2) {
            *v *= 1.0 - rng.random_range(0.1..0.4);
        }
        Ok(Injection::from_onset(self.kind.clone(), onset, true))
    }
}

fn main() -> Result<(), Error> {
    let config = GeneratorConfig::default(); // min_normal_periods 3, the default mix
    // The default mix's weights sum to 14; weight 3.5 makes the custom type 20 %.
    let data = Pipeline::builder()
        .config(config)
        .add_anomaly(AlternatingTap::new()?, 3.5)
        .build()?
        .generate()?;
    let summary = data.summary();
    println!("{} anomalous meters of {}:", summary.anomalous_meters, summary.meters);
    for (kind, bands) in &summary.anomaly_type_bands {
        let counts: Vec<String> = bands.iter().map(|(b, n)| format!("{b} {n}")).collect();
        println!(
            "  {kind:<20} {:>4}  ({})",
            summary.anomaly_types[kind].count,
            counts.join(", ")
        );
    }
    println!("{} meters with a benign look-alike:", summary.benign_meters);
    for (kind, n) in &summary.benign_types {
        println!("  {kind:<20} {n:>4}");
    }
    Ok(())
}
