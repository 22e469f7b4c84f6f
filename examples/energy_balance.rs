//! A transformer energy-balance detector, scored against the truth.
//!
//! The detector knows only what a utility knows: each distribution
//! transformer's meter readings, the sum of its customers' bills per period
//! and the transformer's nameplate rating. It ranks transformers by
//!
//! - **residual share**: `Σ (reading − billed) / Σ reading` over the series;
//! - **adjusted share**: the same after subtracting the transformer's
//!   expected technical loss, estimated per period from its loading (the
//!   reading over its kVA rating) with the nameplate no-load and load losses
//!   ([`transformer_losses_w`]) and the planning power and load factors of
//!   [`BalanceConfig::default`]. A lightly loaded transformer loses a larger
//!   share of its energy in its core, which the raw share mistakes for theft.
//!   (Subtracting one median share from every transformer would not change
//!   the ranking, hence not the AUC, so the loading estimate is used.)
//!
//! Each score is evaluated by the ROC AUC for the target "has at least one
//! theft meter" (`theft_meters > 0`), computed with the Mann–Whitney rank
//! formula, ties counting half.
//!
//! Run: `cargo run --release --example energy_balance` (monthly, the default
//! dataset) or `cargo run --release --example energy_balance -- hourly`.

use ghostload::{
    BalanceConfig, Dataset, GeneratorConfig, Pipeline, Resolution, TransformerBalance, transformer_losses_w,
};

/// Seeds for the AUC over several datasets (the default config's is 42).
const SEEDS: [u64; 5] = [42, 1, 2, 3, 4];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The AUC function on cases whose answer is known.
    assert_eq!(roc_auc(&[0.9, 0.1], &[true, false]), 1.0);
    assert_eq!(roc_auc(&[0.1, 0.9], &[true, false]), 0.0);
    assert_eq!(roc_auc(&[0.5, 0.5, 0.5], &[true, false, true]), 0.5);
    // Positives {0.8, 0.4}, negatives {0.4, 0.1}: of the 4 pairs, 3 won and 1 tied.
    assert_eq!(roc_auc(&[0.8, 0.4, 0.4, 0.1], &[true, true, false, false]), 0.875);

    let hourly = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("hourly") => true,
        Some(other) => return Err(format!("unknown argument {other:?} (expected `hourly` or nothing)").into()),
    };
    let resolution = if hourly {
        Resolution::Hourly
    } else {
        Resolution::Monthly
    };
    let config = |seed: u64| GeneratorConfig {
        seed,
        resolution,
        ..Default::default()
    };

    let dataset = Pipeline::builder().config(config(SEEDS[0])).build()?.generate()?;
    let scored = score(&dataset)?;
    let theft: Vec<bool> = scored.iter().map(|s| s.theft).collect();
    let positives = theft.iter().filter(|&&t| t).count();
    println!(
        "{resolution} default dataset (seed {}): {} transformers, {} with at least one theft meter",
        SEEDS[0],
        scored.len(),
        positives
    );
    let raw: Vec<f64> = scored.iter().map(|s| s.residual_share).collect();
    let adjusted: Vec<f64> = scored.iter().map(|s| s.adjusted_share).collect();
    println!(
        "AUC, residual share:                                         {:.3}",
        roc_auc(&raw, &theft)
    );
    println!(
        "AUC, adjusted (minus expected transformer loss from loading): {:.3}",
        roc_auc(&adjusted, &theft)
    );

    let mut top: Vec<&Scored> = scored.iter().collect();
    top.sort_by(|a, b| b.adjusted_share.total_cmp(&a.adjusted_share));
    println!("top 5 by adjusted share:");
    println!("  transformer  residual  adjusted  theft meters  stolen kWh");
    for s in top.iter().take(5) {
        println!(
            "  {:<11}  {:>7.2}%  {:>7.2}%  {:>12}  {:>10.1}",
            s.id,
            100.0 * s.residual_share,
            100.0 * s.adjusted_share,
            s.theft_meters,
            s.stolen_kwh
        );
    }

    println!("over {} seeds ({:?}), {resolution}:", SEEDS.len(), SEEDS);
    let (mut raws, mut adjs) = (Vec::new(), Vec::new());
    for seed in SEEDS {
        let dataset = Pipeline::builder().config(config(seed)).build()?.generate()?;
        let scored = score(&dataset)?;
        let theft: Vec<bool> = scored.iter().map(|s| s.theft).collect();
        let raw: Vec<f64> = scored.iter().map(|s| s.residual_share).collect();
        let adjusted: Vec<f64> = scored.iter().map(|s| s.adjusted_share).collect();
        let (a, b) = (roc_auc(&raw, &theft), roc_auc(&adjusted, &theft));
        println!(
            "  seed {seed:>2}: {} of {} transformers with theft; AUC residual {a:.3}, adjusted {b:.3}",
            theft.iter().filter(|&&t| t).count(),
            theft.len()
        );
        raws.push(a);
        adjs.push(b);
    }
    for (name, v) in [("residual", &raws), ("adjusted", &adjs)] {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        println!("  AUC {name}: mean {mean:.3}, range {min:.3} .. {max:.3}");
    }
    Ok(())
}

/// One transformer's scores and its truth.
struct Scored {
    id: String,
    residual_share: f64,
    adjusted_share: f64,
    /// Truth, for evaluation only.
    theft: bool,
    theft_meters: usize,
    stolen_kwh: f64,
}

/// Scores every transformer of `dataset` from its readings, bills and rating.
fn score(dataset: &Dataset) -> Result<Vec<Scored>, String> {
    let balance = dataset
        .energy_balance()
        .ok_or("the dataset has no energy balance (balance.enabled is off)")?;
    let axis = dataset.series_axis();
    let planning = BalanceConfig::default();
    let lf = planning.load_factor;
    balance
        .transformers
        .iter()
        .map(|t: &TransformerBalance| {
            let kva = dataset
                .transformer(t.transformer_id)
                .ok_or_else(|| format!("transformer {} not in the network", t.transformer_id))?
                .capacity_kva;
            let (p_nl, p_ll) = transformer_losses_w(kva);
            let (mut reading, mut residual, mut expected) = (0.0, 0.0, 0.0);
            for (i, row) in t.rows.iter().enumerate() {
                reading += row.reading_kwh;
                residual += row.residual_kwh();
                // Expected transformer loss from this period's loading: quadratic
                // losses of a daily or monthly period scaled by LLF / LF².
                let h = axis.hours(i);
                let f = if h < 24.0 {
                    1.0
                } else {
                    (0.3 * lf + 0.7 * lf * lf) / (lf * lf)
                };
                let loading = row.reading_kwh / h / planning.power_factor / kva;
                expected += (p_nl + p_ll * loading * loading * f) * h / 1000.0;
            }
            let share = |v: f64| if reading > 0.0 { v / reading } else { 0.0 };
            Ok(Scored {
                id: t.transformer_id.to_string(),
                residual_share: share(residual),
                adjusted_share: share(residual - expected),
                theft: t.theft_meters > 0,
                theft_meters: t.theft_meters,
                stolen_kwh: t.stolen_kwh,
            })
        })
        .collect()
}

/// ROC AUC of `scores` for the `positive` labels by the Mann–Whitney rank
/// formula: `(R₊ − n₊(n₊+1)/2) / (n₊·n₋)` with `R₊` the sum of the positives'
/// ranks, tied scores sharing their mean rank (a tie counts half). NaN when
/// either class is empty.
fn roc_auc(scores: &[f64], positive: &[bool]) -> f64 {
    assert_eq!(scores.len(), positive.len());
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        // Ranks start + 1 ..= end share their mean.
        let mean_rank = (start + 1 + end) as f64 / 2.0;
        rank_sum += mean_rank * order[start..end].iter().filter(|&&i| positive[i]).count() as f64;
        start = end;
    }
    let pos = positive.iter().filter(|&&p| p).count() as f64;
    let neg = positive.len() as f64 - pos;
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}
