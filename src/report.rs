//! [`Summary`]: the statistics of the generation report (design §2.3).

use std::collections::BTreeMap;

use crate::dataset::Dataset;
use crate::ids::TransformerId;
use crate::model::{CustomerClass, RiskBand};

/// Count and share of one category.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Share {
    /// How many.
    pub count: usize,
    /// `count` over the total (0 when the total is 0).
    pub share: f64,
}

impl Share {
    fn of(count: usize, total: usize) -> Share {
        Share {
            count,
            share: if total == 0 { 0.0 } else { count as f64 / total as f64 },
        }
    }
}

/// Distribution of the consumption values, kWh per period, over all cells.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ConsumptionStats {
    /// Mean.
    pub mean: f64,
    /// Median (the lower middle value for an even count).
    pub median: f64,
    /// Population standard deviation.
    pub std: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// Counts for one barangay.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BarangayCounts {
    /// Its name.
    pub name: String,
    /// Transformers in it.
    pub transformers: usize,
    /// Meters in it.
    pub meters: usize,
    /// Anomalous meters in it.
    pub anomalous_meters: usize,
}

/// Counts for one transformer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TransformerCounts {
    /// The transformer.
    pub transformer_id: TransformerId,
    /// Meters it serves.
    pub meters: usize,
    /// Anomalous meters among them.
    pub anomalous_meters: usize,
}

/// The statistics of a dataset, as the design's summary report lists them.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Summary {
    /// Number of transformers.
    pub transformers: usize,
    /// Number of meters.
    pub meters: usize,
    /// Periods per series.
    pub periods: usize,
    /// Anomalous meters.
    pub anomalous_meters: usize,
    /// Anomalous meters over all meters.
    pub anomaly_rate: f64,
    /// Meters per customer class (`residential`, `commercial`, `industrial`).
    pub customer_classes: BTreeMap<CustomerClass, Share>,
    /// Anomalous meters per risk band (`Low`, `Medium`, `High`).
    pub risk_bands: BTreeMap<RiskBand, Share>,
    /// Anomalous meters per anomaly type.
    pub anomaly_types: BTreeMap<String, Share>,
    /// Anomalous meters per anomaly type and risk band (every band present, 0 included).
    pub anomaly_type_bands: BTreeMap<String, BTreeMap<RiskBand, usize>>,
    /// Meters with a benign look-alike event (never labelled anomalous).
    pub benign_meters: usize,
    /// Benign events per type.
    pub benign_types: BTreeMap<String, usize>,
    /// Consumption over all cells, kWh per period.
    pub consumption_kwh: ConsumptionStats,
    /// Share of normal (non-anomalous) meters' cells clipped at zero.
    pub clipped_fraction: f64,
    /// Counts per barangay, in configuration order.
    pub per_barangay: Vec<BarangayCounts>,
    /// Counts per transformer, in id order.
    pub per_transformer: Vec<TransformerCounts>,
}

impl Summary {
    /// Computes the summary of `d` in one pass over its entities (plus a
    /// selection for the median).
    #[must_use]
    pub fn of(d: &Dataset) -> Summary {
        let n = d.meters.len();
        let anomalous = d.labels.len();
        let mut per_barangay: Vec<BarangayCounts> = d
            .barangays()
            .iter()
            .map(|b| BarangayCounts {
                name: b.name.clone(),
                transformers: 0,
                meters: 0,
                anomalous_meters: 0,
            })
            .collect();
        let mut per_transformer: Vec<TransformerCounts> = d
            .transformers()
            .iter()
            .map(|t| TransformerCounts {
                transformer_id: t.id,
                meters: 0,
                anomalous_meters: 0,
            })
            .collect();
        for t in d.transformers() {
            if let Some(b) = per_barangay.get_mut(t.barangay.index()) {
                b.transformers += 1;
            }
        }
        let mut classes: BTreeMap<CustomerClass, usize> = CustomerClass::ALL.iter().map(|c| (*c, 0)).collect();
        for (m, _, label) in d.records() {
            *classes.entry(m.customer_class).or_default() += 1;
            let hit = usize::from(label.is_some());
            if let Some(b) = per_barangay.get_mut(m.barangay.index()) {
                b.meters += 1;
                b.anomalous_meters += hit;
            }
            if let Some(t) = per_transformer.get_mut(m.transformer_id.index()) {
                t.meters += 1;
                t.anomalous_meters += hit;
            }
        }
        let mut bands: BTreeMap<RiskBand, usize> = RiskBand::ALL.iter().map(|b| (*b, 0)).collect();
        let mut types: BTreeMap<String, usize> = BTreeMap::new();
        let mut type_bands: BTreeMap<String, BTreeMap<RiskBand, usize>> = BTreeMap::new();
        for l in &d.labels {
            *bands.entry(l.risk_band).or_default() += 1;
            *types.entry(l.anomaly_type.to_string()).or_default() += 1;
            *type_bands
                .entry(l.anomaly_type.to_string())
                .or_insert_with(|| RiskBand::ALL.iter().map(|b| (*b, 0)).collect())
                .entry(l.risk_band)
                .or_default() += 1;
        }
        let mut benign_types: BTreeMap<String, usize> = BTreeMap::new();
        for e in d.events.iter().filter(|e| !e.is_anomaly) {
            *benign_types.entry(e.event_type.to_string()).or_default() += 1;
        }
        Summary {
            transformers: d.transformers().len(),
            meters: n,
            periods: d.axis.len(),
            anomalous_meters: anomalous,
            anomaly_rate: Share::of(anomalous, n).share,
            customer_classes: classes.into_iter().map(|(k, v)| (k, Share::of(v, n))).collect(),
            risk_bands: bands.into_iter().map(|(k, v)| (k, Share::of(v, anomalous))).collect(),
            anomaly_types: types.into_iter().map(|(k, v)| (k, Share::of(v, anomalous))).collect(),
            anomaly_type_bands: type_bands,
            benign_meters: benign_types.values().sum(),
            benign_types,
            consumption_kwh: stats(d.consumption.as_slice()),
            clipped_fraction: d.clip_stats.normal_fraction(),
            per_barangay,
            per_transformer,
        }
    }
}

fn stats(values: &[f64]) -> ConsumptionStats {
    if values.is_empty() {
        return ConsumptionStats {
            mean: 0.0,
            median: 0.0,
            std: 0.0,
            min: 0.0,
            max: 0.0,
        };
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in values {
        min = min.min(v);
        max = max.max(v);
    }
    let mut copy = values.to_vec();
    let mid = (copy.len() - 1) / 2;
    let (_, median, _) = copy.select_nth_unstable_by(mid, f64::total_cmp);
    ConsumptionStats {
        mean,
        median: *median,
        std: var.sqrt(),
        min,
        max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_of_a_small_sample() {
        let s = stats(&[4.0, 1.0, 3.0, 2.0]);
        assert_eq!((s.mean, s.median, s.min, s.max), (2.5, 2.0, 1.0, 4.0));
        assert!((s.std - 1.25f64.sqrt()).abs() < 1e-12);
    }
}
