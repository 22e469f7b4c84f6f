//! Implements `AnomalyInjector` outside the crate and plugs it into the pipeline.
//!
//! The injector models a meter bypass: from a random onset on, the meter records
//! only a fixed share of the true consumption.
//!
//! Run: `cargo run --example custom_anomaly`

use ghostload::rand::Rng;
use ghostload::rng::StreamRng;
use ghostload::{AnomalyInjector, AnomalyType, GeneratorConfig, Injection, InjectionContext, Pipeline};

/// Records `share` of true consumption from a random onset on.
#[derive(Debug)]
struct PartialBypass {
    share: f64,
}

impl AnomalyInjector for PartialBypass {
    fn inject(&self, series: &mut [f64], _ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Injection {
        // Leave at least a quarter of the series normal, so the change is visible.
        let onset = rng.random_range(series.len() / 4..series.len());
        for v in &mut series[onset..] {
            *v *= self.share;
        }
        Injection {
            anomaly_type: AnomalyType::new("partial_bypass").expect("a valid snake_case name"),
            onset,
            end: None,
            is_theft: true,
        }
    }
}

fn main() -> Result<(), ghostload::Error> {
    let config = GeneratorConfig {
        num_months: 24,
        ..Default::default()
    };
    let dataset = Pipeline::builder()
        .config(config)
        .anomaly(PartialBypass { share: 0.4 })
        .build()?
        .generate()?;
    println!("{} anomalous meters", dataset.labels().len());
    for label in dataset.labels().iter().take(5) {
        println!(
            "{} {} from {} severity {:.3} ({})",
            label.meter_id,
            label.anomaly_type,
            dataset.axis().month(label.onset),
            label.severity,
            label.risk_band
        );
    }
    Ok(())
}
