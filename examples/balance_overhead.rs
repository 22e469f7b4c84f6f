//! The cost of the energy balance, timed with and without it in alternation
//! (ABAB…), so that a change in the machine's load hits both sides alike.
//! The criterion bench `benches/balance.rs` times the same cases one after
//! the other, which on a shared virtual machine can favour either side.
//!
//! Run: `cargo run --release --example balance_overhead -- [threads]`
//! (default: the pipeline's default pool). Prints, per case, the median
//! wall time of each side and the overhead `with / without − 1`.

use std::time::Instant;

use ghostload::{BalanceConfig, GeneratorConfig, Pipeline, Resolution};

/// Meters per streamed batch, as in `benches/balance.rs`.
const BATCH: usize = 500;

fn pipeline(config: &GeneratorConfig, enabled: bool, threads: Option<usize>) -> Result<Pipeline, ghostload::Error> {
    let mut balance = BalanceConfig::default();
    balance.enabled = enabled;
    let config = GeneratorConfig {
        balance,
        ..config.clone()
    };
    let builder = Pipeline::builder().config(config);
    match threads {
        Some(n) => builder.threads(n).build(),
        None => builder.build(),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let threads = std::env::args().nth(1).map(|a| a.parse()).transpose()?;
    let big = GeneratorConfig {
        num_meters: 200_000,
        num_transformers: 5_000,
        num_months: 24,
        ..Default::default()
    };
    let hourly = GeneratorConfig {
        resolution: Resolution::Hourly,
        ..Default::default()
    };
    for (name, config, reps, streamed) in [
        ("generate 2000x12 monthly", GeneratorConfig::default(), 301, false),
        ("generate 200000x24 monthly", big, 21, false),
        ("stream hourly 2000x12, batches of 500", hourly, 21, true),
    ] {
        let sides = [pipeline(&config, false, threads)?, pipeline(&config, true, threads)?];
        let mut times = [Vec::new(), Vec::new()];
        for rep in 0..reps + 1 {
            for (side, p) in sides.iter().enumerate() {
                let start = Instant::now();
                if streamed {
                    let meters = config.num_meters;
                    let mut stream = side.eq(&1).then(|| p.balance_stream(0..meters)).transpose()?;
                    for batch in p.batches(0..meters, BATCH) {
                        let batch = batch?;
                        if let Some(s) = &mut stream {
                            std::hint::black_box(s.add(&batch));
                        }
                    }
                    if let Some(s) = stream {
                        std::hint::black_box(s.finish());
                    }
                } else {
                    std::hint::black_box(p.generate()?);
                }
                // The first round warms up.
                if rep > 0 {
                    times[side].push(start.elapsed().as_secs_f64());
                }
            }
        }
        let [without, with] = times.map(median);
        println!(
            "{name}: without {:.3} ms, with {:.3} ms, overhead {:+.1} % ({reps} runs each, medians)",
            without * 1e3,
            with * 1e3,
            100.0 * (with / without - 1.0)
        );
    }
    Ok(())
}
